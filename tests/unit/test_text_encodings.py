"""Text files as people save them: UTF-8, Windows "Unicode" (UTF-16), Windows-1252, and
Markdown with front matter."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.parse import _front_matter, _read_text, _table_rows, sniff

TEXT = "Café — naïve résumé: the seal is replaced every 2000 hours."


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252"])
def test_each_encoding_reads_back_the_same_text(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "note.txt"
    path.write_bytes(TEXT.encode(encoding))
    assert sniff(path) == "text"  # UTF-16's NUL bytes are not "binary content"
    assert _read_text(path) == TEXT


def test_utf8_with_a_stray_byte_stays_utf8(tmp_path: Path) -> None:
    path = tmp_path / "pasted.txt"
    path.write_bytes(TEXT.encode() + b" Ref \xe9.")
    assert _read_text(path) == TEXT + " Ref \ufffd."  # not "CafÃ©" throughout


def test_markdown_front_matter_is_metadata_not_a_passage() -> None:
    text = "---\ntitle: 'Pump guide'\nauthor: ops\n---\n# Priming\n\nFill it first.\n"
    assert _front_matter(text) == ("# Priming\n\nFill it first.\n", "Pump guide")
    # A horizontal rule later on, or an opening one with no closing, is content.
    for body in ("# Pump\n---\nFill it.\n", "---\n\nFill it.\n"):
        assert _front_matter(body) == (body, "")


def test_a_table_is_read_a_row_at_a_time() -> None:
    key_value = (
        "<table><thead><tr><th>Item</th><th>Value</th></tr></thead><tbody>"
        "<tr><td>Battery</td><td>3400 mAh</td></tr><tr><td>Weight</td><td>157 g</td></tr>"
        "</tbody></table>"
    )
    assert _table_rows(key_value) == ["Item | Value", "Battery: 3400 mAh", "Weight: 157 g"]
    wide = (
        "<table><tr><th>Model</th><th>Battery</th><th>Weight</th></tr>"
        "<tr><td>S10e</td><td>3100 mAh</td><td>150 g</td></tr>"
        "<tr><td>S10+</td><td></td><td>175 g</td></tr>"
        "<tr><td colspan='3'>Typical values</td></tr></table>"
    )
    assert _table_rows(wide) == [
        "Model: S10e | Battery: 3100 mAh | Weight: 150 g",
        "Model: S10+ | Weight: 175 g",  # an empty cell keeps the others under their names
        "Typical values",
    ]
    # A table used for layout (an icon cell beside a note) stays the text it is.
    layout = "<table><tr><td/><td>NOTE Use only approved chargers.</td></tr></table>"
    assert _table_rows(layout) == []
    assert _table_rows("") == [] and _table_rows("<table><tr><td>x</td></tr>") == []

"""Parsing ahead in worker processes: order kept, failures reported, a crashing file isolated."""

from __future__ import annotations

import os
from pathlib import Path

from ingest.workers import ParseOutcome, parse_ahead, parse_one
from rag.types import ParsedDocument


def fake_parse(path: Path, max_bytes: int, digest: str | None) -> ParseOutcome:
    """Module-level, so worker processes can import it. 'crash' files kill their worker."""
    if path.name.startswith("crash"):
        os._exit(1)
    doc = ParsedDocument(path.name, (), path.stem, "text", None)
    return ParseOutcome(doc, digest or "", None, 0.0)


def names(outcomes: list[ParseOutcome]) -> list[str | None]:
    return [o.doc.text if o.doc is not None else o.error for o in outcomes]


def test_results_come_back_in_order_from_workers() -> None:
    jobs = [(Path(f"/docs/{i:02d}.txt"), None) for i in range(40)]
    got = names(list(parse_ahead(jobs, 1000, workers=2, parse=fake_parse)))
    assert got == [f"{i:02d}.txt" for i in range(40)]


def test_a_file_that_crashes_its_parser_fails_alone() -> None:
    jobs = [(Path(p), None) for p in ("/d/a.txt", "/d/b.txt", "/d/crash.pdf", "/d/c.txt")]
    got = names(list(parse_ahead(jobs, 1000, workers=2, parse=fake_parse)))
    assert got == ["a.txt", "b.txt", "the parser crashed on this file", "c.txt"]


def test_bad_files_become_reasons(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    missing = tmp_path / "missing.pdf"
    ok = tmp_path / "ok.txt"
    ok.write_text("Termination. Either party may terminate on notice.")
    outcomes = [parse_one(p, 1 << 20, None) for p in (empty, missing, ok)]
    assert [o.error for o in outcomes[:2]] == [
        "empty file",
        "cannot read the file: No such file or directory",
    ]
    assert outcomes[2].doc is not None and len(outcomes[2].sha256) == 64

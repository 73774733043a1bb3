"""A folder that mixes good files with bad ones: the good ones land, each bad one says why."""

from __future__ import annotations

import json
from pathlib import Path

from pypdf import PdfReader, PdfWriter

from tests.integration.conftest import CLI, SAMPLES, copy_samples

GOOD_PDF = "contracts/REWALKROBOTICSLTD_07_10_2014-EX-10.2-STRATEGIC ALLIANCE AGREEMENT.PDF"
GOOD_TXT = "contracts/SYKESHEALTHPLANSERVICESINC_04_24_1998-EX-10.14-OUTSOURCING AGREEMENT.txt"


def make_bad_folder(folder: Path) -> None:
    copy_samples(folder, [GOOD_PDF, GOOD_TXT])
    pdf = (SAMPLES / GOOD_PDF).read_bytes()
    (folder / "truncated.pdf").write_bytes(pdf[: len(pdf) // 3])
    (folder / "garbage.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 40)
    (folder / "not-a-pdf.pdf").write_bytes(b"hello, I am plain text pretending to be a PDF\n")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "renamed-binary.docx").write_bytes(bytes(range(256)) * 64)
    (folder / "notes.xyz").write_text("an unsupported type")
    (folder / "dangling.md").symlink_to(folder / "does-not-exist.md")
    writer = PdfWriter(clone_from=PdfReader(SAMPLES / GOOD_PDF))
    writer.encrypt(user_password="secret", owner_password="owner")
    with (folder / "encrypted.pdf").open("wb") as fh:
        writer.write(fh)


def results(proc_stdout: str) -> dict[str, dict[str, object]]:
    summary = json.loads(proc_stdout)
    return {Path(str(r["source"])).name: r for r in summary["results"]}


def test_bad_files_are_skipped_with_reasons_and_the_run_completes(tmp_path: Path, cli: CLI) -> None:
    folder = tmp_path / "mixed"
    make_bad_folder(folder)
    proc = cli("ingest", "run", str(folder), "-c", "mixed", "--json")
    assert proc.returncode == 1, proc.stderr
    got = results(proc.stdout)
    assert got[Path(GOOD_PDF).name]["status"] == "added"
    assert got[Path(GOOD_TXT).name]["status"] == "added"
    expected_reasons = {
        "truncated.pdf": ("pdf", "text"),
        "garbage.pdf": ("pdf", "text"),
        "not-a-pdf.pdf": ("not a pdf",),
        "empty.txt": ("empty",),
        "renamed-binary.docx": ("not a word document",),
        "notes.xyz": ("unsupported",),
        "dangling.md": ("cannot stat",),
        "encrypted.pdf": ("encrypted", "password"),
    }
    for name, words in expected_reasons.items():
        assert got[name]["status"] == "failed", (name, got[name])
        reason = str(got[name]["error"]).lower()
        assert any(w in reason for w in words), (name, reason)

    # The table a person sees names every file and its reason, and the exit code says "failed".
    table = cli("ingest", "run", str(folder), "-c", "mixed")
    assert table.returncode == 1
    assert "renamed-binary.docx" in table.stdout and "failed" in table.stdout
    assert "unchanged" in table.stdout


def test_a_good_file_turned_bad_keeps_its_indexed_version(tmp_path: Path, cli: CLI) -> None:
    folder = tmp_path / "docs"
    (txt,) = copy_samples(folder, [GOOD_TXT])
    assert cli("ingest", "run", str(folder), "-c", "keep", "--json").returncode == 0
    txt.write_bytes(b"\x00\x01binary garbage now")
    proc = cli("ingest", "run", str(folder), "-c", "keep", "--json")
    assert proc.returncode == 1
    assert results(proc.stdout)[txt.name]["status"] == "failed"
    search = cli(
        "rag", "search", "INDEMNIFICATION hold harmless", "-c", "keep", "--json", "-k", "1"
    )
    assert search.returncode == 0, search.stderr
    assert Path(json.loads(search.stdout)["hits"][0]["source"]).name == txt.name

"""Rebuild the two Samsung Smart TV manual documents in sample_docs/manuals/ from E-Manual QA.

Usage (from anywhere):
    .venv/bin/python sample_docs/build_tv_docs.py [path/to/tv_corpus.jsonl]

A relative path is resolved against the repository root (the parent of sample_docs/);
the default is ../shared/data/emanual/tv_corpus.jsonl. Writes:
  manuals/samsung-smart-tv-remote.md      chapters "Connections" + "Remote Control and Peripherals"
  manuals/samsung-smart-tv-settings.docx  chapters "Picture and Sound" + "System and Support"
"""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

from docx import Document

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
DEFAULT_SOURCE = "../shared/data/emanual/tv_corpus.jsonl"
OUT_DIR = HERE / "manuals"

# The TV corpus has no section hierarchy (the field is empty), only sections in manual order.
# Levels are assigned by hand from the manual's structure: chapter (1) > topic (2, Title Case,
# usually a one-line introduction) > task (3, sentence case). Anything not listed is level 3.
REMOTE_IDS = range(17, 67)  # Connections .. Entering Text using the remote control's microphone
REMOTE_LEVELS = {17: 1, 53: 1} | {
    i: 2 for i in (18, 19, 20, 27, 29, 33, 38, 40, 44, 48, 54, 55, 56, 57, 58, 60, 65)
}
SETTINGS_IDS = range(128, 175)  # Picture and Sound .. Restoring the TV to the factory settings
SETTINGS_LEVELS = (
    {128: 1, 148: 1}
    | {i: 2 for i in (129, 132, 137, 141, 144, 149, 152, 155, 158, 160)}
    | {i: 4 for i in range(162, 173)}
)  # the accessibility functions under 161

PAGE_NUMBER = re.compile(r"^- \d+ -$")  # page footers ("- 38 -") left by the PDF text extraction
SENTENCE_END = re.compile(r"[.!?:]$")
MD_BLOCK_START = re.compile(r"^([-+*>#=]|\d+[.)])(\s|$)")  # would start a list/heading/quote


def paragraphs(text: str) -> list[list[str]]:
    """Group the extracted lines into paragraphs, keeping every line's text as it is.

    The PDF extraction breaks lines mid-sentence (and around bold UI terms), so a paragraph
    ends only at a blank line or a line that ends a sentence.
    """
    paras: list[list[str]] = [[]]
    for line in text.split("\n"):
        line = line.strip()
        if PAGE_NUMBER.match(line):
            continue
        if line:
            paras[-1].append(line)
        if (not line or SENTENCE_END.search(line)) and paras[-1]:
            paras.append([])
    return [p for p in paras if p]


def join_lines(lines: list[str]) -> str:
    """One line of text per paragraph; no space before punctuation that starts a line (", the")."""
    out = lines[0]
    for line in lines[1:]:
        out += line if line[0] in ",.;:)" else " " + line
    return out


def load(source: Path) -> dict[int, dict]:
    rows = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines() if line]
    return {int(r["id"].rsplit("_", 1)[1]): r for r in rows}


def write_markdown(sections: dict[int, dict], out: Path) -> None:
    parts = [
        "<!-- Samsung Smart TV e-Manual (text (c) Samsung), from the E-Manual QA data set; "
        "rebuilt by sample_docs/build_tv_docs.py. -->\n"
    ]
    for i in REMOTE_IDS:
        sec = sections[i]
        parts.append(f"{'#' * REMOTE_LEVELS.get(i, 3)} {sec['title']}\n")
        for para in paragraphs(sec["text"]):
            # Lines stay as extracted; Markdown renders a paragraph's lines as one flowing text.
            lines = ["\\" + ln if MD_BLOCK_START.match(ln) else ln for ln in para]
            parts.append("\n".join(lines) + "\n")
    out.write_text("\n".join(parts), encoding="utf-8")


def write_docx(sections: dict[int, dict], out: Path) -> None:
    doc = Document()
    props = doc.core_properties
    props.title = "Samsung Smart TV e-Manual — Picture and Sound, System and Support"
    props.author = "Samsung Electronics"
    props.subject = "Samsung Smart TV settings"
    props.comments = (
        "Text (c) Samsung, from the E-Manual QA data set (Nandy et al., 2021); "
        "rebuilt by sample_docs/build_tv_docs.py."
    )
    props.created = props.modified = datetime.now(UTC)  # the template says 2013
    for i in SETTINGS_IDS:
        sec = sections[i]
        doc.add_heading(sec["title"], level=SETTINGS_LEVELS.get(i, 3))
        for para in paragraphs(sec["text"]):
            doc.add_paragraph(join_lines(para))
    doc.save(str(out))


def check(sections: dict[int, dict], md: Path, docx_path: Path) -> None:
    """Every word of the chosen sections (page footers aside) is in the output, in order."""

    def words(ids: range) -> list[str]:
        text = "\n".join(sections[i]["title"] + "\n" + sections[i]["text"] for i in ids)
        kept = [ln for ln in text.split("\n") if not PAGE_NUMBER.match(ln.strip())]
        return re.findall(r"[A-Za-z0-9]+", " ".join(kept))

    md_words = re.findall(r"[A-Za-z0-9]+", md.read_text(encoding="utf-8").split("-->", 1)[1])
    assert md_words == words(REMOTE_IDS), "markdown text differs from the source"
    doc = Document(str(docx_path))
    docx_words = re.findall(r"[A-Za-z0-9]+", "\n".join(p.text for p in doc.paragraphs))
    assert docx_words == words(SETTINGS_IDS), "docx text differs from the source"
    n_headings = sum(p.style.name.startswith("Heading") for p in doc.paragraphs)
    assert n_headings == len(SETTINGS_IDS), n_headings
    print(f"{md.name}: {len(REMOTE_IDS)} sections, {len(md_words)} words")
    print(
        f"{docx_path.name}: {len(SETTINGS_IDS)} sections, {len(docx_words)} words, "
        f"title {doc.core_properties.title!r}"
    )


if __name__ == "__main__":
    arg = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_SOURCE
    source = Path(arg) if Path(arg).is_absolute() else (REPO_ROOT / arg).resolve()
    sections = load(source)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    md, docx_path = (
        OUT_DIR / "samsung-smart-tv-remote.md",
        OUT_DIR / "samsung-smart-tv-settings.docx",
    )
    write_markdown(sections, md)
    write_docx(sections, docx_path)
    check(sections, md, docx_path)

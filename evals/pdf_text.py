"""How much of a contract's text the PDF parser reads, against a plain-text copy of it (CUAD
gives both): coverage of its word 4-grams, noise (4-grams the copy lacks: running lines kept,
words run together) and the share of its sentences found whole inside one parsed paragraph
(a sentence broken into paragraphs reads as two, and is quoted as half)."""

from __future__ import annotations

import re
from pathlib import Path

from ingest.parse import parse_file
from rag.text import sentence_spans

_QUOTES = str.maketrans("", "", "\"“”'‘’")


def _grams(text: str) -> set[tuple[str, ...]]:
    w = re.findall(r"[a-z0-9]+", text.lower())
    return {tuple(w[i : i + 4]) for i in range(len(w) - 3)}


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text).translate(_QUOTES)


def measure(pdf: Path, txt: Path) -> dict[str, float]:
    """coverage, noise and sentences_whole of `pdf` parsed, against `txt`; sentences of 8 words
    or more, whitespace, quote marks and apostrophes aside (PDFs curl them, the .txt may not)."""
    truth = txt.read_text(encoding="utf-8")
    parsed = parse_file(pdf).text
    paragraphs = "¶".join(_squeezed(p) for p in parsed.split("\n\n"))
    sentences = [
        _squeezed(truth[a:b]) for a, b in sentence_spans(truth) if len(truth[a:b].split()) >= 8
    ]
    want, got = _grams(truth), _grams(parsed)
    return {
        "coverage": len(want & got) / max(1, len(want)),
        "noise": len(got - want) / max(1, len(got)),
        "sentences_whole": sum(s in paragraphs for s in sentences) / max(1, len(sentences)),
    }


def measure_all(cuad: Path) -> dict[str, dict[str, float]]:
    """Each PDF of `cuad`/contracts_pdf that has its .txt in `cuad`/contracts_txt."""
    rows = {}
    for pdf in sorted((cuad / "contracts_pdf").iterdir()):
        txt = cuad / "contracts_txt" / f"{pdf.stem}.txt"
        if txt.exists():
            rows[pdf.name] = measure(pdf, txt)
    return rows


def means(rows: dict[str, dict[str, float]]) -> dict[str, float]:
    keys = ("coverage", "noise", "sentences_whole")
    return {k: sum(r[k] for r in rows.values()) / max(1, len(rows)) for k in keys}

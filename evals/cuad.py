"""CUAD retrieval as LegalBench-RAG scores it: character precision/recall of retrieved spans.

The corpus is every .txt in a folder, indexed through the real `ingest run` path; for plain
text the canonical text is the file's own text, so chunk spans are the file offsets the gold
spans use. The baseline is the benchmark's own: BM25 over fixed 500-character chunks.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from evals import files, spans
from evals.common import KS, Timer
from rag.lexical import fts_query
from rag.metrics import mean
from rag.retrieval import Searcher
from rag.store import Collection


@dataclass(frozen=True)
class Question:
    file: str  # file name of the contract
    query: str
    category: str
    gold: tuple[tuple[int, int], ...]


def load_questions(path: Path) -> list[Question]:
    return [q for q, _ in load_tests(path)]


def load_tests(path: Path) -> list[tuple[Question, str]]:
    """Each question with its short gold answer ("" where the file gives none)."""
    data = files.read_json(path, files.CUAD_QUESTIONS)
    out = []
    with files.entry(path, "the top level", files.CUAD_QUESTIONS):
        if not isinstance(data, dict):
            raise TypeError('not a JSON object with "tests"')
        tests = data["tests"]
        if not isinstance(tests, list):
            raise TypeError('"tests" is not a list')
    for n, t in enumerate(tests, start=1):
        with files.entry(path, f"test {n}", files.CUAD_QUESTIONS):
            gold = tuple((int(s["span"][0]), int(s["span"][1])) for s in t["snippets"])
            if not str(t["query"]).strip():
                raise ValueError("the query is empty")
            q = Question(Path(t["file_path"]).name, str(t["query"]), t.get("category", ""), gold)
            out.append((q, str(t.get("answer", ""))))
    files.nonempty(out, path, files.CUAD_QUESTIONS)
    return out


def score(retrieved: Sequence[tuple[str, int, int]], q: Question) -> dict[str, float]:
    """Precision and recall at every k of one question's ranked (file, start, end) spans."""
    out = {}
    for k in KS:
        got: dict[str, list[tuple[int, int]]] = {}
        for name, start, end in retrieved[:k]:
            got.setdefault(name, []).append((start, end))
        p, r = spans.precision_recall(got, {q.file: list(q.gold)})
        out[f"precision@{k}"], out[f"recall@{k}"] = p, r
    return out


def evaluate(
    coll: Collection, searcher: Searcher, questions: Sequence[Question]
) -> dict[str, object]:
    timer = Timer()
    per_question = []
    records: list[dict[str, object]] = []
    for q in questions:
        hits = timer.search(searcher, q.query, max(KS)).hits
        ranked = [(Path(h.source).name, h.chunk.start, h.chunk.end) for h in hits]
        per_question.append(score(ranked, q))
        records.append({"question": q.query, "file": q.file, **per_question[-1]})
    return {"metrics": _average(per_question), "timings": timer.report(), "questions": records}


def _average(rows: list[dict[str, float]]) -> dict[str, float]:
    return {key: mean([r[key] for r in rows]) for key in rows[0]} if rows else {}


def baseline_bm25(
    contracts: Sequence[Path], questions: Sequence[Question], size: int = 500
) -> dict[str, object]:
    """BM25 (SQLite FTS5) over fixed `size`-character chunks, as in LegalBench-RAG."""
    db = sqlite3.connect(":memory:")
    db.execute(
        "CREATE VIRTUAL TABLE c USING fts5(body, name UNINDEXED, start UNINDEXED, "
        "tokenize='porter unicode61')"
    )
    for path in contracts:
        text = path.read_text(encoding="utf-8")
        db.executemany(
            "INSERT INTO c(body, name, start) VALUES (?, ?, ?)",
            ((text[i : i + size], path.name, i) for i in range(0, len(text), size)),
        )
    rows = []
    for q in questions:
        hits = db.execute(
            "SELECT name, start, length(body) FROM c WHERE c MATCH ? ORDER BY bm25(c) LIMIT ?",
            (fts_query(q.query), max(KS)),
        ).fetchall()
        rows.append(score([(n, int(s), int(s) + int(n_chars)) for n, s, n_chars in hits], q))
    return {"metrics": _average(rows)}

"""E-Manual retrieval at section level: hit@k and MRR against `gold_section_ids`.

Each corpus section becomes one document (its heading path from `section_hierarchy`), indexed
through the real chunker and store; a question is answered by the rank of its gold section's
best chunk.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from evals import files
from evals.common import Timer
from rag import metrics
from rag.retrieval import Searcher
from rag.types import Element, ElementKind, ParsedDocument

PREFIX = "emanual:"
KS = (1, 3, 5, 10)


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    gold: tuple[str, ...]
    answer: str = ""  # the gold answer, where the file gives one


def load_questions(path: Path) -> tuple[list[Question], int]:
    """The questions that have gold sections, and how many had none."""
    out, missing = [], 0
    for n, row in enumerate(files.read_jsonl(path, files.EMANUAL_QUESTIONS), start=1):
        with files.entry(path, f"question {n}", files.EMANUAL_QUESTIONS):
            raw = row.get("gold_section_ids") or []
            # Stored as the repr of a Python list in the public files (a SyntaxError if not).
            gold = ast.literal_eval(raw) if isinstance(raw, str) and raw.strip() else raw
            if not isinstance(gold, list | tuple):
                gold = []
            if not gold:
                missing += 1
                continue
            gold_ids = tuple(str(g) for g in gold)
            answer = str(row.get("answer") or "")
            out.append(Question(str(row["id"]), str(row["question"]), gold_ids, answer))
    files.nonempty(out, path, files.EMANUAL_QUESTIONS + " (with gold_section_ids)")
    return out, missing


def documents(corpus: Path) -> Iterator[tuple[str, ParsedDocument]]:
    rows = files.read_jsonl(corpus, files.EMANUAL_CORPUS)
    with files.entry(corpus, "a section", files.EMANUAL_CORPUS):
        titles = {str(r["id"]).split(":")[-1]: str(r.get("title") or "") for r in rows}
    for row in rows:
        text = str(row.get("text") or "")
        if not text.strip():
            continue
        hierarchy = str(row.get("section_hierarchy") or "").split(">")
        path = tuple(titles[h] for h in hierarchy[:-1] if titles.get(h))
        element = Element(ElementKind.TEXT, 0, len(text), None, path)
        title = str(row.get("title") or "")
        yield f"{PREFIX}{row['id']}", ParsedDocument(text, (element,), title, "text", None)


def evaluate(
    searcher: Searcher, questions: Sequence[Question], depth: int = 50
) -> dict[str, object]:
    timer = Timer()
    hits_at: dict[int, list[float]] = {k: [] for k in KS}
    rr = []
    records = []
    for q in questions:
        hits = timer.search(searcher, q.question, depth).hits
        ranked = metrics.unique_in_order([h.source[len(PREFIX) :] for h in hits])
        gold = dict.fromkeys(q.gold, 1)
        for k in KS:
            hits_at[k].append(metrics.hit_at_k(ranked, gold, k))
        rr.append(metrics.reciprocal_rank(ranked, gold))
        rank = next((i for i, s in enumerate(ranked, start=1) if s in gold), None)
        records.append(
            {
                "id": q.id,
                "question": q.question,
                "gold": list(q.gold),
                "rank": rank,
                "top": ranked[: max(KS)],
            }
        )
    scores = {f"hit@{k}": metrics.mean(v) for k, v in hits_at.items()}
    scores["mrr"] = metrics.mean(rr)
    return {"metrics": scores, "timings": timer.report(), "questions": records}

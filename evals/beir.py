"""BEIR-layout retrieval evaluation (corpus.jsonl, queries.jsonl, qrels/test.tsv)."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals import files
from evals.common import Timer, collection_for, index_documents
from ingest.chunk import Chunker
from ingest.progress import Progress
from rag import metrics, wiring
from rag.embedder import Embedder
from rag.retrieval import Searcher
from rag.settings import Settings
from rag.store import Collection, Store
from rag.types import Element, ElementKind, ParsedDocument

SOURCE_PREFIX = "beir:"


@dataclass(frozen=True)
class BeirSet:
    corpus: dict[str, tuple[str, str]]  # doc id -> (title, text)
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]  # query id -> doc id -> grade


def load(path: Path, split: str = "test") -> BeirSet:
    corpus = {}
    where = path / "corpus.jsonl"
    for n, row in enumerate(files.read_jsonl(where, files.BEIR), start=1):
        with files.entry(where, f"line {n}", files.BEIR):
            corpus[str(row["_id"])] = (str(row.get("title") or ""), str(row.get("text") or ""))
    qrels: dict[str, dict[str, int]] = {}
    where = path / "qrels" / f"{split}.tsv"
    with files.existing(where, files.BEIR).open(encoding="utf-8") as fh:
        for n, row in enumerate(csv.DictReader(fh, delimiter="\t"), start=2):
            with files.entry(where, f"line {n}", files.BEIR):
                grade = int(row["score"])
                qrels.setdefault(str(row["query-id"]), {})[str(row["corpus-id"])] = grade
    queries = {}
    where = path / "queries.jsonl"
    for n, row in enumerate(files.read_jsonl(where, files.BEIR), start=1):
        with files.entry(where, f"line {n}", files.BEIR):
            if str(row["_id"]) in qrels:
                queries[str(row["_id"])] = str(row["text"])
    files.nonempty(list(queries), where, files.BEIR + f" (queries that qrels/{split}.tsv judges)")
    return BeirSet(corpus, queries, qrels)


def documents(data: BeirSet) -> Iterator[tuple[str, ParsedDocument]]:
    """Each abstract as a document titled by its title, its text one element."""
    for doc_id, (title, text) in data.corpus.items():
        if not text.strip():
            continue
        element = Element(ElementKind.TEXT, 0, len(text), None, ())
        yield f"{SOURCE_PREFIX}{doc_id}", ParsedDocument(text, (element,), title, "text", None)


def build(
    store: Store,
    name: str,
    data: BeirSet,
    embedder: Embedder,
    chunker: Chunker,
    progress: Progress | None = None,
) -> Collection:
    """Index the corpus into collection `name` (documents already there are kept)."""
    coll = collection_for(store, name, embedder)
    index_documents(coll, embedder, chunker, Settings(), documents(data), progress)
    return coll


def evaluate_one(
    coll: Collection, searcher: Searcher, data: BeirSet, depth: int = 100
) -> dict[str, Any]:
    """nDCG@10 and recall@depth of one searcher."""
    timer = Timer()
    ndcg, recall = [], []
    records = []
    for qid, text in data.queries.items():
        hits = timer.search(searcher, text, depth * 2).hits
        ranked = metrics.unique_in_order([h.source[len(SOURCE_PREFIX) :] for h in hits])
        ndcg.append(metrics.ndcg_at_k(ranked, data.qrels[qid], 10))
        recall.append(metrics.recall_at_k(ranked, data.qrels[qid], depth))
        records.append(
            {"id": qid, "query": text, "ndcg@10": ndcg[-1], f"recall@{depth}": recall[-1]}
        )
    scores = {"ndcg@10": metrics.mean(ndcg), f"recall@{depth}": metrics.mean(recall)}
    return {"metrics": scores, "timings": timer.report(), "questions": records}


def evaluate(
    coll: Collection,
    embedder: Embedder,
    data: BeirSet,
    modes: Sequence[str],
    settings: Settings,
    depth: int = 100,
) -> dict[str, dict[str, float]]:
    """nDCG@10 and recall@100 per retrieval mode, each searched as `rag search --mode` does."""
    return {
        mode: evaluate_one(coll, wiring.searcher(settings, coll, embedder, mode), data, depth)[
            "metrics"
        ]
        for mode in modes
    }

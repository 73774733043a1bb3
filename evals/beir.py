"""BEIR-layout retrieval evaluation (corpus.jsonl, queries.jsonl, qrels/test.tsv)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ingest.chunk import Chunker
from ingest.pipeline import Ingestor
from ingest.progress import Progress
from rag import metrics
from rag.embedder import Embedder
from rag.retrieval import Searcher, make_retrievers
from rag.settings import IngestSettings, RetrievalSettings
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
    with (path / "corpus.jsonl").open() as fh:
        for line in fh:
            row = json.loads(line)
            corpus[str(row["_id"])] = (row.get("title") or "", row.get("text") or "")
    qrels: dict[str, dict[str, int]] = {}
    with (path / "qrels" / f"{split}.tsv").open() as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            qrels.setdefault(str(row["query-id"]), {})[str(row["corpus-id"])] = int(row["score"])
    queries = {}
    with (path / "queries.jsonl").open() as fh:
        for line in fh:
            row = json.loads(line)
            if str(row["_id"]) in qrels:
                queries[str(row["_id"])] = row["text"]
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
    coll = store.open_or_create(name, embedder.model_id, embedder.dim)
    have = set(coll.catalog().stored_files())
    todo = ((src, doc) for src, doc in documents(data) if src not in have)
    Ingestor(
        coll, embedder, chunker, IngestSettings(commit_every_s=60.0, embed_batch=512), progress
    ).index_parsed(todo)
    return coll


def evaluate(
    coll: Collection,
    embedder: Embedder,
    data: BeirSet,
    modes: Sequence[str],
    retrieval: RetrievalSettings,
    depth: int = 100,
) -> dict[str, dict[str, float]]:
    """nDCG@10 and recall@100 per retrieval mode."""
    out = {}
    for mode in modes:
        searcher = Searcher(
            coll,
            embedder,
            make_retrievers(mode),
            candidates=max(retrieval.candidates, depth),
            rrf_k=retrieval.rrf_k,
        )
        ndcg, recall = [], []
        for qid, text in data.queries.items():
            hits = searcher.search(text, depth * 2).hits
            ranked = metrics.unique_in_order([h.source[len(SOURCE_PREFIX) :] for h in hits])
            ndcg.append(metrics.ndcg_at_k(ranked, data.qrels[qid], 10))
            recall.append(metrics.recall_at_k(ranked, data.qrels[qid], depth))
        out[mode] = {"ndcg@10": metrics.mean(ndcg), f"recall@{depth}": metrics.mean(recall)}
    return out

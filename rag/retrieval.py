"""Retrievers over a collection snapshot, and their fusion by reciprocal rank.

Each retriever returns (chunk row id, score) best first; `Searcher` fuses them and turns ids into
`Hit`s from the same snapshot, so a search never mixes two generations of the index.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from rag import vectors
from rag.embedder import Embedder
from rag.store import Collection, Snapshot
from rag.types import Hit

# Function words carry no evidence for BM25 and only slow FTS5 down (every chunk has "the").
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself
    yourselves""".split()  # noqa: SIM905
)
_WORD = re.compile(r"\w+", re.UNICODE)


def fts_query(text: str) -> str:
    """An FTS5 MATCH expression: the content words of `text`, OR-ed, each quoted."""
    words = dict.fromkeys(w for w in _WORD.findall(text.lower()) if w not in STOPWORDS)
    return " OR ".join(f'"{w}"' for w in words)


@dataclass(frozen=True, slots=True)
class Query:
    text: str
    # The embedded question, computed once per search for every dense retriever.
    vector: np.ndarray | None = None


class Retriever(Protocol):
    name: str
    needs_vector: bool

    def retrieve(self, snap: Snapshot, query: Query, k: int) -> list[tuple[int, float]]: ...


class BM25Retriever:
    name = "bm25"
    needs_vector = False

    def retrieve(self, snap: Snapshot, query: Query, k: int) -> list[tuple[int, float]]:
        return snap.catalog.bm25(fts_query(query.text), k)


class DenseRetriever:
    name = "dense"
    needs_vector = True

    def retrieve(self, snap: Snapshot, query: Query, k: int) -> list[tuple[int, float]]:
        assert query.vector is not None
        return vectors.search(snap.index, query.vector, k)


@dataclass(frozen=True, slots=True)
class Fused:
    id: int
    score: float
    ranks: dict[str, int] = field(default_factory=dict)


def reciprocal_rank_fusion(
    ranked: dict[str, list[tuple[int, float]]], rrf_k: int = 60
) -> list[Fused]:
    """Cormack et al. 2009: score = sum over lists of 1 / (rrf_k + rank)."""
    scores: dict[int, float] = {}
    ranks: dict[int, dict[str, int]] = {}
    for name, hits in ranked.items():
        for rank, (cid, _) in enumerate(hits, start=1):
            scores[cid] = scores.get(cid, 0.0) + 1.0 / (rrf_k + rank)
            ranks.setdefault(cid, {})[name] = rank
    order = sorted(scores, key=lambda c: (-scores[c], c))
    return [Fused(c, scores[c], ranks[c]) for c in order]


@dataclass
class SearchResult:
    hits: list[Hit]
    generation: int
    timings: dict[str, float]


class Searcher:
    """Hybrid search: dense + BM25, fused by reciprocal rank."""

    def __init__(
        self,
        collection: Collection,
        embedder: Embedder,
        retrievers: Sequence[Retriever],
        candidates: int = 50,
        rrf_k: int = 60,
    ) -> None:
        self.collection = collection
        self.embedder = embedder
        self.retrievers = list(retrievers)
        self.candidates = candidates
        self.rrf_k = rrf_k

    def search(self, query: str, k: int = 10) -> SearchResult:
        timings: dict[str, float] = {}
        q = Query(query)
        if any(r.needs_vector for r in self.retrievers):
            t0 = time.perf_counter()
            q = Query(query, self.embedder.embed_query(query))
            timings["embed"] = time.perf_counter() - t0
        with self.collection.snapshot() as snap:
            ranked: dict[str, list[tuple[int, float]]] = {}
            for r in self.retrievers:
                t0 = time.perf_counter()
                ranked[r.name] = r.retrieve(snap, q, max(k, self.candidates))
                timings[r.name] = time.perf_counter() - t0
            if len(ranked) == 1:
                ((name, only),) = ranked.items()
                fused = [Fused(c, s, {name: i}) for i, (c, s) in enumerate(only, start=1)]
                label = name
            else:
                fused = reciprocal_rank_fusion(ranked, self.rrf_k)
                label = "hybrid"
            top = fused[:k]
            rows = snap.catalog.chunks_by_ids(f.id for f in top)
            hits = [
                Hit(
                    chunk=rows[f.id][0],
                    score=f.score,
                    retriever=label,
                    source=rows[f.id][1],
                    title=rows[f.id][2],
                    ranks=f.ranks,
                )
                for f in top
                if f.id in rows
            ]
            return SearchResult(hits=hits, generation=snap.generation, timings=timings)


def make_retrievers(mode: str) -> list[Retriever]:
    dense: Retriever = DenseRetriever()
    bm25: Retriever = BM25Retriever()
    return {"hybrid": [dense, bm25], "dense": [dense], "bm25": [bm25]}[mode]

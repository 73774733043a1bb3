"""Hybrid retrieval over one collection snapshot.

A search (1) splits off a document reference ("Consider the Supply Agreement between X and Y;
..."), (2) routes the question to that document when the title-and-opening index names one
clearly, (3) runs each retriever on the question alone (the dense model sees the question, BM25
its content words, section BM25 whole clauses and manual topics), (4) fuses their rankings by
weighted reciprocal rank, and (5) turns chunk ids into `Hit`s from the same snapshot.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np

from rag import lexical, vectors
from rag.embedder import Embedder
from rag.query import ABOUT_THE_DOCUMENT, Query, analyze, answer_shape
from rag.routing import DocumentRouter
from rag.store import Collection as Store
from rag.store import Snapshot
from rag.text import sentence_spans
from rag.types import Hit


class Retriever(Protocol):
    name: str
    needs_vector: bool

    def retrieve(self, snap: Snapshot, query: Query, k: int) -> list[tuple[int, float]]:
        """The best k chunks (row id, score), best first."""
        ...


class BM25Retriever:
    name = "bm25"
    needs_vector = False

    def retrieve(self, snap: Snapshot, query: Query, k: int) -> list[tuple[int, float]]:
        return lexical.chunks(snap.catalog.conn, query.question, k, query.documents, query.match)


class SectionRetriever:
    """BM25 over whole sections; every chunk of a section shares the section's score."""

    name = "section"
    needs_vector = False

    def retrieve(self, snap: Snapshot, query: Query, k: int) -> list[tuple[int, float]]:
        found = lexical.sections(snap.catalog.conn, query.question, k, query.documents, query.match)
        members = lexical.chunks_of_sections(snap.catalog.conn, (s for s, _ in found))
        return [(c, score) for s, score in found for c in members[s]][: max(k, len(found))]


class DenseRetriever:
    name = "dense"
    needs_vector = True

    def retrieve(self, snap: Snapshot, query: Query, k: int) -> list[tuple[int, float]]:
        assert query.vector is not None
        if query.documents is None:
            return vectors.search(snap.index, query.vector, k)
        ids = lexical.chunk_ids_of(snap.catalog.conn, query.documents)
        return vectors.search(snap.index, query.vector, k, allowed=ids)


class Reranker(Protocol):
    """Reorders fused hits. None is packaged yet: the stage stays off until one helps."""

    def rerank(self, query: Query, hits: list[Hit]) -> list[Hit]: ...


@dataclass(frozen=True, slots=True)
class Fused:
    id: int
    score: float
    ranks: dict[str, int] = field(default_factory=dict)


def reciprocal_rank_fusion(
    ranked: dict[str, list[tuple[int, float]]],
    rrf_k: int = 60,
    weights: dict[str, float] | None = None,
) -> list[Fused]:
    """Cormack et al. 2009, weighted: score = sum of weight / (rrf_k + rank).

    Ties share a rank (all chunks of one section, say): the rank is 1 + the number of better
    scores in that list.
    """
    scores: dict[int, float] = {}
    ranks: dict[int, dict[str, int]] = {}
    for name, hits in ranked.items():
        w = 1.0 if weights is None else weights.get(name, 1.0)
        rank, previous = 0, None
        for position, (cid, score) in enumerate(hits, start=1):
            if score != previous:
                rank, previous = position, score
            if cid in ranks and name in ranks[cid]:
                continue
            scores[cid] = scores.get(cid, 0.0) + w / (rrf_k + rank)
            ranks.setdefault(cid, {})[name] = rank
    order = sorted(scores, key=lambda c: (-scores[c], c))
    return [Fused(c, scores[c], ranks[c]) for c in order]


def minmax_fusion(
    ranked: dict[str, list[tuple[int, float]]], weights: dict[str, float] | None = None
) -> list[Fused]:
    """Convex combination of scores, each list's scores min-max scaled to [0, 1].

    Scores keep how far apart candidates are, which ranks throw away: on SciFact this beats
    reciprocal rank fusion by ~0.02 nDCG@10 with the same three lists. A candidate missing from
    a list counts as that list's worst; lists are deep (see `candidates`) so that is rare. A
    list whose scores are all equal (one match only, say) ranks each of them its best: 1.
    """
    scores: dict[int, float] = {}
    ranks: dict[int, dict[str, int]] = {}
    for name, hits in ranked.items():
        if not hits:
            continue
        w = 1.0 if weights is None else weights.get(name, 1.0)
        values = [s for _, s in hits]
        lo, span = min(values), max(values) - min(values)
        for position, (cid, score) in enumerate(hits, start=1):
            if name in ranks.setdefault(cid, {}):
                continue
            ranks[cid][name] = position
            scores[cid] = scores.get(cid, 0.0) + w * ((score - lo) / span if span > 0 else 1.0)
    order = sorted(scores, key=lambda c: (-scores[c], c))
    return [Fused(c, scores[c], ranks[c]) for c in order]


@dataclass
class SearchResult:
    hits: list[Hit]
    generation: int
    timings: dict[str, float]
    query: Query | None = None
    # The question named a document of the collection and the search kept to it.
    routed: bool = False
    # The reference of a question that named a document ("Consider the Supply Agreement between
    # ...;", "the Roku manual") that no document of the collection the caller may see matches.
    missing: str | None = None

    @property
    def unmatched(self) -> bool:
        return self.missing is not None


class Searcher:
    def __init__(
        self,
        collection: Store,
        embedder: Embedder,
        retrievers: Sequence[Retriever],
        candidates: int = 50,
        rrf_k: int = 60,
        weights: dict[str, float] | None = None,
        router: DocumentRouter | None = None,
        reranker: Reranker | None = None,
        fusion: str = "rrf",
        feedback: int = 0,
        feedback_weight: float = 1.0,
    ) -> None:
        self.collection = collection
        self.embedder = embedder
        self.retrievers = list(retrievers)
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.weights = weights
        self.router = router
        self.reranker = reranker
        self.fusion = fusion
        # Pseudo-relevance feedback for the dense retriever (Rocchio on vectors): the query
        # vector plus `feedback_weight` times the mean vector of the first pass's best
        # `feedback` chunks re-scores the candidates. SciFact nDCG@10 0.733 -> 0.742; no more
        # model calls, no second search.
        self.feedback = feedback
        self.feedback_weight = feedback_weight
        # Document frequencies of query terms, valid for one generation of the collection.
        self._df: tuple[int, dict[str, int]] = (-1, {})

    def search(
        self, text: str, k: int = 10, documents: Collection[int] | None = None
    ) -> SearchResult:
        """Top-k hits; `documents` restricts the search to those document row ids."""
        timings: dict[str, float] = {}
        query = analyze(text)
        with self.collection.snapshot() as snap:
            allowed = None if documents is None else frozenset(documents)
            query = replace(query, documents=allowed)
            routed = None if self.router is None else self.router.route(snap, query)
            # A named document that is not here: search everywhere, and say so in the result.
            missing = query.reference if routed is not None and not routed else None
            routed = routed or None
            if routed is None and query.embedded:
                # Unrouted, the name is part of the question again.
                query = replace(query, question=query.text, reference=None, embedded=False)
            # Routing picks among `allowed` only; the check keeps that true whatever a router does.
            if routed is not None and (allowed is None or routed <= allowed):
                query = replace(query, documents=routed)
            lexical_ones = [r for r in self.retrievers if not r.needs_vector]
            if lexical_ones:
                t0 = time.perf_counter()
                match = lexical.match_expression(
                    snap.catalog.conn, query.question, self._known(snap)
                )
                query = replace(query, match=match)
                timings["terms"] = time.perf_counter() - t0
            depth = max(k, self.candidates)
            # The last lexical retriever runs beside the others, on a second connection to the
            # same generation (SQLite, FAISS and ONNX Runtime release the GIL): at 100,000
            # chunks the two FTS5 queries are most of a search's time (bench/scale.py).
            aside = lexical_ones[-1] if len(lexical_ones) > 1 else None
            beside = (
                None if aside is None else _pool().submit(self._aside, snap, aside, query, depth)
            )
            ranked: dict[str, list[tuple[int, float]]] = {}
            try:
                if any(r.needs_vector for r in self.retrievers):
                    t0 = time.perf_counter()
                    query = replace(query, vector=self.embedder.embed_query(query.question))
                    timings["embed"] = time.perf_counter() - t0
                for r in self.retrievers:
                    if r is not aside:
                        t0 = time.perf_counter()
                        ranked[r.name] = r.retrieve(snap, query, depth)
                        timings[r.name] = time.perf_counter() - t0
            finally:
                if beside is not None:
                    wait([beside])  # its connection is free again before the next search
            if beside is not None:
                assert aside is not None
                found, seconds = beside.result()
                if found is None:  # a newer generation was published meanwhile: run it here
                    t0 = time.perf_counter()
                    found, seconds = aside.retrieve(snap, query, depth), time.perf_counter() - t0
                ranked[aside.name], timings[aside.name] = found, seconds
                ranked = {r.name: ranked[r.name] for r in self.retrievers}
            fused = self._fuse(ranked)
            if self.feedback > 0 and "dense" in ranked and len(ranked) > 1 and fused:
                t0 = time.perf_counter()
                assert query.vector is not None
                ranked["dense"] = self._feedback(snap, query.vector, fused, depth)
                fused = self._fuse(ranked)
                timings["feedback"] = time.perf_counter() - t0
            if ABOUT_THE_DOCUMENT.search(query.question):
                fused = _opening(snap, query, fused)
            elif (shape := answer_shape(query.question)) is not None:
                fused = _shaped(snap, fused, shape)
            fused = fused[:k]
            rows = snap.catalog.chunks_by_ids(f.id for f in fused)
            hits = [
                Hit(
                    rows[f.id][0], f.score, "+".join(f.ranks), rows[f.id][1], rows[f.id][2], f.ranks
                )
                for f in fused
                if f.id in rows
            ]
            if self.reranker is not None:
                hits = self.reranker.rerank(query, hits)
            return SearchResult(hits, snap.generation, timings, query, routed is not None, missing)

    def _aside(
        self, snap: Snapshot, r: Retriever, query: Query, depth: int
    ) -> tuple[list[tuple[int, float]] | None, float]:
        t0 = time.perf_counter()
        with self.collection.twin(snap) as twin:
            found = None if twin is None else r.retrieve(twin, query, depth)
        return found, time.perf_counter() - t0

    def idf(self, terms: Iterable[str]) -> dict[str, float]:
        """The inverse document frequency of each stemmed term (`lexical.porter_stems`) among
        the collection's chunks, as BM25 weighs it: "agreement" in a contract collection is
        worth next to nothing, "audit" a lot."""
        wanted = set(terms)
        with self.collection.snapshot() as snap:
            df, total = lexical.frequencies(snap.catalog.conn, wanted, self._known(snap))
        # A stem no chunk holds weighs as much as one that a single chunk holds: the claim's own
        # words are not evidence of how rare they are.
        return {t: lexical.idf(max(df[t], 1), max(total, 1)) for t in wanted}

    def _known(self, snap: Snapshot) -> dict[str, int]:
        """Document frequencies counted so far on this generation of the collection."""
        if self._df[0] != snap.generation or len(self._df[1]) > 100_000:
            self._df = (snap.generation, {})
        return self._df[1]

    def _fuse(self, ranked: dict[str, list[tuple[int, float]]]) -> list[Fused]:
        if len(ranked) == 1:  # one retriever: keep its own scores (cosine, BM25)
            ((name, only),) = ranked.items()
            return [Fused(c, s, {name: i}) for i, (c, s) in enumerate(only, start=1)]
        if self.fusion == "minmax":
            return minmax_fusion(ranked, self.weights)
        return reciprocal_rank_fusion(ranked, self.rrf_k, self.weights)

    def _feedback(
        self, snap: Snapshot, vector: np.ndarray, fused: list[Fused], depth: int
    ) -> list[tuple[int, float]]:
        """The dense list again, for the query moved towards the mean of the first pass's best
        chunks. Only the first pass's candidates are scored (every retriever's list, so every
        restriction already holds): a second search of the whole index cost as much as the
        first (13 ms at 100,000 chunks) and found no better top 10 on SciFact."""
        ids = [f.id for f in fused]
        found = vectors.reconstruct(snap.index, ids)
        moved = vector + self.feedback_weight * found[: self.feedback].mean(axis=0)
        scores = found @ (moved / np.linalg.norm(moved))
        order = np.argsort(-scores)[:depth]
        return [(ids[i], float(scores[i])) for i in order]


def _opening(snap: Snapshot, query: Query, fused: list[Fused]) -> list[Fused]:
    """The opening of the one document searched (routed to, the only one the caller may see, or
    the collection's only one), in place of `fused`, as high as its best hit; `fused` when the
    search is not about one document. (Not ahead of `fused`: the evidence selector ranks by
    sentence, and picks the clauses that say "Party" again.)"""
    if query.documents is not None:
        one = next(iter(query.documents)) if len(query.documents) == 1 else None
    else:
        one = snap.catalog.sole_document()
    opening = [] if one is None else snap.catalog.opening(one)
    if not opening:
        return fused
    top = fused[0].score if fused else 1.0
    return [Fused(c, top, {"opening": i}) for i, c in enumerate(opening, start=1)]


def _shaped(
    snap: Snapshot, fused: list[Fused], shape: Callable[[str], bool], depth: int = 50
) -> list[Fused]:
    """The candidates holding a sentence of the shape that answers the question
    (`query.answer_shape`: the clause that sets the agreement's term, caps liability, lets a
    party terminate at will, restricts assignment, grants an audit, makes a party exclusive,
    shares revenue, grants a licence or names the governing law; the step that opens what a
    how-to asks to open), among the first `depth`, ahead of the rest and as high as the first
    hit. Such a sentence shares a word or two with the question, and clauses that repeat those
    words outrank it ("during the term of this Agreement", "upon expiration"). (Costs one lookup
    of `depth` chunks' texts, a few ms, for the questions of those kinds only.)"""
    head = fused[:depth]
    texts = {i: row[0].text for i, row in snap.catalog.chunks_by_ids(f.id for f in head).items()}
    found = {
        i for i, text in texts.items() if any(shape(text[a:b]) for a, b in sentence_spans(text))
    }
    if not found:
        return fused
    top = fused[0].score
    first = [replace(f, score=max(f.score, top)) for f in head if f.id in found]
    return first + [f for f in fused if f.id not in found]


@functools.cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(os.cpu_count() or 2, thread_name_prefix="sabio-search")


def make_retrievers(mode: str) -> list[Retriever]:
    dense: Retriever = DenseRetriever()
    bm25: Retriever = BM25Retriever()
    section: Retriever = SectionRetriever()
    return {
        "hybrid": [dense, bm25, section],
        "dense": [dense],
        "bm25": [bm25],
        "lexical": [bm25, section],
    }[mode]

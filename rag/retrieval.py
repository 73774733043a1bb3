"""Hybrid retrieval over one collection snapshot.

A search (1) splits off a document reference ("Consider the Supply Agreement between X and Y;
..."), (2) routes the question to that document when the title-and-opening index names one
clearly, (3) runs each retriever on the question alone (the dense model sees the question, BM25
its content words, section BM25 whole clauses and manual topics), (4) fuses their rankings by
weighted reciprocal rank, and (5) turns chunk ids into `Hit`s from the same snapshot.
"""

from __future__ import annotations

import functools
import itertools
import os
import re
import time
from collections.abc import Collection, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np

from rag import lexical, vectors
from rag.embedder import Embedder
from rag.store import Collection as Store
from rag.store import Snapshot
from rag.text import content_words, overlap, stems
from rag.types import Hit

# "Consider the <agreement> between <A> ("Licensor"); <B> ("Licensee"); <question>"
# (LegalBench-RAG's wording: the reference runs to the last semicolon), and the everyday
# "In the <X agreement>, <question>".
_REFERENCE = re.compile(
    r"^\s*(?:consider|regarding|re:|in|under|per|according to)\s+"
    r"(?:(?P<ref>.{8,});\s*(?P<q>[^;]+)"
    r"|(?P<ref2>[^;,]{8,}?),\s*(?P<q2>(?:what|which|who|when|where|how|is|are|does|do|can|may"
    r"|shall|will)\b.+))$",
    re.IGNORECASE | re.DOTALL,
)

# "Which law governs the Sykes outsourcing agreement?", "When does the Acme lease expire?",
# "Is the Sykes agreement governed by New York law?": a document named inside the question, by
# a few qualifiers and a document kind that ends a noun phrase (a verb, a preposition or the
# clause's end follows it: "the Software License fee" names a fee). A name with a capitalised
# word may stand anywhere; one without, only among the question's last three words ("the
# software license" in "Does the software license cover upgrades?" is not a document's name).
# Routed like the forms above; if no document stands out, the question is searched whole (the
# name's words may still help).
_CONTRACT_KINDS = r"agreement|contract|lease|licen[cs]e|amendment|addendum"
_KINDS = rf"{_CONTRACT_KINDS}|manual|guide|handbook|policy"
_LINKS = r"the|a|an|this|that|of|under|in|on|for|to|with|by|from|and|or|between|about"
_FOLLOWS = (
    r"is|are|was|were|be|been|has|have|had|do|does|did|can|could|will|would|shall|should|may"
    r"|might|must|say|says|state|states|allow|allows|permit|permits|require|requires|provide"
    r"|provides|contain|contains|include|includes|cover|covers|govern|governs|governed|expire"
    r"|expires|end|ends|last|lasts|renew|renews|renewed|terminate|terminates|terminated|grant"
    r"|grants|mention|mentions|specify|specifies|limit|limits|apply|applies|signed|dated"
    r"|executed|assigned|between|with|for|in|on|of|to|by|under|from|regarding|about|as|and|or"
    r"|that|which|when|if"
)
_EMBEDDED = re.compile(
    rf"\b(?:the|this|that|my|our|your)\s+(?:(?!(?:{_LINKS})\b)[\w&.'-]+\s+){{1,5}}"
    rf"(?:{_KINDS})\b(?=\s*(?:[?.!,;:]|$)|\s+(?:{_FOLLOWS})\b)",
    re.IGNORECASE,
)


# Who the parties are, and when the agreement was made, signed or took effect: a contract says
# so in its opening (title, preamble), whose words a question about them rarely shares: "Who are
# the parties to the agreement?" ranks every clause that says "Party" above the preamble that
# names them. None of the 461 public CUAD, S10 and TV questions reads so ("What is the
# expiration date of this contract?" does not).
_ABOUT_THE_DOCUMENT = re.compile(
    r"\b(?:who\s+(?:are|were|is|was)\s+(?:the\s+)?(?:parties|party|signator(?:y|ies)|contracting)"
    r"|(?:what|which)\s+(?:are|were)\s+the\s+(?:names\s+of\s+the\s+)?parties(?!')\b"
    r"(?!\s+(?!to\b|of\b|in\b|involved\b|named\b)\w)"
    r"|(?:name|list|identify)\s+the\s+parties"
    r"|who\s+(?:signed|executed|entered\s+into|made)\b"
    r"|between\s+whom\b"
    r"|when\s+(?:was|were|is|did)\b[^?]*\b(?:signed|sign|dated|executed|execute|entered\s+into"
    r"|enter\s+into|made|concluded)\b"
    r"|(?:what|which)\s+is\s+the\s+(?:effective\s+|execution\s+|signing\s+)?date\s+of\s+"
    r"(?:the|this)\b"
    r"|what\s+is\s+the\s+(?:agreement|contract)(?:'s)?\s+(?:effective\s+)?date"
    r"|when\s+(?:does|did)\b[^?]*\b(?:take|took|become|became|come|came)\s+(?:into\s+)?effect)",
    re.IGNORECASE,
)


def _embedded(text: str) -> re.Match[str] | None:
    for e in _EMBEDDED.finditer(text):
        near_end = len(re.findall(r"[\w'-]+", text[e.end() :])) <= 3
        if near_end or re.search(r"\s[A-Z]", e.group(0)):
            return e
    return None


@dataclass(frozen=True, slots=True)
class Query:
    text: str
    # What retrievers search for: the text without its document reference.
    question: str
    reference: str | None = None
    vector: np.ndarray | None = None
    # Document row ids the search may return; None means all.
    documents: frozenset[int] | None = None
    # The FTS5 expression BM25 retrievers search (computed once per search).
    match: str | None = None
    # The reference sits inside the question (not before it).
    embedded: bool = False


def analyze(text: str) -> Query:
    m = _REFERENCE.match(text)
    if m is None:
        e = _embedded(text)
        # "the Sykes outsourcing agreement" names one; "the license" or "the guide" does not.
        if e is None or len(content_words(e.group(0))) < 2:
            return Query(text, text)
        # The name gives way to its kind, so the question still reads as one: "How long does the
        # Sykes outsourcing agreement last?" is searched (and put to the model) as "How long
        # does the agreement last?", not "How long does last?", which found no term clause.
        kind = e.group(0).split()[-1].lower()
        question = " ".join(f"{text[: e.start()]}the {kind}{text[e.end() :]}".split())
        return Query(text, question, e.group(0), embedded=True)
    reference, question = m.group("ref") or m.group("ref2"), m.group("q") or m.group("q2")
    return Query(text, _resolve_it(question.strip(), reference.strip()), reference.strip())


# "it" standing for the document, in a question split off its reference: not the dummy subject
# of "is it possible", not "IT", and not after "the manual": there "it" is the product.
_IT = re.compile(
    r"\b(?P<it>[Ii]ts?)\b(?!\s+(?:possible|allowed|permitted|necessary|required|true|legal|ok|okay"
    r"|likely|clear|mandatory)\b)"
)
_CONTRACT_KIND = re.compile(rf"\b({_CONTRACT_KINDS})\b\W*$", re.IGNORECASE)


def _resolve_it(question: str, reference: str) -> str:
    """The question with its first "it" read as the contract named before it.

    "In the Sykes agreement, how long does it last?" is searched, and put to the model, as "how
    long does the agreement last?": "how long does it last?" alone found no term clause."""
    kind = _CONTRACT_KIND.search(reference)
    m = _IT.search(question)
    if kind is None or m is None:
        return question
    the = f"the {kind.group(1).lower()}" + ("'s" if m.group("it").lower() == "its" else "")
    return f"{question[: m.start()]}{the}{question[m.end() :]}"


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


class DocumentRouter:
    """Sends a question that names a document ("Consider the Supply Agreement between ...;")
    to that document, when the title-and-opening index picks it out clearly.

    Only questions with an explicit reference are routed: on SciFact, routing plain questions
    that happened to match one abstract strongly narrowed 37 of 300 searches to one document.
    """

    def __init__(
        self, margin: float = 1.2, min_coverage: float = 0.5, specific_words: int = 4
    ) -> None:
        self.margin = margin
        self.specific_words = specific_words
        # Share of the reference's words the document's title and opening must contain: a
        # contract question asked of a manual otherwise "routes" to whichever section happens
        # to share a word (measured: references cover their own contract's opening >= 0.56 in
        # 95% of CUAD questions; the best manual section <= 0.38).
        self.min_coverage = min_coverage

    def route(self, snap: Snapshot, query: Query) -> frozenset[int] | None:
        """The one document the question names; None to search everywhere; an empty set when
        the question names a document that is not in the collection (or not visible)."""
        if query.reference is None:
            return None
        numbers = _numbers(query.reference)
        # Only a specific reference can be missing: "In the settings menu, ..." or "In case of
        # fire, ..." parse as references too, and must not make an answer abstain.
        specific = len(content_words(query.reference)) >= self.specific_words or bool(numbers)
        # Only among the documents the caller may see: a forbidden document must not even
        # decide where a question goes (or it would shape, and so reveal, the results).
        conn = snap.catalog.conn
        # "the Roku manual", "the iPhone manual": a short reference whose name no document here
        # holds anywhere (nor its file name: "the GSV agreement" of GSVINC_...PDF) names a
        # document that is not here. (A longer one is judged by how much of it a document's
        # opening holds, below.)
        names = set() if specific else _names(query.reference)
        if any(not lexical.mentions(conn, name, query.documents) for name in names):
            return frozenset()
        found = lexical.documents(
            conn, query.reference, 5 if numbers else 2, query.documents, prefixes=names
        )
        heads = {d: lexical.document_head(conn, d) for d, _ in found}
        # "the Galaxy Note 20 manual" is not the Galaxy S10 manual, nor "Amendment No. 3"
        # Amendment No. 2, however many other words they share.
        found = [f for f in found if numbers <= _ngrams(heads[f[0]])]
        if not found:
            return frozenset() if specific else None
        head = heads[found[0][0]]
        # A short reference must be all there: "In section 5, ..." is no document's name
        # because one document's opening says "section".
        if (
            overlap(query.reference, head) < self.min_coverage
            if specific
            else _coverage(query.reference, head, names) < 1.0
        ):
            return frozenset() if specific else None
        clear = len(found) == 1 or found[0][1] >= self.margin * max(found[1][1], 1e-9)
        return frozenset([found[0][0]]) if clear else None


def _numbers(reference: str) -> set[tuple[str, ...]]:
    """The model, edition or version numbers of a reference that names a document ("the Galaxy
    Note 20 manual": ("note", "20"); "the S10 manual": ("s10",)): a bare number goes with the
    word before it ("No. 2"), unless that is a link word ("the 2019 lease"). None in a reference
    that names no kind of document ("In section 5, ...")."""
    if not _names_a_kind(reference):
        return set()
    words = re.findall(r"\w+", reference.lower())
    return {
        (words[i - 1], w) if w.isdigit() and i > 0 and words[i - 1] not in _LINK_WORDS else (w,)
        for i, w in enumerate(words)
        if any(c.isdigit() for c in w)
    }


_LINK_WORDS = frozenset(_LINKS.split("|"))


def _names_a_kind(reference: str) -> bool:
    """The reference names a kind of document ("manual", "agreement"), not just a place in one
    ("In section 5, ...")."""
    return re.search(rf"\b(?:{_KINDS})\b", reference, re.IGNORECASE) is not None


def _names(reference: str) -> set[str]:
    """The proper names of a reference that names a kind of document: its words with a capital
    letter ("Roku", "iPhone", "LG"), lowercased, the kind ("Manual") aside. None in "the user
    manual", or in a reference that names no kind of document ("In Windows, ...")."""
    if not _names_a_kind(reference):
        return set()
    capitalised = " ".join(w for w in re.findall(r"[\w'-]+", reference) if w != w.lower())
    return {w for w in content_words(capitalised) if len(w) > 1 and not re.fullmatch(_KINDS, w)}


def _coverage(reference: str, head: str, names: set[str]) -> float:
    """Share of a short reference's words that a document's title and opening hold. One of
    its `names` may be the start of a word there, as `lexical.mentions` finds it: file names
    run words together ("the GSV agreement" of "GSVINC_05_15_1998-EX-10-SPONSORSHIP
    AGREEMENT"). (Not for a long one: of its many names, one or two begin some word of almost
    any text.)"""
    words, held, named = stems(reference), stems(head), stems(" ".join(names))
    found = {w for w in words if w in held or (w in named and any(h.startswith(w) for h in held))}
    return len(found) / len(words) if words else 0.0


def _ngrams(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {(w,) for w in words} | set(itertools.pairwise(words))


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
            if _ABOUT_THE_DOCUMENT.search(query.question):
                fused = _opening(snap, query, fused)
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

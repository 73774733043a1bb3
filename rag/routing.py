"""Routing: a question that names a document is searched within that document alone."""

from __future__ import annotations

import itertools
import re

from rag import lexical
from rag.query import KINDS, LINKS, Query
from rag.store import Snapshot
from rag.text import content_words, overlap, stems


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


_LINK_WORDS = frozenset(LINKS.split("|"))


def _names_a_kind(reference: str) -> bool:
    """The reference names a kind of document ("manual", "agreement"), not just a place in one
    ("In section 5, ...")."""
    return re.search(rf"\b(?:{KINDS})\b", reference, re.IGNORECASE) is not None


def _names(reference: str) -> set[str]:
    """The proper names of a reference that names a kind of document: its words with a capital
    letter ("Roku", "iPhone", "LG"), lowercased, the kind ("Manual") aside. None in "the user
    manual", or in a reference that names no kind of document ("In Windows, ...")."""
    if not _names_a_kind(reference):
        return set()
    capitalised = " ".join(w for w in re.findall(r"[\w'-]+", reference) if w != w.lower())
    return {w for w in content_words(capitalised) if len(w) > 1 and not re.fullmatch(KINDS, w)}


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

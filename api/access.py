"""Which documents a caller may see, as SQL computes it, and searches restricted to them.

The allowed document row ids go into the search itself (`documents=`: a FAISS ID selector and
SQL filters), never as a filter applied to results. They are computed from the catalog just
before the search, on the same connection; if a writer committed in between (the generation
moved), the ids may describe an older state than the chunks searched, so the search is redone.
"""

from __future__ import annotations

from dataclasses import dataclass

from api.errors import Unavailable
from rag.keys import ApiKey
from rag.retrieval import Searcher, SearchResult
from rag.store import Collection

# Searches redone when writers keep committing in between, before giving up (503).
ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class Scope:
    # Row ids the caller may see; None: every document (an admin, or no document has groups
    # this caller lacks).
    documents: frozenset[int] | None
    generation: int


def scope(handle: Collection, key: ApiKey) -> Scope:
    with handle.snapshot() as snap:
        if key.is_admin:
            return Scope(None, snap.generation)
        visible = snap.catalog.visible_documents(key.groups)
        if len(visible) == snap.catalog.document_count():
            return Scope(None, snap.generation)  # no restriction: skip the ID selector
        return Scope(visible, snap.generation)


def generation(handle: Collection) -> int:
    with handle.snapshot() as snap:
        return snap.generation


def visible_ids(handle: Collection, key: ApiKey) -> frozenset[int] | None:
    return scope(handle, key).documents


def restricted_search(
    searcher: Searcher, handle: Collection, key: ApiKey, query: str, k: int
) -> SearchResult:
    for _ in range(ATTEMPTS):
        allowed = scope(handle, key)
        result = searcher.search(query, k, allowed.documents)
        if result.generation == allowed.generation:
            return result
    raise Unavailable("The collection is being updated; try again in a moment.")


def changing() -> Unavailable:
    return Unavailable("The collection is being updated; try again in a moment.")

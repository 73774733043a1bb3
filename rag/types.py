"""The data that flows between stages: frozen dataclasses, provenance as typed fields."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ElementKind(StrEnum):
    TITLE = "title"
    TEXT = "text"
    LIST_ITEM = "list_item"
    TABLE = "table"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Element:
    """One structural piece of a parsed document; `start:end` index the canonical text."""

    kind: ElementKind
    start: int
    end: int
    page: int | None
    heading_path: tuple[str, ...]
    # A heading's depth (0 = top); None for body elements.
    level: int | None = None


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    """What the parser hands to the chunker.

    `text` is the document's canonical text: every span in the system indexes into it. For plain
    text files it is the file's own text, so spans are file offsets.
    """

    text: str
    elements: tuple[Element, ...]
    title: str
    format: str
    pages: int | None
    diagnostics: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Chunk:
    """A retrievable passage. Invariant: `document_text[start:end] == text`."""

    id: str
    document_id: str
    ordinal: int
    text: str
    start: int
    end: int
    heading_path: tuple[str, ...]
    page_start: int | None
    page_end: int | None
    n_tokens: int
    # What the embedder sees: title and heading path, then the text.
    embed_text: str


@dataclass(frozen=True, slots=True)
class Document:
    """A stored document as the catalog knows it."""

    id: str
    collection: str
    source: str
    title: str
    format: str
    sha256: str
    size: int
    mtime_ns: int
    version: int
    pages: int | None
    n_chunks: int
    indexed_at: float
    metadata: dict[str, str] = field(default_factory=dict)
    diagnostics: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Hit:
    """A chunk found by a retriever, with where it came from."""

    chunk: Chunk
    score: float
    retriever: str
    source: str
    title: str
    # Rank in each retriever that contributed (1-based), for fused hits.
    ranks: dict[str, int] = field(default_factory=dict)

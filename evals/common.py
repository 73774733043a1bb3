"""What every evaluation shares: settings variants, building a collection, timing searches."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ingest.chunk import Chunker
from ingest.pipeline import Ingestor
from ingest.progress import Progress
from rag import wiring
from rag.embedder import Embedder
from rag.errors import ConfigError
from rag.retrieval import Searcher, SearchResult
from rag.settings import Settings
from rag.store import Collection, Store
from rag.types import ParsedDocument

KS = (1, 2, 4, 8, 16, 32, 64)


@dataclass
class Variant:
    """One configuration to evaluate; `overrides` are dotted settings paths."""

    name: str
    settings: Settings
    overrides: dict[str, str] = field(default_factory=dict)


def parse_variant(spec: str, base: Settings) -> Variant:
    """'retrieval.mode=bm25,chunking.max_tokens=128' -> a Variant with those settings."""
    overrides = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        key, sep, value = part.partition("=")
        if not sep:
            raise ConfigError(f"--config {spec!r}: expected KEY=VALUE pairs separated by commas")
        overrides[key.strip()] = value.strip()
    data: dict[str, Any] = base.model_dump()
    for key, value in overrides.items():
        node = data
        *parents, leaf = key.split(".")
        for p in parents:
            if not isinstance(node.get(p), dict):
                raise ConfigError(f"--config: unknown setting group {p!r} in {key!r}")
            node = node[p]
        if leaf not in node:
            raise ConfigError(f"--config: unknown setting {key!r}")
        node[leaf] = value
    try:
        settings = Settings.model_validate(data)
    except Exception as exc:
        raise ConfigError(f"--config {spec!r}: {exc}") from exc
    return Variant(spec or "default", settings, overrides)


def chunker_for(settings: Settings, emb: Embedder) -> Chunker:
    return Chunker(emb.tokenizer, wiring.chunk_settings(settings, emb.max_tokens))


def collection_for(store: Store, name: str, emb: Embedder) -> Collection:
    return store.open_or_create(name, emb.model_id, emb.dim)


def index_documents(
    coll: Collection,
    emb: Embedder,
    chunker: Chunker,
    settings: Settings,
    docs: Iterable[tuple[str, ParsedDocument]],
    progress: Progress | None = None,
) -> None:
    """Index in-memory documents, skipping those the collection already holds."""
    have = set(coll.catalog().stored_files())
    todo = ((src, d) for src, d in docs if src not in have)
    ingest = settings.ingest.model_copy(update={"commit_every_s": 120.0, "embed_batch": 512})
    Ingestor(coll, emb, chunker, ingest, progress).index_parsed(todo)


class Timer:
    """Collects per-search latencies; reports p50/p95 in milliseconds."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    def search(self, searcher: Searcher, query: str, k: int) -> SearchResult:
        t0 = time.perf_counter()
        result = searcher.search(query, k)
        self.seconds.append(time.perf_counter() - t0)
        return result

    def report(self) -> dict[str, float]:
        if not self.seconds:
            return {}
        ms = sorted(s * 1000 for s in self.seconds)
        return {
            "search_p50_ms": statistics.median(ms),
            "search_p95_ms": ms[min(len(ms) - 1, int(0.95 * len(ms)))],
            "searches": float(len(ms)),
        }

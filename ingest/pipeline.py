"""`ingest run`: plan -> parse -> chunk -> embed what is new -> store, in committed batches.

A batch commits when enough new chunks are waiting or enough time has passed, so a killed run
loses at most one batch; the next run sees those files as still to do and finishes the job.
A file that fails to parse is reported and skipped; its previously indexed version, if any,
stays searchable.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ingest.chunk import Chunker
from ingest.parse import PARSER_VERSION, sniff
from ingest.plan import FileState, Plan, make_plan, scan
from ingest.progress import NoProgress, Progress
from ingest.workers import ParseOutcome, default_workers, parse_ahead
from rag.catalog import Catalog, StoredFile
from rag.embedder import Embedder
from rag.errors import ParseError
from rag.settings import IngestSettings
from rag.store import Collection
from rag.types import Chunk, Document, ParsedDocument
from rag.writer import Writer, open_writer

STATUSES = ("added", "updated", "moved", "deleted", "unchanged", "failed")


@dataclass
class FileResult:
    source: str
    status: str
    pages: int | None = None
    chunks: int = 0
    embedded: int = 0
    seconds: float = 0.0
    error: str | None = None
    # Problems that did not stop the file, e.g. PDF pages without a text layer.
    diagnostics: list[str] = field(default_factory=list)
    # Its ACL groups or metadata changed (also for an unchanged file, without re-embedding).
    labels_changed: bool = False
    # A file (status "moved") with the content of a document that vanished from this path:
    # renamed or moved. The document keeps its groups and metadata.
    moved_from: str | None = None


@dataclass(frozen=True)
class Labels:
    """ACL groups and metadata that a run gives each of its files' documents.

    None keeps what a document already has (a new document gets none): forgetting the flag
    on a later run must never make a restricted document public.
    """

    groups: tuple[str, ...] | None = None
    metadata: dict[str, str] | None = None


@dataclass
class RunSummary:
    collection: str
    dry_run: bool
    results: list[FileResult] = field(default_factory=list)
    chunks_embedded: int = 0
    seconds: float = 0.0
    generation: int | None = None

    @property
    def ok(self) -> bool:
        return not any(r.status == "failed" for r in self.results)

    def counts(self) -> dict[str, int]:
        return {s: sum(r.status == s for r in self.results) for s in STATUSES}

    def to_json(self) -> dict[str, object]:
        return {
            "collection": self.collection,
            "dry_run": self.dry_run,
            "files": self.counts(),
            "chunks_embedded": self.chunks_embedded,
            "seconds": round(self.seconds, 3),
            "generation": self.generation,
            "results": [asdict(r) for r in self.results],
        }


@dataclass
class _Parsed:
    """A parsed file waiting for its vectors."""

    state: FileState
    existing: StoredFile | None
    sha256: str
    doc: ParsedDocument
    chunks: list[Chunk]
    keys: list[str]
    result: FileResult


def document_id(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def vector_key(embed_text: str) -> str:
    return hashlib.sha256(embed_text.encode()).hexdigest()[:32]


def fingerprint(chunker: Chunker) -> str:
    return f"p{PARSER_VERSION}-c{chunker.fingerprint()}"


def plan_files(
    catalog: Catalog | None,
    paths: Sequence[Path],
    chunker: Chunker,
    keep_missing: bool,
    index_dir: Path | None = None,
) -> Plan:
    files, problems, roots = scan(paths, index_dir)
    stored = {} if catalog is None else catalog.stored_files()
    return make_plan(files, problems, roots, stored, fingerprint(chunker), keep_missing)


def dry_run(
    catalog: Catalog | None,
    name: str,
    paths: Sequence[Path],
    chunker: Chunker,
    keep_missing: bool = False,
    max_bytes: int | None = None,
    index_dir: Path | None = None,
) -> RunSummary:
    """What a run would do, reading only file stats, hashes of changed files and the first
    bytes of those to parse (an empty, binary or mislabelled file would fail)."""
    plan = plan_files(catalog, paths, chunker, keep_missing, index_dir)
    results = []
    for f, status in [(f, "added") for f in plan.add] + [(f, "updated") for f, _ in plan.update]:
        try:
            sniff(f.path, max_bytes)
        except ParseError as exc:
            results.append(FileResult(f.source, "failed", error=str(exc)))
            continue
        origin = _origin(plan, f)
        results.append(
            FileResult(f.source, status if origin is None else "moved", moved_from=origin)
        )
    results += [FileResult(f.source, "unchanged") for f in plan.unchanged]
    results += [FileResult(f.source, "unchanged") for f, _ in plan.touch]
    results += [FileResult(s.source, "deleted") for s in plan.delete]
    results += [FileResult(s.source, "failed", error=s.reason) for s in plan.failed]
    return RunSummary(collection=name, dry_run=True, results=results)


def _origin(plan: Plan, f: FileState) -> str | None:
    old = plan.moved.get(f.source)
    return None if old is None else old.source


class Ingestor:
    def __init__(
        self,
        collection: Collection,
        embedder: Embedder,
        chunker: Chunker,
        settings: IngestSettings,
        progress: Progress | None = None,
    ) -> None:
        self.collection = collection
        self.embedder = embedder
        self.chunker = chunker
        self.settings = settings
        self.progress: Progress = NoProgress() if progress is None else progress
        self.fingerprint = fingerprint(chunker)
        self.labels = Labels()
        self.moved: dict[str, StoredFile] = {}

    def run(
        self,
        paths: Sequence[Path],
        keep_missing: bool = False,
        wait_s: float = 0.0,
        labels: Labels | None = None,
    ) -> RunSummary:
        t0 = time.perf_counter()
        summary = RunSummary(collection=self.collection.name, dry_run=False)
        self.labels = Labels() if labels is None else labels
        with open_writer(self.collection, wait_s) as writer:
            index_dir = self.collection.folder.parent
            plan = plan_files(writer.catalog, paths, self.chunker, keep_missing, index_dir)
            self.moved = plan.moved
            job = writer.catalog.start_job("ingest", pid=_pid())
            summary.results += [FileResult(s.source, "failed", error=s.reason) for s in plan.failed]
            summary.generation = self._apply_cheap_changes(writer, plan, summary)
            self._relabel_unchanged(writer.catalog, summary)
            todo = [(f, None) for f in plan.add] + list(plan.update)
            self.progress.start(len(todo))
            workers = self.settings.parse_workers
            outcomes = parse_ahead(
                [(f.path, plan.hashes.get(f.source)) for f, _ in todo],
                int(self.settings.max_file_mb * 2**20),
                default_workers() if workers is None else workers,
            )
            parsed = (self._parsed(f, old, o) for (f, old), o in zip(todo, outcomes, strict=True))
            self._store_all(writer, parsed, summary)
            summary.seconds = time.perf_counter() - t0
            writer.catalog.finish_job(
                job,
                "done" if summary.ok else "done_with_errors",
                {"files": summary.counts(), "chunks_embedded": summary.chunks_embedded},
            )
        self.progress.close()
        return summary

    def index_parsed(self, docs: Iterable[tuple[str, ParsedDocument]]) -> RunSummary:
        """Index documents that are already text (benchmark corpora), keyed by a source name."""
        t0 = time.perf_counter()
        summary = RunSummary(collection=self.collection.name, dry_run=False)
        with open_writer(self.collection) as writer:
            stored = writer.catalog.stored_files()
            items = (
                self._chunked(FileState(Path(src), len(d.text), 0), stored.get(src), d)
                for src, d in docs
            )
            self._store_all(writer, items, summary)
        summary.seconds = time.perf_counter() - t0
        self.progress.close()
        return summary

    def _store_all(self, writer: Writer, items: Iterable[_Parsed], summary: RunSummary) -> None:
        """Commit parsed files in batches: enough new chunks, or enough time since the last."""
        batch: list[_Parsed] = []
        last_commit = time.monotonic()
        for parsed in items:
            if parsed.result.status == "failed":
                summary.results.append(parsed.result)
                self.progress.file_done(parsed.state.source, "failed", 0, parsed.result.error)
                continue
            batch.append(parsed)
            waiting = len({k for p in batch for k in p.keys})
            due = time.monotonic() - last_commit >= self.settings.commit_every_s
            if waiting >= self.settings.embed_batch or due:
                summary.generation = self._store(writer, batch, summary) or summary.generation
                batch, last_commit = [], time.monotonic()
        summary.generation = self._store(writer, batch, summary) or summary.generation

    def _apply_cheap_changes(self, writer: Writer, plan: Plan, summary: RunSummary) -> int | None:
        """Deletions and mtime-only changes need no model: commit them first."""
        for old in plan.delete:
            writer.delete(old)
            summary.results.append(FileResult(old.source, "deleted"))
        for state, old in plan.touch:
            writer.touch(old, state.size, state.mtime_ns)
        summary.results += [FileResult(f.source, "unchanged") for f in plan.unchanged]
        summary.results += [FileResult(f.source, "unchanged") for f, _ in plan.touch]
        return writer.commit()

    def _relabel_unchanged(self, catalog: Catalog, summary: RunSummary) -> None:
        """New groups or metadata for files whose content did not change: one transaction,
        nothing re-embedded, no new vector generation (the vectors did not change)."""
        if self.labels.groups is None and self.labels.metadata is None:
            return
        stored = catalog.stored_files()
        catalog.conn.execute("BEGIN IMMEDIATE")
        try:
            for r in summary.results:
                if r.status == "unchanged" and r.source in stored:
                    r.labels_changed = self._apply_labels(catalog, stored[r.source].rowid)
            catalog.conn.execute("COMMIT")
        except BaseException:
            catalog.conn.execute("ROLLBACK")
            raise

    def _apply_labels(self, catalog: Catalog, rowid: int) -> bool:
        """Give the document this run's labels; True if that changed anything."""
        groups, metadata = catalog.labels(rowid)
        want_groups = self.labels.groups
        want_metadata = self.labels.metadata
        if want_groups is not None and tuple(sorted(set(want_groups))) == groups:
            want_groups = None
        if want_metadata == metadata:
            want_metadata = None
        if want_groups is None and want_metadata is None:
            return False
        catalog.set_labels(rowid, want_groups, want_metadata)
        return True

    def _parsed(self, state: FileState, existing: StoredFile | None, o: ParseOutcome) -> _Parsed:
        """A worker's outcome, chunked here (chunking needs the embedder's tokenizer)."""
        if o.doc is None:
            return self._failed(state, existing, o.error or "could not parse")
        t0 = time.perf_counter()
        try:
            parsed = self._chunked(state, existing, o.doc, o.sha256)
        except Exception as exc:  # one bad file must not stop the run
            return self._failed(state, existing, f"unexpected {exc.__class__.__name__}: {exc}")
        if not parsed.chunks:
            return self._failed(state, existing, "no indexable text after parsing")
        parsed.result.seconds = o.seconds + time.perf_counter() - t0
        return parsed

    def _chunked(
        self,
        state: FileState,
        existing: StoredFile | None,
        doc: ParsedDocument,
        digest: str | None = None,
    ) -> _Parsed:
        chunks = self.chunker.chunk(document_id(state.source), doc)
        digest = hashlib.sha256(doc.text.encode()).hexdigest() if digest is None else digest
        status = "added" if existing is None else "updated"
        result = FileResult(
            state.source,
            status,
            pages=doc.pages,
            chunks=len(chunks),
            diagnostics=list(doc.diagnostics),
        )
        keys = [vector_key(c.embed_text) for c in chunks]
        return _Parsed(state, existing, digest, doc, chunks, keys, result)

    def _failed(self, state: FileState, existing: StoredFile | None, error: str) -> _Parsed:
        if existing is not None:
            error += "; the version indexed before stays searchable (ingest rm removes it)"
        result = FileResult(state.source, "failed", error=error)
        return _Parsed(state, existing, "", ParsedDocument("", (), "", "", None), [], [], result)

    def _store(self, writer: Writer, batch: list[_Parsed], summary: RunSummary) -> int | None:
        """Embed what the catalog does not have yet, then commit the batch."""
        if not batch:
            return None
        wanted = {k: c.embed_text for p in batch for k, c in zip(p.keys, p.chunks, strict=True)}
        have = writer.catalog.vectors_for(wanted)
        missing = [k for k in wanted if k not in have]
        self.progress.chunks_queued(len(missing))
        t0 = time.perf_counter()
        new: dict[str, np.ndarray] = {}
        # Big calls: the embedder sorts each call's texts by length, so less is padding.
        step = max(1, min(len(missing), 256))
        for i in range(0, len(missing), step):
            part = missing[i : i + step]
            new.update(zip(part, self.embedder.embed([wanted[k] for k in part]), strict=True))
            self.progress.chunks_embedded(len(part))
        embed_seconds = time.perf_counter() - t0
        writer.put_vectors(new)
        fresh = set(new)
        for p in batch:
            counted = {k for k in p.keys if k in fresh}
            fresh -= counted
            p.result.embedded = len(counted)
            p.result.seconds += embed_seconds * len(counted) / max(len(new), 1)
            # An update (or a moved file) keeps the document's groups and metadata unless the
            # run gives new ones.
            moved = self.moved.get(p.state.source) if p.existing is None else None
            origin = p.existing or moved
            groups, kept = ((), {}) if origin is None else writer.catalog.labels(origin.rowid)
            doc = self._document(p, kept)
            writer.upsert(doc, p.doc.text, self.fingerprint, p.existing, p.chunks, p.keys)
            # Labels go in the same transaction as the content: a new or changed document is
            # never visible, even for a moment, without its ACL groups.
            rowid = writer.catalog.document_rowid(doc.id)
            assert rowid is not None
            if moved is not None:
                writer.catalog.set_labels(rowid, groups, None)
                writer.delete(moved)  # after the upsert: its vectors were reused, not dropped
                p.result.status, p.result.moved_from = "moved", moved.source
            p.result.labels_changed = self._apply_labels(writer.catalog, rowid)
        generation = writer.commit()
        summary.chunks_embedded += len(new)
        for p in batch:
            summary.results.append(p.result)
            self.progress.file_done(p.state.source, p.result.status, p.result.chunks, None)
        return generation

    def _document(self, p: _Parsed, metadata: dict[str, str]) -> Document:
        return Document(
            id=document_id(p.state.source),
            collection=self.collection.name,
            source=p.state.source,
            title=p.doc.title,
            format=p.doc.format,
            sha256=p.sha256,
            size=p.state.size,
            mtime_ns=p.state.mtime_ns,
            version=1 if p.existing is None else p.existing.version + 1,
            pages=p.doc.pages,
            n_chunks=len(p.chunks),
            indexed_at=time.time(),
            metadata=metadata,
            diagnostics=p.doc.diagnostics,
        )


def _pid() -> int:
    import os

    return os.getpid()

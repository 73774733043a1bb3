"""One folder per collection: catalog.sqlite + vectors.<generation>.faiss + manifest.json.

Consistency, in one paragraph. The catalog is the source of truth and holds every vector. A
writer prepares a whole batch in one SQLite transaction, writes the FAISS index of the next
generation to a temporary name, renames it to `vectors.<g+1>.faiss`, and only then commits the
catalog with `generation = g+1`. A reader opens a read transaction, reads the generation, and uses
that generation's file, so catalog and vectors always come from the same snapshot; if the file
is missing (deleted by a writer two generations on, or lost) the reader rebuilds the index from
its own snapshot of the catalog. SIGKILL at any moment leaves either the old or the new
generation committed, plus at most an orphan file that the next writer overwrites.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np
from pydantic import BaseModel, ValidationError

from rag.catalog import Catalog, connect
from rag.errors import (
    CollectionLocked,
    CollectionNotFound,
    ConfigError,
    EmbedderMismatch,
    IndexCorrupt,
    InvalidCollectionName,
)
from rag.vectors import build_index, read_index, write_index_atomic

FORMAT_VERSION = 2
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class Manifest(BaseModel):
    format_version: int = FORMAT_VERSION
    embedder: str
    dim: int
    normalized: bool = True
    metric: str = "inner_product"
    chunking: dict[str, int] = {}
    # The vector index kind and its parameters (updated when the writer switches kind).
    index: dict[str, int | str] = {"type": "flat"}
    created_at: float


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):  # not .match: "$" lets a trailing newline through
        raise InvalidCollectionName(
            f"Invalid collection name {name!r}: use 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit."
        )
    return name


@contextlib.contextmanager
def writer_lock(folder: Path, name: str, wait_s: float = 0.0) -> Iterator[None]:
    """Exclusive writer lock; released by the kernel if the process dies."""
    path = folder / "writer.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait_s
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
                    raise CollectionLocked(
                        f"Collection {name!r} is being written by another process "
                        f"(pid {holder}). Wait for it to finish, or pass --wait SECONDS to "
                        "queue behind it."
                    ) from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)


class Store:
    """The root folder that holds collections (SABIO_INDEX_DIR)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if (p / "manifest.json").exists())

    def exists(self, name: str) -> bool:
        return (self.root / check_name(name) / "manifest.json").exists()

    def require(self, name: str) -> Collection:
        """An existing collection, whatever embedder built it (for listing and deleting)."""
        folder = self.root / check_name(name)
        if not (folder / "manifest.json").exists():
            known = ", ".join(self.names()) or "none yet"
            raise CollectionNotFound(
                f"No collection {name!r} in {self.root} (collections: {known}). "
                f"Create it with: ingest run PATH... --collection {name}"
            )
        return Collection(name, folder)

    def open(self, name: str, embedder_id: str, dim: int) -> Collection:
        """Open an existing collection built with this embedder."""
        coll = self.require(name)
        coll.check_embedder(embedder_id, dim)
        return coll

    def open_or_create(self, name: str, embedder_id: str, dim: int) -> Collection:
        folder = self.root / check_name(name)
        if not (folder / "manifest.json").exists():
            folder.mkdir(parents=True, exist_ok=True)
            manifest = Manifest(embedder=embedder_id, dim=dim, created_at=time.time())
            _write_json_atomic(folder / "manifest.json", manifest.model_dump_json(indent=2))
        return self.open(name, embedder_id, dim)

    def delete(self, name: str) -> None:
        """Remove the collection's folder; it need not be readable (a damaged one is deleted
        this way too)."""
        folder = self.root / check_name(name)
        if not (folder / "manifest.json").exists():
            self.require(name)  # says which collections there are
        with writer_lock(folder, name, wait_s=0):
            shutil.rmtree(folder)


@dataclass
class Snapshot:
    """A consistent view for one search: catalog rows and vectors of the same generation."""

    generation: int
    catalog: Catalog
    index: faiss.Index


class Collection:
    def __init__(self, name: str, folder: Path) -> None:
        self.name = name
        self.folder = folder
        self.manifest = self._read_manifest()
        self._conn: Catalog | None = None
        self._twin: Catalog | None = None  # a second reader, for `twin`
        self._index: faiss.Index | None = None
        self._index_gen = -1

    # -- files ---------------------------------------------------------------------------
    def _read_manifest(self) -> Manifest:
        path = self.folder / "manifest.json"
        try:
            manifest = Manifest.model_validate_json(path.read_bytes())
        except (OSError, ValidationError) as exc:
            raise IndexCorrupt(
                f"{path} is unreadable or damaged ({exc.__class__.__name__}). Re-create the "
                f"collection: ingest rm -c {self.name} --all, then ingest run again."
            ) from exc
        if manifest.format_version != FORMAT_VERSION:
            raise IndexCorrupt(
                f"Collection {self.name!r} has format version {manifest.format_version}; this "
                f"sabio reads version {FORMAT_VERSION}. Re-create it with ingest run."
            )
        return manifest

    def vector_file(self, generation: int) -> Path:
        return self.folder / f"vectors.{generation}.faiss"

    def check_embedder(self, embedder_id: str, dim: int) -> None:
        m = self.manifest
        if m.embedder != embedder_id or m.dim != dim:
            raise EmbedderMismatch(
                f"Collection {self.name!r} was built with embedder {m.embedder!r} ({m.dim}-d), "
                f"but the configured embedder is {embedder_id!r} ({dim}-d); searching it would "
                f"return garbage. Set SABIO_EMBEDDER__MODEL={m.embedder} to use this collection, "
                "or index your documents into a new collection with the new embedder."
            )

    def catalog(self) -> Catalog:
        """A fresh connection to the catalog (one per thread of use)."""
        try:
            cat = Catalog(connect(self.folder / "catalog.sqlite"))
            cat.init_schema()
        except Exception as exc:  # sqlite3.DatabaseError on a damaged file
            if "readonly" in str(exc) or "unable to open" in str(exc):
                raise ConfigError(
                    f"The catalog of collection {self.name!r} cannot be opened ({exc}): check "
                    f"that this user may read and write {self.folder} and its files."
                ) from exc
            raise IndexCorrupt(
                f"The catalog of collection {self.name!r} cannot be opened ({exc}). Re-create "
                f"the collection: ingest rm -c {self.name} --all, then ingest run again."
            ) from exc
        return cat

    # -- reading -------------------------------------------------------------------------
    @contextlib.contextmanager
    def snapshot(self) -> Iterator[Snapshot]:
        if self._conn is None:
            self._conn = self.catalog()
        cat = self._conn
        cat.conn.execute("BEGIN")
        try:
            gen = cat.generation()
            if gen != self._index_gen or self._index is None:
                self._index = self._load_index(cat, gen)
                self._index_gen = gen
            yield Snapshot(gen, cat, self._index)
        finally:
            cat.conn.execute("COMMIT")

    @contextlib.contextmanager
    def twin(self, snap: Snapshot) -> Iterator[Snapshot | None]:
        """`snap` on a second connection, for a query to run beside the first one's; None if
        a writer has published a newer generation since `snap` began (then use `snap`)."""
        if self._twin is None:
            self._twin = self.catalog()
        cat = self._twin
        cat.conn.execute("BEGIN")
        try:
            same = cat.generation() == snap.generation
            yield Snapshot(snap.generation, cat, snap.index) if same else None
        finally:
            cat.conn.execute("COMMIT")

    def _load_index(self, cat: Catalog, generation: int) -> faiss.Index:
        path = self.vector_file(generation)
        if generation > 0 and path.exists():
            with contextlib.suppress(FileNotFoundError, RuntimeError):
                return read_index(path, self.manifest.dim)
        # Generation 0 (empty), or the file went away: rebuild from this very snapshot.
        ids, vecs = cat.all_vector_ids()
        if len(ids) == 0:
            vecs = np.zeros((0, self.manifest.dim), dtype=np.float32)
        return build_index(self.manifest.dim, ids, vecs)

    # -- writing -------------------------------------------------------------------------
    def lock(self, wait_s: float = 0.0) -> contextlib.AbstractContextManager[None]:
        """Exclusive writer lock; released by the kernel if the process dies."""
        return writer_lock(self.folder, self.name, wait_s)

    def write_generation(self, cat: Catalog, index: faiss.Index) -> int:
        """Publish `index` with the catalog changes of the open transaction, then commit."""
        gen = cat.generation() + 1
        write_index_atomic(index, self.vector_file(gen))
        cat.set_meta("generation", str(gen))
        cat.set_meta("chunks", str(index.ntotal))
        cat.conn.execute("COMMIT")
        # Keep the previous generation for readers that are still on it.
        for old in self.folder.glob("vectors.*.faiss"):
            number = old.name.split(".")[1]
            if number.isdigit() and int(number) < gen - 1:
                old.unlink(missing_ok=True)
        return gen

    def record_index(self, params: dict[str, int | str]) -> None:
        """Note the vector index kind in the manifest (for `ingest status` and people)."""
        self.manifest = self.manifest.model_copy(update={"index": params})
        _write_json_atomic(self.folder / "manifest.json", self.manifest.model_dump_json(indent=2))

    def load_index_for_write(self, cat: Catalog) -> faiss.Index:
        """The current generation's index, to be modified by a writer holding the lock."""
        for tmp in self.folder.glob("vectors.*.tmp"):
            tmp.unlink(missing_ok=True)  # left by a writer that was killed (only writers make them)
        return self._load_index(cat, cat.generation())

    def close(self) -> None:
        for cat in (self._conn, self._twin):
            if cat is not None:
                cat.conn.close()
        self._conn = self._twin = None


def _write_json_atomic(path: Path, text: str) -> None:
    # A name of its own: two runs creating the same new collection write the manifest at the
    # same time, without the writer lock (it lives in the folder being created).
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def empty_vectors(dim: int) -> np.ndarray:
    return np.zeros((0, dim), dtype=np.float32)

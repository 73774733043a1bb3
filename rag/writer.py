"""The write side of a collection: one batch = one catalog transaction = one vector generation.

Only a process holding the collection's lock (`Collection.writer`) writes. Changes accumulate
in an open SQLite transaction while the FAISS changes they imply are queued; `commit` applies
those to the in-memory index, publishes it as the next generation and commits the catalog.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import faiss
import numpy as np

from rag import vectors
from rag.catalog import Catalog, StoredFile
from rag.store import Collection
from rag.types import Chunk, Document


class Writer:
    def __init__(
        self,
        collection: Collection,
        catalog: Catalog,
        index: faiss.Index,
        ivf_threshold: int = vectors.IVF_THRESHOLD,
    ) -> None:
        self.collection = collection
        self.catalog = catalog
        self.index = index
        self.ivf_threshold = ivf_threshold
        self._added: list[tuple[int, str]] = []
        self._removed: list[int] = []
        self._open = False
        # A generation was committed in this session.
        self.published = False

    def _begin(self) -> None:
        if not self._open:
            self.catalog.conn.execute("BEGIN IMMEDIATE")
            self._open = True

    def put_vectors(self, new: dict[str, np.ndarray]) -> None:
        self._begin()
        self.catalog.put_vectors(new)

    def upsert(
        self,
        doc: Document,
        text: str,
        fingerprint: str,
        existing: StoredFile | None,
        chunks: Sequence[Chunk],
        vector_keys: Sequence[str],
    ) -> None:
        """Store a document and exactly these chunks; their vectors must already be put."""
        self._begin()
        rowid = self.catalog.upsert_document(doc, text, fingerprint, existing)
        changes = self.catalog.replace_chunks(rowid, doc.title, chunks, vector_keys)
        self.catalog.index_structure(rowid, doc.title, text)
        self._added.extend(changes.added)
        self._removed.extend(changes.removed)

    def delete(self, stored: StoredFile) -> None:
        self._begin()
        self._removed.extend(self.catalog.delete_document(stored.rowid))

    def touch(self, stored: StoredFile, size: int, mtime_ns: int) -> None:
        self._begin()
        self.catalog.touch(stored.rowid, size, mtime_ns)

    def commit(self) -> int | None:
        """Publish the batch as the next generation; None if there was nothing to write."""
        if not self._open:
            return None
        # A row added and removed (or its id reused) within the batch: trust the catalog as it
        # stands now, not the order of events. Removing an id FAISS lacks is a no-op.
        touched = {i for i, _ in self._added}
        vectors.remove(self.index, sorted(set(self._removed) | touched))
        current = self.catalog.vector_keys(touched)
        if current:
            ids = np.array(sorted(current), dtype=np.int64)
            found = self.catalog.vectors_for(current.values())
            vectors.add(self.index, ids, np.vstack([found[current[int(i)]] for i in ids]))
        self.catalog.drop_unused_vectors()
        if vectors.needs_rebuild(self.index, self.ivf_threshold):
            ids, vecs = self.catalog.all_vector_ids()
            self.index = vectors.build_index(self.index.d, ids, vecs, self.ivf_threshold)
            self.collection.record_index(vectors.describe(self.index))
        gen = self.collection.write_generation(self.catalog, self.index)
        self._added, self._removed, self._open = [], [], False
        self.published = True
        return gen

    def rollback(self) -> None:
        if self._open:
            self.catalog.conn.execute("ROLLBACK")
            self._added, self._removed, self._open = [], [], False
            # The in-memory index was not touched before commit, so it is still consistent.


@contextlib.contextmanager
def open_writer(
    collection: Collection, wait_s: float = 0.0, ivf_threshold: int = vectors.IVF_THRESHOLD
) -> Iterator[Writer]:
    """Lock the collection for writing; whatever was not committed is rolled back."""
    with collection.lock(wait_s):
        catalog = collection.catalog()
        try:
            index = collection.load_index_for_write(catalog)
            writer = Writer(collection, catalog, index, ivf_threshold)
            try:
                yield writer
                if writer.published:
                    catalog.merge_text_segments()
            finally:
                writer.rollback()
        finally:
            catalog.conn.close()

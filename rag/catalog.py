"""The SQLite catalog of a collection: documents, chunks, their vectors, BM25, ACLs, the job log.

WAL mode, so readers never block the writer and each reader sees one committed snapshot. The
catalog is the source of truth: the FAISS file is derived from the `vectors` table and tied to it
by the `generation` counter (see rag/store.py).
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.types import Chunk, Document

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY,
    doc_id TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    format TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    version INTEGER NOT NULL,
    pages INTEGER,
    fingerprint TEXT NOT NULL,
    metadata TEXT NOT NULL,
    diagnostics TEXT NOT NULL,
    text TEXT NOT NULL,
    indexed_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY,
    chunk_id TEXT NOT NULL UNIQUE,
    document INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    page_start INTEGER,
    page_end INTEGER,
    heading_path TEXT NOT NULL,
    n_tokens INTEGER NOT NULL,
    text TEXT NOT NULL,
    embed_text TEXT NOT NULL,
    vector_key TEXT NOT NULL,
    section INTEGER
);
-- A section: consecutive chunks of a document under one heading path.
CREATE TABLE IF NOT EXISTS sections (
    id INTEGER PRIMARY KEY,
    document INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    heading_path TEXT NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sections_by_document ON sections(document);
CREATE INDEX IF NOT EXISTS chunks_by_section ON chunks(section);
CREATE INDEX IF NOT EXISTS chunks_by_document ON chunks(document, ordinal);
CREATE INDEX IF NOT EXISTS chunks_by_vector ON chunks(vector_key);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    title, heading, body, tokenize = 'porter unicode61 remove_diacritics 2'
);
-- Whole sections, for section-level BM25 (a manual topic, a contract clause).
CREATE VIRTUAL TABLE IF NOT EXISTS sections_fts USING fts5(
    title, heading, body, tokenize = 'porter unicode61 remove_diacritics 2'
);
-- Document frequency of every indexed (stemmed) term, to drop words found nearly everywhere.
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_vocab USING fts5vocab(chunks_fts, 'row');
-- Title and opening of each document (parties, subject), for routing a question to it.
CREATE VIRTUAL TABLE IF NOT EXISTS documents_fts USING fts5(
    title, head, tokenize = 'porter unicode61 remove_diacritics 2'
);
-- ACL groups of a document. A document without any is visible to every caller who may use
-- the collection; one with groups only to callers sharing one of them. A table of its own (not
-- a column) so a caller's visible documents are one indexed query, and so catalogs made before
-- ACLs existed gain it in place, on open, with nothing to migrate.
CREATE TABLE IF NOT EXISTS document_groups (
    document INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    grp TEXT NOT NULL,
    PRIMARY KEY (document, grp)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS document_groups_by_group ON document_groups(grp, document);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    pid INTEGER NOT NULL,
    started_at REAL NOT NULL,
    finished_at REAL,
    status TEXT NOT NULL,
    summary TEXT
);
"""


# A set of row ids as one SQL parameter: `x IN (SELECT value FROM json_each(?))` has no limit
# on the number of ids, where `IN (?, ?, ...)` stops at SQLite's 32766 variables.
IN_JSON = "(SELECT value FROM json_each(?))"


def ids_json(ids: Iterable[int]) -> str:
    return json.dumps(sorted(int(i) for i in ids))


# How much of a document's opening identifies it: title page, parties, recitals.
HEAD_CHARS = 2000


def searchable_title(title: str) -> str:
    """File-name titles as words: 'MorganStanleyFund_2019-EX-10.5_License' -> 'Morgan Stanley
    Fund 2019 EX 10.5 License'."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", title)
    return re.sub(r"[_\-]+", " ", spaced)


def connect(path: Path) -> sqlite3.Connection:
    # Autocommit mode: transactions are opened explicitly (BEGIN / BEGIN IMMEDIATE).
    conn = sqlite3.connect(path, isolation_level=None, timeout=30.0, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


@dataclass(frozen=True, slots=True)
class StoredFile:
    """What incremental planning needs to know about an indexed document."""

    rowid: int
    doc_id: str
    source: str
    size: int
    mtime_ns: int
    sha256: str
    fingerprint: str
    version: int


@dataclass(frozen=True, slots=True)
class ChunkChanges:
    """FAISS work implied by replacing a document's chunks."""

    added: list[tuple[int, str]]  # (chunk row id, vector key)
    removed: list[int]


def to_blob(vec: np.ndarray) -> bytes:
    return np.ascontiguousarray(vec, dtype=np.float32).tobytes()


class Catalog:
    """Typed access to one collection's SQLite file."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def init_schema(self) -> None:
        self.conn.executescript(SCHEMA)

    # -- meta ---------------------------------------------------------------------------
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return default if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def generation(self) -> int:
        return int(self.get_meta("generation", "0") or 0)

    # -- documents ----------------------------------------------------------------------
    def stored_files(self) -> dict[str, StoredFile]:
        rows = self.conn.execute(
            "SELECT id, doc_id, source, size, mtime_ns, sha256, fingerprint, version FROM documents"
        )
        return {r["source"]: StoredFile(*tuple(r)) for r in rows}

    def touch(self, rowid: int, size: int, mtime_ns: int) -> None:
        """Record a new mtime for a file whose content did not change."""
        self.conn.execute(
            "UPDATE documents SET size = ?, mtime_ns = ? WHERE id = ?", (size, mtime_ns, rowid)
        )

    def upsert_document(
        self, doc: Document, text: str, fingerprint: str, existing: StoredFile | None
    ) -> int:
        values = (
            doc.id,
            doc.source,
            doc.title,
            doc.format,
            doc.size,
            doc.mtime_ns,
            doc.sha256,
            doc.version,
            doc.pages,
            fingerprint,
            json.dumps(doc.metadata),
            json.dumps(list(doc.diagnostics)),
            text,
            doc.indexed_at,
        )
        if existing is None:
            cur = self.conn.execute(
                "INSERT INTO documents(doc_id, source, title, format, size, mtime_ns, sha256, "
                "version, pages, fingerprint, metadata, diagnostics, text, indexed_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                values,
            )
            assert cur.lastrowid is not None
            return cur.lastrowid
        self.conn.execute(
            "UPDATE documents SET doc_id = ?, source = ?, title = ?, format = ?, size = ?, "
            "mtime_ns = ?, sha256 = ?, version = ?, pages = ?, fingerprint = ?, metadata = ?, "
            "diagnostics = ?, text = ?, indexed_at = ? WHERE id = ?",
            (*values, existing.rowid),
        )
        return existing.rowid

    def delete_document(self, rowid: int) -> list[int]:
        ids = [
            r[0] for r in self.conn.execute("SELECT id FROM chunks WHERE document = ?", (rowid,))
        ]
        self.conn.executemany("DELETE FROM chunks_fts WHERE rowid = ?", ((i,) for i in ids))
        self._drop_sections(rowid)
        self.conn.execute("DELETE FROM documents_fts WHERE rowid = ?", (rowid,))
        self.conn.execute("DELETE FROM documents WHERE id = ?", (rowid,))
        return ids

    def index_structure(self, rowid: int, title: str, text: str) -> None:
        """Refresh the document's routing entry and its sections after its chunks changed."""
        self.conn.execute("DELETE FROM documents_fts WHERE rowid = ?", (rowid,))
        self.conn.execute(
            "INSERT INTO documents_fts(rowid, title, head) VALUES (?, ?, ?)",
            (rowid, searchable_title(title), text[:HEAD_CHARS]),
        )
        self._drop_sections(rowid)
        rows = self.conn.execute(
            'SELECT id, heading_path, start, "end" FROM chunks WHERE document = ? ORDER BY ordinal',
            (rowid,),
        ).fetchall()
        groups: list[list[sqlite3.Row]] = []
        for r in rows:
            if groups and groups[-1][0]["heading_path"] == r["heading_path"]:
                groups[-1].append(r)
            else:
                groups.append([r])
        for group in groups:
            start, end = group[0]["start"], max(r["end"] for r in group)
            path = group[0]["heading_path"]
            cur = self.conn.execute(
                'INSERT INTO sections(document, heading_path, start, "end") VALUES (?, ?, ?, ?)',
                (rowid, path, start, end),
            )
            self.conn.execute(
                "INSERT INTO sections_fts(rowid, title, heading, body) VALUES (?, ?, ?, ?)",
                (cur.lastrowid, title, " ".join(json.loads(path)), text[start:end]),
            )
            self.conn.executemany(
                "UPDATE chunks SET section = ? WHERE id = ?",
                ((cur.lastrowid, r["id"]) for r in group),
            )

    def _drop_sections(self, rowid: int) -> None:
        old = [
            r[0] for r in self.conn.execute("SELECT id FROM sections WHERE document = ?", (rowid,))
        ]
        self.conn.executemany("DELETE FROM sections_fts WHERE rowid = ?", ((i,) for i in old))
        self.conn.execute("DELETE FROM sections WHERE document = ?", (rowid,))

    def merge_text_segments(self, pages: int = 2000) -> None:
        """Merge the full-text indexes' segments, up to about `pages` pages of work each.

        FTS5 writes every transaction as new segments, and a deleted or re-indexed row leaves a
        tombstone in the old ones; a query reads them all. Once the public CUAD contracts had
        been re-parsed a few times (parser version bumps), hybrid search in `bench/retrieval.sh`
        took 21.4 ms p50 / 60.0 ms p95, against 9.0 / 23.7 on a fresh index. FTS5's automerge
        waits for segments of one size to pile up; this is its 'merge' command with a negative
        budget: every level merged, as 'optimize' does, but bounded, so a big collection is
        compacted over a few runs rather than rewritten after each. Only speed depends on it:
        a failure is ignored."""
        for table in ("chunks_fts", "sections_fts", "documents_fts"):
            try:
                self.conn.execute(
                    f"INSERT INTO {table}({table}, rank) VALUES('merge', ?)", (-pages,)
                )
            except sqlite3.Error:
                return

    def documents(self, collection: str, only: Collection[int] | None = None) -> list[Document]:
        """Every document, or those among the row ids `only` (what a caller may see)."""
        where, args = ("", []) if only is None else (f"WHERE d.id IN {IN_JSON}", [ids_json(only)])
        rows = self.conn.execute(
            "SELECT d.*, (SELECT COUNT(*) FROM chunks c WHERE c.document = d.id) AS n_chunks "
            f"FROM documents d {where} ORDER BY d.source",
            args,
        )
        return [_document(r, collection) for r in rows]

    def document_rowid(self, doc_id: str) -> int | None:
        row = self.conn.execute("SELECT id FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        return None if row is None else int(row[0])

    # -- access control -----------------------------------------------------------------
    def set_labels(
        self, rowid: int, groups: Iterable[str] | None, metadata: dict[str, str] | None
    ) -> None:
        """Replace a document's ACL groups and/or metadata (None leaves that one as it is)."""
        if groups is not None:
            self.conn.execute("DELETE FROM document_groups WHERE document = ?", (rowid,))
            self.conn.executemany(
                "INSERT INTO document_groups(document, grp) VALUES (?, ?)",
                ((rowid, g) for g in sorted(set(groups))),
            )
        if metadata is not None:
            self.conn.execute(
                "UPDATE documents SET metadata = ? WHERE id = ?", (json.dumps(metadata), rowid)
            )

    def labels(self, rowid: int) -> tuple[tuple[str, ...], dict[str, str]]:
        """A document's (ACL groups, metadata)."""
        row = self.conn.execute("SELECT metadata FROM documents WHERE id = ?", (rowid,)).fetchone()
        metadata = {} if row is None else dict(json.loads(row[0]))
        return self.groups_of([rowid]).get(rowid, ()), metadata

    def groups_of(self, rowids: Collection[int] | None = None) -> dict[int, tuple[str, ...]]:
        """row id -> ACL groups, for the documents that have any (all of them, or `rowids`)."""
        where, args = (
            ("", []) if rowids is None else (f"WHERE document IN {IN_JSON}", [ids_json(rowids)])
        )
        out: dict[int, list[str]] = {}
        for doc, grp in self.conn.execute(
            f"SELECT document, grp FROM document_groups {where} ORDER BY document, grp", args
        ):
            out.setdefault(int(doc), []).append(str(grp))
        return {k: tuple(v) for k, v in out.items()}

    def acl_groups(self) -> dict[str, tuple[str, ...]]:
        """document id -> ACL groups, for the documents that have any."""
        out: dict[str, list[str]] = {}
        for doc_id, grp in self.conn.execute(
            "SELECT d.doc_id, g.grp FROM document_groups g JOIN documents d ON d.id = g.document "
            "ORDER BY d.doc_id, g.grp"
        ):
            out.setdefault(str(doc_id), []).append(str(grp))
        return {k: tuple(v) for k, v in out.items()}

    def visible_documents(self, groups: Collection[str]) -> frozenset[int]:
        """Row ids of the documents a caller holding `groups` may see: those without groups,
        and those sharing at least one group with the caller."""
        rows = self.conn.execute(
            "SELECT d.id FROM documents d WHERE NOT EXISTS "
            "(SELECT 1 FROM document_groups g WHERE g.document = d.id) "
            "OR EXISTS (SELECT 1 FROM document_groups g WHERE g.document = d.id AND g.grp IN "
            "(SELECT value FROM json_each(?)))",
            (json.dumps(sorted(groups)),),
        )
        return frozenset(int(r[0]) for r in rows)

    def document_count(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0])

    def sole_document(self) -> int | None:
        """The row id of the collection's only document; None when it holds none or several."""
        rows = self.conn.execute("SELECT id FROM documents LIMIT 2").fetchall()
        return int(rows[0][0]) if len(rows) == 1 else None

    def opening(self, rowid: int, chars: int = HEAD_CHARS) -> list[int]:
        """Row ids of a document's chunks that begin within its first `chars` characters."""
        rows = self.conn.execute(
            "SELECT id FROM chunks WHERE document = ? AND start < ? ORDER BY ordinal",
            (rowid, chars),
        )
        return [int(r[0]) for r in rows]

    def document_text(self, doc_id: str) -> str | None:
        row = self.conn.execute("SELECT text FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        return None if row is None else str(row[0])

    # -- chunks -------------------------------------------------------------------------
    def replace_chunks(
        self, doc_rowid: int, title: str, chunks: Sequence[Chunk], vector_keys: Sequence[str]
    ) -> ChunkChanges:
        """Make the document's chunks exactly `chunks`; unchanged chunks keep their row ids."""
        old = {
            r["chunk_id"]: r["id"]
            for r in self.conn.execute(
                "SELECT id, chunk_id FROM chunks WHERE document = ?", (doc_rowid,)
            )
        }
        added: list[tuple[int, str]] = []
        for chunk, key in zip(chunks, vector_keys, strict=True):
            row = (
                chunk.ordinal,
                chunk.start,
                chunk.end,
                chunk.page_start,
                chunk.page_end,
                json.dumps(list(chunk.heading_path)),
                chunk.n_tokens,
            )
            rowid = old.pop(chunk.id, None)
            if rowid is not None:
                self.conn.execute(
                    'UPDATE chunks SET ordinal = ?, start = ?, "end" = ?, page_start = ?, '
                    "page_end = ?, heading_path = ?, n_tokens = ? WHERE id = ?",
                    (*row, rowid),
                )
                continue
            cur = self.conn.execute(
                'INSERT INTO chunks(ordinal, start, "end", page_start, page_end, heading_path, '
                "n_tokens, chunk_id, document, text, embed_text, vector_key) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*row, chunk.id, doc_rowid, chunk.text, chunk.embed_text, key),
            )
            assert cur.lastrowid is not None
            self.conn.execute(
                "INSERT INTO chunks_fts(rowid, title, heading, body) VALUES (?, ?, ?, ?)",
                (cur.lastrowid, title, " ".join(chunk.heading_path), chunk.text),
            )
            added.append((cur.lastrowid, key))
        removed = list(old.values())
        self.conn.executemany("DELETE FROM chunks WHERE id = ?", ((i,) for i in removed))
        self.conn.executemany("DELETE FROM chunks_fts WHERE rowid = ?", ((i,) for i in removed))
        return ChunkChanges(added=added, removed=removed)

    def chunks_by_ids(self, ids: Iterable[int]) -> dict[int, tuple[Chunk, str, str]]:
        """row id -> (chunk, source, title)."""
        ids = list(ids)
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self.conn.execute(
            "SELECT c.*, d.doc_id, d.source, d.title FROM chunks c "
            f"JOIN documents d ON d.id = c.document WHERE c.id IN ({marks})",
            ids,
        )
        return {r["id"]: (_chunk(r), r["source"], r["title"]) for r in rows}

    def chunks_of(self, doc_id: str) -> list[Chunk]:
        rows = self.conn.execute(
            "SELECT c.*, d.doc_id FROM chunks c JOIN documents d ON d.id = c.document "
            "WHERE d.doc_id = ? ORDER BY c.ordinal",
            (doc_id,),
        )
        return [_chunk(r) for r in rows]

    def vector_keys(self, ids: Iterable[int]) -> dict[int, str]:
        """chunk row id -> vector key, for the ids that exist."""
        ids = list(ids)
        out: dict[int, str] = {}
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            marks = ",".join("?" * len(part))
            rows = self.conn.execute(
                f"SELECT id, vector_key FROM chunks WHERE id IN ({marks})", part
            )
            out.update({int(r[0]): str(r[1]) for r in rows})
        return out

    def all_vector_ids(self) -> tuple[np.ndarray, np.ndarray]:
        """Every chunk's (row ids, vectors), for rebuilding the FAISS index."""
        rows = self.conn.execute(
            "SELECT c.id, v.vector FROM chunks c JOIN vectors v ON v.key = c.vector_key "
            "ORDER BY c.id"
        ).fetchall()
        ids = np.array([r[0] for r in rows], dtype=np.int64)
        if not rows:
            return ids, np.zeros((0, 0), dtype=np.float32)
        vecs = np.vstack([np.frombuffer(r[1], dtype=np.float32) for r in rows])
        return ids, vecs

    # -- vectors (keyed by a hash of the embedded text: identical texts embed once) -------
    def vectors_for(self, keys: Iterable[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        keys = list(dict.fromkeys(keys))
        for i in range(0, len(keys), 500):
            part = keys[i : i + 500]
            marks = ",".join("?" * len(part))
            for r in self.conn.execute(
                f"SELECT key, vector FROM vectors WHERE key IN ({marks})", part
            ):
                out[r[0]] = np.frombuffer(r[1], dtype=np.float32)
        return out

    def put_vectors(self, vectors: dict[str, np.ndarray]) -> None:
        self.conn.executemany(
            "INSERT OR IGNORE INTO vectors(key, vector) VALUES (?, ?)",
            ((k, to_blob(v)) for k, v in vectors.items()),
        )

    def drop_unused_vectors(self) -> int:
        cur = self.conn.execute(
            "DELETE FROM vectors WHERE key NOT IN (SELECT vector_key FROM chunks)"
        )
        return cur.rowcount

    # -- counts and the job log ---------------------------------------------------------
    def counts(self) -> dict[str, int]:
        one = self.conn.execute
        return {
            "documents": int(one("SELECT COUNT(*) FROM documents").fetchone()[0]),
            "chunks": int(one("SELECT COUNT(*) FROM chunks").fetchone()[0]),
            "vectors": int(one("SELECT COUNT(*) FROM vectors").fetchone()[0]),
        }

    def start_job(self, kind: str, pid: int) -> int:
        cur = self.conn.execute(
            "INSERT INTO jobs(kind, pid, started_at, status) VALUES (?, ?, ?, 'running')",
            (kind, pid, time.time()),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    def finish_job(self, job_id: int, status: str, summary: dict[str, object]) -> None:
        self.conn.execute(
            "UPDATE jobs SET finished_at = ?, status = ?, summary = ? WHERE id = ?",
            (time.time(), status, json.dumps(summary), job_id),
        )

    def jobs(self, limit: int = 5) -> list[sqlite3.Row]:
        return self.conn.execute("SELECT * FROM jobs ORDER BY id DESC LIMIT ?", (limit,)).fetchall()


def _chunk(r: sqlite3.Row) -> Chunk:
    return Chunk(
        id=r["chunk_id"],
        document_id=r["doc_id"],
        ordinal=r["ordinal"],
        text=r["text"],
        start=r["start"],
        end=r["end"],
        heading_path=tuple(json.loads(r["heading_path"])),
        page_start=r["page_start"],
        page_end=r["page_end"],
        n_tokens=r["n_tokens"],
        embed_text=r["embed_text"],
    )


def _document(r: sqlite3.Row, collection: str) -> Document:
    return Document(
        id=r["doc_id"],
        collection=collection,
        source=r["source"],
        title=r["title"],
        format=r["format"],
        sha256=r["sha256"],
        size=r["size"],
        mtime_ns=r["mtime_ns"],
        version=r["version"],
        pages=r["pages"],
        n_chunks=r["n_chunks"],
        indexed_at=r["indexed_at"],
        metadata=json.loads(r["metadata"]),
        diagnostics=tuple(json.loads(r["diagnostics"])),
    )

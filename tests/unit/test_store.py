"""rag.store + rag.writer + rag.retrieval on real SQLite and FAISS files, with a fake embedder."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np
import pytest

from rag import lexical, vectors
from rag.catalog import Catalog
from rag.errors import (
    CollectionLocked,
    CollectionNotFound,
    EmbedderMismatch,
    InvalidCollectionName,
)
from rag.lexical import fts_query
from rag.retrieval import (
    Searcher,
    make_retrievers,
    reciprocal_rank_fusion,
)
from rag.store import Collection, Store
from rag.types import Chunk, Document
from rag.writer import open_writer
from tests.unit.fakes import FakeEmbedder

FP = "p1-ctest"

PUMP = [
    "Priming the pump: fill the casing with water before the first start.",
    "Replace the impeller seal every 2000 operating hours.",
    "Noise from the bearing means the bearing grease is exhausted.",
]
CONTRACT = [
    "Either party may terminate this agreement for convenience with ninety days notice.",
    "Licensee shall pay royalties quarterly within thirty days of invoice.",
    "This agreement is governed by the laws of Delaware.",
]
ROUTER = [
    "Reset the router by holding the reset button for ten seconds.",
    "The status light blinks amber while firmware is updating.",
]


# -- building documents by hand ----------------------------------------------------------
@dataclass(frozen=True)
class Doc:
    document: Document
    text: str
    chunks: list[Chunk]

    @property
    def source(self) -> str:
        return self.document.source


def vector_key(embed_text: str) -> str:
    return hashlib.sha256(embed_text.encode()).hexdigest()[:32]


def make_doc(source: str, title: str, paragraphs: Sequence[str], version: int = 1) -> Doc:
    """One chunk per paragraph; ids are content hashes, as the chunker makes them."""
    doc_id = hashlib.sha256(source.encode()).hexdigest()[:16]
    text = "\n\n".join(paragraphs)
    chunks, pos = [], 0
    for ordinal, para in enumerate(paragraphs):
        embed_text = f"{title}\n{title} section\n\n{para}"
        chunks.append(
            Chunk(
                id=hashlib.sha256(f"{doc_id}\x00{embed_text}".encode()).hexdigest()[:24],
                document_id=doc_id,
                ordinal=ordinal,
                text=para,
                start=pos,
                end=pos + len(para),
                heading_path=(f"{title} section",),
                page_start=None,
                page_end=None,
                n_tokens=len(embed_text.split()),
                embed_text=embed_text,
            )
        )
        pos += len(para) + 2
    document = Document(
        id=doc_id,
        collection="c",
        source=source,
        title=title,
        format="text",
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        size=len(text),
        mtime_ns=version,
        version=version,
        pages=None,
        n_chunks=len(chunks),
        indexed_at=time.time(),
    )
    return Doc(document, text, chunks)


def write(
    coll: Collection,
    embedder: FakeEmbedder,
    docs: Sequence[Doc] = (),
    delete: Sequence[str] = (),
    ivf_threshold: int = vectors.IVF_THRESHOLD,
) -> int | None:
    """One batch: embed what the catalog lacks, upsert, delete, commit."""
    with open_writer(coll, ivf_threshold=ivf_threshold) as w:
        stored = w.catalog.stored_files()
        for source in delete:
            w.delete(stored[source])
        for d in docs:
            keys = [vector_key(c.embed_text) for c in d.chunks]
            have = w.catalog.vectors_for(keys)
            missing = {
                k: c.embed_text for k, c in zip(keys, d.chunks, strict=True) if k not in have
            }
            if missing:
                w.put_vectors(
                    dict(zip(missing, embedder.embed(list(missing.values())), strict=True))
                )
            w.upsert(d.document, d.text, FP, stored.get(d.source), d.chunks, keys)
        return w.commit()


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "indexes")


@pytest.fixture
def coll(store: Store, embedder: FakeEmbedder) -> Collection:
    c = store.open_or_create("manuals", embedder.model_id, embedder.dim)
    write(
        c,
        embedder,
        [
            make_doc("/d/pump.txt", "Pump", PUMP),
            make_doc("/d/contract.txt", "Contract", CONTRACT),
            make_doc("/d/router.txt", "Router", ROUTER),
        ],
    )
    return c


def reader(store: Store, embedder: FakeEmbedder) -> Collection:
    """A separate handle, as another process would open it."""
    return store.open("manuals", embedder.model_id, embedder.dim)


def searcher(coll: Collection, embedder: FakeEmbedder, mode: str = "hybrid") -> Searcher:
    return Searcher(coll, embedder, make_retrievers(mode), candidates=10)


def rows(coll: Collection) -> dict[str, int]:
    """chunk id -> row id, from a fresh connection."""
    cat = coll.catalog()
    try:
        return {r["chunk_id"]: r["id"] for r in cat.conn.execute("SELECT id, chunk_id FROM chunks")}
    finally:
        cat.conn.close()


def faiss_ids(coll: Collection, generation: int) -> set[int]:
    index = faiss.read_index(str(coll.vector_file(generation)))
    return set(faiss.vector_to_array(index.id_map).tolist())  # type: ignore[attr-defined]


def assert_consistent(coll: Collection) -> None:
    """Catalog, BM25 table, vectors table and the published FAISS file agree."""
    cat = coll.catalog()
    try:
        one = cat.conn.execute
        gen = cat.generation()
        chunk_ids = {r[0] for r in one("SELECT id FROM chunks")}
        fts_ids = {r[0] for r in one("SELECT rowid FROM chunks_fts")}
        keys = {r[0] for r in one("SELECT key FROM vectors")}
        used = {r[0] for r in one("SELECT vector_key FROM chunks")}
    finally:
        cat.conn.close()
    assert fts_ids == chunk_ids
    assert keys == used
    if gen > 0:
        index = faiss.read_index(str(coll.vector_file(gen)))
        assert index.ntotal == len(chunk_ids)
        assert faiss_ids(coll, gen) == chunk_ids


def bm25_ids(coll: Collection, query: str) -> list[int]:
    with coll.snapshot() as snap:
        return [i for i, _ in lexical.chunks(snap.catalog.conn, query, 10)]


def dense_ids(coll: Collection, embedder: FakeEmbedder, text: str) -> list[int]:
    with coll.snapshot() as snap:
        return [i for i, _ in vectors.search(snap.index, embedder.embed_query(text), 50)]


# -- search ------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_search_finds_the_expected_chunk(
    coll: Collection, embedder: FakeEmbedder, mode: str
) -> None:
    expected = make_doc("/d/contract.txt", "Contract", CONTRACT).chunks[0]
    query = expected.embed_text if mode == "dense" else "terminate for convenience"
    result = searcher(coll, embedder, mode).search(query, k=3)
    assert result.generation == 1
    top = result.hits[0]
    assert top.chunk == expected
    assert (top.source, top.title) == ("/d/contract.txt", "Contract")
    # The retrievers whose lists held the chunk.
    assert top.retriever == "+".join(top.ranks)
    assert len(result.hits) <= 3
    if mode == "dense":
        assert top.score == pytest.approx(1.0, abs=1e-5)
    if mode == "hybrid":
        assert top.ranks == {"dense": top.ranks["dense"], "bm25": 1, "section": 1}
    else:
        assert top.ranks == {mode: 1}


def test_bm25_search_only_returns_matching_chunks(coll: Collection, embedder: FakeEmbedder) -> None:
    hits = searcher(coll, embedder, "bm25").search("impeller", k=10).hits
    assert [h.chunk.text for h in hits] == [PUMP[1]]
    assert searcher(coll, embedder, "bm25").search("zeppelin", k=10).hits == []


def test_fts_query_drops_stopwords_and_quotes_words() -> None:
    assert fts_query("What is the notice period for the termination?") == (
        '"notice" OR "period" OR "termination"'
    )
    assert fts_query("Notice NOTICE notice") == '"notice"'
    assert fts_query("the of and a") == ""
    assert fts_query('seal* AND (bearing OR -grease) NEAR "x:y" ^col') == (
        '"seal" OR "bearing" OR "grease" OR "near" OR "x" OR "y" OR "col"'
    )


@pytest.mark.parametrize(
    "query",
    [
        '"unbalanced quote',
        "seal*",
        "(bearing",
        "bearing)",
        "pump AND",
        "AND OR NOT",
        "-grease",
        "NEAR(seal bearing, 2)",
        "title:pump",
        "^seal",
        "seal + bearing",
        "don't",
        "{seal}",
        "",
        "?!",
        "naïve café",
        "seal_bearing",
        "the",
    ],
)
def test_fts_syntax_in_a_query_cannot_break_the_match(
    coll: Collection, embedder: FakeEmbedder, query: str
) -> None:
    hits = searcher(coll, embedder, "bm25").search(query, k=5).hits
    words = set(fts_query(query).replace('"', "").split(" OR ")) - {""}
    if "seal" in words:  # the content word still finds its chunk
        assert PUMP[1] in [h.chunk.text for h in hits]
        assert all({"seal", "bearing"} & set(h.chunk.text.lower().split()) for h in hits)
    if not words:
        assert hits == []
    # Hybrid search with the same text must not fail either.
    searcher(coll, embedder, "hybrid").search(query, k=5)


# -- updates and deletes -----------------------------------------------------------------
def test_update_keeps_unchanged_rows_and_drops_removed_ones(
    coll: Collection, embedder: FakeEmbedder
) -> None:
    v1 = make_doc("/d/pump.txt", "Pump", PUMP)
    before = rows(coll)
    gone_row = before[v1.chunks[1].id]
    changed = [
        PUMP[0],
        "Noise from the bearing means the grease is exhausted; regrease it.",
        "Store the pump frost-free over winter.",
    ]
    v2 = make_doc("/d/pump.txt", "Pump", changed, version=2)
    assert write(coll, embedder, [v2]) == 2
    after = rows(coll)
    assert after[v2.chunks[0].id] == before[v1.chunks[0].id], "unchanged chunk kept its row id"
    assert v1.chunks[1].id not in after and v1.chunks[2].id not in after
    assert gone_row not in after.values()
    assert bm25_ids(coll, "impeller") == []
    assert gone_row not in faiss_ids(coll, 2)
    assert gone_row not in dense_ids(coll, embedder, v1.chunks[1].embed_text)
    new_row = after[v2.chunks[2].id]
    assert bm25_ids(coll, "winter frost") == [new_row]
    assert dense_ids(coll, embedder, v2.chunks[2].embed_text)[0] == new_row
    with coll.snapshot() as snap:
        (doc,) = [d for d in snap.catalog.documents("manuals") if d.source == "/d/pump.txt"]
        assert (doc.version, doc.n_chunks) == (2, 3)
        assert snap.catalog.document_text(doc.id) == v2.text
        assert [c.id for c in snap.catalog.chunks_of(doc.id)] == [c.id for c in v2.chunks]
    assert_consistent(coll)


def test_generation_increments_by_one_per_commit(
    coll: Collection, store: Store, embedder: FakeEmbedder
) -> None:
    assert write(coll, embedder, [make_doc("/d/a.txt", "A", ["Alpha text."])]) == 2
    assert write(coll, embedder, [make_doc("/d/b.txt", "B", ["Beta text."])]) == 3
    assert write(coll, embedder) is None, "an empty batch publishes nothing"
    assert write(coll, embedder, delete=["/d/a.txt"]) == 4
    with reader(store, embedder).snapshot() as snap:
        assert snap.generation == 4
    # The previous generation stays for readers still on it; older ones are cleaned up.
    assert sorted(p.name for p in coll.folder.glob("vectors.*.faiss")) == [
        "vectors.3.faiss",
        "vectors.4.faiss",
    ]
    assert_consistent(coll)


def test_delete_removes_chunks_everywhere_and_unused_vectors(
    coll: Collection, embedder: FakeEmbedder
) -> None:
    # Same title and paragraph in a second file: one shared vector that must survive.
    twin = make_doc("/d/router-copy.txt", "Router", ROUTER[:1])
    write(coll, embedder, [twin])
    router = make_doc("/d/router.txt", "Router", ROUTER)
    router_rows = {rows(coll)[c.id] for c in router.chunks}
    write(coll, embedder, delete=["/d/router.txt"])
    assert not router_rows & set(rows(coll).values())
    assert bm25_ids(coll, "amber firmware") == []
    assert not router_rows & faiss_ids(coll, 3)
    cat = coll.catalog()
    try:
        keys = {r[0] for r in cat.conn.execute("SELECT key FROM vectors")}
        assert "/d/router.txt" not in cat.stored_files()
    finally:
        cat.conn.close()
    assert vector_key(router.chunks[1].embed_text) not in keys
    assert vector_key(twin.chunks[0].embed_text) in keys
    hits = searcher(coll, embedder, "hybrid").search("reset the router", k=3).hits
    assert hits[0].source == "/d/router-copy.txt"
    assert all(h.source != "/d/router.txt" for h in hits)
    assert_consistent(coll)


def test_identical_texts_are_embedded_once(coll: Collection, embedder: FakeEmbedder) -> None:
    before = embedder.texts_embedded
    write(coll, embedder, [make_doc("/d/router-copy.txt", "Router", ROUTER)])
    assert embedder.texts_embedded == before
    assert_consistent(coll)


def test_same_document_upserted_twice_in_one_batch_stays_consistent(
    coll: Collection, embedder: FakeEmbedder
) -> None:
    """Writer.upsert promises 'exactly these chunks'; a second upsert of a document in the same
    batch must not leave vectors of the first one's chunks behind in FAISS."""
    v2 = make_doc("/d/new.txt", "New", ["First draft of the new page."])
    v3 = make_doc("/d/new.txt", "New", ["Final text of the new page."], version=2)
    with open_writer(coll) as w:
        for d, existing in ((v2, None), (v3, "/d/new.txt")):
            keys = [vector_key(c.embed_text) for c in d.chunks]
            w.put_vectors(
                dict(zip(keys, embedder.embed([c.embed_text for c in d.chunks]), strict=True))
            )
            stored = w.catalog.stored_files().get(existing) if existing else None
            w.upsert(d.document, d.text, FP, stored, d.chunks, keys)
        w.commit()
    assert_consistent(coll)


# -- opening collections -----------------------------------------------------------------
def test_embedder_mismatch_names_both_and_says_how_to_fix(coll: Collection, store: Store) -> None:
    for other, dim in (("other-embedder", 16), ("fake-embedder", 32)):
        with pytest.raises(EmbedderMismatch) as err:
            store.open("manuals", other, dim)
        message = str(err.value)
        assert "fake-embedder" in message and "16" in message
        assert other in message and str(dim) in message
        assert "SABIO_EMBEDDER__MODEL=fake-embedder" in message
        assert "new collection" in message
    with pytest.raises(EmbedderMismatch):
        store.open_or_create("manuals", "other-embedder", 16)
    assert store.require("manuals").manifest.embedder == "fake-embedder"


def test_missing_collection_lists_the_existing_ones(store: Store, embedder: FakeEmbedder) -> None:
    with pytest.raises(CollectionNotFound, match="none yet"):
        store.open("gamma", embedder.model_id, embedder.dim)
    store.open_or_create("alpha", embedder.model_id, embedder.dim)
    store.open_or_create("beta", embedder.model_id, embedder.dim)
    with pytest.raises(CollectionNotFound) as err:
        store.open("gamma", embedder.model_id, embedder.dim)
    message = str(err.value)
    assert "'gamma'" in message and "alpha, beta" in message and "ingest run" in message
    assert store.names() == ["alpha", "beta"]
    assert not (store.root / "gamma").exists(), "opening must not create the collection"


@pytest.mark.parametrize(
    "name",
    ["", "../evil", "a/b", ".hidden", "-dash", "with space", "x" * 65, "semi;colon", "é", "nl\n"],
)
def test_invalid_collection_names(store: Store, embedder: FakeEmbedder, name: str) -> None:
    with pytest.raises(InvalidCollectionName):
        store.open_or_create(name, embedder.model_id, embedder.dim)
    with pytest.raises(InvalidCollectionName):
        store.require(name)
    assert not store.root.exists() or store.names() == []


def test_valid_collection_names(store: Store, embedder: FakeEmbedder) -> None:
    for name in ("Manuals_v2.1-x", "0", "x" * 64):
        assert store.open_or_create(name, embedder.model_id, embedder.dim).name == name


# -- readers and writers -----------------------------------------------------------------
def test_reader_snapshot_is_isolated_from_an_open_write(
    coll: Collection, store: Store, embedder: FakeEmbedder
) -> None:
    extra = make_doc("/d/extra.txt", "Extra", ["The compressor hums quietly at night."])
    rdr = reader(store, embedder)
    with open_writer(coll) as w:
        key = vector_key(extra.chunks[0].embed_text)
        w.put_vectors({key: embedder.embed([extra.chunks[0].embed_text])[0]})
        w.upsert(extra.document, extra.text, FP, None, extra.chunks, [key])
        w.delete(w.catalog.stored_files()["/d/pump.txt"])
        # Uncommitted: a reader sees generation 1 exactly.
        with rdr.snapshot() as snap:
            assert snap.generation == 1
            assert snap.catalog.counts()["documents"] == 3
            assert lexical.chunks(snap.catalog.conn, "compressor", 5) == []
            assert lexical.chunks(snap.catalog.conn, "impeller", 5) != []
            assert snap.index.ntotal == 8
        # A snapshot taken before the commit keeps its view after it.
        with rdr.snapshot() as snap:
            assert w.commit() == 2
            assert snap.generation == 1
            assert snap.catalog.counts()["documents"] == 3
            assert lexical.chunks(snap.catalog.conn, "compressor", 5) == []
            assert snap.index.ntotal == 8
    with rdr.snapshot() as snap:
        assert snap.generation == 2
        assert snap.catalog.counts()["documents"] == 3  # one added, one deleted
        assert len(lexical.chunks(snap.catalog.conn, "compressor", 5)) == 1
        assert lexical.chunks(snap.catalog.conn, "impeller", 5) == []
        assert snap.index.ntotal == 6
    hits = searcher(rdr, embedder).search("compressor hums", k=1).hits
    assert hits[0].source == "/d/extra.txt"


@pytest.mark.parametrize("damage", ["delete", "garbage"])
def test_missing_or_damaged_vector_file_is_rebuilt_by_a_reader(
    coll: Collection, store: Store, embedder: FakeEmbedder, damage: str
) -> None:
    queries = ["reset button", "bearing grease noise", "royalties invoice", PUMP[0]]
    before = [
        [
            (h.chunk.id, round(h.score, 5))
            for h in searcher(reader(store, embedder), embedder).search(q, k=5).hits
        ]
        for q in queries
    ]
    path = coll.vector_file(1)
    if damage == "delete":
        path.unlink()
    else:
        path.write_bytes(b"not a faiss index" * 10)
    rdr = reader(store, embedder)
    after = [
        [(h.chunk.id, round(h.score, 5)) for h in searcher(rdr, embedder).search(q, k=5).hits]
        for q in queries
    ]
    assert after == before
    with rdr.snapshot() as snap:
        assert snap.index.ntotal == 8
    # A writer builds the next generation from the rebuilt index too.
    write(coll, embedder, [make_doc("/d/a.txt", "A", ["Alpha text."])])
    assert_consistent(coll)


def test_second_writer_fails_at_once_naming_the_pid(coll: Collection, store: Store) -> None:
    other = store.require("manuals")
    with coll.lock(wait_s=0):
        t0 = time.monotonic()
        with pytest.raises(CollectionLocked) as err, other.lock(wait_s=0):
            pass
        assert time.monotonic() - t0 < 0.5
        assert f"pid {os.getpid()}" in str(err.value)
        assert "--wait" in str(err.value)
        with pytest.raises(CollectionLocked), open_writer(other):
            pass
        t0 = time.monotonic()
        with pytest.raises(CollectionLocked), other.lock(wait_s=0.1):
            pass
        assert time.monotonic() - t0 >= 0.1
    with other.lock(wait_s=0):  # released
        pass
    assert err.value.exit_code == 3


def test_exception_in_a_writer_rolls_everything_back(
    coll: Collection, store: Store, embedder: FakeEmbedder
) -> None:
    def snapshot_state() -> tuple[object, ...]:
        cat = coll.catalog()
        try:
            return (
                cat.generation(),
                cat.counts(),
                sorted(cat.stored_files()),
                rows(coll),
                sorted(p.name for p in coll.folder.glob("vectors*")),
            )
        finally:
            cat.conn.close()

    before = snapshot_state()
    extra = make_doc("/d/extra.txt", "Extra", ["The compressor hums quietly at night."])
    with pytest.raises(RuntimeError, match="boom"), open_writer(coll) as w:
        key = vector_key(extra.chunks[0].embed_text)
        w.put_vectors({key: embedder.embed([extra.chunks[0].embed_text])[0]})
        w.upsert(extra.document, extra.text, FP, None, extra.chunks, [key])
        w.delete(w.catalog.stored_files()["/d/pump.txt"])
        raise RuntimeError("boom")
    assert snapshot_state() == before
    # The lock was released and the next writer works on a consistent index.
    assert write(coll, embedder, [extra]) == 2
    assert searcher(reader(store, embedder), embedder, "bm25").search("impeller").hits
    assert_consistent(coll)


# -- fusion ------------------------------------------------------------------------------
def test_reciprocal_rank_fusion_by_hand() -> None:
    fused = reciprocal_rank_fusion(
        {"dense": [(1, 0.9), (2, 0.8), (3, 0.7)], "bm25": [(3, 12.0), (1, 5.0), (4, 1.0)]},
        rrf_k=60,
    )
    assert [f.id for f in fused] == [1, 3, 2, 4]
    assert fused[0].score == pytest.approx(1 / 61 + 1 / 62)
    assert fused[1].score == pytest.approx(1 / 63 + 1 / 61)
    assert fused[2].score == pytest.approx(1 / 62)
    assert fused[3].score == pytest.approx(1 / 63)
    assert [f.ranks for f in fused] == [
        {"dense": 1, "bm25": 2},
        {"dense": 3, "bm25": 1},
        {"dense": 2},
        {"bm25": 3},
    ]


def test_reciprocal_rank_fusion_ties_and_k() -> None:
    # Equal scores: the lower id first, so results are deterministic.
    fused = reciprocal_rank_fusion({"dense": [(7, 1.0)], "bm25": [(2, 1.0)]}, rrf_k=1)
    assert [(f.id, f.score) for f in fused] == [(2, 0.5), (7, 0.5)]
    assert reciprocal_rank_fusion({"dense": [], "bm25": []}) == []


def test_catalog_is_a_plain_typed_wrapper(coll: Collection) -> None:
    cat: Catalog = coll.catalog()
    try:
        assert cat.counts() == {"documents": 3, "chunks": 8, "vectors": 8}
        ids, vecs = cat.all_vector_ids()
        assert vecs.shape == (8, 16) and vecs.dtype == np.float32
        assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
        assert list(ids) == sorted(ids)
    finally:
        cat.conn.close()


def test_runs_creating_the_same_new_collection_at_once_both_succeed(
    tmp_path: Path, embedder: FakeEmbedder
) -> None:
    """Two `ingest run`s on a new collection both write its manifest, before any lock exists:
    neither may trip over the other's temporary file."""
    errors: list[BaseException] = []

    def create(store: Store) -> None:
        try:
            store.open_or_create("fresh", embedder.model_id, embedder.dim)
        except BaseException as exc:  # collected, so the test names it
            errors.append(exc)

    for attempt in range(30):
        store = Store(tmp_path / str(attempt))
        threads = [threading.Thread(target=create, args=(store,)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert store.names() == ["fresh"]
    assert errors == []


def test_rewrites_leave_the_text_indexes_as_compact_as_a_fresh_build(
    tmp_path: Path, embedder: FakeEmbedder
) -> None:
    """FTS5 keeps each transaction as new segments, tombstones included, and a query reads them
    all; the writer merges them when it is done."""

    def docs(version: int) -> list[Doc]:
        return [
            make_doc(
                f"/d/{i}.txt", f"Doc {i}", [f"Pump {i} part {j} v{version}." for j in range(6)]
            )
            for i in range(8)
        ]

    def pages(coll: Collection) -> int:
        cat = coll.catalog()
        try:
            return sum(
                cat.conn.execute(f"SELECT count(*) FROM {t}_data").fetchone()[0]
                for t in ("chunks_fts", "sections_fts", "documents_fts")
            )
        finally:
            cat.conn.close()

    store = Store(tmp_path)
    rewritten = store.open_or_create("rewritten", embedder.model_id, embedder.dim)
    for version in range(1, 7):
        for d in docs(version):  # one commit per document, as a long ingest run makes them
            write(rewritten, embedder, [d])
    fresh = store.open_or_create("fresh", embedder.model_id, embedder.dim)
    write(fresh, embedder, docs(6))
    assert pages(rewritten) <= pages(fresh)
    assert bm25_ids(rewritten, "v6") and not bm25_ids(rewritten, "v5")
    assert_consistent(rewritten)

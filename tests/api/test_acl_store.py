"""ACL groups in the catalog and in retrieval: visible documents in SQL, restricted routing,
labels set by ingest runs without re-embedding, and catalogs made before ACLs existed."""

from __future__ import annotations

from pathlib import Path

from ingest.chunk import Chunker
from ingest.pipeline import Ingestor, Labels
from rag import lexical
from rag.retrieval import Searcher, make_retrievers
from rag.routing import DocumentRouter
from rag.settings import ChunkSettings, IngestSettings
from rag.store import Collection, Store
from tests.api.conftest import build_collection
from tests.unit.fakes import FakeEmbedder


def _manuals(tmp_path: Path, embedder: FakeEmbedder) -> tuple[Collection, dict[str, int]]:
    build_collection(tmp_path, embedder)
    coll = Store(tmp_path).open("manuals", embedder.model_id, embedder.dim)
    stored = coll.catalog().stored_files()
    rows = {Path(src).stem: f.rowid for src, f in stored.items()}
    return coll, rows


def test_visible_documents_are_public_ones_and_those_sharing_a_group(tmp_path: Path) -> None:
    coll, rows = _manuals(tmp_path, FakeEmbedder())
    cat = coll.catalog()
    assert cat.visible_documents([]) == {rows["pump"]}
    assert cat.visible_documents(["team-a"]) == {rows["pump"], rows["alpha"]}
    assert cat.visible_documents(["team-a", "team-b"]) == set(rows.values())
    ids = {Path(d.source).stem: d.id for d in cat.documents("manuals")}
    assert cat.acl_groups() == {ids["alpha"]: ("team-a",), ids["bravo"]: ("team-b",)}


def test_document_routing_respects_the_restriction(tmp_path: Path) -> None:
    embedder = FakeEmbedder()
    coll, rows = _manuals(tmp_path, embedder)
    conn = coll.catalog().conn
    assert lexical.documents(conn, "Bravo reactor manual", 3)[0][0] == rows["bravo"]
    allowed = {rows["pump"], rows["alpha"]}
    assert rows["bravo"] not in {d for d, _ in lexical.documents(conn, "Bravo reactor", 3, allowed)}
    assert lexical.documents(conn, "Bravo reactor", 3, set()) == []
    searcher = Searcher(coll, embedder, make_retrievers("hybrid"), router=DocumentRouter())
    q = "In the Bravo reactor manual, what is the password?"
    assert {h.chunk.document_id for h in searcher.search(q, 10).hits} == {
        h.chunk.document_id for h in searcher.search(q, 10, {rows["bravo"]}).hits
    }  # unrestricted: routed to bravo alone
    restricted = searcher.search(q, 10, allowed)
    assert "swordfish" not in " ".join(h.chunk.text for h in restricted.hits)
    assert len(restricted.hits) == 4  # not silently shortened: every allowed chunk


def test_catalogs_from_before_acls_gain_the_table_in_place(tmp_path: Path) -> None:
    embedder = FakeEmbedder()
    coll, rows = _manuals(tmp_path, embedder)
    cat = coll.catalog()
    cat.conn.execute("DROP TABLE document_groups")  # as a catalog made before ACLs
    cat.conn.close()
    reopened = Store(tmp_path).open("manuals", embedder.model_id, embedder.dim).catalog()
    assert reopened.counts()["documents"] == 3
    assert reopened.visible_documents([]) == set(rows.values())  # nothing restricted yet


def _ingestor(coll: Collection, embedder: FakeEmbedder) -> Ingestor:
    chunker = Chunker(embedder.tokenizer, ChunkSettings(max_tokens=64, min_tokens=0))
    return Ingestor(coll, embedder, chunker, IngestSettings())


def test_ingest_labels_change_groups_without_re_embedding(tmp_path: Path) -> None:
    embedder = FakeEmbedder()
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("The pump casing must be filled with water before start.")
    coll = Store(tmp_path / "idx").open_or_create("c", embedder.model_id, embedder.dim)
    ing = _ingestor(coll, embedder)

    def labels() -> tuple[tuple[str, ...], dict[str, str]]:
        cat = coll.catalog()
        return cat.labels(next(iter(cat.stored_files().values())).rowid)

    first = ing.run([docs], labels=Labels(("team-a",), {"owner": "ops"}))
    assert first.counts()["added"] == 1 and labels() == (("team-a",), {"owner": "ops"})
    embedded = embedder.texts_embedded
    second = ing.run([docs], labels=Labels(("team-b", "team-c")))
    (result,) = second.results
    assert result.status == "unchanged" and result.labels_changed
    assert embedder.texts_embedded == embedded  # nothing re-embedded
    assert labels() == (("team-b", "team-c"), {"owner": "ops"})
    third = ing.run([docs])  # no labels given: the document keeps its groups
    assert not third.results[0].labels_changed
    assert labels() == (("team-b", "team-c"), {"owner": "ops"})
    (docs / "a.txt").write_text("The pump casing must be filled with oil before start.")
    ing.run([docs])  # changed content keeps groups and metadata too
    assert labels() == (("team-b", "team-c"), {"owner": "ops"})
    ing.run([docs], labels=Labels(groups=()))  # --public
    assert labels() == ((), {"owner": "ops"})

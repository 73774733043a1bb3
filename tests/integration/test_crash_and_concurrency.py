"""SIGKILL at any moment leaves a readable, consistent collection; writers exclude each other;
readers during ingestion see one generation or the next, never a mix."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import faiss
import psutil
import pytest

from rag.embedder import LazyEmbedder
from rag.retrieval import Searcher, make_retrievers
from rag.store import Collection
from tests.integration.conftest import BIN, CLI, REPO, SHARED

# The seven smallest public contracts: enough batches to kill in between, quick to finish.
CONTRACTS = sorted(
    (SHARED / "cuad" / "contracts_txt").glob("*.txt"), key=lambda p: p.stat().st_size
)[:7]
# Small batches and frequent commits, so a kill lands between, during and after commits.
FAST_COMMITS = {"SABIO_INGEST__COMMIT_EVERY_S": "0.5", "SABIO_INGEST__EMBED_BATCH": "24"}


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "contracts"
    folder.mkdir()
    for path in CONTRACTS:
        shutil.copy2(path, folder / path.name)
    return folder


def start_ingest(index_dir: Path, corpus: Path, name: str) -> subprocess.Popen[str]:
    env = {**os.environ, "SABIO_INDEX_DIR": str(index_dir), **FAST_COMMITS}
    return subprocess.Popen(
        [str(BIN / "ingest"), "run", str(corpus), "-c", name, "--json"],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def generation(folder: Path) -> int:
    if not (folder / "catalog.sqlite").exists():
        return -1
    try:
        return Collection(folder.name, folder).catalog().generation()
    except Exception:
        return -1


def wait_for(predicate, timeout: float = 180.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def assert_consistent(folder: Path) -> int:
    """Catalog and vectors agree, every chunk is a span of its document. Returns #documents."""
    coll = Collection(folder.name, folder)
    with coll.snapshot() as snap:
        rows = snap.catalog.conn.execute(
            'SELECT c.id, c.text, c.start, c."end", d.text AS doc FROM chunks c '
            "JOIN documents d ON d.id = c.document"
        ).fetchall()
        ids = faiss.vector_to_array(faiss.downcast_index(snap.index).id_map)
        assert sorted(ids.tolist()) == sorted(r["id"] for r in rows)
        assert all(r["doc"][r["start"] : r["end"]] == r["text"] for r in rows)
        orphans = snap.catalog.conn.execute(
            "SELECT COUNT(*) FROM chunks WHERE vector_key NOT IN (SELECT key FROM vectors)"
        ).fetchone()[0]
        assert orphans == 0
        return int(snap.catalog.counts()["documents"])


def test_sigkill_at_any_moment_then_the_next_run_finishes(
    index_dir: Path, corpus: Path, cli: CLI
) -> None:
    folder = index_dir / "killed"
    # First kill: after at least one batch was committed, while later ones are in flight.
    proc = start_ingest(index_dir, corpus, "killed")
    wait_for(lambda: generation(folder) >= 2)
    helpers = psutil.Process(proc.pid).children(recursive=True)  # the parse workers
    assert helpers
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    _, alive = psutil.wait_procs(helpers, timeout=10)
    assert not alive, "worker processes outlived the killed run"
    partial = assert_consistent(folder)
    assert 0 < partial < len(CONTRACTS)

    # Second kill: at an arbitrary moment of the next run (loading, parsing or embedding).
    proc = start_ingest(index_dir, corpus, "killed")
    time.sleep(7.0)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert assert_consistent(folder) >= partial

    finish = cli("ingest", "run", str(corpus), "-c", "killed", "--json", env=FAST_COMMITS)
    assert finish.returncode == 0, finish.stderr
    assert assert_consistent(folder) == len(CONTRACTS)
    status = cli("ingest", "status", "-c", "killed", "--json")
    assert "interrupted" in status.stdout  # the killed runs are reported as such
    again = cli("ingest", "run", str(corpus), "-c", "killed", "--json")
    assert json.loads(again.stdout)["files"]["unchanged"] == len(CONTRACTS)


def test_writers_exclude_each_other_and_readers_see_whole_generations(
    index_dir: Path, corpus: Path, cli: CLI, embedder: LazyEmbedder
) -> None:
    folder = index_dir / "busy"
    # Load the reader's model first: loading it inside the loop below takes longer than the
    # whole ingestion on a busy machine, and the reader would then see only one generation.
    embedder.load()
    writer = start_ingest(index_dir, corpus, "busy")
    try:
        wait_for(lambda: generation(folder) >= 1)
        assert _lock_is_held(folder)
        second = cli("ingest", "run", str(corpus), "-c", "busy")
        assert second.returncode == 3
        assert "being written by another process" in second.stderr

        coll = Collection("busy", folder)
        searcher = Searcher(coll, embedder, make_retrievers("hybrid"))
        seen: set[int] = set()
        while writer.poll() is None:
            with coll.snapshot() as snap:
                assert snap.index.ntotal == snap.catalog.counts()["chunks"]
                seen.add(snap.generation)
            result = searcher.search("termination for convenience upon written notice", k=5)
            for hit in result.hits:
                doc = coll.catalog().document_text(hit.chunk.document_id)
                assert doc is not None and hit.chunk.text in doc
        assert writer.returncode == 0, writer.stderr.read() if writer.stderr else ""
        assert len(seen) >= 2, "the reader should have seen the collection grow"
    finally:
        if writer.poll() is None:
            writer.kill()
    assert assert_consistent(folder) == len(CONTRACTS)


def _lock_is_held(folder: Path) -> bool:
    fd = os.open(folder / "writer.lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def test_vectors_survive_a_lost_vector_file(index_dir: Path, corpus: Path, cli: CLI) -> None:
    """The FAISS file is derived data: if it goes missing, readers rebuild it from the catalog."""
    one = corpus / CONTRACTS[0].name
    assert cli("ingest", "run", str(one), "-c", "lost").returncode == 0
    folder = index_dir / "lost"
    before = cli("rag", "search", "governing law", "-c", "lost", "--json", "--mode", "dense").stdout
    for f in folder.glob("vectors.*.faiss"):
        f.unlink()
    after = cli("rag", "search", "governing law", "-c", "lost", "--json", "--mode", "dense")
    assert after.returncode == 0, after.stderr

    def ids(out: str) -> list[str]:
        return [h["chunk_id"] for h in json.loads(out)["hits"]]

    assert ids(before) and ids(after.stdout) == ids(before)

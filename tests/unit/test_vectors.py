"""The vector index: exact when small, IVF when large; deletes and restrictions stay right."""

from __future__ import annotations

import json
from pathlib import Path

import faiss
import numpy as np
import pytest

from rag import vectors
from rag.store import Store
from tests.unit.fakes import FakeEmbedder
from tests.unit.test_store import make_doc, write


def unit_vectors(n: int, dim: int = 32, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_small_collections_are_exact_and_large_ones_ivf() -> None:
    v = unit_vectors(3000)
    ids = np.arange(100, 3100)
    assert vectors.describe(vectors.build_index(32, ids, v, ivf_threshold=5000)) == {"type": "flat"}
    ivf = vectors.build_index(32, ids, v, ivf_threshold=1000)
    params = vectors.describe(ivf)
    assert params["type"] == "ivf_flat" and int(params["nlist"]) >= 64
    # Every vector finds itself first, ids are the catalog's ids.
    for i in (0, 1234, 2999):
        assert vectors.search(ivf, v[i], 1) == [(int(ids[i]), pytest.approx(1.0, abs=1e-5))]


def test_ivf_restricted_search_is_exact_and_deletes_work() -> None:
    v = unit_vectors(3000, seed=1)
    ids = np.arange(3000)
    ivf = vectors.build_index(32, ids, v, ivf_threshold=1000)
    flat = vectors.build_index(32, ids, v)
    allowed = list(range(0, 3000, 7))
    q = unit_vectors(1, seed=2)[0]
    got = vectors.search(ivf, q, 10, allowed=allowed)
    want = vectors.search(flat, q, 10, allowed=allowed)
    assert [i for i, _ in got] == [i for i, _ in want]
    assert vectors.remove(ivf, [int(got[0][0])]) == 1
    assert got[0][0] not in [i for i, _ in vectors.search(ivf, q, 10, allowed=allowed)]


def test_rebuild_rules() -> None:
    flat = vectors.build_index(32, np.arange(900), unit_vectors(900), ivf_threshold=1000)
    assert not vectors.needs_rebuild(flat, 1000)
    vectors.add(flat, np.arange(900, 1000), unit_vectors(100, seed=3))
    assert vectors.needs_rebuild(flat, 1000)
    ivf = vectors.build_index(32, np.arange(1000), unit_vectors(1000), ivf_threshold=1000)
    assert not vectors.needs_rebuild(ivf, 1000)
    vectors.remove(ivf, list(range(600)))
    assert vectors.needs_rebuild(ivf, 1000)  # shrunk back below half the threshold


def test_writer_switches_index_kind_and_records_it(tmp_path: Path, embedder: FakeEmbedder) -> None:
    coll = Store(tmp_path).open_or_create("big", embedder.model_id, embedder.dim)
    docs = [
        make_doc(f"/d/{i}.txt", f"Doc {i}", [f"paragraph {i} {j} words" for j in range(30)])
        for i in range(40)
    ]
    write(coll, embedder, docs[:20])
    assert json.loads((coll.folder / "manifest.json").read_text())["index"] == {"type": "flat"}
    # With a low threshold, the next commit crosses it and rebuilds the index as IVF.
    write(coll, embedder, docs[20:], ivf_threshold=1000)
    manifest = json.loads((coll.folder / "manifest.json").read_text())
    assert manifest["index"]["type"] == "ivf_flat"
    with coll.snapshot() as snap:
        assert snap.index.ntotal == 1200 == snap.catalog.counts()["chunks"]


def test_ivf_probes_a_fifth_of_its_lists_even_when_saved_by_an_older_rule(tmp_path: Path) -> None:
    ivf = vectors.build_index(32, np.arange(3000), unit_vectors(3000, seed=4), ivf_threshold=1000)
    params = vectors.describe(ivf)
    assert params["nprobe"] == max(8, int(params["nlist"]) // 5)
    # An index written when a query probed 1/64 of the lists (0.92 recall@10 on real
    # embeddings) is searched as the current rule says once read.
    faiss.downcast_index(ivf).nprobe = 1  # type: ignore[attr-defined]
    vectors.write_index_atomic(ivf, tmp_path / "v.faiss")
    assert vectors.describe(vectors.read_index(tmp_path / "v.faiss", 32)) == params

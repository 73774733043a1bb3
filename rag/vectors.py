"""FAISS helpers: numpy in, numpy out, shapes asserted (in the style of faiss/contrib).

Vectors are L2-normalised float32, so inner product is cosine similarity, keyed by chunk row
id. The index type follows the collection's size:
- below `IVF_THRESHOLD` vectors, exact search: `IndexIDMap2(IndexFlatIP)`;
- above, an inverted file `IndexIVFFlat` (ids native, hashtable direct map), which keeps
  deletes and restricted searches exact-capable. HNSW is not used: FAISS cannot delete from
  it, and every re-index of a changed document deletes vectors.
The threshold and the share of lists probed come from `bench/ivf_recall.py` (real embeddings of
the shared datasets): at 88,000 vectors the inverted file finds 99.6% of exact search's top 10 in
an eighth of its time (1.5 ms against 12.4).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import faiss
import numpy as np

IVF_THRESHOLD = 50_000
# A restricted search over at most this many vectors is done exactly, whatever the index.
EXACT_RESTRICTED = 50_000


def build_index(
    dim: int, ids: np.ndarray, vectors: np.ndarray, ivf_threshold: int = IVF_THRESHOLD
) -> faiss.Index:
    """An index of the right kind for len(ids) vectors, holding them."""
    index: faiss.Index
    if len(ids) < ivf_threshold:
        index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
    else:
        index = _trained_ivf(dim, vectors)
    add(index, ids, vectors)
    return index


def _trained_ivf(dim: int, vectors: np.ndarray, seed: int = 1234) -> faiss.Index:
    n = len(vectors)
    nlist = int(min(65536, max(64, 4 * math.sqrt(n))))
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
    index.set_direct_map_type(faiss.DirectMap.Hashtable)  # type: ignore[attr-defined]
    sample = vectors
    if n > 64 * nlist:  # k-means needs ~40-256 points per centroid, not all of them
        rng = np.random.default_rng(seed)
        sample = vectors[rng.choice(n, 64 * nlist, replace=False)]
    index.train(np.ascontiguousarray(sample, dtype=np.float32))
    index.nprobe = nprobe(nlist)
    return index


def nprobe(nlist: int) -> int:
    """Lists searched per query: a fifth. Real embeddings spread a question's neighbours over
    many lists: probing 1/64 of them (the rule of thumb, and enough for synthetic clusters)
    found 0.92 of the exact top 10 at 88,000 vectors, a fifth 0.996 (`bench/ivf_recall.py`)."""
    return max(8, nlist // 5)


def describe(index: faiss.Index) -> dict[str, int | str]:
    """What the manifest records about an index."""
    inner = faiss.downcast_index(index)
    if isinstance(inner, faiss.IndexIVF):
        return {"type": "ivf_flat", "nlist": int(inner.nlist), "nprobe": int(inner.nprobe)}
    return {"type": "flat"}


def needs_rebuild(index: faiss.Index, ivf_threshold: int = IVF_THRESHOLD) -> bool:
    """Flat grown past the threshold, or IVF grown far past what its centroids were made for."""
    inner = faiss.downcast_index(index)
    if isinstance(inner, faiss.IndexIVF):
        # nlist was ~4*sqrt(n) at training: retrain once n has grown 4x, or shrunk back.
        return bool(index.ntotal > inner.nlist**2 // 4 or index.ntotal < ivf_threshold // 2)
    return bool(index.ntotal >= ivf_threshold)


def add(index: faiss.Index, ids: np.ndarray, vectors: np.ndarray) -> None:
    if len(ids) == 0:
        return
    assert vectors.ndim == 2 and vectors.shape == (len(ids), index.d), (vectors.shape, index.d)
    index.add_with_ids(
        np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64)
    )


def remove(index: faiss.Index, ids: list[int]) -> int:
    if not ids:
        return 0
    return int(index.remove_ids(np.asarray(ids, dtype=np.int64)))  # type: ignore[arg-type]


def search(
    index: faiss.Index, query: np.ndarray, k: int, allowed: Sequence[int] | None = None
) -> list[tuple[int, float]]:
    """(id, cosine) best first for one query vector, among `allowed` ids if given.

    The restriction happens inside the search (an ID selector, or exact scoring of a small
    allowed set), so k results come back whenever k allowed vectors exist; a post-filter would
    silently return fewer.
    """
    assert query.ndim == 1 and query.shape[0] == index.d, query.shape
    if (allowed is not None and len(allowed) == 0) or index.ntotal == 0 or k <= 0:
        return []
    q = query.reshape(1, -1).astype(np.float32)
    inner = faiss.downcast_index(index)
    if allowed is None:
        scores, ids = index.search(q, min(k, index.ntotal))
    else:
        selector = faiss.IDSelectorBatch(np.asarray(allowed, dtype=np.int64))
        params = faiss.SearchParameters(sel=selector)  # type: ignore[call-arg]
        if isinstance(inner, faiss.IndexIVF):
            # Probing a few lists could miss allowed vectors that live elsewhere: for a small
            # allowed set probe every list (the selector makes skipping the rest cheap).
            probes = inner.nlist if len(allowed) <= EXACT_RESTRICTED else inner.nprobe * 4
            params = faiss.SearchParametersIVF(sel=selector, nprobe=probes)  # type: ignore[call-arg]
        scores, ids = index.search(q, min(k, len(allowed), index.ntotal), params=params)
    return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i != -1]


def reconstruct(index: faiss.Index, ids: Sequence[int]) -> np.ndarray:
    """(len(ids), d) float32: the stored vectors of these ids (an IVF index keeps a direct map)."""
    out = index.reconstruct_batch(np.asarray(ids, dtype=np.int64)).astype(np.float32)
    assert out.shape == (len(ids), index.d), out.shape
    return out


def read_index(path: Path, dim: int) -> faiss.Index:
    index = faiss.read_index(str(path))
    if index.d != dim:
        raise RuntimeError(f"{path} holds {index.d}-d vectors, expected {dim}")
    inner = faiss.downcast_index(index)
    if isinstance(inner, faiss.IndexIVF):  # saved by an older rule: probe as this one says
        inner.nprobe = nprobe(inner.nlist)
    return index


def write_index_atomic(index: faiss.Index, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    faiss.write_index(index, str(tmp))
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)

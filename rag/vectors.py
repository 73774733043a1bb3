"""FAISS helpers: numpy in, numpy out, shapes asserted (in the style of faiss/contrib).

Vectors are L2-normalised float32, so inner product is cosine similarity. Every index is an
`IndexIDMap2` keyed by chunk row id, so deletes and searches speak the catalog's ids.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import faiss
import numpy as np


def build_index(dim: int, ids: np.ndarray, vectors: np.ndarray) -> faiss.Index:
    index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
    add(index, ids, vectors)
    return index


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

    The restriction is an ID selector inside the search, so k results come back whenever k
    allowed vectors exist (a post-filter would silently return fewer).
    """
    assert query.ndim == 1 and query.shape[0] == index.d, query.shape
    if (allowed is not None and len(allowed) == 0) or index.ntotal == 0 or k <= 0:
        return []
    q = query.reshape(1, -1).astype(np.float32)
    if allowed is None:
        scores, ids = index.search(q, min(k, index.ntotal))
    else:
        selector = faiss.IDSelectorBatch(np.asarray(allowed, dtype=np.int64))
        params = faiss.SearchParameters(sel=selector)  # type: ignore[call-arg]
        scores, ids = index.search(q, min(k, len(allowed), index.ntotal), params=params)
    return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i != -1]


def read_index(path: Path, dim: int) -> faiss.Index:
    index = faiss.read_index(str(path))
    if index.d != dim:
        raise RuntimeError(f"{path} holds {index.d}-d vectors, expected {dim}")
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

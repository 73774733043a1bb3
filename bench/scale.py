"""Scale figures: vector index at 1M vectors, BM25 at 1M chunks, hybrid search at 100k chunks.

    .venv/bin/python bench/scale.py [--vectors 1000000] [--chunks 1000000] [--hybrid 100000]

Synthetic data, since only latency and recall against exact search are measured: vectors come
from a mixture of 2,000 Gaussian clusters on the unit sphere (embedding-like, unlike uniform
noise), text from a Zipf-distributed 30,000-word vocabulary. Hybrid search runs the real
`Searcher` with the real query embedder over a real collection written by the real `Writer`.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rag import lexical, vectors, wiring  # noqa: E402
from rag.catalog import SCHEMA  # noqa: E402
from rag.settings import Settings  # noqa: E402
from rag.store import Store  # noqa: E402
from rag.types import Chunk, Document  # noqa: E402
from rag.writer import open_writer  # noqa: E402

DIM = 384
rng = np.random.default_rng(7)


def clustered(n: int, centers: np.ndarray, spread: float = 0.35) -> np.ndarray:
    out = np.empty((n, DIM), dtype=np.float32)
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        pick = centers[rng.integers(0, len(centers), m)]
        v = pick + spread * rng.standard_normal((m, DIM)).astype(np.float32) / np.sqrt(DIM)
        out[start : start + m] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out


def percentiles(seconds: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in seconds)
    return {"p50_ms": statistics.median(ms), "p95_ms": ms[int(0.95 * (len(ms) - 1))]}


def bench_vectors(n: int, queries: int = 200) -> dict[str, object]:
    centers = clustered(2000, rng.standard_normal((1, DIM)).astype(np.float32), spread=50.0)
    data = clustered(n, centers)
    q = clustered(queries, centers)
    ids = np.arange(n, dtype=np.int64)
    out: dict[str, object] = {"n": n}
    exact = None
    for kind, threshold in (("flat", n + 1), ("ivf", 1)):
        rss = psutil.Process().memory_info().rss
        t0 = time.perf_counter()
        index = vectors.build_index(DIM, ids, data, ivf_threshold=threshold)
        build = time.perf_counter() - t0
        mem = (psutil.Process().memory_info().rss - rss) / 2**20
        found, times = [], []
        for v in q:
            t0 = time.perf_counter()
            found.append([i for i, _ in vectors.search(index, v, 10)])
            times.append(time.perf_counter() - t0)
        if exact is None:
            exact = found
        recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, exact, strict=True)])
        out[kind] = {
            **vectors.describe(index),
            "build_s": build,
            "rss_mb": mem,
            "recall@10": float(recall),
            **percentiles(times),
        }
        del index
    return out


def words(n_words: int) -> list[str]:
    vocab = [f"w{i}" for i in range(30_000)]
    ranks = np.minimum(rng.zipf(1.3, n_words) - 1, len(vocab) - 1)
    return [vocab[r] for r in ranks]


def bench_bm25(n: int, queries: int = 200) -> dict[str, object]:
    """BM25 through `lexical.chunks`, the function `rag search` uses, on a catalog of `n`
    chunks (the catalog's own FTS5 schema; plain `OR` of every query word is also timed)."""
    with tempfile.TemporaryDirectory() as tmp:
        db = sqlite3.connect(Path(tmp) / "fts.sqlite")
        db.executescript(SCHEMA)
        t0 = time.perf_counter()
        for start in range(0, n, 50_000):
            pool = words(50_000 * 60)
            db.executemany(
                "INSERT INTO chunks_fts(title, heading, body) VALUES ('', '', ?)",
                ((" ".join(pool[i * 60 : (i + 1) * 60]),) for i in range(min(50_000, n - start))),
            )
        db.execute("INSERT INTO meta(key, value) VALUES ('chunks', ?)", (str(n),))
        db.commit()
        build = time.perf_counter() - t0
        ours, plain = [], []
        for _ in range(queries):
            text = " ".join(words(int(rng.integers(3, 7))))
            t0 = time.perf_counter()
            lexical.chunks(db, text, 50)
            ours.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            db.execute(
                "SELECT rowid, bm25(chunks_fts) s FROM chunks_fts WHERE chunks_fts MATCH ? "
                "ORDER BY s LIMIT 50",
                (lexical.fts_query(text),),
            ).fetchall()
            plain.append(time.perf_counter() - t0)
        return {
            "n": n,
            "build_s": build,
            **percentiles(ours),
            "every_word": percentiles(plain),
        }


def bench_hybrid(n: int, queries: int = 200) -> dict[str, object]:
    settings = Settings()
    emb = wiring.embedder(settings)
    centers = clustered(500, rng.standard_normal((1, DIM)).astype(np.float32), spread=50.0)
    with tempfile.TemporaryDirectory() as tmp:
        coll = Store(Path(tmp)).open_or_create("scale", emb.model_id, emb.dim)
        t0 = time.perf_counter()
        per_doc = 100
        with open_writer(coll) as w:
            for d in range(n // per_doc):
                _write_doc(w, d, per_doc, clustered(per_doc, centers))
                if d % 100 == 99:
                    w.commit()
            w.commit()
        build = time.perf_counter() - t0
        searcher = wiring.searcher(settings, coll, emb)
        searcher.search("warm up the model", 5)
        times = []
        for _ in range(queries):
            text = " ".join(words(6)) + " how do I reset it"
            t0 = time.perf_counter()
            searcher.search(text, 10)
            times.append(time.perf_counter() - t0)
        return {
            "n": n,
            "build_s": build,
            "backend": settings.embedder.backend,
            **percentiles(times),
        }


def _write_doc(w: object, d: int, per_doc: int, vecs: np.ndarray) -> None:
    from rag.writer import Writer

    assert isinstance(w, Writer)
    texts = [" ".join(words(60)) for _ in range(per_doc)]
    text = "\n\n".join(texts)
    chunks, pos = [], 0
    for i, t in enumerate(texts):
        chunks.append(
            Chunk(
                f"c{d}-{i}",
                f"d{d}",
                i,
                t,
                pos,
                pos + len(t),
                (f"Section {i // 5}",),
                None,
                None,
                60,
                t,
            )
        )
        pos += len(t) + 2
    keys = [f"k{d}-{i}" for i in range(per_doc)]
    w.put_vectors(dict(zip(keys, vecs, strict=True)))
    doc = Document(
        f"d{d}",
        "scale",
        f"/synthetic/{d}.txt",
        f"Document {d}",
        "text",
        "",
        len(text),
        0,
        1,
        None,
        per_doc,
        time.time(),
    )
    w.upsert(doc, text, "bench", None, chunks, keys)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vectors", type=int, default=1_000_000)
    parser.add_argument("--chunks", type=int, default=1_000_000)
    parser.add_argument("--hybrid", type=int, default=100_000)
    args = parser.parse_args()
    report = {
        "vectors": bench_vectors(args.vectors),
        "bm25": bench_bm25(args.chunks),
        "hybrid": bench_hybrid(args.hybrid),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

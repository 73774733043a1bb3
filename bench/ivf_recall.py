"""Recall of the inverted-file index against exact search, on real embeddings.

    .venv/bin/python bench/ivf_recall.py [--queries 400] [--json]

`bench/scale.py` times the index at 1,000,000 synthetic vectors, whose tight clusters any
inverted file finds (recall 1.0 there at every setting). Real embeddings are not so kind, so
this embeds what the shared datasets hold (every sentence of the SciFact abstracts, CUAD
contracts and E-Manual sections, and 400-character windows of the same texts: ~88,000 texts,
5 to 10 minutes on 2 cores, kept in `--cache` for re-runs) and asks them the datasets' own
questions. For the collection and its halves and quarters it prints recall@10 and recall@50
(the dense retriever's candidate depth) of the IVF index as `rag.vectors` builds it, at its
number of probed lists (`vectors.nprobe`) and at other shares of the lists, next to exact
search, with single-query latencies.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import faiss
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rag import vectors, wiring  # noqa: E402
from rag.settings import Settings  # noqa: E402
from rag.text import sentence_spans  # noqa: E402

DATA = REPO.parent / "shared" / "data"
SHARES = (64, 16, 8, 5, 4)  # nprobe = nlist // share


def documents() -> list[str]:
    out = [
        " ".join(p.read_text(errors="replace").split())
        for p in sorted(DATA.glob("cuad/contracts_txt/*.txt"))
    ]
    for line in (DATA / "scifact" / "corpus.jsonl").open():
        d = json.loads(line)
        out.append(f"{d['title']}\n\n{d['text']}")
    for path in sorted(DATA.glob("emanual/*_corpus.jsonl")):
        out += [str(json.loads(line).get("text", "")) for line in path.open()]
    return out


def texts() -> list[str]:
    units: list[str] = []
    for doc in documents():
        units += [doc[a:b][:400] for a, b in sentence_spans(doc) if b - a > 30]
        units += [doc[i : i + 400] for i in range(0, len(doc) - 200, 400)]
    return list(dict.fromkeys(units))


def questions() -> list[str]:
    out = [json.loads(line)["text"] for line in (DATA / "scifact" / "queries.jsonl").open()]
    out += [
        q["query"]
        for q in json.loads((DATA / "cuad" / "questions_public.json").read_text())["tests"]
    ]
    for path in sorted(DATA.glob("emanual/*_qa*.jsonl")):
        out += [json.loads(line)["question"] for line in path.open()]
    return out


def embedded(cache: Path, n_queries: int) -> tuple[np.ndarray, np.ndarray]:
    if cache.exists():
        saved = np.load(cache)
        return saved["x"], saved["q"][:n_queries]
    emb = wiring.embedder(Settings())
    qs = questions()
    picked = np.random.default_rng(3).permutation(len(qs))[:1000]
    q = np.vstack([emb.embed_query(qs[i]) for i in picked])
    units = texts()
    x = np.vstack([emb.embed(units[i : i + 2048]) for i in range(0, len(units), 2048)])
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, x=x, q=q)
    return x, q[:n_queries]


def timed(index: faiss.Index, q: np.ndarray, k: int) -> tuple[list[list[int]], float, float]:
    """Each question's k best ids, best first, and the search's p50 and p95 in ms."""
    found, ms = [], []
    for v in q:
        t0 = time.perf_counter()
        found.append([i for i, _ in vectors.search(index, v, k)])
        ms.append((time.perf_counter() - t0) * 1000)
    ms.sort()
    return found, statistics.median(ms), ms[int(0.95 * (len(ms) - 1))]


def recall(found: list[list[int]], exact: list[list[int]], k: int) -> float:
    """Share of the exact top k found in the top k (the top k of a deeper search)."""
    pairs = zip(found, exact, strict=True)
    return float(np.mean([len(set(f[:k]) & set(e[:k])) / len(e[:k]) for f, e in pairs]))


def measure(x: np.ndarray, q: np.ndarray) -> dict[str, object]:
    ids = np.arange(len(x), dtype=np.int64)
    flat = vectors.build_index(x.shape[1], ids, x, ivf_threshold=len(x) + 1)
    exact, p50, p95 = timed(flat, q, 50)
    ivf = vectors.build_index(x.shape[1], ids, x, ivf_threshold=1)
    inner = faiss.downcast_index(ivf)
    assert isinstance(inner, faiss.IndexIVF)
    default = int(inner.nprobe)
    rows = []
    for nprobe in sorted({default, *(max(1, inner.nlist // s) for s in SHARES)}):
        inner.nprobe = nprobe
        found, q50, q95 = timed(ivf, q, 50)
        rows.append(
            {
                "nprobe": nprobe,
                "default": nprobe == default,
                "recall@10": recall(found, exact, 10),
                "recall@50": recall(found, exact, 50),
                "p50_ms": q50,
                "p95_ms": q95,
            }
        )
    return {
        "n": len(x),
        "nlist": int(inner.nlist),
        "flat": {"p50_ms": p50, "p95_ms": p95},
        "ivf": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--cache", type=Path, default=REPO / "indexes" / "bench-ivf-embeddings.npz")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    x, q = embedded(args.cache, args.queries)
    order = np.random.default_rng(0).permutation(len(x))
    report = [measure(x[order[: len(x) // d]], q) for d in (4, 2, 1)]
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{len(q)} questions; recall of the IVF index against exact search, real embeddings")
    for r in report:
        flat = r["flat"]
        assert isinstance(flat, dict)
        print(
            f"\n{r['n']} vectors, nlist {r['nlist']}; exact search: "
            f"p50 {flat['p50_ms']:.2f} ms, p95 {flat['p95_ms']:.2f} ms"
        )
        print(f"{'nprobe':>8}{'recall@10':>11}{'recall@50':>11}{'p50 ms':>9}{'p95 ms':>9}")
        rows = r["ivf"]
        assert isinstance(rows, list)
        for row in rows:
            mark = "  <- default" if row["default"] else ""
            print(
                f"{row['nprobe']:>8}{row['recall@10']:>11.3f}{row['recall@50']:>11.3f}"
                f"{row['p50_ms']:>9.2f}{row['p95_ms']:>9.2f}{mark}"
            )


if __name__ == "__main__":
    main()

"""nDCG@10 and recall@100 of `rag search`'s retrievers on BEIR SciFact, next to published figures.

    .venv/bin/python bench/scifact.py [--data DIR] [--index-dir .cache/bench-indexes]

The corpus goes through the real write path (chunker, embedder, catalog, FAISS) into collection
`scifact`; a second run reuses it. Published: BM25 0.665 (BEIR paper), all-MiniLM-L6-v2 ~0.645.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from evals import beir  # noqa: E402
from ingest.chunk import Chunker  # noqa: E402
from ingest.progress import for_stream  # noqa: E402
from rag import wiring  # noqa: E402
from rag.settings import Settings  # noqa: E402
from rag.store import Store  # noqa: E402

PUBLISHED = {"bm25": 0.665, "dense": 0.645, "hybrid": None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "scifact")
    parser.add_argument("--index-dir", type=Path, default=REPO / ".cache" / "bench-indexes")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    settings = Settings()
    emb = wiring.embedder(settings)
    chunker = Chunker(emb.tokenizer, wiring.chunk_settings(settings, emb.max_tokens))
    data = beir.load(args.data)
    t0 = time.perf_counter()
    coll = beir.build(Store(args.index_dir), "scifact", data, emb, chunker, for_stream(sys.stderr))
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    scores = beir.evaluate(coll, emb, data, ["bm25", "dense", "hybrid"], settings)
    eval_s = time.perf_counter() - t0
    report = {
        "dataset": "scifact",
        "n_questions": len(data.queries),
        "metrics": scores,
        "published_ndcg@10": PUBLISHED,
        "timings": {"build_s": build_s, "eval_s": eval_s},
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(
        f"SciFact test: {len(data.queries)} queries, {len(data.corpus)} abstracts "
        f"(index {build_s:.0f}s, {len(data.queries) * 3} searches {eval_s:.0f}s)"
    )
    print(f"{'retriever':<10}{'nDCG@10':>10}{'recall@100':>12}{'published nDCG@10':>20}")
    for mode, m in scores.items():
        pub = PUBLISHED[mode]
        published = "" if pub is None else f"{pub:.3f}"
        print(f"{mode:<10}{m['ndcg@10']:>10.3f}{m['recall@100']:>12.3f}{published:>20}")


if __name__ == "__main__":
    main()

"""Embedding throughput of each embedder backend, same texts, same run.

    .venv/bin/python bench/embed_speed.py [--n 1024] [--json]

The texts are the chunks `ingest run` makes of the CUAD contracts (title prefix included, at
most 256 tokens each), so the figure is what ingestion sees. Each backend embeds them once to
warm up (model load, ONNX export on first use), then again, timed, in calls of 256 as the
ingest pipeline makes them. Also printed: the cosine between the two backends' vectors, and
each backend's throughput at other model batch sizes (`embedder.batch_size`; `--batch-sizes`).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ingest.chunk import Chunker  # noqa: E402
from ingest.parse import parse_file  # noqa: E402
from rag import wiring  # noqa: E402
from rag.settings import Settings  # noqa: E402

CONTRACTS = REPO.parent / "shared" / "data" / "cuad" / "contracts_txt"


def texts(n: int) -> list[str]:
    settings = Settings()
    emb = wiring.embedder(settings)
    chunker = Chunker(emb.tokenizer, wiring.chunk_settings(settings, emb.max_tokens))
    out: list[str] = []
    for path in sorted(CONTRACTS.glob("*.txt")):
        out += [c.embed_text for c in chunker.chunk("bench", parse_file(path))]
        if len(out) >= n:
            break
    return out[:n]


def measure(
    backend: str, batch: list[str], batch_size: int | None = None
) -> tuple[dict[str, float], np.ndarray]:
    wanted = {"backend": backend} | ({} if batch_size is None else {"batch_size": batch_size})
    settings = Settings.model_validate({"embedder": wanted})
    emb = wiring.embedder(settings)
    emb.embed(batch[:256])  # load, export, warm up
    tokens = sum(emb.tokenizer.count(t) + emb.tokenizer.special_tokens for t in batch)
    t0 = time.perf_counter()
    vecs = np.vstack([emb.embed(batch[i : i + 256]) for i in range(0, len(batch), 256)])
    seconds = time.perf_counter() - t0
    rates = {"chunks_per_s": len(batch) / seconds, "tokens_per_s": tokens / seconds}
    return rates | {"batch_size": emb.batch_size}, vecs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1024)
    parser.add_argument("--batch-sizes", default="8,32", help="comma-separated")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    batch = texts(args.n)
    onnx, a = measure("onnx", batch)
    torch, b = measure("torch", batch)
    cosine = np.sum(a * b, axis=1)
    sizes = [int(x) for x in args.batch_sizes.split(",") if x]
    report = {
        "chunks": len(batch),
        "onnx_int8": onnx,
        "torch": torch,
        "speedup": onnx["chunks_per_s"] / torch["chunks_per_s"],
        "cosine_min": float(cosine.min()),
        "cosine_mean": float(cosine.mean()),
        "chunks_per_s_by_batch_size": {
            name: {n: measure(backend, batch, n)[0]["chunks_per_s"] for n in sizes}
            for name, backend in (("onnx_int8", "onnx"), ("torch", "torch"))
        },
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{len(batch)} CUAD chunks (<= 256 tokens, title prefix included), default batch sizes")
    for name in ("onnx_int8", "torch"):
        r = report[name]
        assert isinstance(r, dict)
        print(
            f"{name:<10}{r['chunks_per_s']:>8.1f} chunks/s{r['tokens_per_s']:>10.0f} tokens/s"
            f"  (batches of {r['batch_size']:.0f})"
        )
    print(
        f"onnx_int8 / torch: {report['speedup']:.2f}x; cosine of their vectors: mean "
        f"{report['cosine_mean']:.4f}, min {report['cosine_min']:.4f}"
    )
    by_size = report["chunks_per_s_by_batch_size"]
    assert isinstance(by_size, dict)
    for name, rates in by_size.items():
        shown = ", ".join(f"{n}: {r:.1f}" for n, r in rates.items())
        print(f"{name} chunks/s by model batch size: {shown}")


if __name__ == "__main__":
    main()

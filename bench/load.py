"""Load test of `rag serve` on 127.0.0.1: search latency under concurrency, answers per minute.

    .venv/bin/python bench/load.py [--seconds 60] [--searchers 20] [--askers 12] [--json]
                                   [--search-alone 20]
    .venv/bin/python bench/load.py --index-dir indexes --collection manuals   # reuse a collection

A bounded script rather than locust (one dependency fewer; the figures are the same): it starts
the real server in a subprocess with the default models (Qwen2.5-0.5B GGUF through llama.cpp,
ONNX MiniLM), runs `--searchers` clients that search back to back for `--search-alone` seconds
(the cores to themselves), then for `--seconds` the same searchers beside
`--askers` clients that ask for generated answers back to back (more than the answer queue
holds, 8 by default, so some are refused), all over HTTP/1.1 keep-alive.
A 429 is expected once the answer queue is full: the client checks it carries Retry-After and
waits that long, as a polite client would. Everything else that is not a 200 counts as an error.
Peak memory is the server process's RSS, sampled every 0.25 s.

Without --index-dir the sample manuals are indexed into a temporary folder first (not timed).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(REPO))

from rag.keys import KeyStore  # noqa: E402

QUESTIONS = [
    "How do I share my phone's battery with my Galaxy Watch?",
    "How do I turn on dark mode?",
    "How can I take a screenshot?",
    "How do I connect an antenna cable to my TV?",
    "What cable should I use for a wired Internet connection?",
    "How do I set up fingerprint recognition?",
    "How do I block calls from a number?",
    "How do I change the font size?",
]


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    throttled: int = 0
    throttled_without_retry_after: int = 0
    errors: list[str] = field(default_factory=list)

    def count(self, status: int) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_collection(index_dir: Path, name: str) -> None:
    env = {**os.environ, "SABIO_INDEX_DIR": str(index_dir)}
    cmd = [str(BIN / "ingest"), "run", str(REPO / "sample_docs" / "manuals"), "-c", name]
    subprocess.run(cmd, env=env, check=True, capture_output=True)


def start_server(index_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SABIO_INDEX_DIR": str(index_dir)}
    return subprocess.Popen(
        [str(BIN / "rag"), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_ready(base: str, proc: subprocess.Popen[bytes], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"rag serve exited with {proc.returncode}")
        try:
            if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit("rag serve did not become ready")


class PeakRss:
    """Samples a process's RSS in a thread."""

    def __init__(self, pid: int) -> None:
        self.proc = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, self.proc.memory_info().rss)
            except psutil.Error:
                return
            time.sleep(0.25)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


async def client(
    c: httpx.AsyncClient, url: str, body: dict[str, Any], end: float, tally: Tally, i: int
) -> None:
    """Asks QUESTIONS in turn (as `body`'s "question" or "query") until `end`; a 429 waits out
    its Retry-After."""
    field = "query" if "query" in body else "question"
    n = i
    while time.monotonic() < end:
        body = {**body, field: QUESTIONS[n % len(QUESTIONS)]}
        n += 1
        t0 = time.perf_counter()
        try:
            r = await c.post(url, json=body, timeout=300)
        except httpx.HTTPError as exc:
            tally.errors.append(f"{url}: {exc.__class__.__name__}")
            continue
        tally.count(r.status_code)
        if r.status_code == 200:
            tally.latencies.append(time.perf_counter() - t0)
        elif r.status_code == 429:
            tally.throttled += 1
            retry = r.headers.get("retry-after")
            if retry is None:
                tally.throttled_without_retry_after += 1
            await asyncio.sleep(min(float(retry or 1), max(0.0, end - time.monotonic())))
        else:
            tally.errors.append(f"{url} {r.status_code}: {r.text[:120]}")


async def load(
    base: str, key: str, collection: str, args: argparse.Namespace, askers: int, seconds: float
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=args.searchers + askers + 4)
    search, answers = Tally(), Tally()
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=60) as c:
        t0 = time.monotonic()
        end = t0 + seconds
        search_url = f"/v1/collections/{collection}/search"
        query_url = f"/v1/collections/{collection}/query"
        search_body = {"query": "", "k": 10}
        ask_body = {"question": "", "mode": "generate"}
        await asyncio.gather(
            *(client(c, search_url, search_body, end, search, i) for i in range(args.searchers)),
            *(client(c, query_url, ask_body, end, answers, i) for i in range(askers)),
        )
        elapsed = time.monotonic() - t0
    return report(search, answers, elapsed)


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def report(search: Tally, answers: Tally, elapsed: float) -> dict[str, Any]:
    return {
        "elapsed_s": elapsed,
        "search": {
            "requests": sum(search.statuses.values()),
            "per_s": len(search.latencies) / elapsed,
            "p50_ms": 1000 * statistics.median(search.latencies) if search.latencies else None,
            "p95_ms": 1000 * pct(search.latencies, 0.95),
            "statuses": search.statuses,
        },
        "answers": {
            "completed": len(answers.latencies),
            "per_minute": 60 * len(answers.latencies) / elapsed,
            "p50_s": statistics.median(answers.latencies) if answers.latencies else None,
            "p95_s": pct(answers.latencies, 0.95),
            "statuses": answers.statuses,
            "throttled_429": answers.throttled,
            "throttled_without_retry_after": answers.throttled_without_retry_after,
        },
        "errors": search.errors[:10] + answers.errors[:10],
        "error_count": len(search.errors) + len(answers.errors),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--searchers", type=int, default=20)
    p.add_argument("--askers", type=int, default=12)
    p.add_argument("--search-alone", type=float, default=20.0, help="Seconds of search only.")
    p.add_argument("--index-dir", type=Path, default=None)
    p.add_argument("--collection", default="manuals")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()

    with tempfile.TemporaryDirectory(prefix="sabio-load-") as tmp:
        index_dir = args.index_dir if args.index_dir is not None else Path(tmp)
        if args.index_dir is None:
            print("indexing sample_docs/manuals ...", file=sys.stderr)
            build_collection(index_dir, args.collection)
        _, key = KeyStore(index_dir / "keys.sqlite").create(
            "load-test", "reader", [args.collection]
        )
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        proc = start_server(index_dir, port)
        try:
            wait_ready(base, proc)
            rss = PeakRss(proc.pid)
            # First search alone (what it costs with the cores free), then the mixed load.
            alone = asyncio.run(load(base, key, args.collection, args, 0, args.search_alone))
            result = asyncio.run(load(base, key, args.collection, args, args.askers, args.seconds))
            result["search_alone"] = alone["search"]
            result["error_count"] += alone["error_count"]
            result["errors"] += alone["errors"]
            result["server_peak_rss_mb"] = rss.stop() / 2**20
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    result["config"] = {"searchers": args.searchers, "askers": args.askers}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    s, a, s0 = result["search"], result["answers"], result["search_alone"]
    print(
        f"search alone, {args.searchers} searchers: {s0['requests']} requests, "
        f"{s0['per_s']:.1f}/s, p50 {s0['p50_ms']:.0f} ms, p95 {s0['p95_ms']:.0f} ms"
    )
    print(f"{result['elapsed_s']:.0f} s, {args.searchers} searchers + {args.askers} askers")
    print(
        f"search:  {s['requests']} requests, {s['per_s']:.1f}/s, "
        f"p50 {s['p50_ms']:.0f} ms, p95 {s['p95_ms']:.0f} ms, statuses {s['statuses']}"
    )
    print(
        f"answers: {a['completed']} completed = {a['per_minute']:.1f}/min, p50 {a['p50_s']:.1f} s, "
        f"p95 {a['p95_s']:.1f} s, statuses {a['statuses']}, 429s {a['throttled_429']} "
        f"({a['throttled_without_retry_after']} without Retry-After)"
    )
    print(f"server peak RSS {result['server_peak_rss_mb']:.0f} MB")
    print(f"errors other than 429: {result['error_count']} {result['errors']}")


if __name__ == "__main__":
    main()

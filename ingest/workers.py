"""Parsing ahead in worker processes, so that parsing and embedding overlap.

An ingest run has two heavy halves: parsing (pdfminer inside unstructured: pure Python, one
core, ~14 PDF pages/s here) and embedding (ONNX Runtime on every core). One after the other
they add up; side by side the operating system shares the cores and the run takes about the
larger half. Files are parsed in worker processes a few files ahead of the embedder, and come
back in the order they were given, so commits, progress and results stay deterministic.

A worker only parses: it is a separate process with its own copy of the parsing libraries and
never touches the collection, so killing the run at any moment still leaves the catalog as the
writer last committed it; workers watch the run's process and exit when it is gone.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from ingest.parse import parse_file
from ingest.plan import sha256_of
from rag.errors import ParseError
from rag.types import ParsedDocument

AHEAD = 32


@dataclass(frozen=True, slots=True)
class ParseOutcome:
    """A parsed file, or why it could not be parsed."""

    doc: ParsedDocument | None
    sha256: str
    error: str | None
    seconds: float


def parse_one(path: Path, max_bytes: int, digest: str | None) -> ParseOutcome:
    """Hash and parse one file; every failure a file can cause becomes a reason, not a raise."""
    t0 = time.perf_counter()
    try:
        digest = sha256_of(path) if digest is None else digest
        doc = parse_file(path, max_bytes)
    except ParseError as exc:
        return ParseOutcome(None, "", str(exc), time.perf_counter() - t0)
    except OSError as exc:
        return ParseOutcome(
            None, "", f"cannot read the file: {exc.strerror or exc}", time.perf_counter() - t0
        )
    except Exception as exc:  # one bad file must not stop the run
        error = f"unexpected {exc.__class__.__name__}: {exc}"
        return ParseOutcome(None, "", error, time.perf_counter() - t0)
    return ParseOutcome(doc, digest, None, time.perf_counter() - t0)


def default_workers() -> int:
    """One per core. The embedder uses every core too, and the OS shares them: measured on 2
    cores, 2 workers ingest the benchmark files in 106 s, 1 worker in 114 s, none in 134 s."""
    return max(1, os.cpu_count() or 1)


Parse = Callable[[Path, int, str | None], ParseOutcome]


def parse_ahead(
    jobs: Sequence[tuple[Path, str | None]],
    max_bytes: int,
    workers: int,
    parse: Parse = parse_one,
) -> Iterator[ParseOutcome]:
    """`parse_one` of every (path, known sha256) job, in order, `workers` processes ahead.

    With `workers` 0, or a single file, files are parsed here, one by one (no process start).
    A file that crashes its parser process (a segfault in a PDF library) fails alone: the pool
    is restarted, one file at a time until the culprit is known, and the run goes on.
    """
    if workers <= 0 or len(jobs) < 2:
        for path, digest in jobs:
            yield parse(path, max_bytes, digest)
        return
    # forkserver, not fork: the parent may already run ONNX Runtime's and SQLite's threads,
    # and forking a process with threads can deadlock the child.
    context = multiprocessing.get_context("forkserver")
    queue = deque(range(len(jobs)))
    solo = False  # after a crash: one file in flight, so the next crash names its file
    while queue:
        # Far enough ahead that workers keep parsing while the run embeds a batch (seconds);
        # parsed text is small, so a few dozen files in memory cost little.
        size, ahead = (1, 1) if solo else (workers, AHEAD)
        pool = ProcessPoolExecutor(
            size, mp_context=context, initializer=_exit_with, initargs=(os.getpid(),)
        )
        pending: deque[tuple[int, Future[ParseOutcome]]] = deque()
        try:
            while queue or pending:
                while queue and len(pending) < ahead:
                    i = queue.popleft()
                    pending.append((i, pool.submit(parse, jobs[i][0], max_bytes, jobs[i][1])))
                outcome = pending[0][1].result()
                pending.popleft()
                yield outcome
        except BrokenProcessPool:
            in_flight = [i for i, _ in pending]
            if solo:
                yield ParseOutcome(None, "", "the parser crashed on this file", 0.0)
                in_flight = in_flight[1:]
            queue.extendleft(reversed(in_flight))
            solo = not solo
        finally:
            pool.shutdown(wait=False, cancel_futures=True)


def _exit_with(pid: int) -> None:
    """Worker start-up: exit when the run's process is gone. A pool's workers otherwise wait
    for work forever after their parent is killed (they hold their own queue's write end).
    Ctrl-C is the run's to handle (it stops the pool): a worker printing its own traceback
    for it only buries the run's message."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while True:
            time.sleep(0.5)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                os._exit(0)

    threading.Thread(target=watch, name="sabio-parent-watch", daemon=True).start()

"""Bounded lanes of worker threads, bridged to asyncio.

Answer generation is CPU work of seconds that must never run on the event loop (search and
health checks stay fast meanwhile) and must never pile up without bound (each waiting answer
holds a client and memory). A `Lane` runs producers (functions returning an iterator, e.g. an
answer's event stream) in its own threads; at most `capacity` may wait behind the running ones,
one more is refused at once (`QueueFull` -> 429 with Retry-After).

The caller reads a producer's items as an async iterator with a deadline. Cancelling (client
gone, deadline passed) makes the worker stop pulling items and close the iterator, which for
an answer closes the generator stream and so stops llama.cpp after the current token.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, TypeVar

from api.errors import QueueFull, Timeout

T = TypeVar("T")

# How often a waiting reader checks that its client is still there.
POLL_S = 0.5


class Stream(Generic[T]):
    """Items of one producer, handed from its worker thread to the event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._queue: asyncio.Queue[tuple[str, object]] = asyncio.Queue()
        self.cancelled = threading.Event()

    # -- worker side --------------------------------------------------------------------
    def _send(self, kind: str, value: object) -> None:
        try:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, (kind, value))
        except RuntimeError:  # the loop is closed: nobody is listening any more
            self.cancelled.set()

    # -- event loop side ----------------------------------------------------------------
    def cancel(self) -> None:
        self.cancelled.set()

    async def items(
        self, deadline: float, gone: Callable[[], Awaitable[bool]] | None = None
    ) -> AsyncIterator[T]:
        """Items until the producer ends; its exception is raised here. Past `deadline`
        (loop time) raises Timeout; a client that is `gone` ends the iteration. Either way the
        producer is cancelled."""
        try:
            while True:
                remaining = deadline - self._loop.time()
                if remaining <= 0:
                    raise Timeout("The answer took too long; try again, or ask more briefly.")
                try:
                    kind, value = await asyncio.wait_for(self._queue.get(), min(remaining, POLL_S))
                except TimeoutError:
                    if gone is not None and await gone():
                        return
                    continue
                if kind == "end":
                    return
                if kind == "error":
                    assert isinstance(value, BaseException)
                    raise value
                yield value  # type: ignore[misc]
        finally:
            self.cancel()


class Lane:
    def __init__(self, name: str, workers: int, capacity: int, retry_after_s: int) -> None:
        self.name = name
        self.workers = workers
        self.capacity = capacity
        self.retry_after_s = retry_after_s
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix=f"sabio-{name}")
        self._lock = threading.Lock()
        self._pending = 0  # running + waiting

    def depth(self) -> int:
        return self._pending

    def submit(self, produce: Callable[[], Iterator[T]]) -> Stream[T]:
        """Queue `produce`; QueueFull if `capacity` producers are already waiting."""
        with self._lock:
            if self._pending >= self.workers + self.capacity:
                raise QueueFull(
                    f"The server is busy answering {self._pending} questions; try again in "
                    f"{self.retry_after_s} seconds.",
                    self.retry_after_s,
                )
            self._pending += 1
        stream: Stream[T] = Stream(asyncio.get_running_loop())
        try:
            self._pool.submit(self._work, produce, stream)
        except RuntimeError:  # shut down
            with self._lock:
                self._pending -= 1
            raise
        return stream

    def _work(self, produce: Callable[[], Iterator[T]], stream: Stream[T]) -> None:
        try:
            if stream.cancelled.is_set():  # gave up while waiting in the queue
                return
            items = produce()
            try:
                for item in items:
                    if stream.cancelled.is_set():
                        break
                    stream._send("item", item)
            finally:
                close = getattr(items, "close", None)
                if close is not None:
                    close()
        except BaseException as exc:  # handed to the reader, which raises it in its request
            stream._send("error", exc)
        finally:
            stream._send("end", None)
            with self._lock:
                self._pending -= 1

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

"""Load behaviour: a bounded answer queue (429 + Retry-After), per-request timeouts (504),
cancelled generations when the client goes away, and fast searches meanwhile."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from api import answering
from api.lanes import Lane
from tests.api.conftest import World, make_world

QUERY = "/v1/collections/manuals/query"
ASK = {"question": "When should the impeller seal be replaced?"}


@pytest.fixture
def busy(tmp_path: Path) -> Iterator[World]:
    """One answer at a time, one more may wait; answers block until the test opens the gate."""
    for world in make_world(tmp_path, queue_size=1, retry_after_s=7):
        world.generator.gate = threading.Event()
        try:
            yield world
        finally:
            world.generator.gate.set()


def _wait(condition: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_full_queue_answers_429_with_retry_after_and_search_stays_fast(busy: World) -> None:
    gate = busy.generator.gate
    assert gate is not None

    def ask(stream: bool = False) -> httpx.Response:
        return busy.client.post(QUERY, json={**ASK, "stream": stream}, headers=busy.auth("admin"))

    with ThreadPoolExecutor(2) as pool:
        running = pool.submit(ask)
        assert busy.generator.started.acquire(timeout=10)  # generating, held at the gate
        waiting = pool.submit(ask, True)
        _wait(lambda: busy.services.generate.depth() == 2)
        for stream in (False, True):
            r = ask(stream)
            assert r.status_code == 429
            assert r.headers["Retry-After"] == "7"
            assert r.json()["error"]["type"] == "QueueFull"
        t0 = time.perf_counter()
        search = busy.client.post(
            "/v1/collections/manuals/search", json={"query": "impeller"}, headers=busy.auth("admin")
        )
        assert search.status_code == 200 and time.perf_counter() - t0 < 1.0
        assert busy.client.get("/healthz").status_code == 200
        assert 'sabio_queue_depth{lane="generate"} 2.0' in busy.client.get("/metrics").text
        gate.set()
        assert running.result().status_code == 200
        assert "event: answer" in waiting.result().text
    assert busy.services.generate.depth() == 0
    assert ask().status_code == 200


@pytest.fixture
def impatient(tmp_path: Path) -> Iterator[World]:
    yield from make_world(tmp_path, request_timeout_s=0.5)


def test_a_request_past_its_timeout_is_504_and_its_generation_stops(impatient: World) -> None:
    world = impatient
    world.generator.gate = gate = threading.Event()
    r = world.client.post(QUERY, json=ASK, headers=world.auth("admin"))
    assert r.status_code == 504 and r.json()["error"]["type"] == "Timeout"
    gate.set()
    _wait(lambda: world.generator.closed == 1)  # stopped after its first piece
    assert world.generator.finished == 0
    _wait(lambda: world.services.generate.depth() == 0)


class _Client:
    """The `is_disconnected` of a request whose client leaves after `after` seconds."""

    def __init__(self, after: float) -> None:
        self.leaves = time.monotonic() + after

    async def is_disconnected(self) -> bool:
        return time.monotonic() >= self.leaves


def test_a_streaming_client_that_leaves_cancels_its_generation(world: World) -> None:
    world.generator.delay_s = 0.1  # ~1 s for the whole reply

    async def read() -> list[bytes]:
        stream = answering.start(
            world.services, "manuals", _admin(world), ASK["question"], "generate"
        )
        deadline = asyncio.get_running_loop().time() + 30
        request = _Client(after=0.3)
        metrics = world.client.app.state.metrics  # type: ignore[attr-defined]
        return [e async for e in answering.sse_answer(stream, deadline, request, metrics)]  # type: ignore[arg-type]

    events = asyncio.run(read())
    assert not any(e.startswith(b"event: answer") for e in events)
    _wait(lambda: world.generator.closed == 1)
    assert world.generator.finished == 0
    assert "sabio_answers_cancelled_total 1.0" in world.client.get("/metrics").text


def _admin(world: World):  # type: ignore[no-untyped-def]
    return world.services.keys.authenticate(world.keys["admin"])


def test_a_lane_stops_pulling_and_closes_what_it_runs_when_the_reader_stops() -> None:
    closed = threading.Event()

    def produce() -> Iterator[int]:
        try:
            n = 0
            while True:
                n += 1
                time.sleep(0.01)
                yield n
        finally:
            closed.set()

    async def read_three() -> list[int]:
        lane = Lane("test", workers=1, capacity=0, retry_after_s=1)
        stream = lane.submit(produce)
        got = []
        async for item in stream.items(asyncio.get_running_loop().time() + 10):
            got.append(item)
            if len(got) == 3:
                break
        return got

    assert asyncio.run(read_three()) == [1, 2, 3]
    assert closed.wait(5)

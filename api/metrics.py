"""Prometheus metrics of one app: requests, latency per stage, tokens/s, queue depth, errors.

Each app has its own registry (not the process-global default), so tests can build many apps
in one process and a scrape shows exactly this app's figures.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rag.answer import Answer

_LATENCY = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80, 160)


class Metrics:
    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.requests = Counter(
            "sabio_http_requests", "HTTP requests.", ["route", "method", "status"], registry=r
        )
        self.latency = Histogram(
            "sabio_http_request_seconds",
            "Time to the end of the response (streams: the whole stream).",
            ["route"],
            buckets=_LATENCY,
            registry=r,
        )
        self.stage = Histogram(
            "sabio_stage_seconds",
            "Time per stage: retrieve and generate (answers), total (answers), search.",
            ["stage"],
            buckets=_LATENCY,
            registry=r,
        )
        self.tokens = Counter("sabio_generated_tokens", "Tokens generated.", registry=r)
        self.tokens_per_s = Histogram(
            "sabio_generated_tokens_per_second",
            "Decode speed of each generated answer.",
            buckets=(1, 2, 5, 10, 15, 20, 30, 50, 100, 200),
            registry=r,
        )
        self.queue_depth = Gauge(
            "sabio_queue_depth", "Answers waiting or running, per lane.", ["lane"], registry=r
        )
        self.errors = Counter("sabio_errors", "Error responses by type.", ["type"], registry=r)
        self.cancelled = Counter(
            "sabio_answers_cancelled", "Answers stopped early (client gone, timeout).", registry=r
        )

    def watch_queue(self, lane: str, depth: Callable[[], int]) -> None:
        self.queue_depth.labels(lane).set_function(depth)

    def answered(self, answer: Answer) -> None:
        t = answer.timings
        for stage in ("retrieve", "generate", "total"):
            if f"{stage}_s" in t:
                self.stage.labels(stage).observe(t[f"{stage}_s"])
        if answer.completion_tokens and t.get("generate_s", 0.0) > 0:
            self.tokens.inc(answer.completion_tokens)
            self.tokens_per_s.observe(answer.completion_tokens / t["generate_s"])

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Counts and times every HTTP request by its route template (never the raw path, whose
    ids would make one series per document)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = scope.get("route")
            name = getattr(route, "path", "unmatched")
            self.metrics.requests.labels(name, scope["method"], str(status)).inc()
            self.metrics.latency.labels(name).observe(time.perf_counter() - t0)

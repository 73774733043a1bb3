"""Answers for the API: the `rag ask` pipeline, restricted to what the caller may see, run in a
lane's worker thread, and read back on the event loop (whole, or as server-sent events).

Source paths become file names on the way out: a client never learns where files lie on the
server.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

from fastapi import Request
from fastapi.sse import format_sse_event

from api.access import ATTEMPTS, changing, generation, scope
from api.errors import ApiError, InvalidRequest, status_of
from api.lanes import Stream
from api.metrics import Metrics
from api.services import Services
from rag import wiring
from rag.answer import Answer, Event, answer_json, check_length, source_json
from rag.errors import SabioError
from rag.evidence import Source
from rag.keys import ApiKey
from rag.text import wordless
from rag.types import Hit

log = logging.getLogger("sabio.api")

# Between two checks that a streaming client is still connected.
CHECK_EVERY = 8


class ClientGone(ApiError):
    status = 499


def check_question(question: str, max_chars: int) -> str:
    question = question.strip()
    if not question:
        raise InvalidRequest("The question is empty.")
    if wordless(question):
        raise InvalidRequest(f"The question {question!r} has no words: ask it in words.")
    if len(question) > max_chars:
        raise InvalidRequest(
            f"The question is {len(question)} characters long; the limit is {max_chars}."
        )
    return question


def public_hit(h: Hit) -> Hit:
    return replace(h, source=Path(h.source).name)


def public_sources(sources: tuple[Source, ...] | list[Source]) -> list[Source]:
    return [replace(s, hit=public_hit(s.hit)) for s in sources]


def public_answer(a: Answer) -> Answer:
    sentences = [
        replace(s, citations=tuple(replace(c, source=Path(c.source).name) for c in s.citations))
        for s in a.sentences
    ]
    return replace(a, sources=public_sources(a.sources), sentences=sentences)


def start(
    services: Services, collection: str, key: ApiKey, question: str, mode: str
) -> Stream[Event]:
    """Queue the answer (QueueFull when the lane is full); read it from the returned stream."""
    gen = services.generator if mode == "generate" else None
    lane = services.generate if gen is not None else services.extract
    if gen is not None:  # here, not in the lane: a 422 rather than an error event
        check_length(question, gen, services.settings.answer.max_question_tokens)

    def produce() -> Iterator[Event]:
        with services.collections.borrow(collection) as handle:
            for _ in range(ATTEMPTS):
                allowed = scope(handle, key)
                answerer = wiring.answerer(services.settings, handle, services.embedder, gen)
                documents = None if allowed.documents is None else set(allowed.documents)
                events = answerer.stream(question, mode, documents)
                try:
                    first = next(events)  # the sources: retrieval is done
                    if generation(handle) != allowed.generation:
                        continue  # a writer committed meanwhile: redo with fresh permissions
                    yield first
                    yield from events
                    return
                finally:
                    # Closing the generator stops llama.cpp when we stop early.
                    getattr(events, "close", lambda: None)()
            raise changing()

    return lane.submit(produce)


async def final_answer(
    stream: Stream[Event], deadline: float, request: Request, metrics: Metrics
) -> Answer:
    async for event in events(stream, deadline, request, metrics):
        if event.answer is not None:
            return public_answer(event.answer)
    raise ClientGone("The client went away.")


def sse(event: str, data: dict[str, object]) -> bytes:
    return format_sse_event(event=event, data_str=json.dumps(data, ensure_ascii=False))


def error_event(exc: BaseException) -> bytes:
    if isinstance(exc, SabioError):
        _, message = status_of(exc)
        kind = type(exc).__name__
    else:
        log.exception("answer stream failed", exc_info=exc)
        kind, message = "InternalError", "Something went wrong on the server."
    return sse("error", {"error": {"type": kind, "message": message}})


async def events(
    stream: Stream[Event], deadline: float, request: Request, metrics: Metrics
) -> AsyncIterator[Event]:
    """The answer's events; stops (and cancels the answer) when the client disconnects."""
    seen = 0
    finished = False
    try:
        async for event in stream.items(deadline, request.is_disconnected):
            seen += 1
            if seen % CHECK_EVERY == 0 and await request.is_disconnected():
                break
            if event.kind == "answer":
                assert event.answer is not None
                metrics.answered(event.answer)
                finished = True
            yield event
    finally:
        if not finished:
            stream.cancel()
            metrics.cancelled.inc()


async def sse_answer(
    stream: Stream[Event], deadline: float, request: Request, metrics: Metrics
) -> AsyncIterator[bytes]:
    """`sources`, `token`..., `answer`; or `error` (the status line is long gone by then)."""
    try:
        async for event in events(stream, deadline, request, metrics):
            if event.kind == "sources":
                shown = [source_json(s) for s in public_sources(event.sources)]
                yield sse("sources", {"sources": shown})
            elif event.kind == "token":
                yield sse("token", {"text": event.token})
            elif event.answer is not None:
                yield sse("answer", answer_json(public_answer(event.answer)))
    except Exception as exc:
        yield error_event(exc)

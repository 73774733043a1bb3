"""OpenAI-compatible chat: existing OpenAI clients and chat front ends work as they are.

The collection is the `model`; the last user message is the question (earlier turns are not
used: every answer is grounded on its own question). Both a reply and a stream carry the
verified answer only: a chat client shows what it is sent, and the model's draft may hold
sentences the sources do not support. A stream opens at once (the role), sends the verified
answer when it is ready, and ends with a chunk carrying the citations.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.sse import EventSourceResponse, format_sse_event

from api import answering
from api.deps import KeyDep, MetricsDep, ServicesDep, require_use
from api.errors import InvalidRequest
from api.lanes import Stream
from api.schemas import ChatCompletion, ChatMessage, ChatRequest, Model, ModelList
from rag.answer import Answer, Event
from rag.quotes import citation_json

router = APIRouter(prefix="/v1", tags=["openai"])


@router.get("/models", response_model=ModelList)
def models(services: ServicesDep, key: KeyDep) -> ModelList:
    names = [n for n in services.store.names() if key.may_use(n)]
    created = [int(services.store.require(n).manifest.created_at) for n in names]
    return ModelList(data=[Model(id=n, created=c) for n, c in zip(names, created, strict=True)])


@router.post(
    "/chat/completions",
    response_model=ChatCompletion,
    responses={200: {"content": {"text/event-stream": {}}}, 429: {}, 504: {}},
)
async def chat_completions(
    body: ChatRequest, request: Request, services: ServicesDep, key: KeyDep, metrics: MetricsDep
) -> Response | ChatCompletion:
    collection = await run_in_threadpool(require_use, services, key, body.model)
    question = answering.check_question(
        _last_user_message(body.messages), services.settings.api.max_question_chars
    )
    deadline = asyncio.get_running_loop().time() + services.settings.api.request_timeout_s
    mode = services.settings.answer.mode
    stream = answering.start(services, collection, key, question, mode)
    reply = _Reply("chatcmpl-" + uuid.uuid4().hex, int(time.time()), collection)
    if body.stream:
        return EventSourceResponse(reply.chunks(stream, deadline, request, metrics))
    answer = await answering.final_answer(stream, deadline, request, metrics)
    return reply.completion(answer)


def _last_user_message(messages: list[ChatMessage]) -> str:
    for m in reversed(messages):
        if m.role != "user" or m.content is None:
            continue
        if isinstance(m.content, str):
            return m.content
        return " ".join(str(p.get("text", "")) for p in m.content if p.get("type") == "text")
    raise InvalidRequest("No user message: the last message with role `user` is the question.")


def _citations(a: Answer) -> list[dict[str, object]]:
    seen, out = set(), []
    for s in a.sentences:
        for c in s.citations:
            if (c.n, c.start, c.end) not in seen:
                seen.add((c.n, c.start, c.end))
                out.append(citation_json(c))
    return out


class _Reply:
    def __init__(self, reply_id: str, created: int, model: str) -> None:
        self.id, self.created, self.model = reply_id, created, model

    def completion(self, a: Answer) -> ChatCompletion:
        return ChatCompletion.model_validate(
            {
                "id": self.id,
                "created": self.created,
                "model": self.model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": a.text},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": a.prompt_tokens,
                    "completion_tokens": a.completion_tokens,
                    "total_tokens": a.prompt_tokens + a.completion_tokens,
                },
                "citations": _citations(a),
            }
        )

    def _chunk(self, delta: dict[str, str], finish: str | None = None, **extra: object) -> bytes:
        data = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return format_sse_event(data_str=json.dumps(data, ensure_ascii=False))

    async def chunks(
        self, stream: Stream[Event], deadline: float, request: Request, metrics: MetricsDep
    ) -> AsyncIterator[bytes]:
        yield self._chunk({"role": "assistant"})
        try:
            async for event in answering.events(stream, deadline, request, metrics):
                if event.answer is not None:  # not the draft's tokens: only what was verified
                    a = answering.public_answer(event.answer)
                    yield self._chunk({"content": a.text})
                    yield self._chunk(
                        {},
                        "stop",
                        citations=_citations(a),
                        answer=a.text,
                        abstained=a.abstained,
                        supported=a.supported,
                    )
        except Exception as exc:
            yield answering.error_event(exc).replace(b"event: error\n", b"")
        yield b"data: [DONE]\n\n"

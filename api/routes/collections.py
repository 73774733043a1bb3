"""Who am I, which collections, search and answers."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response
from fastapi.sse import EventSourceResponse

from api import answering
from api.access import restricted_search, visible_ids
from api.deps import KeyDep, MetricsDep, ReadableCollection, ServicesDep
from api.errors import InvalidRequest, status_of
from api.schemas import (
    AnswerResponse,
    CollectionInfo,
    Collections,
    Me,
    QueryRequest,
    SearchRequest,
    SearchResponse,
)
from rag import wiring
from rag.answer import answer_json
from rag.cli import hit_json
from rag.errors import SabioError
from rag.text import wordless

router = APIRouter(prefix="/v1", tags=["collections"])


@router.get("/me", response_model=Me)
def me(key: KeyDep) -> Me:
    return Me(
        name=key.name,
        role=key.role.value,
        collections=["*"] if key.is_admin else list(key.collections),
        groups=list(key.groups),
    )


@router.get("/collections", response_model=Collections)
def collections(services: ServicesDep, key: KeyDep) -> Collections:
    out = []
    for name in services.store.names():
        if not key.may_use(name):
            continue
        try:
            with services.collections.borrow(name) as handle:
                allowed = visible_ids(handle, key)
                with handle.snapshot() as snap:
                    docs = snap.catalog.documents(name, allowed)
        except SabioError as exc:  # one that cannot be served must not hide the others
            out.append(CollectionInfo(name=name, documents=0, chunks=0, error=status_of(exc)[1]))
            continue
        out.append(
            CollectionInfo(name=name, documents=len(docs), chunks=sum(d.n_chunks for d in docs))
        )
    return Collections(collections=out)


@router.post("/collections/{collection}/search", response_model=SearchResponse)
def search(
    collection: ReadableCollection,
    body: SearchRequest,
    services: ServicesDep,
    key: KeyDep,
    metrics: MetricsDep,
) -> SearchResponse:
    if wordless(body.query):
        raise InvalidRequest(f"The query {body.query!r} has no words: give some to search for.")
    with services.collections.borrow(collection) as handle:
        searcher = wiring.searcher(services.settings, handle, services.embedder)
        result = restricted_search(searcher, handle, key, body.query, body.k)
    metrics.stage.labels("search").observe(sum(result.timings.values()))
    hits = [hit_json(answering.public_hit(h)) for h in result.hits]
    return SearchResponse.model_validate(
        {"query": body.query, "collection": collection, "hits": hits}
    )


@router.post(
    "/collections/{collection}/query",
    response_model=AnswerResponse,
    responses={200: {"content": {"text/event-stream": {}}}, 429: {}, 504: {}},
)
async def query(
    collection: ReadableCollection,
    body: QueryRequest,
    request: Request,
    services: ServicesDep,
    key: KeyDep,
    metrics: MetricsDep,
) -> Response | dict[str, object]:
    """The answer with its citations; `"stream": true` sends server-sent events instead:
    `sources`, then `token` per piece, then `answer` (or `error`)."""
    question = answering.check_question(body.question, services.settings.api.max_question_chars)
    deadline = asyncio.get_running_loop().time() + services.settings.api.request_timeout_s
    stream = answering.start(services, collection, key, question, body.mode)
    if body.stream:
        return EventSourceResponse(answering.sse_answer(stream, deadline, request, metrics))
    answer = await answering.final_answer(stream, deadline, request, metrics)
    return answer_json(answer)

"""Request and response bodies: the API's contract, and its OpenAPI schema.

Response models mirror the JSON the library already produces (rag.answer.answer_json,
rag.cli.hit_json), so the CLI's --json and the API say the same thing; they allow extra fields,
so a field added there passes through rather than being silently dropped.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

NonBlank = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


# -- requests ---------------------------------------------------------------------------
class SearchRequest(BaseModel):
    query: NonBlank
    k: int = Field(10, ge=1, le=100)


class QueryRequest(BaseModel):
    question: NonBlank
    mode: Literal["generate", "extract"] = "generate"
    stream: bool = False


class ChatMessage(BaseModel):
    role: str
    # A string, or OpenAI's list of parts ({"type": "text", "text": ...}).
    content: str | list[dict[str, Any]] | None = None


class ChatRequest(Open):
    """OpenAI's chat request; fields we do not use (temperature, ...) are accepted, ignored."""

    model: NonBlank = Field(description="The collection to answer from.")
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False


# -- responses --------------------------------------------------------------------------
class Health(BaseModel):
    status: str


class Ready(BaseModel):
    """Counts only: this route needs no key, and collection names are the keys' to see (the
    log names the collections that cannot be served)."""

    status: str
    collections: int  # served
    unavailable: int  # that cannot be served


class Me(BaseModel):
    name: str
    role: str
    collections: list[str]
    groups: list[str]


class CollectionInfo(BaseModel):
    name: str
    documents: int
    chunks: int
    # Why it cannot be served now (another embedder built it, damaged files); null when it can.
    error: str | None = None


class Collections(BaseModel):
    collections: list[CollectionInfo]


class Hit(Open):
    source: str
    title: str
    document_id: str
    chunk_id: str
    page_start: int | None
    page_end: int | None
    heading_path: list[str]
    start: int
    end: int
    score: float
    retriever: str
    ranks: dict[str, int]
    text: str


class SearchResponse(BaseModel):
    query: str
    collection: str
    hits: list[Hit]


class Located(Open):
    """Where a numbered source or a citation sits: file, chunk, heading, page, char span."""

    n: int
    source: str
    title: str
    document_id: str
    chunk_id: str
    heading_path: list[str]
    page: int | None
    start: int
    end: int


class Citation(Located):
    quote: str


class Source(Located):
    text: str
    relevance: float
    passage: str
    passage_start: int


class AnswerSentence(Open):
    text: str
    supported: bool
    support: float = Field(
        description="How well the cited passage supports the sentence, 0 to 1 (1: quoted)."
    )
    verbatim: bool = Field(description="The cited passage's own words rather than the model's.")
    citations: list[Citation]


class AnswerResponse(Open):
    question: str
    answer: str
    abstained: bool
    supported: bool
    mode: str
    reason: str = Field(
        description="Why the answer abstained, empty otherwise: 'no relevant passage', 'no "
        "sentence was relevant' (extract), 'the model abstained', 'no sentence was supported', "
        "or 'no document here is \"...\"' with the document the question named."
    )
    sentences: list[AnswerSentence]
    sources: list[Source]
    format_errors: int
    timings: dict[str, float]
    prompt_tokens: int
    completion_tokens: int


class UploadAccepted(BaseModel):
    job_id: str
    files: list[str]


class JobResponse(BaseModel):
    id: str
    collection: str
    status: Literal["queued", "running", "done", "failed"]
    files_total: int
    files_done: int
    results: list[dict[str, Any]]
    counts: dict[str, int]
    error: str | None


class DocumentInfo(BaseModel):
    id: str
    source: str = Field(description="The file name (never a path on the server).")
    title: str
    format: str
    pages: int | None
    chunks: int
    version: int
    acl_groups: list[str]
    metadata: dict[str, str]
    indexed_at: float


class Documents(BaseModel):
    documents: list[DocumentInfo]


class ChatChoice(BaseModel):
    index: int
    message: dict[str, str]
    finish_reason: str


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[ChatChoice]
    usage: dict[str, int]
    citations: list[Citation]


class Model(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "sabio"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[Model]

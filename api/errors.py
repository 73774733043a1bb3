"""HTTP errors: the API's own branch of the exception tree, and the one place that maps every
error to a status code and a JSON body `{"error": {"type": ..., "message": ...}}`.

Routes raise and catch nothing. Library messages that name server paths, process ids or other
collections are replaced by public ones here; nothing below ever says whether a document the
caller may not see exists (a forbidden document is simply not found).
"""

from __future__ import annotations

import http
import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from rag.errors import (
    CollectionLocked,
    CollectionNotFound,
    ConfigError,
    DocumentNotFound,
    EmbedderMismatch,
    IndexCorrupt,
    InvalidCollectionName,
    ModelNotFound,
    ParseError,
    QuestionTooLong,
    SabioError,
    UnsupportedFile,
)
from rag.keys import KeyNotFound

log = logging.getLogger("sabio.api")


class ApiError(SabioError):
    """An error of the HTTP layer; `status` is its HTTP status code."""

    status = 400


class Unauthorized(ApiError):
    status = 401


class Forbidden(ApiError):
    status = 403


class NotFound(ApiError):
    status = 404


class PayloadTooLarge(ApiError):
    status = 413


class UnsupportedMediaType(ApiError):
    status = 415


class InvalidRequest(ApiError):
    status = 422


class QueueFull(ApiError):
    status = 429

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class Unavailable(ApiError):
    status = 503


class Timeout(ApiError):
    status = 504


# Library errors: status, and a public message where the library's names server details.
_LIBRARY: list[tuple[type[SabioError], int, str | None]] = [
    (CollectionNotFound, 404, "No such collection."),
    (InvalidCollectionName, 404, "No such collection."),
    (DocumentNotFound, 404, None),
    (KeyNotFound, 404, None),
    (
        EmbedderMismatch,
        409,
        "The collection was built with another embedding model than the "
        "server's; an administrator must re-index it or configure its model.",
    ),
    (
        CollectionLocked,
        409,
        "The collection is being written by another process; try again in a moment.",
    ),
    (IndexCorrupt, 500, "The collection's index is damaged; an administrator must rebuild it."),
    (ModelNotFound, 503, "A model the server needs is not installed."),
    (UnsupportedFile, 415, None),
    (ParseError, 422, None),
    (ConfigError, 400, None),
    (QuestionTooLong, 422, None),
]


def upload_too_large(limit_bytes: int) -> str:
    """The 413 message of an upload, whether the request or its files pass the limit."""
    return (
        f"The upload is too large: the limit is {limit_bytes / 2**20:.3g} MB per request "
        "(SABIO_API__MAX_UPLOAD_MB)."
    )


def status_of(exc: SabioError) -> tuple[int, str]:
    """HTTP status and public message of any error of the tree."""
    if isinstance(exc, ApiError):
        return exc.status, str(exc)
    for cls, status, message in _LIBRARY:
        if isinstance(exc, cls):
            return status, str(exc) if message is None else message
    return 400, str(exc)


def error_response(
    status: int, kind: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = {"error": {"type": kind, "message": message}}
    return JSONResponse(body, status_code=status, headers=headers)


async def _sabio(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SabioError)
    status, message = status_of(exc)
    headers = None
    if isinstance(exc, QueueFull):
        headers = {"Retry-After": str(exc.retry_after_s)}
    if status >= 500:
        log.error("%s: %s", type(exc).__name__, exc)
    _count(request, type(exc).__name__)
    return error_response(status, type(exc).__name__, message, headers)


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for e in exc.errors()[:5]:
        if e.get("type") == "json_invalid":
            problems.append(f"The body is not valid JSON ({e.get('ctx', {}).get('error', '?')}).")
            continue
        where = ".".join(str(p) for p in e.get("loc", ()) if p != "body") or "body"
        problems.append(f"{where}: {e.get('msg', 'invalid')}")
    _count(request, "InvalidRequest")
    return error_response(422, "InvalidRequest", "; ".join(problems) or "Invalid request.")


async def _http(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's own errors: unknown route (404), wrong method (405), body too large (413)."""
    assert isinstance(exc, HTTPException)
    phrase = http.HTTPStatus(exc.status_code).phrase
    kind = "".join(w.capitalize() for w in phrase.split())
    message = exc.detail if isinstance(exc.detail, str) else phrase
    if exc.status_code == 413:  # named as our own 413 is, whoever raised it
        kind = PayloadTooLarge.__name__
    _count(request, kind)
    return error_response(exc.status_code, kind, message, getattr(exc, "headers", None))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s", request.url.path, exc_info=exc)
    _count(request, "InternalError")
    return error_response(500, "InternalError", "Something went wrong on the server.")


def _count(request: Request, kind: str) -> None:
    request.app.state.metrics.errors.labels(kind).inc()


def install(app: FastAPI) -> None:
    app.add_exception_handler(SabioError, _sabio)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)

"""Dependencies: the app's services, the caller's key, and the collections it may use.

Order of checks for a collection: a key (401), then the key's right to that collection and
role (403, whether or not the collection exists, so names do not leak), then existence (404).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from api.errors import Forbidden, Unauthorized, Unavailable
from api.metrics import Metrics
from api.services import Services
from rag.keys import ApiKey

_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer <key>`")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="The key, plainly.")


def get_services(request: Request) -> Services:
    services: Services | None = getattr(request.app.state, "services", None)
    if services is None:
        raise Unavailable("The server is starting; try again in a moment.")
    return services


def get_metrics(request: Request) -> Metrics:
    metrics: Metrics = request.app.state.metrics
    return metrics


ServicesDep = Annotated[Services, Depends(get_services)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]


def get_key(
    services: ServicesDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header: Annotated[str | None, Depends(_header)],
) -> ApiKey:
    secret = bearer.credentials if bearer is not None else header
    if not secret:
        raise Unauthorized("Send an API key: `Authorization: Bearer <key>` or `X-API-Key`.")
    key = services.keys.authenticate(secret.strip())
    if key is None:
        raise Unauthorized("The API key is not valid (unknown or revoked).")
    return key


KeyDep = Annotated[ApiKey, Depends(get_key)]


def require_use(services: Services, key: ApiKey, collection: str) -> str:
    """The collection's name, if `key` may use it and it can be searched."""
    if not key.may_use(collection):
        raise Forbidden(f"This key may not use collection {collection!r}.")
    services.collections.check(collection)
    return collection


def require_edit(services: Services, key: ApiKey, collection: str) -> str:
    if not key.may_use(collection):
        raise Forbidden(f"This key may not use collection {collection!r}.")
    if not key.may_edit(collection):
        raise Forbidden(f"A {key.role} key may not change collections; an editor key may.")
    services.collections.check(collection)
    return collection


def readable(collection: str, services: ServicesDep, key: KeyDep) -> str:
    return require_use(services, key, collection)


def editable(collection: str, services: ServicesDep, key: KeyDep) -> str:
    return require_edit(services, key, collection)


ReadableCollection = Annotated[str, Depends(readable)]
EditableCollection = Annotated[str, Depends(editable)]

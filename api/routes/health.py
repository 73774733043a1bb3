"""Liveness, readiness and metrics: no key needed, never touched by a slow answer."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST

from api.deps import MetricsDep, ServicesDep
from api.schemas import Health, Ready

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Ready, responses={503: {"model": Ready}})
def readyz(services: ServicesDep) -> Response:
    health = services.start()
    body = Ready(
        status="ready" if health.ready else "not ready",
        collections=len(health.collections),
        unavailable=len(health.problems),
    )
    return JSONResponse(body.model_dump(), status_code=200 if health.ready else 503)


@router.get("/metrics", response_class=Response)
def metrics(m: MetricsDep) -> Response:
    return Response(m.render(), media_type=CONTENT_TYPE_LATEST)

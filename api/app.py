"""The FastAPI app: `create_app(settings, services=None)`.

Models load once, in the lifespan (`Services.load`), unless services are passed in (tests pass
fakes). `app_from_env` is what `rag serve` hands to uvicorn: the one place that reads the
environment, in each worker process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version
from pathlib import Path

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from api import errors
from api.errors import NotFound
from api.limits import BodyLimit
from api.metrics import Metrics, MetricsMiddleware
from api.routes import collections, documents, health, openai
from api.services import Services
from rag.settings import Settings

STATIC = Path(__file__).parent / "static"


def create_app(settings: Settings, services: Services | None = None) -> FastAPI:
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loaded = services
        if loaded is None:
            loaded = await run_in_threadpool(Services.load, settings)
        await run_in_threadpool(loaded.start)
        metrics.watch_queue("generate", loaded.generate.depth)
        metrics.watch_queue("extract", loaded.extract.depth)
        app.state.services = loaded
        try:
            yield
        finally:
            app.state.services = None
            loaded.close()

    app = FastAPI(
        title="sabio",
        version=version("sabio"),
        description="Grounded answers, with citations, from a company's own documents.",
        lifespan=lifespan,
    )
    app.state.metrics = metrics
    app.state.services = None
    errors.install(app)
    app.add_middleware(BodyLimit, upload_mb=settings.api.max_upload_mb)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    for module in (health, collections, documents, openai):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC, check_dir=False), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        page = STATIC / "index.html"
        if not page.is_file():
            raise NotFound("The web page is not installed.")
        return FileResponse(page)

    return app


def app_from_env() -> FastAPI:
    return create_app(Settings())

"""Upload jobs: move validated files into the collection's upload folder and ingest them.

One job at a time per process (a single worker thread): ingestion is CPU-bound, the collection
has one writer anyway, and it keeps two uploads of one name from crossing. Jobs live in memory;
what they wrote lives in the collection, and its job log records every run.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ingest.chunk import Chunker
from ingest.pipeline import Ingestor, Labels, RunSummary
from rag import wiring
from rag.embedder import Embedder
from rag.errors import SabioError
from rag.settings import Settings
from rag.store import Store

log = logging.getLogger("sabio.api")

Status = Literal["queued", "running", "done", "failed"]
# Finished jobs kept for GET /v1/jobs/{id}.
KEEP_JOBS = 1000


@dataclass
class Job:
    id: str
    collection: str
    # Files staged by the request, and where the job puts them (their final names).
    staged: list[Path]
    targets: list[Path]
    labels: Labels
    status: Status = "queued"
    files_done: int = 0
    results: list[dict[str, object]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    created_at: float = field(default_factory=time.time)

    @property
    def groups(self) -> tuple[str, ...]:
        return () if self.labels.groups is None else self.labels.groups


class _JobProgress:
    """ingest.progress.Progress that counts finished files into the job."""

    def __init__(self, job: Job) -> None:
        self.job = job

    def start(self, files: int) -> None: ...

    def file_done(self, source: str, status: str, chunks: int, error: str | None) -> None:
        self.job.files_done += 1

    def chunks_queued(self, n: int) -> None: ...

    def chunks_embedded(self, n: int) -> None: ...

    def close(self) -> None: ...


class JobRunner:
    def __init__(self, settings: Settings, store: Store, embedder: Embedder) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="sabio-ingest")

    def submit(
        self, collection: str, staged: list[Path], targets: list[Path], labels: Labels
    ) -> Job:
        job = Job(uuid.uuid4().hex, collection, staged, targets, labels)
        with self._lock:
            self._jobs[job.id] = job
            if len(self._jobs) > KEEP_JOBS:
                oldest = min(self._jobs.values(), key=lambda j: j.created_at)
                self._jobs.pop(oldest.id)
        self._pool.submit(self._run, job)
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def _run(self, job: Job) -> None:
        job.status = "running"
        try:
            summary = self._ingest(job)
            names = {str(t): t.name for t in job.targets}
            job.results = [
                {**r, "source": names.get(str(r["source"]), Path(str(r["source"])).name)}
                for r in summary.to_json()["results"]  # type: ignore[attr-defined]
            ]
            job.counts = summary.counts()
            job.files_done = len(job.targets)
            job.status = "done"
        except SabioError as exc:
            job.error, job.status = str(exc), "failed"
        except Exception as exc:  # a job must end, and say why, whatever happened
            log.exception("upload job %s failed", job.id)
            job.error, job.status = f"unexpected {type(exc).__name__}", "failed"
        finally:
            for staged in job.staged:
                shutil.rmtree(staged.parent, ignore_errors=True)

    def _ingest(self, job: Job) -> RunSummary:
        coll = self.store.open(job.collection, self.embedder.model_id, self.embedder.dim)
        chunker = Chunker(
            self.embedder.tokenizer, wiring.chunk_settings(self.settings, self.embedder.max_tokens)
        )
        for staged, target in zip(job.staged, job.targets, strict=True):
            target.parent.mkdir(parents=True, exist_ok=True)
            staged.replace(target)
        ingestor = Ingestor(coll, self.embedder, chunker, self.settings.ingest, _JobProgress(job))
        try:
            summary = ingestor.run(
                job.targets,
                keep_missing=True,  # an upload never deletes other documents
                wait_s=self.settings.api.ingest_wait_s,
                labels=job.labels,
            )
        finally:
            coll.close()
        for r in summary.results:
            if r.status == "failed":  # nothing of it was indexed: do not keep the file
                Path(r.source).unlink(missing_ok=True)
        return summary

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

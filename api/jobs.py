"""Upload jobs: move validated files into the collection's upload folder and ingest them.

One job at a time per process (a single worker thread): ingestion is CPU-bound, the collection
has one writer anyway, and it keeps two uploads of one name from crossing. Job states are kept in
`<index_dir>/jobs.sqlite`, so with several server processes any of them can report any job.
"""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
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
# Jobs kept for GET /v1/jobs/{id}; older ones are forgotten.
KEEP_JOBS = 1000

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    collection TEXT NOT NULL,
    groups TEXT NOT NULL,
    status TEXT NOT NULL,
    files_total INTEGER NOT NULL,
    files_done INTEGER NOT NULL,
    results TEXT NOT NULL,
    counts TEXT NOT NULL,
    error TEXT,
    created_at REAL NOT NULL
);
"""


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


@dataclass(frozen=True, slots=True)
class JobRecord:
    """A job as GET /v1/jobs/{id} reports it."""

    id: str
    collection: str
    groups: tuple[str, ...]
    status: Status
    files_total: int
    files_done: int
    results: list[dict[str, object]]
    counts: dict[str, int]
    error: str | None


class JobLog:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.executescript(SCHEMA)
        self._lock = threading.Lock()

    def save(self, job: Job) -> None:
        row = (
            job.id,
            job.collection,
            json.dumps(job.groups),
            job.status,
            len(job.targets),
            job.files_done,
            json.dumps(job.results),
            json.dumps(job.counts),
            job.error,
            job.created_at,
        )
        with self._lock:
            self._conn.execute(f"INSERT OR REPLACE INTO jobs VALUES ({','.join('?' * 10)})", row)

    def get(self, job_id: str) -> JobRecord | None:
        with self._lock:
            r = self._conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if r is None:
            return None
        groups, results, counts = (json.loads(x) for x in (r[2], r[6], r[7]))
        return JobRecord(r[0], r[1], tuple(groups), r[3], r[4], r[5], results, counts, r[8])

    def forget_old(self) -> None:
        with self._lock:
            self._conn.execute(
                "DELETE FROM jobs WHERE id NOT IN "
                "(SELECT id FROM jobs ORDER BY created_at DESC LIMIT ?)",
                (KEEP_JOBS,),
            )

    def close(self) -> None:
        self._conn.close()


class _JobProgress:
    """ingest.progress.Progress that counts finished files into the job."""

    def __init__(self, job: Job, log: JobLog) -> None:
        self.job, self.log = job, log

    def start(self, files: int) -> None: ...

    def file_done(self, source: str, status: str, chunks: int, error: str | None) -> None:
        self.job.files_done += 1
        self.log.save(self.job)

    def chunks_queued(self, n: int) -> None: ...

    def chunks_embedded(self, n: int) -> None: ...

    def close(self) -> None: ...


class JobRunner:
    def __init__(self, settings: Settings, store: Store, embedder: Embedder) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self.log = JobLog(settings.index_dir / "jobs.sqlite")
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="sabio-ingest")

    def submit(
        self, collection: str, staged: list[Path], targets: list[Path], labels: Labels
    ) -> Job:
        job = Job(uuid.uuid4().hex, collection, staged, targets, labels)
        self.log.save(job)
        self.log.forget_old()
        self._pool.submit(self._run, job)
        return job

    def get(self, job_id: str) -> JobRecord | None:
        return self.log.get(job_id)

    def _run(self, job: Job) -> None:
        job.status = "running"
        self.log.save(job)
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
            self.log.save(job)
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
        progress = _JobProgress(job, self.log)
        ingestor = Ingestor(coll, self.embedder, chunker, self.settings.ingest, progress)
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
        self.log.close()

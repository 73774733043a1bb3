"""What the app holds for its whole life: models, the store, keys, connections, lanes, jobs.

Built once: `Services.load(settings)` loads the real models (in the app's lifespan); tests
build `Services(settings, fake_embedder, fake_generator)` and pass it to `create_app`.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from api.jobs import JobRunner
from api.lanes import Lane
from rag import wiring
from rag.embedder import Embedder, LazyEmbedder
from rag.errors import SabioError
from rag.generator import Generator
from rag.keys import KeyStore
from rag.settings import Settings
from rag.store import Collection, Manifest, Store
from rag.text import sentence_splitter

log = logging.getLogger("sabio.api")


class CollectionPool:
    """A few open handles per collection, each with its own SQLite connection and vector
    index, so searches run side by side; a handle is used by one request at a time."""

    def __init__(self, store: Store, embedder: Embedder, size: int) -> None:
        self.store = store
        self.embedder = embedder
        self.size = size
        self._lock = threading.Lock()
        self._free: dict[str, queue.LifoQueue[Collection]] = {}
        self._made: dict[str, int] = {}

    def check(self, name: str) -> None:
        """CollectionNotFound (or EmbedderMismatch) unless `name` can be searched. Reads the
        manifest only: it never waits for a handle."""
        self.store.open(name, self.embedder.model_id, self.embedder.dim)

    @contextlib.contextmanager
    def borrow(self, name: str) -> Iterator[Collection]:
        handle = self._take(name)
        try:
            yield handle
        finally:
            self._free[name].put(handle)

    def _take(self, name: str) -> Collection:
        with self._lock:
            free = self._free.setdefault(name, queue.LifoQueue())
            while not free.empty():
                handle = free.get_nowait()
                if self._current(handle):
                    return handle
                handle.close()  # the collection was deleted (and maybe made again) meanwhile
                self._made[name] -= 1
            if self._made.get(name, 0) < self.size:
                handle = self.store.open(name, self.embedder.model_id, self.embedder.dim)
                self._made[name] = self._made.get(name, 0) + 1
                return handle
        return free.get()  # every handle is in use: wait for one

    @staticmethod
    def _current(handle: Collection) -> bool:
        """Whether the handle's files are still the collection's: a handle open on a deleted
        catalog would go on serving the deleted documents."""
        try:
            manifest = (handle.folder / "manifest.json").read_bytes()
        except OSError:
            return False
        return Manifest.model_validate_json(manifest).created_at == handle.manifest.created_at

    def close(self) -> None:
        with self._lock:
            for free in self._free.values():
                while not free.empty():
                    free.get_nowait().close()


@dataclass
class Health:
    ready: bool
    collections: list[str]
    problems: list[str]


class Services:
    def __init__(self, settings: Settings, embedder: Embedder, generator: Generator | None):
        api = settings.api
        self.settings = settings
        self.embedder = embedder
        self.generator = generator
        self.store: Store = wiring.store(settings)
        self.keys = KeyStore(settings.index_dir / "keys.sqlite")
        self.collections = CollectionPool(self.store, embedder, api.readers)
        # One generation at a time: the model is one llama.cpp context, used under a lock.
        self.generate = Lane("generate", 1, api.queue_size, api.retry_after_s)
        # Extractive answers need no SLM (milliseconds of embedding): they do not queue
        # behind generations.
        self.extract = Lane("extract", 2, 4 * api.queue_size + 8, api.retry_after_s)
        self.jobs = JobRunner(settings, self.store, embedder)
        self.health = Health(False, [], ["starting"])

    @classmethod
    def load(cls, settings: Settings) -> Services:
        """The configured models, loaded now (seconds): never on the first request."""
        emb = wiring.embedder(settings)
        if isinstance(emb, LazyEmbedder):
            emb.load()
        # The sentence splitter (nltk punkt) takes ~0.2 s to import: evidence
        # selection needs it on every answer, so the first one would pay it.
        sentence_splitter()
        return cls(settings, emb, wiring.generator(settings))

    def start(self) -> Health:
        """Open every collection once: the server is ready when all of them open."""
        opened, problems = [], []
        for name in self.store.names():
            try:
                self.collections.check(name)
                opened.append(name)
            except SabioError as exc:
                problem = f"{name}: {type(exc).__name__}"
                if problem not in self.health.problems:  # once, not at every /readyz poll
                    log.error("collection %s cannot be served: %s", name, exc)
                problems.append(problem)
        self.health = Health(not problems, opened, problems)
        return self.health

    def close(self) -> None:
        self.generate.close()
        self.extract.close()
        self.jobs.close()
        self.collections.close()
        self.keys.close()

"""Settings -> concrete objects. The only place that knows which class plays which role."""

from __future__ import annotations

from pathlib import Path

from rag.answer import Answerer
from rag.embedder import Embedder, LazyEmbedder
from rag.errors import ModelNotFound
from rag.evidence import EvidenceSelector
from rag.generator import Generator, LlamaCppGenerator, TransformersGenerator
from rag.models import canonical_generator_id, resolve_embedder, resolve_generator
from rag.retrieval import Searcher, make_retrievers
from rag.routing import DocumentRouter
from rag.settings import ChunkSettings, Settings
from rag.store import Collection, Store


def store(settings: Settings) -> Store:
    return Store(settings.index_dir)


def embedder(settings: Settings) -> LazyEmbedder:
    """The configured embedder; its weights load on first use."""
    s = settings.embedder
    return LazyEmbedder(
        s.model,
        batch_size=s.batch_size,
        device=s.device,
        backend=s.backend,
        quantize=s.quantize,
        cache_dir=s.cache_dir,
    )


def chunk_settings(settings: Settings, window: int) -> ChunkSettings:
    """Chunk settings with `max_tokens` clamped to the embedder's window."""
    c = settings.chunking
    return c.model_copy(update={"max_tokens": min(c.max_tokens, window)})


def open_collection(settings: Settings, name: str, emb: Embedder) -> Collection:
    return store(settings).open(name, emb.model_id, emb.dim)


def searcher(
    settings: Settings, collection: Collection, emb: Embedder, mode: str | None = None
) -> Searcher:
    r = settings.retrieval
    router = DocumentRouter(r.route_margin) if r.route else None
    return Searcher(
        collection,
        emb,
        make_retrievers(r.mode if mode is None else mode),
        candidates=r.candidates,
        rrf_k=r.rrf_k,
        weights=r.weights,
        router=router,
        fusion=r.fusion,
        feedback=r.feedback,
        feedback_weight=r.feedback_weight,
    )


def generator(settings: Settings) -> Generator:
    """The configured SLM, loaded now (it takes seconds; do it once per process)."""
    g = settings.generator
    path = resolve_generator(g.model, g.cache_dir)
    model_id = canonical_generator_id(g.model)
    try:
        if g.backend == "transformers":
            return TransformersGenerator(path, model_id, g.repeat_penalty)
        return LlamaCppGenerator(path, model_id, g.n_ctx, g.threads, g.repeat_penalty, g.lora)
    except (OSError, ValueError, RuntimeError) as exc:  # not a model this backend can read
        want = "a model folder" if g.backend == "transformers" else "a .gguf file"
        raise ModelNotFound(
            f"The generator {str(path)!r} could not be loaded by the {g.backend} backend "
            f"({exc}). SABIO_GENERATOR__MODEL must name {want} for it (or set "
            "SABIO_GENERATOR__BACKEND to the other backend)."
        ) from None


def check_models(settings: Settings) -> None:
    """Fail now, in one line, if a configured model cannot be found or is not of the kind its
    backend reads (a server would otherwise fail in each worker with a traceback)."""
    resolve_embedder(settings.embedder.model)
    g = settings.generator
    path = resolve_generator(g.model, g.cache_dir)
    if g.backend == "llama_cpp" and not _is_gguf(path):
        raise ModelNotFound(
            f"The generator {str(path)!r} is not a GGUF file, which the llama_cpp backend "
            "needs: set SABIO_GENERATOR__MODEL to a .gguf file (or "
            "SABIO_GENERATOR__BACKEND=transformers for a model folder)."
        )


def _is_gguf(path: Path) -> bool:
    if not path.is_file():
        return False
    with path.open("rb") as fh:
        return fh.read(4) == b"GGUF"


def answerer(
    settings: Settings, collection: Collection, emb: Embedder, gen: Generator | None
) -> Answerer:
    a = settings.answer
    count = gen.count if gen is not None else emb.tokenizer.count
    selector = EvidenceSelector(
        emb,
        count,
        a.evidence_tokens,
        a.max_sources,
        relative=a.relative_relevance,
        retrieval_weight=a.retrieval_weight,
        cache_size=a.sentence_cache,
    )
    return Answerer(
        searcher(settings, collection, emb),
        emb,
        gen,
        selector,
        k=a.k,
        min_relevance=a.min_relevance,
        min_relevance_routed=a.min_relevance_routed,
        min_support=a.min_support,
        cited_relevance=a.cited_relevance,
        max_tokens=a.max_tokens,
        max_question_tokens=a.max_question_tokens,
    )

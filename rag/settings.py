"""The one settings object, fed by SABIO_* environment variables.

Read once by each entry point (CLI, API), which wires the concrete classes; stages take plain
typed arguments and never read the environment. Nested groups use `__`:
`SABIO_EMBEDDER__BATCH_SIZE=64`, `SABIO_CHUNKING__OVERLAP_TOKENS=0`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from rag.errors import ConfigError


class EmbedderSettings(BaseModel):
    # A packaged default name, a local folder, or a hub id (only where a hub is reachable).
    model: str = "all-MiniLM-L6-v2"
    # Texts per model call; None: 1 for the int8 ONNX model, 8 otherwise (see `LazyEmbedder`).
    batch_size: int | None = Field(None, ge=1, le=1024)
    device: str = "cpu"
    # onnx: ONNX Runtime on a local export of the same weights (int8 unless quantize=false).
    backend: Literal["torch", "onnx"] = "onnx"
    quantize: bool = True
    # Where local exports of models are kept (one per machine, made on first use).
    cache_dir: Path = Path("~/.cache/sabio/models")


class ChunkSettings(BaseModel):
    # Hard ceiling on what the embedder sees, special tokens and the title prefix included.
    # Clamped to the embedder's own window when wired.
    max_tokens: int = Field(256, ge=32)
    # Tokens of trailing sentences repeated at the start of the next chunk of a long section.
    overlap_tokens: int = Field(32, ge=0)
    # A section smaller than this is packed together with the sections that follow it.
    min_tokens: int = Field(64, ge=0)
    # Budget for the "title / heading path" prefix of the embedded text.
    prefix_max_tokens: int = Field(48, ge=0)


class RetrievalSettings(BaseModel):
    # hybrid = dense + BM25 + section BM25; lexical = BM25 + section BM25.
    mode: Literal["hybrid", "dense", "bm25", "lexical"] = "hybrid"
    k: int = Field(10, ge=1, le=1000)
    # How many candidates each retriever contributes before fusion. Deep lists cost little
    # (BM25 ranks every match anyway) and make min-max fusion fairer: SciFact nDCG@10 0.728
    # at 50, 0.739 at 200.
    candidates: int = Field(200, ge=1, le=5000)
    # How retrievers' lists are combined: min-max scaled scores, or reciprocal ranks.
    fusion: Literal["minmax", "rrf"] = "minmax"
    rrf_k: int = Field(60, ge=1)
    # Weight of each retriever in the fusion.
    weights: dict[str, float] = {"dense": 1.0, "bm25": 0.5, "section": 0.5}
    # Pseudo-relevance feedback: the dense query is searched again, moved towards the mean of
    # the first pass's best `feedback` chunks (0: off).
    feedback: int = Field(3, ge=0, le=50)
    feedback_weight: float = Field(1.0, ge=0.0)
    # Send a question to the document it names ("In the Supply Agreement, ...") when that
    # document out-scores the next one by this factor.
    route: bool = True
    route_margin: float = Field(1.2, ge=1.0)


class GeneratorSettings(BaseModel):
    # A packaged name (qwen2.5-coder-0.5b-instruct, smollm2-135m-instruct), a .gguf file, or a
    # transformers folder.
    model: str = "qwen2.5-coder-0.5b-instruct"
    backend: Literal["llama_cpp", "transformers"] = "llama_cpp"
    n_ctx: int = Field(2048, ge=256)
    threads: int | None = None
    repeat_penalty: float = Field(1.1, ge=1.0)
    # A LoRA adapter (GGUF) applied on top of the model, from fine-tuning.
    lora: Path | None = None
    cache_dir: Path = Path("~/.cache/sabio/models")


class AnswerSettings(BaseModel):
    mode: Literal["generate", "extract"] = "generate"
    # Chunks retrieved, and how much evidence of them reaches the prompt. More evidence holds
    # the gold passage more often (CUAD 0.57 -> 0.62 at 320 tokens, `bench/evidence.py`), but
    # the 0.5B model answers worse from it: at 320 tokens and relative_relevance 0.6, CUAD
    # match 0.55 -> 0.32 and citation precision 0.40 -> 0.28 (`rag eval answers cuad`).
    k: int = Field(8, ge=1, le=100)
    evidence_tokens: int = Field(220, ge=32)
    max_sources: int = Field(4, ge=1, le=20)
    # A source must reach this share of the best source's relevance to enter the prompt: only
    # near-ties of the best join it. Given more, the 0.5B model copies from the wrong one.
    # Measured by the generate-mode commands of `bench/answers.sh` (S10 and TV citation
    # precision / token F1, CUAD citation precision / match):
    #   0.80: S10 0.765 / 0.396, TV 0.444 / 0.294, CUAD 0.500 / 0.517 (prompt p50 219 tokens)
    #   0.90: S10 0.857 / 0.403, TV 0.500 / 0.323, CUAD 0.537 / 0.483
    #   0.95: S10 0.896 / 0.399, TV 0.584 / 0.310, CUAD 0.512 / 0.517 (prompt p50 199 tokens)
    #   1.00: S10 0.896 / 0.394, TV 0.600 / 0.316, CUAD 0.561 / 0.500 (one source, ties aside)
    relative_relevance: float = Field(0.95, ge=0.0, le=1.0)
    # Sources are ranked by their best sentence plus this weight times their retrieval score.
    retrieval_weight: float = Field(0.6, ge=0.0)
    # Sentence vectors a process keeps (by text, least recently used out; 384 floats each:
    # 20,000 is ~30 MB). 0 embeds every retrieved sentence at every question.
    sentence_cache: int = Field(20_000, ge=0)
    # Below this question-sentence score the documents do not hold the answer. Measured on the
    # public sets (bar from 0.55 to 0.65): every answerable S10 and TV question passes; from
    # 0.60 up, 96% (S10) and 100% (TV) of contract questions asked of the manuals fall below.
    # 0.60, not 0.65: the sample TV manual's "What cable should I use for a wired Internet
    # connection?" scores 0.649 on the sentence that answers it.
    min_relevance: float = 0.60
    # A question that names a document of the collection ("Consider the Supply Agreement
    # between ...; ...") is about it: a lower bar, since a contract clause rarely shares the
    # question's words (answerable CUAD questions: median 0.64, 10th percentile 0.47).
    min_relevance_routed: float = 0.35
    # A sentence needs this much word overlap or cosine with a cited sentence.
    min_support: float = 0.5
    # A sentence may cite only a source that reaches this share of the bar: a weak source is
    # in the prompt as context, not to be answered from. (The sample manuals' "What batteries
    # does the remote use?" got "Battery is used for remote unlock and send last location.",
    # citing Find My Mobile at relevance 0.30, bar 0.60.) Replayed on the model outputs of
    # `bench/answers.sh`: at 0.5 nothing changes; at 0.7 and 0.85 one more contract question
    # asked of the manuals abstains (CUAD abstention recall 0.96 -> 0.98), nothing else
    # changes; at 1.0 TV loses a correct answer.
    cited_relevance: float = Field(0.7, ge=0.0, le=1.0)
    max_tokens: int = Field(120, ge=8)
    # Longest question the model is given (its tokens), beside ~400 of instructions and
    # sources and `max_tokens` of answer, in the model's 2048-token context.
    max_question_tokens: int = Field(512, ge=16)


class IngestSettings(BaseModel):
    # Commit (catalog transaction + vector file) at least this often, so a crash loses little.
    commit_every_s: float = Field(20.0, gt=0)
    # Chunks embedded per call; bigger batches amortise overhead, smaller ones commit sooner.
    embed_batch: int = Field(256, ge=1)
    max_file_mb: float = Field(256.0, gt=0)
    # Processes that parse files ahead of the embedder (None: one per core; 0: parse in the
    # run's own process). Parsing and embedding then overlap instead of adding up.
    parse_workers: int | None = Field(None, ge=0)


class ApiSettings(BaseModel):
    """`rag serve`: the HTTP API."""

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    # Each worker process loads its own models (~0.8 GB with the default SLM).
    workers: int = Field(1, ge=1)
    # Whole upload request (all its files), and what a .docx may unpack to per MB uploaded.
    max_upload_mb: float = Field(50.0, gt=0)
    max_files: int = Field(20, ge=1)
    max_unzip_ratio: float = Field(20.0, ge=1.0)
    max_question_chars: int = Field(2000, ge=1)
    # Answer generations waiting for the SLM; one more is refused with 429 and Retry-After.
    queue_size: int = Field(8, ge=0)
    retry_after_s: int = Field(5, ge=1)
    # Whole request, queueing included (504 past it).
    request_timeout_s: float = Field(120.0, gt=0)
    # Seconds an idle HTTP keep-alive connection stays open.
    keep_alive_s: int = Field(30, ge=1)
    # Connections to each collection, so that searches run side by side.
    readers: int = Field(4, ge=1)
    # How long an upload job waits for another writer (e.g. `ingest run`) of its collection.
    ingest_wait_s: float = Field(600.0, ge=0)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SABIO_", env_nested_delimiter="__", extra="ignore"
    )

    index_dir: Path = Path("indexes")
    embedder: EmbedderSettings = EmbedderSettings()
    chunking: ChunkSettings = ChunkSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    ingest: IngestSettings = IngestSettings()
    generator: GeneratorSettings = GeneratorSettings()
    answer: AnswerSettings = AnswerSettings()
    api: ApiSettings = ApiSettings()

    def __init__(self, **values: Any) -> None:
        """A bad SABIO_* value is a ConfigError naming the variable, not a pydantic dump."""
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise ConfigError(_explain(exc)) from None


def _explain(exc: ValidationError) -> str:
    problems = []
    for e in exc.errors():
        name = "SABIO_" + "__".join(str(part) for part in e["loc"]).upper()
        problems.append(f"{name}={e['input']!r}: {e['msg']}")
    return "Invalid setting: " + "; ".join(problems) + ". Fix or unset the variable."

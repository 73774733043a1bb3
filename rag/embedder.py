"""Embedders and the tokenizer that measures what they see.

The chunker needs only token counts and offsets, so `WordPieceCounter` reads the model's
tokenizer.json with the `tokenizers` library (milliseconds, no torch). The embedder itself loads
sentence-transformers once per process.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from rag.errors import ModelNotFound
from rag.models import canonical_embedder_id, resolve_embedder


class TokenCounter(Protocol):
    """Counts tokens exactly as the embedder will see them."""

    @property
    def special_tokens(self) -> int: ...

    def count(self, text: str) -> int:
        """Tokens of `text` without special tokens."""
        ...

    def offsets(self, text: str) -> list[tuple[int, int]]:
        """Character span of each token of `text`, without special tokens."""
        ...


class Embedder(Protocol):
    model_id: str
    dim: int
    # The model's window, special tokens included; text past it is silently dropped.
    max_tokens: int

    @property
    def tokenizer(self) -> TokenCounter: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32, L2-normalised."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """(dim,) float32, L2-normalised."""
        ...


class WordPieceCounter:
    """A `TokenCounter` over a Hugging Face fast tokenizer file."""

    def __init__(self, tokenizer_json: Path) -> None:
        from tokenizers import Tokenizer

        self._tok = Tokenizer.from_file(str(tokenizer_json))
        # Truncation and padding in the file would distort counts.
        self._tok.no_truncation()
        self._tok.no_padding()
        self._special = len(self._tok.encode("", add_special_tokens=True).ids)

    @property
    def special_tokens(self) -> int:
        return self._special

    def count(self, text: str) -> int:
        return len(self._tok.encode(text, add_special_tokens=False).ids)

    def count_many(self, texts: Sequence[str]) -> list[int]:
        encs = self._tok.encode_batch(list(texts), add_special_tokens=False)
        return [len(e.ids) for e in encs]

    def offsets(self, text: str) -> list[tuple[int, int]]:
        return list(self._tok.encode(text, add_special_tokens=False).offsets)


def load_token_counter(model_spec: str) -> WordPieceCounter:
    folder = resolve_embedder(model_spec)
    path = folder / "tokenizer.json"
    if not path.exists():
        raise ModelNotFound(f"{folder} has no tokenizer.json; sabio needs a fast tokenizer.")
    return WordPieceCounter(path)


def model_window(folder: Path) -> int:
    """The max sequence length sentence-transformers truncates to."""
    cfg = folder / "sentence_bert_config.json"
    if cfg.exists():
        return int(json.loads(cfg.read_text())["max_seq_length"])
    return int(json.loads((folder / "config.json").read_text())["max_position_embeddings"])


def model_dim(folder: Path) -> int:
    """The output dimension, read from the module configs (no torch needed)."""
    modules = (
        json.loads((folder / "modules.json").read_text())
        if (folder / "modules.json").exists()
        else []
    )
    dim = None
    for module in modules:
        cfg = folder / module.get("path", "") / "config.json"
        if not module.get("path") or not cfg.exists():
            continue
        conf = json.loads(cfg.read_text())
        dim = conf.get("out_features", conf.get("word_embedding_dimension", dim))
    if dim is None:
        dim = json.loads((folder / "config.json").read_text())["hidden_size"]
    return int(dim)


class LazyEmbedder:
    """An `Embedder` that knows its id, size and tokenizer at once but loads weights on first use.

    `ingest run` with nothing to embed, and `--dry-run`, never pay for importing torch.
    """

    def __init__(
        self,
        model_spec: str,
        batch_size: int | None = None,
        device: str = "cpu",
        backend: str = "torch",
        quantize: bool = True,
        cache_dir: Path | None = None,
    ) -> None:
        if batch_size is None:
            # The int8 model quantises activations over the whole batch, so a text's vector
            # would depend on the texts beside it (SciFact nDCG@10 0.738 to 0.742 by batch size
            # alone). One text a call keeps a vector a function of its text, whenever and beside
            # whatever it is embedded, and with one-text runs side by side on the cores it is
            # the fastest too (`bench/embed_speed.py`: CUAD chunks/s 83.1 at 1, 71.8 at 8, 57.4
            # at 32). PyTorch's fp32 vectors do not depend on their batch, and batches of 8 are
            # fastest on 2 cores (31.7 chunks/s, 27.7 at 32).
            batch_size = 1 if backend == "onnx" and quantize else 8
        folder = resolve_embedder(model_spec)
        self.model_id = canonical_embedder_id(model_spec)
        self.dim = model_dim(folder)
        self.max_tokens = model_window(folder)
        self.batch_size = batch_size
        self._spec, self._device = model_spec, device
        self._backend, self._quantize = backend, quantize
        self._cache_dir = Path("~/.cache/sabio/models") if cache_dir is None else cache_dir
        self._counter = WordPieceCounter(folder / "tokenizer.json")
        self._loaded: Embedder | None = None

    @property
    def tokenizer(self) -> WordPieceCounter:
        return self._counter

    def _model(self) -> Embedder:
        if self._loaded is None:
            if self._backend == "onnx":
                from rag.onnx_embedder import OnnxEmbedder

                loaded: Embedder = OnnxEmbedder(
                    self._spec, self._cache_dir, self.batch_size, quantize=self._quantize
                )
            else:
                loaded = SentenceTransformerEmbedder(self._spec, self.batch_size, self._device)
            if loaded.dim != self.dim:
                raise ModelNotFound(
                    f"{self._spec!r} reports {loaded.dim} dimensions but its config "
                    f"says {self.dim}; the model folder is inconsistent."
                )
            self._loaded = loaded
        return self._loaded

    def load(self) -> None:
        """Load the weights now (servers do this at start-up, not on the first request)."""
        self._model()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self._model().embed(texts) if texts else np.zeros((0, self.dim), np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self._model().embed_query(text)


class SentenceTransformerEmbedder:
    """The default embedder: sentence-transformers on PyTorch, CPU unless told otherwise."""

    def __init__(self, model_spec: str, batch_size: int, device: str = "cpu") -> None:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        folder = resolve_embedder(model_spec)
        self.model_id = canonical_embedder_id(model_spec)
        self._model = SentenceTransformer(str(folder), device=device, local_files_only=True)
        self.max_tokens = int(self._model.max_seq_length or model_window(folder))
        dim = self._model.get_embedding_dimension()
        if dim is None:
            raise ModelNotFound(f"{model_spec!r} does not report an embedding dimension.")
        self.dim = int(dim)
        self._batch_size = batch_size
        self._counter = WordPieceCounter(folder / "tokenizer.json")

    @property
    def tokenizer(self) -> WordPieceCounter:
        return self._counter

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self._model.encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        out = np.ascontiguousarray(vecs, dtype=np.float32)
        assert out.shape == (len(texts), self.dim), out.shape
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]

"""The embedder on ONNX Runtime, exported locally from the packaged weights.

Why: on a 2-core CPU, MiniLM under ONNX Runtime with int8 weights embeds about 1.4x faster than
PyTorch. Export happens once per machine (torch.onnx's TorchScript exporter; optimum is avoided
because every release pins transformers below 5), then dynamic quantisation with
onnxruntime.quantization. Only MatMul weights are quantised, per output channel: quantising
everything (the default) drops the cosine to the fp32 vectors to ~0.93; this keeps it ~0.99.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from rag.embedder import WordPieceCounter, model_dim, model_window
from rag.errors import ModelNotFound
from rag.models import canonical_embedder_id, resolve_embedder

EXPORT_VERSION = "1"


class OnnxEmbedder:
    def __init__(
        self,
        model_spec: str,
        cache_dir: Path,
        batch_size: int,
        quantize: bool = True,
        threads: int | None = None,
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        folder = resolve_embedder(model_spec)
        self.model_id = canonical_embedder_id(model_spec)
        self.dim = model_dim(folder)
        self.max_tokens = model_window(folder)
        self._counter = WordPieceCounter(folder / "tokenizer.json")
        self._tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tok.enable_truncation(self.max_tokens)
        self._tok.no_padding()
        self._batch = batch_size
        path = exported_model(folder, cache_dir.expanduser(), quantize)
        options = ort.SessionOptions()
        # One thread per run, and as many runs at once as there are cores: a batch of one short
        # text is too small to split across cores (40 sentences of a manual: 96 ms with two
        # threads a run, 55 ms with two one-thread runs side by side; 256-token chunks: 41 and
        # 56 a second), and one text a run is what keeps int8 vectors batch-independent.
        options.intra_op_num_threads = 1
        self._workers = threads if threads is not None else (os.cpu_count() or 1)
        self._pool: ThreadPoolExecutor | None = None
        # Idle pool threads sleep instead of spinning: spinning after each query embedding kept
        # both cores busy while FAISS and SQLite ran, doubling search latency on 2 cores.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}

    @property
    def tokenizer(self) -> WordPieceCounter:
        return self._counter

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        encodings = self._tok.encode_batch(list(texts))
        # Similar lengths together: padding is wasted work.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        batches = [order[i : i + self._batch] for i in range(0, len(order), self._batch)]

        def run(idx: list[int]) -> None:
            width = max(len(encodings[i].ids) for i in idx)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            out[idx] = self._session.run(
                None, {k: v for k, v in feed.items() if k in self._inputs}
            )[0]

        if len(batches) == 1 or self._workers == 1:
            for idx in batches:
                run(idx)
        else:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="onnx-embed")
            list(self._pool.map(run, batches))  # ONNX Runtime releases the GIL while it runs
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]


def exported_model(folder: Path, cache_dir: Path, quantize: bool) -> Path:
    """The ONNX file for this model folder, exporting it on first use (under a file lock)."""
    weights = next(
        (folder / n for n in ("model.safetensors", "pytorch_model.bin") if (folder / n).exists()),
        None,
    )
    if weights is None:
        raise ModelNotFound(f"{folder} has no model.safetensors to export to ONNX.")
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()[:16]
    target = (
        cache_dir
        / f"{digest}-v{EXPORT_VERSION}"
        / ("model-int8.onnx" if quantize else "model.onnx")
    )
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with _locked(target.parent / ".lock"):
        fp32 = target.parent / "model.onnx"
        if not fp32.exists():
            _export(folder, fp32)
        if quantize and not target.exists():
            from onnxruntime.quantization import QuantType, quantize_dynamic

            tmp = target.with_suffix(".tmp.onnx")
            quantize_dynamic(
                fp32,
                tmp,
                weight_type=QuantType.QInt8,
                per_channel=True,
                op_types_to_quantize=["MatMul"],
            )
            os.replace(tmp, target)
    return target


def _export(folder: Path, target: Path) -> None:
    """Transformer + mean pooling + L2 normalisation as one graph: text in, unit vector out."""
    import torch
    from transformers import AutoModel

    class Pooled(torch.nn.Module):
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(
            self,
            input_ids: torch.Tensor,
            attention_mask: torch.Tensor,
            token_type_ids: torch.Tensor,
        ) -> torch.Tensor:
            hidden = self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    model = Pooled(AutoModel.from_pretrained(str(folder), local_files_only=True).eval())
    dummy = torch.ones(2, 8, dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    tmp = target.with_suffix(".tmp.onnx")
    with torch.no_grad():
        torch.onnx.export(
            model,
            (dummy, dummy, torch.zeros_like(dummy)),
            str(tmp),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["embedding"],
            dynamic_axes={
                "input_ids": axes,
                "attention_mask": axes,
                "token_type_ids": axes,
                "embedding": {0: "batch"},
            },
            opset_version=17,
            dynamo=False,
        )
    os.replace(tmp, target)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)

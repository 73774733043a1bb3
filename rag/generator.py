"""Generators: the small language model that writes answers, behind one protocol.

Two backends: llama-cpp-python (default; GGUF, ~4x faster than transformers on a 2-core CPU) and
transformers (the fallback, and what fine-tuning uses). Both apply the model's own chat
template, decode greedily so results repeat, stream text pieces, stop at a token budget, and
stop early when the model starts repeating itself.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol

Message = dict[str, str]


class Generator(Protocol):
    model_id: str

    def count(self, text: str) -> int:
        """Tokens of `text` in this model's tokenizer."""
        ...

    def stream(self, messages: Sequence[Message], max_tokens: int) -> Iterator[str]:
        """Text pieces of the reply, as they are produced."""
        ...


class RepetitionGuard:
    """Stops a reply that has fallen into a loop: greedy decoding of a small model can repeat
    one sentence until the budget runs out."""

    def __init__(self, window: int = 40, times: int = 3) -> None:
        self.window, self.times = window, times
        self.text = ""

    def looping(self, piece: str) -> bool:
        self.text += piece
        tail = self.text[-self.window :]
        return len(tail) == self.window and self.text.count(tail) >= self.times


class LlamaCppGenerator:
    def __init__(
        self,
        path: Path,
        model_id: str,
        n_ctx: int = 2048,
        threads: int | None = None,
        repeat_penalty: float = 1.1,
        lora_path: Path | None = None,
    ) -> None:
        from llama_cpp import Llama

        self.model_id = model_id
        self._repeat_penalty = repeat_penalty
        self._llm = Llama(
            model_path=str(path),
            n_ctx=n_ctx,
            n_threads=threads,
            verbose=False,
            lora_path=None if lora_path is None else str(lora_path),
        )
        # One process, one model; llama.cpp contexts are not safe to share across threads.
        self._lock = threading.Lock()

    def count(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode(), add_bos=False, special=False))

    def stream(self, messages: Sequence[Message], max_tokens: int) -> Iterator[str]:
        guard = RepetitionGuard()
        with self._lock:
            # The previous prompt's KV cache is reused for the longest common prefix, so the
            # fixed system prompt costs nothing after the first question.
            chunks = self._llm.create_chat_completion(
                messages=list(messages),  # type: ignore[arg-type]
                max_tokens=max_tokens,
                temperature=0.0,
                top_k=1,
                top_p=1.0,
                repeat_penalty=self._repeat_penalty,
                stream=True,
            )
            for chunk in chunks:
                delta: dict[str, object] = chunk["choices"][0]["delta"]  # type: ignore[index,assignment]
                piece = delta.get("content")
                if not isinstance(piece, str) or not piece:
                    continue
                yield piece
                if guard.looping(piece):
                    break


class TransformersGenerator:
    """Dequantises the GGUF into a PyTorch model (needs the `gguf` package); slower, but the
    same weights fine-tuning starts from."""

    def __init__(self, path: Path, model_id: str, repeat_penalty: float = 1.1) -> None:
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        self.model_id = model_id
        self._repeat_penalty = repeat_penalty
        if path.is_file():  # a .gguf file
            kwargs = {"gguf_file": path.name}
            folder = path.parent
        else:
            kwargs, folder = {}, path
        self._tok = AutoTokenizer.from_pretrained(str(folder), local_files_only=True, **kwargs)
        self._model = AutoModelForCausalLM.from_pretrained(
            str(folder), local_files_only=True, **kwargs
        ).eval()
        self._lock = threading.Lock()

    def count(self, text: str) -> int:
        return len(self._tok(text, add_special_tokens=False)["input_ids"])

    def stream(self, messages: Sequence[Message], max_tokens: int) -> Iterator[str]:
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        stop = threading.Event()

        class _Stop(StoppingCriteria):  # lets the reader end generation early
            def __call__(
                self, input_ids: torch.Tensor, scores: object, **kw: object
            ) -> torch.Tensor:
                return torch.full((input_ids.shape[0],), stop.is_set(), dtype=torch.bool)

        inputs = self._tok.apply_chat_template(
            list(messages), add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        streamer = TextIteratorStreamer(self._tok, skip_prompt=True, skip_special_tokens=True)
        failure: list[BaseException] = []

        def work() -> None:
            try:
                self._model.generate(
                    **inputs,  # type: ignore[arg-type]
                    max_new_tokens=max_tokens,
                    do_sample=False,
                    repetition_penalty=self._repeat_penalty,
                    streamer=streamer,
                    stopping_criteria=StoppingCriteriaList([_Stop()]),
                )
            except BaseException as exc:  # surface it in the caller, and never hang the reader
                failure.append(exc)
                streamer.end()

        guard = RepetitionGuard()
        with self._lock:
            worker = threading.Thread(target=work, daemon=True)
            worker.start()
            try:
                for piece in streamer:
                    if piece:
                        yield piece
                        if guard.looping(piece):
                            break
            finally:
                stop.set()  # also when the consumer stops early (a client went away)
                worker.join()
        if failure:
            raise failure[0]

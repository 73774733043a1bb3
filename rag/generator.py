"""Generators: the small language model that writes answers, behind one protocol.

Two backends: llama-cpp-python (default; GGUF, ~4x faster than transformers on a 2-core CPU) and
transformers (the fallback, and what fine-tuning uses). Both apply the model's own chat
template, decode greedily so results repeat, stream text pieces, stop at a token budget, and
stop early when the model starts repeating itself.
"""

from __future__ import annotations

import ctypes
import functools
import re
import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

Message = dict[str, str]


class Generator(Protocol):
    model_id: str

    def count(self, text: str) -> int:
        """Tokens of `text` in this model's tokenizer."""
        ...

    def stream(
        self, messages: Sequence[Message], max_tokens: int, citations: int = 0, exempt: str = ""
    ) -> Iterator[str]:
        """Text pieces of the reply, as they are produced. With `citations` > 0, every
        sentence ends with a marker [n], 1 <= n <= citations (see `CitationRule`); a reply
        that begins with `exempt` (the fixed abstention) is left alone."""
        ...


# A sentence ends at . ! ? before a space or the end of the piece, or at a line break.
_ENDER = re.compile(r"[.!?](?:\s|$)|\n")
_BOUNDARY = re.compile(r"[.!?]\s|\n")
_OPEN_MARKER = re.compile(r"\[(\d*)$")
_MARKER = re.compile(r"\[\d+\]")
_CLOSER = re.compile(r"\][.,;!?]?\s*")


class Vocabulary:
    """What `CitationRule` needs to know of a model's tokens, found once per model."""

    def __init__(self, pieces: Sequence[str], end_of_generation: Collection[int]) -> None:
        self.pieces = pieces
        ids = {p: i for i, p in reversed(list(enumerate(pieces)))}
        self.open = ids.get(" [", ids.get("["))
        # "]" and the pieces that close a marker and the sentence at once ("].", "]\n").
        self.close = [i for i, p in enumerate(pieces) if _CLOSER.fullmatch(p)]
        self.digits = {d: ids[d] for d in "0123456789" if d in ids}
        # Tokens that end a sentence, or the reply.
        self.enders = {i for i, p in enumerate(pieces) if _ENDER.search(p)} | set(end_of_generation)
        self.ender_ids = np.array(sorted(self.enders), dtype=np.int64)
        # Digits must be single tokens ("[12]" as "[", "1", "2", "]"): true of Qwen and SmolLM.
        self.usable = self.open is not None and bool(self.close) and len(self.digits) == 10


class CitationRule:
    """Constrained decoding, cheaply: every sentence of the reply ends with a source marker.

    A 0.5B model often ends a sentence without "[n]", or cites a source that was not given
    (9-22% of answers on the public sets). A GBNF grammar in llama.cpp fixes that, but checks
    the vocabulary against the grammar at every token (an order of magnitude slower here). This
    rule leaves the scores alone except at three moments: (1) the model wants to end a sentence
    that cites nothing: it gets " [" instead; (2) inside "[": only digits that make a number
    1..n; (3) after a whole number: "]". Which source it cites stays the model's choice.
    Sentences that end in ":" (a heading, "Sources:") and a reply that begins with the fixed
    abstention are exempt; a "." after a digit ("2.5", "Step 1.") is not taken for an end.
    With `budget` (the reply's token limit), a sentence still open three tokens before it
    gets its marker then: a long clause copied verbatim would otherwise be cut off uncited.
    """

    def __init__(
        self, vocab: Vocabulary, sources: int, exempt: str = "", budget: int | None = None
    ) -> None:
        self.vocab, self.sources, self.exempt, self.budget = vocab, sources, exempt, budget

    def __call__(self, generated: Sequence[int], scores: np.ndarray) -> np.ndarray:
        """The scores for the next token, given the reply's tokens so far."""
        v = self.vocab
        text = "".join(v.pieces[int(i)] for i in generated)
        head = text.strip()
        if self.exempt and (self.exempt.startswith(head) or head.startswith(self.exempt[:12])):
            return scores
        marker = _OPEN_MARKER.search(text)
        if marker is not None:
            digits = marker.group(1)
            keep = [
                v.digits[d]
                for d in "0123456789"
                if (digits or d != "0") and _prefix_of_number(digits + d, self.sources)
            ]
            if digits and int(digits) <= self.sources:
                keep.extend(v.close)
            return _only(scores, keep)
        sentence = _BOUNDARY.split(text)[-1]
        if _MARKER.search(sentence) or not re.search(r"\w\w", sentence):
            return scores
        if sentence.rstrip().endswith(":"):
            return scores
        if self.budget is not None and len(generated) >= self.budget - 3:
            return _only(scores, [v.open])  # type: ignore[list-item]
        best = int(np.argmax(scores))
        if best in v.enders:
            piece = v.pieces[best]
            if piece.startswith(".") and text[-1:].isdigit():
                return scores
            if (sentence + piece).split("\n")[0].rstrip().endswith(":"):
                return scores
            return _only(scores, [v.open])  # type: ignore[list-item]
        out = scores.copy()
        out[v.ender_ids] = -np.inf  # nor may a repetition penalty end it
        return out


def _prefix_of_number(digits: str, n: int) -> bool:
    return any(str(k).startswith(digits) for k in range(1, n + 1))


def _only(scores: np.ndarray, keep: list[int]) -> np.ndarray:
    out = np.full_like(scores, -np.inf)
    out[keep] = scores[keep]
    return out


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

    @functools.cached_property
    def vocabulary(self) -> Vocabulary:
        import llama_cpp

        vocab, n = self._llm._model.vocab, self._llm.n_vocab()
        # Not `LlamaModel.token_to_piece`: it returns its whole 32-byte buffer, NULs included.
        buf = ctypes.create_string_buffer(64)
        pieces = []
        for i in range(n):
            size = llama_cpp.llama_token_to_piece(vocab, i, buf, len(buf), 0, False)
            pieces.append(buf.raw[: max(size, 0)].decode("utf-8", "replace"))
        eog = [i for i in range(n) if llama_cpp.llama_vocab_is_eog(vocab, i)]
        return Vocabulary(pieces, eog)

    def stream(
        self, messages: Sequence[Message], max_tokens: int, citations: int = 0, exempt: str = ""
    ) -> Iterator[str]:
        guard = RepetitionGuard()
        rule = _citation_processor(lambda: self.vocabulary, citations, exempt, max_tokens)
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
                logits_processor=None if rule is None else [rule],  # type: ignore[arg-type]
            )
            for chunk in chunks:
                delta: dict[str, object] = chunk["choices"][0]["delta"]  # type: ignore[index,assignment]
                piece = delta.get("content")
                if not isinstance(piece, str) or not piece:
                    continue
                yield piece
                if guard.looping(piece):
                    break


class _PromptOffset:
    """Adapts a rule on the reply's tokens to a logits processor, which is given the prompt's
    tokens and the reply's together (the first call sees the prompt alone)."""

    def __init__(self, rule: CitationRule) -> None:
        self.rule = rule
        self.prompt: int | None = None

    def __call__(self, input_ids: Sequence[int], scores: np.ndarray) -> np.ndarray:
        if self.prompt is None:
            self.prompt = len(input_ids)
        return self.rule(input_ids[self.prompt :], scores)


def _citation_processor(
    vocabulary: Callable[[], Vocabulary], citations: int, exempt: str, budget: int
) -> _PromptOffset | None:
    """The citation rule as a logits processor, or None when no citations are asked for (the
    vocabulary is only scanned then) or the model's tokens cannot express markers."""
    if citations <= 0 or not vocabulary().usable:
        return None
    return _PromptOffset(CitationRule(vocabulary(), citations, exempt, budget))


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

    @functools.cached_property
    def vocabulary(self) -> Vocabulary:
        pieces = self._tok.batch_decode([[i] for i in range(len(self._tok))])
        eos = self._model.generation_config.eos_token_id
        eog = {self._tok.eos_token_id, *(eos if isinstance(eos, list) else [eos])} - {None}
        return Vocabulary(pieces, eog)  # type: ignore[arg-type]

    def stream(
        self, messages: Sequence[Message], max_tokens: int, citations: int = 0, exempt: str = ""
    ) -> Iterator[str]:
        import torch
        from transformers import (
            LogitsProcessor,
            LogitsProcessorList,
            StoppingCriteria,
            StoppingCriteriaList,
            TextIteratorStreamer,
        )

        stop = threading.Event()

        class _Stop(StoppingCriteria):  # lets the reader end generation early
            def __call__(
                self, input_ids: torch.Tensor, scores: object, **kw: object
            ) -> torch.Tensor:
                return torch.full((input_ids.shape[0],), stop.is_set(), dtype=torch.bool)

        processors = LogitsProcessorList()
        rule = _citation_processor(lambda: self.vocabulary, citations, exempt, max_tokens)
        if rule is not None:
            apply: _PromptOffset = rule

            class _Rule(LogitsProcessor):
                def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
                    allowed = apply(input_ids[0].tolist(), scores[0].float().numpy())
                    return torch.from_numpy(allowed).to(scores.dtype).unsqueeze(0)

            processors.append(_Rule())

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
                    logits_processor=processors,
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

"""Model-free stand-ins for the protocols in rag.embedder, plus a sentence splitter and a
deadline that turns a hang into a test failure.

They behave like the real things in the ways the code relies on: `FakeCounter` splits text the
way BERT's pre-tokenizer does (words and single punctuation marks), `FakeEmbedder` gives
deterministic unit vectors where texts sharing words are closer, `split_sentences` returns
pieces that concatenate back to the input exactly.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import signal
from collections.abc import Iterator, Sequence

import numpy as np

_TOKEN = re.compile(r"\w+|[^\w\s]")
_WORD = re.compile(r"\w+")
# A sentence ends after ".", "!" or "?" and the whitespace that follows it.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


class FakeCounter:
    """A `TokenCounter`: one token per word or punctuation mark, two special tokens."""

    special_tokens = 2

    def count(self, text: str) -> int:
        return len(_TOKEN.findall(text))

    def offsets(self, text: str) -> list[tuple[int, int]]:
        return [m.span() for m in _TOKEN.finditer(text)]


class FakeEmbedder:
    """An `Embedder`: a bag of hashed lowercase words, L2-normalised, float32."""

    model_id = "fake-embedder"
    dim = 16
    max_tokens = 64

    def __init__(self) -> None:
        self._counter = FakeCounter()
        self.calls = 0
        self.texts_embedded = 0

    @property
    def tokenizer(self) -> FakeCounter:
        return self._counter

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float64)
        for word in _WORD.findall(text.lower()):
            # Each word is a fixed random direction (seeded by its hash, so stable across
            # processes); a text is the sum of its words' directions.
            seed = int.from_bytes(hashlib.sha256(word.encode()).digest()[:8], "little")
            vec += np.random.default_rng(seed).standard_normal(self.dim)
        norm = float(np.linalg.norm(vec))
        if norm == 0.0:  # no words at all: a fixed unit vector, still normalised
            vec[0], norm = 1.0, 1.0
        return (vec / norm).astype(np.float32)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        self.texts_embedded += len(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.vstack([self._vector(t) for t in texts]).astype(np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]


def split_sentences(text: str) -> list[str]:
    """Split after sentence-final punctuation; the whitespace stays with the sentence before.

    `"".join(split_sentences(t)) == t` for every `t`.
    """
    pieces: list[str] = []
    pos = 0
    for m in _SENTENCE_END.finditer(text):
        pieces.append(text[pos : m.end()])
        pos = m.end()
    if pos < len(text):
        pieces.append(text[pos:])
    return pieces


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Turn a hang into a test failure."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"did not finish within {seconds}s (endless loop?)")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)

"""The fakes must behave like the real protocol implementations where the code relies on it."""

from __future__ import annotations

import numpy as np
import pytest

from rag.embedder import Embedder, TokenCounter
from tests.unit.fakes import FakeCounter, FakeEmbedder, split_sentences


def test_counter_splits_like_bert_pre_tokenization() -> None:
    counter: TokenCounter = FakeCounter()
    text = "Don't run it dry, ok?"
    assert counter.count(text) == 9  # Don ' t run it dry , ok ?
    assert [text[a:b] for a, b in counter.offsets(text)] == [
        "Don",
        "'",
        "t",
        "run",
        "it",
        "dry",
        ",",
        "ok",
        "?",
    ]
    assert counter.special_tokens == 2
    assert counter.count("") == 0 and counter.offsets("  ") == []


def test_embedder_vectors_are_deterministic_unit_float32() -> None:
    emb: Embedder = FakeEmbedder()
    vecs = emb.embed(["the pump seal", "router reset", ""])
    assert vecs.shape == (3, 16) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-6)
    assert np.array_equal(vecs[0], FakeEmbedder().embed_query("The PUMP seal"))
    assert emb.embed([]).shape == (0, 16)


def test_embedder_puts_texts_sharing_words_closer() -> None:
    emb = FakeEmbedder()
    a, b, c = emb.embed(
        ["replace the pump seal", "pump seal replacement kit", "amber status light"]
    )
    assert float(a @ b) > float(a @ c)


def test_embedder_counts_what_it_embeds() -> None:
    emb = FakeEmbedder()
    emb.embed(["a", "b"])
    emb.embed_query("c")
    assert (emb.calls, emb.texts_embedded) == (2, 3)


@pytest.mark.parametrize(
    "text",
    ["", "One.", "One. Two!  Three?\nFour", "No end", "Trailing space. ", "a.b. c"],
)
def test_split_sentences_concatenates_to_the_input(text: str) -> None:
    assert "".join(split_sentences(text)) == text
    assert all(split_sentences(text))


def test_split_sentences_splits_after_sentence_ends() -> None:
    assert split_sentences("One. Two!  Three?\nFour") == ["One. ", "Two!  ", "Three?\n", "Four"]

"""The default embedder (ONNX int8, exported locally from the packaged MiniLM)."""

from __future__ import annotations

import numpy as np

from rag import wiring
from rag.embedder import LazyEmbedder
from rag.settings import Settings

SHORT = "Press and hold the Power key to restart the phone."
LONG = (
    "This Agreement shall be governed by and construed in accordance with the laws of the State "
    "of New York, without regard to its conflict of laws principles, and each party submits to "
    "the exclusive jurisdiction of the state and federal courts located in New York County."
)


def test_a_texts_vector_does_not_depend_on_the_texts_beside_it() -> None:
    # The int8 model quantises activations over a whole batch: in a batch with LONG, SHORT got
    # another vector than alone, so a sentence cached from one question scored differently
    # from the same sentence embedded fresh for another, and re-ingesting moved vectors.
    embedder = wiring.embedder(Settings())
    alone = embedder.embed([SHORT])[0]
    beside = embedder.embed([LONG, SHORT, "Wi-Fi"])[1]
    assert np.array_equal(alone, beside)
    assert np.array_equal(alone, embedder.embed_query(SHORT))


def test_onnx_vectors_agree_with_pytorch(embedder: LazyEmbedder) -> None:
    onnx = wiring.embedder(Settings()).embed([SHORT, LONG])
    torch = embedder.embed([SHORT, LONG])
    assert np.all(np.sum(onnx * torch, axis=1) > 0.97)
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-5)

"""Retrieval metrics against hand-computed cases."""

import math

import pytest

from rag import metrics


def test_ndcg_hand_computed() -> None:
    rel = {"a": 1, "b": 2}
    # ranked: x, b, a -> DCG = 2/log2(3) + 1/log2(4); ideal: 2/log2(2) + 1/log2(3)
    dcg = 2 / math.log2(3) + 1 / 2
    idcg = 2 + 1 / math.log2(3)
    assert metrics.ndcg_at_k(["x", "b", "a"], rel, 10) == pytest.approx(dcg / idcg)
    assert metrics.ndcg_at_k(["b", "a"], rel, 10) == pytest.approx(1.0)
    assert metrics.ndcg_at_k(["x", "y"], rel, 10) == 0.0
    assert metrics.ndcg_at_k(["x", "b"], rel, 1) == 0.0
    assert metrics.ndcg_at_k(["a"], {}, 10) == 0.0


def test_recall_hit_mrr() -> None:
    rel = {"a": 1, "b": 1, "c": 0}
    assert metrics.recall_at_k(["a", "x", "b"], rel, 2) == 0.5
    assert metrics.recall_at_k(["a", "x", "b"], rel, 3) == 1.0
    assert metrics.hit_at_k(["x", "c", "b"], rel, 2) == 0.0
    assert metrics.hit_at_k(["x", "c", "b"], rel, 3) == 1.0
    assert metrics.reciprocal_rank(["x", "c", "b"], rel) == pytest.approx(1 / 3)
    assert metrics.reciprocal_rank(["x"], rel) == 0.0


def test_chunk_hits_become_a_document_ranking() -> None:
    assert metrics.unique_in_order(["d1", "d2", "d1", "d3", "d2"]) == ["d1", "d2", "d3"]
    assert metrics.mean([]) == 0.0

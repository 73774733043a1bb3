"""Retrieval metrics, as pure functions over ranked ids and judgements."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def ndcg_at_k(ranked: Sequence[str], relevance: Mapping[str, int], k: int = 10) -> float:
    """nDCG@k with graded relevance and the log2(rank + 1) discount (as BEIR's pytrec_eval)."""
    dcg = sum(relevance.get(doc, 0) / math.log2(i + 2) for i, doc in enumerate(ranked[:k]))
    ideal = sorted(relevance.values(), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at_k(ranked: Sequence[str], relevant: Mapping[str, int], k: int) -> float:
    wanted = {d for d, g in relevant.items() if g > 0}
    if not wanted:
        return 0.0
    return len(wanted & set(ranked[:k])) / len(wanted)


def hit_at_k(ranked: Sequence[str], relevant: Mapping[str, int], k: int) -> float:
    return float(any(relevant.get(d, 0) > 0 for d in ranked[:k]))


def reciprocal_rank(ranked: Sequence[str], relevant: Mapping[str, int]) -> float:
    for i, doc in enumerate(ranked, start=1):
        if relevant.get(doc, 0) > 0:
            return 1.0 / i
    return 0.0


def unique_in_order(ids: Sequence[str]) -> list[str]:
    """Chunk hits -> document ranking: each document at the rank of its best chunk."""
    return list(dict.fromkeys(ids))


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0

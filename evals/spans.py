"""Character-level span precision and recall, as LegalBench-RAG scores retrieval.

Spans are half-open `[start, end)` character offsets into a file's text, grouped by file name.
Retrieved spans are unioned first: a character retrieved by two overlapping chunks counts once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

Spans = Mapping[str, Iterable[tuple[int, int]]]


def union(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def length(spans: list[tuple[int, int]]) -> int:
    return sum(e - s for s, e in spans)


def overlap(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> int:
    """Characters in both unions (each list sorted and disjoint)."""
    total, i, j = 0, 0, 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        total += max(0, hi - lo)
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return total


def precision_recall(retrieved: Spans, gold: Spans) -> tuple[float, float]:
    got = {f: union(s) for f, s in retrieved.items()}
    want = {f: union(s) for f, s in gold.items()}
    hit = sum(overlap(got[f], want[f]) for f in got.keys() & want.keys())
    n_got = sum(length(s) for s in got.values())
    n_want = sum(length(s) for s in want.values())
    precision = hit / n_got if n_got else 0.0
    recall = hit / n_want if n_want else 0.0
    return precision, recall

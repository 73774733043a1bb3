"""Character-level span metrics against hand-computed cases."""

import pytest

from evals.spans import overlap, precision_recall, union


def test_union_merges_overlapping_and_touching_spans() -> None:
    assert union([(5, 10), (0, 3), (3, 4), (8, 12), (20, 20)]) == [(0, 4), (5, 12)]


def test_overlap_counts_shared_characters() -> None:
    assert overlap([(0, 10), (20, 30)], [(5, 25)]) == 5 + 5
    assert overlap([(0, 5)], [(5, 9)]) == 0


def test_precision_recall_hand_computed() -> None:
    gold = {"a.txt": [(100, 200)]}
    # 50 of 150 retrieved characters are gold; 50 of 100 gold characters are found.
    retrieved = {"a.txt": [(150, 250), (240, 300)], "b.txt": [(0, 0)]}
    p, r = precision_recall(retrieved, gold)
    assert (p, r) == (pytest.approx(50 / 150), pytest.approx(0.5))
    # A character retrieved twice counts once; spans in another file count as misses.
    p, r = precision_recall({"a.txt": [(100, 200), (100, 200)], "b.txt": [(0, 100)]}, gold)
    assert (p, r) == (pytest.approx(0.5), pytest.approx(1.0))
    assert precision_recall({}, gold) == (0.0, 0.0)

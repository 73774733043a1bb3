"""The citation rule of constrained decoding, on a toy vocabulary: which tokens it lets through."""

from __future__ import annotations

import numpy as np
import pytest

from rag.evidence import ABSTAIN
from rag.generator import CitationRule, Vocabulary

PIECES = [
    "Replace",
    " the",
    " seal",
    ".",
    " [",
    "[",
    "]",
    "].",
    *"0123456789",
    ":\n",
    "\n",
    " every",
    " 2",
    "I",
    " could",
    " not",
    "Sources",
    " find",
    "<eos>",
]
EOS = PIECES.index("<eos>")
VOCAB = Vocabulary(PIECES, [EOS])


def ids(*pieces: str) -> list[int]:
    return [PIECES.index(p) for p in pieces]


def wanting(piece: str) -> np.ndarray:
    """Scores whose best token is `piece`, every other token a little lower."""
    scores = np.linspace(0.0, 1.0, len(PIECES), dtype=np.float32)
    scores[PIECES.index(piece)] = 5.0
    return scores


def allowed(scores: np.ndarray) -> set[str]:
    return {PIECES[i] for i in np.flatnonzero(np.isfinite(scores))}


def best(scores: np.ndarray) -> str:
    return PIECES[int(np.argmax(scores))]


@pytest.fixture
def rule() -> CitationRule:
    return CitationRule(VOCAB, sources=3, exempt=ABSTAIN)


def test_vocabulary_finds_markers_digits_and_enders() -> None:
    assert VOCAB.usable
    assert VOCAB.open == PIECES.index(" [")
    assert {PIECES[i] for i in VOCAB.close} == {"]", "]."}
    assert {PIECES[i] for i in VOCAB.enders} >= {".", "].", ":\n", "\n", "<eos>"}
    assert not Vocabulary(["a", "b"], []).usable  # no markers: the rule stays off


def test_a_sentence_that_would_end_uncited_gets_a_marker_instead(rule: CitationRule) -> None:
    before = ids("Replace", " the", " seal")
    assert allowed(rule(before, wanting("."))) == {" ["}
    assert allowed(rule(before, wanting("<eos>"))) == {" ["}
    assert allowed(rule(before, wanting("\n"))) == {" ["}


def test_enders_are_masked_while_a_sentence_is_uncited(rule: CitationRule) -> None:
    scores = rule(ids("Replace", " the"), wanting(" seal"))
    assert best(scores) == " seal"
    assert not allowed(scores) & {".", "].", "\n", ":\n", "<eos>"}


def test_inside_a_marker_only_numbers_of_given_sources(rule: CitationRule) -> None:
    opened = ids("Replace", " the", " seal", " [")
    assert allowed(rule(opened, wanting("9"))) == {"1", "2", "3"}
    assert allowed(rule([*opened, *ids("2")], wanting("5"))) == {"]", "]."}


def test_two_digit_sources() -> None:
    rule = CitationRule(VOCAB, sources=12)
    opened = ids("Replace", " [", "1")
    assert allowed(rule(opened, wanting("9"))) == {"0", "1", "2", "]", "]."}
    assert "0" not in allowed(rule(ids("Replace", " ["), wanting("0")))


def test_a_cited_sentence_may_end(rule: CitationRule) -> None:
    done = ids("Replace", " the", " seal", " [", "1", "]")
    scores = wanting(".")
    assert rule(done, scores) is scores
    # A new sentence after the cited one is held to the rule again.
    again = [*done, *ids(".", " the", " seal")]
    assert allowed(rule(again, wanting("."))) == {" ["}


def test_exempt_the_abstention_labels_and_decimals(rule: CitationRule) -> None:
    scores = wanting(".")
    assert rule(ids("I", " could", " not", " find"), scores) is scores
    assert rule(ids("I"), scores) is scores
    label = wanting(":\n")
    assert rule(ids("Sources"), label) is label
    assert rule(ids("Replace", " every", " 2"), scores) is scores  # "2.5 hours"
    assert rule([], scores) is scores


def test_an_open_sentence_is_cited_before_the_token_budget_runs_out() -> None:
    rule = CitationRule(VOCAB, sources=3, budget=6)
    scores = wanting(" seal")
    assert rule(ids("Replace", " the"), scores) is not scores  # enders masked only
    assert best(rule(ids("Replace", " the"), scores)) == " seal"
    assert allowed(rule(ids("Replace", " the", " seal"), scores)) == {" ["}
    assert allowed(rule(ids("Replace", " the", " seal", " ["), scores)) == {"1", "2", "3"}

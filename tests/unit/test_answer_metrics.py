"""Answer metrics of `rag eval answers` against hand-computed cases."""

from __future__ import annotations

import pytest

from evals.answers import normalized_match, rouge_l, token_f1


def test_token_f1() -> None:
    # pred: charge, phone, fully (3); gold: phone, charges, fully (3); common: phone, fully.
    assert token_f1("Charge the phone fully.", "The phone charges fully") == pytest.approx(2 / 3)
    assert token_f1("the a an", "phone") == 0.0
    assert token_f1("phone", "phone") == 1.0


def test_rouge_l() -> None:
    # pred: press power key then volume (5); gold: press volume key and power (5); the
    # longest common subsequences (press key, press power, press volume) are of 2 words, so
    # precision = recall = 2/5.
    assert rouge_l("Press power key then volume", "Press volume key and power") == pytest.approx(
        2 / 5
    )
    # pred: open settings tap display (4); gold: open settings display (3); LCS 3.
    p, r = 3 / 4, 3 / 3
    assert rouge_l("Open Settings, tap Display.", "open settings display") == pytest.approx(
        2 * p * r / (p + r)
    )


@pytest.mark.parametrize(
    ("answer", "gold", "expected"),
    [
        ("Yes, there is a cap on liability [1].", "Yes", True),
        ("There is a non-compete clause in this contract.", "Yes", True),
        ("No, there is none.", "Yes", False),
        ("The contract does not include one.", "Yes", False),
        ("No [1].", "No", True),
        ("It expires on December 31, 2024.", "12/31/24", True),
        ("It expires on 12 31 2024.", "12/31/24", True),
        ("It expires on December 31, 2023.", "12/31/24", False),
        ("governed by the laws of the State of New York", "New York", True),
        ("governed by the laws of York", "New York", False),
        ("the laws of England and Wales", "England; Wales", True),
        # A term: its words, stemmed, numbers spelled either way; alternatives after " / ".
        ("The term continues in perpetuity.", "perpetual", True),
        ("It renews for successive one (1) year periods.", "successive 1 year", True),
        ("The renewal term is one year.", "successive 1 year", False),
        ("The term is ten years.", "10 years", True),
        ("The term is twelve years.", "10 years", False),
        ("Notice must be given 6 months before.", "180 days / 6 months", True),
        ("Notice must be given 180 days before.", "180 days / 6 months", True),
        ("Notice must be given 90 days before.", "180 days / 6 months", False),
        ("Anything at all.", "", False),
    ],
)
def test_normalized_match(answer: str, gold: str, expected: bool) -> None:
    assert normalized_match(answer, gold) is expected

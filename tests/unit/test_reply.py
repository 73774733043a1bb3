"""Reading the model's reply: sentences and the sources each cites, whatever its layout."""

from __future__ import annotations

import random

from rag.reply import split_answer


def test_citation_markers_are_parsed() -> None:
    assert split_answer("Fill the casing [1]. Replace the seal [1, 2].") == [
        ("Fill the casing.", [1]),
        ("Replace the seal.", [1, 2]),
    ]
    assert split_answer("Fill it.[2][3] Done [1];") == [("Fill it.", [2, 3]), ("Done;", [1])]
    assert split_answer("No citation here.") == [("No citation here.", [])]
    # Markers cite everything written since the previous ones.
    assert split_answer("Answer: Fill it. Start it [2]. Stop.") == [
        ("Fill it.", [2]),
        ("Start it.", [2]),
        ("Stop.", []),
    ]


def test_markers_opening_a_line_cite_the_lines_that_follow() -> None:
    # A small model often copies a source block: "[1] <header>\n<text>".
    raw = "[2] Pump manual | Maintenance\nReplace the seal.\nUse the kit. [1]\n[3]"
    echoes = {"pump manual | maintenance", "pump manual", "maintenance"}
    assert split_answer(raw, echoes) == [("Replace the seal.", [2]), ("Use the kit.", [1, 3])]
    # The echoed header is left out, also behind a "Source:" label.
    assert split_answer("Source: Pump manual | Maintenance", echoes) == []
    assert split_answer("Sources:\n[1] Pump manual\nFill it.", echoes) == [("Fill it.", [1])]


def test_a_line_laid_out_as_a_list_of_sources_cites_each_item_by_its_own_marker() -> None:
    echoes = {"pump manual", "maintenance"}
    raw = "Sources: [1] Pump manual [2] Maintenance [3] Replace the seal yearly"
    assert split_answer(raw, echoes) == [("Replace the seal yearly", [3])]
    # Read as trailing markers, "Fill it." would get [2] and "Start it." [3].
    assert split_answer("[1] Fill it. [2] Start it. [3]") == [
        ("Fill it.", [1]),
        ("Start it.", [2, 3]),
    ]
    assert split_answer("[1] Fill it [2].") == [("Fill it.", [2])]  # not a list
    # Markers side by side open one item together.
    assert split_answer("[1][2] Fill it. [3] Start it.") == [
        ("Fill it.", [1, 2]),
        ("Start it.", [3]),
    ]


def test_any_model_output_parses_without_error() -> None:
    pieces = ["[1]", "[2]", "[1, 2]", "[", "]", ".", " ", "\n", "Fill it", "Sources:", "Answer:"]
    rng = random.Random(7)
    for _ in range(3000):
        raw = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        for text, numbers in split_answer(raw, {"fill it"}):
            assert text.strip() and all(isinstance(n, int) for n in numbers), raw

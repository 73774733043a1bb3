"""ingest.structure: clause headings, paragraphs, page margins, alignment, lost spaces."""

from __future__ import annotations

import pytest

from ingest.structure import (
    SpaceRestorer,
    align,
    clause_heading,
    glued_margins,
    is_page_number,
    is_title_line,
    margin_key,
    page_breaks,
    page_margins,
    recurring_lines,
    repeated_margins,
    runs_on,
    split_paragraphs,
)
from tests.unit.fakes import deadline


# -- clause_heading ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("line", "level", "label", "bare", "numbered"),
    [
        ("ARTICLE IV", 0, "ARTICLE IV", True, True),
        ("SECTION 1", 0, "SECTION 1", True, True),
        ("Section 7.3 Termination.", 1, "Section 7.3 Termination", False, True),
        (
            "7.3 Termination. Either party may terminate this Agreement upon thirty (30) days "
            "written notice to the other party.",
            1,
            "7.3 Termination",
            False,
            True,
        ),
        (
            "1.1 “Active Ingredient” shall mean the compound known as AX-12 and its salts.",
            1,
            "1.1 “Active Ingredient”",
            False,
            True,
        ),
        ("12.4.2 Audit Rights. Licensor may audit.", 2, "12.4.2 Audit Rights", False, True),
        ("7. Term", 0, "7 Term", False, True),
        ("RECITALS", 0, "RECITALS", True, False),
        ("GOVERNING LAW", 0, "GOVERNING LAW", True, False),
        # A title in capitals run into its clause: the capitals are the title.
        (
            "9. TERM AND TERMINATION a) The term of this Agreement.",
            0,
            "9 TERM AND TERMINATION",
            False,
            True,
        ),
        ("8. PUBLICITY Unless required by law, neither party will.", 0, "8 PUBLICITY", False, True),
        (
            "ARTICLE 4 TERM The term of this Agreement is five years.",
            0,
            "ARTICLE 4 TERM",
            False,
            True,
        ),
        (
            "1. A link to the Client Site will be shown.",
            0,
            "1 A link to the Client Site will be shown",
            False,
            True,
        ),
    ],
)
def test_clause_heading_finds_contract_headings(
    line: str, level: int, label: str, bare: bool, numbered: bool
) -> None:
    heading = clause_heading(line)
    assert heading is not None
    assert (heading.level, heading.label, heading.bare, heading.numbered) == (
        level,
        label,
        bare,
        numbered,
    )


def test_clause_heading_shortens_a_long_caption() -> None:
    line = (
        "4.2 The Licensee shall pay all royalties due under this Agreement within thirty "
        "days of the end of each calendar quarter"
    )
    heading = clause_heading(line)
    assert heading is not None
    assert heading.label == "4.2 The Licensee shall pay all royalties …"
    assert len(clause_heading("5.1 " + "Word " * 200).label) <= 120  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "line",
    [
        "The parties agree to the terms set forth below.",
        "$10.00 Per Share",
        "Either party may terminate this Agreement under Section 7.3 hereof.",
        "2020 Annual Report",  # a year is no clause number
        "30 Days after the Effective Date, Licensee shall pay the fee.",  # a count, no dot
        "10.5 million units were sold in the first quarter.",
        "Definitions.",  # ends like a sentence, not a caption
        "NOW, THEREFORE, THE PARTIES AGREE AS FOLLOWS:",  # capitals, but a sentence
        "WITNESSETH.",
        "IN WITNESS WHEREOF, the parties have signed this Agreement.",
        # A sentence that starts with a reference, not a heading.
        "Section 2, this Section 4.5, and Sections 6.2, 6.3, 7 and 9 shall survive termination.",
        "Section 10.5 and 10.14 of the Stock Purchase Agreement shall apply.",
        "",
        "   ",
    ],
)
def test_clause_heading_ignores_ordinary_text(line: str) -> None:
    assert clause_heading(line) is None


def test_a_title_line_is_short_and_in_title_case() -> None:
    for line in ("Term and Termination", "Confidentiality and Publicity", "Exclusivity"):
        assert is_title_line(line)
    for line in (
        "The Parties agree to the following terms.",  # a sentence
        "The term of this agreement is ten years",  # not in title case
        "Term and Termination:",
        "",
    ):
        assert not is_title_line(line)


# -- split_paragraphs -------------------------------------------------------------------
def test_split_paragraphs_on_wide_gaps_and_blank_lines() -> None:
    text = "First paragraph.   Second paragraph after a gap.\n\nThird one.\n  \n Fourth."
    spans = split_paragraphs(text, 0, len(text), inside_clauses=False)
    assert [text[a:b] for a, b in spans] == [
        "First paragraph.",
        "Second paragraph after a gap.",
        "Third one.",
        "Fourth.",
    ]


def test_split_paragraphs_keeps_a_single_line_break_and_two_spaces() -> None:
    text = "One sentence goes on\nacross a line.  And two spaces do not split."
    assert split_paragraphs(text, 0, len(text), inside_clauses=False) == [(0, len(text))]


def test_split_paragraphs_finds_clause_starts_in_run_on_text() -> None:
    text = (
        "This Agreement is made today. 7.3 Termination. Either party may end it. "
        "It ends on 12 March. ARTICLE V Payment is due. 8. Notices must be written."
    )
    with_clauses = split_paragraphs(text, 0, len(text), inside_clauses=True)
    assert [text[a:b] for a, b in with_clauses] == [
        "This Agreement is made today.",
        "7.3 Termination. Either party may end it. It ends on 12 March.",
        "ARTICLE V Payment is due.",
        "8. Notices must be written.",
    ]
    assert split_paragraphs(text, 0, len(text), inside_clauses=False) == [(0, len(text))]
    # A title in capitals starts a clause too (a PDF whose text layer is one run of words).
    text = "the parties agree as follows: 1. SPONSORSHIP a) Client. 9. TERM AND TERMINATION a) It."
    assert [text[a:b] for a, b in split_paragraphs(text, 0, len(text), True)] == [
        "the parties agree as follows:",
        "1. SPONSORSHIP a) Client.",
        "9. TERM AND TERMINATION a) It.",
    ]


def test_a_sentence_that_starts_with_a_reference_starts_no_clause() -> None:
    text = (
        "Licensee shall cease all use of the Brand. Section 2, this Section 4.5, and Sections 6.2"
        " and 7 shall survive termination. Section 5. Infringement. Licensee shall notify."
    )
    spans = split_paragraphs(text, 0, len(text), inside_clauses=True)
    assert [text[a:b] for a, b in spans] == [
        "Licensee shall cease all use of the Brand. Section 2, this Section 4.5, and Sections 6.2"
        " and 7 shall survive termination.",
        "Section 5. Infringement. Licensee shall notify.",
    ]


def test_split_paragraphs_spans_are_absolute_and_trimmed() -> None:
    text = "IGNORED PREFIX|  Alpha text.   Beta text.  |IGNORED SUFFIX"
    start, end = text.index("|") + 1, text.rindex("|")
    spans = split_paragraphs(text, start, end, inside_clauses=False)
    assert [text[a:b] for a, b in spans] == ["Alpha text.", "Beta text."]
    assert all(start <= a < b <= end for a, b in spans)
    blank = "   \n\n   "
    assert split_paragraphs(blank, 0, len(blank), inside_clauses=True) == []


# -- page margins -----------------------------------------------------------------------
WORDS = ["zero", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth"]


def _pages(n: int) -> list[list[str]]:
    return [
        [
            f"ACME Supply Agreement – Page {p} of {n}",
            f"The {WORDS[p]} clause starts here.",
            "Some middle text about deliveries.",  # same on every page, but not at an edge
            "More middle text.",
            f"The last paragraph is about {WORDS[-p]} prices.",
            f"{p}",
        ]
        for p in range(1, n + 1)
    ]


def test_repeated_margins_finds_running_headers_with_changing_numbers() -> None:
    pages = _pages(6)
    margins = repeated_margins(pages)
    assert margin_key("ACME Supply Agreement – Page 3 of 6") in margins
    assert margin_key("4") in margins
    for page in pages:
        for body in page[1:5]:
            assert margin_key(body) not in margins, body


def test_repeated_margins_needs_enough_pages() -> None:
    assert repeated_margins(_pages(2)) == set()


def test_repeated_margins_needs_the_text_on_many_pages() -> None:
    pages = [[f"Body {p} text.", f"Other {p} text."] for p in range(10)]
    for p in (0, 4):  # a header seen on 2 of 10 pages is not running
        pages[p].insert(0, "Draft Copy")
    assert margin_key("Draft Copy") not in repeated_margins(pages)
    for p in range(10):
        pages[p].insert(0, "Confidential")
    assert margin_key("Confidential") in repeated_margins(pages)


def test_margin_key_ignores_numbers_case_and_spacing() -> None:
    assert margin_key("Page  12 of 40") == margin_key("page 3 of 40") == "page # of #"
    assert margin_key("Page 12") != margin_key("Section 12")


@pytest.mark.parametrize(
    "text", ["12", " 7 ", "Page 3", "page 12 of 40", "- 4 -", "— 15 —", "3 of 12"]
)
def test_is_page_number(text: str) -> None:
    assert is_page_number(text)


@pytest.mark.parametrize(
    "text", ["Section 3", "12 Monkeys", "2020 Annual Report", "Page", "3.1", ""]
)
def test_is_not_page_number(text: str) -> None:
    assert not is_page_number(text)


# -- sentences broken by a page ---------------------------------------------------------
CLAUSE = (
    "1.3 TERMINATION FOR CAUSE. If either party defaults and does not cure the default within "
    "thirty days, then the party not in default\n\n2\n\nmay, by giving written notice to the "
    "defaulting party, terminate this Agreement.\n\n"
)


def test_a_page_number_inside_a_sentence_is_a_page_break_to_read_across() -> None:
    text = CLAUSE + "1.4 NOTICES. Notices are given in writing."
    [(a, b)] = page_breaks(text)
    assert text[:a].endswith("the party not in default") and text[b:].startswith("may, by")
    blanked = text[:a] + " " * (b - a) + text[b:]
    spans = split_paragraphs(blanked, 0, len(blanked), inside_clauses=True, joined=[(a, b)])
    assert blanked[spans[0][0] : spans[0][1]].endswith("terminate this Agreement.")
    assert " ".join(blanked[x:y] for x, y in spans).count("may, by giving") == 1
    # Without the join the gap of spaces is a paragraph break, as in EDGAR exports.
    assert len(split_paragraphs(blanked, 0, len(blanked), inside_clauses=True)) == len(spans) + 1


def test_a_running_line_beside_the_page_number_is_part_of_the_break() -> None:
    footer = "Source: ACME CORP, 10-K, 3/21/2019"
    pages = [f"Clause {n} applies to the Supplier.\n\n{n}\n\n{footer}\n\n" for n in (1, 2)]
    text = "".join(pages) + "The Supplier shall deliver to the\n\n3\n\n" + footer
    text += "\n\nCompany, the Bank and the Buyer the goods."
    [(a, b)] = page_breaks(text)
    assert text[:a].endswith("deliver to the") and text[b:].startswith("Company, the Bank")


def test_a_page_marked_by_blank_lines_alone_is_a_page_break_to_read_across() -> None:
    text = (
        "24. Reservation of Rights. All rights not herein specifically\n\n\n\n\n\n"
        "granted to Company shall remain the property of Pey Dirt.\n\n25. Notices."
    )
    [(a, b)] = page_breaks(text)
    assert text[:a].endswith("specifically") and text[b:].startswith("granted to Company")
    # One blank line is a paragraph's gap, not a page's.
    assert page_breaks(text.replace("\n\n\n\n\n\n", "\n\n")) == []


# A page's worth of text: page numbers count where the pages around them hold text.
PAGE = "The parties agree to the terms set out in this Agreement and its Schedules. " * 8


def test_a_margin_run_into_a_pages_first_or_last_line_is_part_of_the_break() -> None:
    """Exports that give each page one line run the page's number into its end, after a wide
    gap, and a running header into its start, before one; a running footer may end with the
    page's number too."""
    header = "***Confidential treatment requested pursuant to a request filed with the SEC."
    pages = [  # each page's first and last sentence
        ("1.1 The Supplier delivers.", "The Supplier indemnifies the Buyer (or any part of"),
        ("such claim) that arises from its fault.", "1.2 Notices are given in writing."),
        ("1.3 Fees are due monthly.", "End."),
    ]
    text = "\n\n\n\n\n\n".join(
        f"     {header}     {first} {PAGE}{last}     {n}"
        for n, (first, last) in enumerate(pages, start=22)
    )
    [(a, b)] = page_breaks(text)
    assert text[:a].endswith("(or any part of") and text[b:].startswith("such claim)")

    footer = "*** Confidential treatment has been requested for redacted portions.   {}"
    pages = [("1.1 Fees.", "The Supplier shall not make"), ("or sell the Product.", "End.")]
    text = "".join(
        f"{first} {PAGE}{last}\n\n{footer.format(n)}\n\n\n\n\n\n"
        for n, (first, last) in enumerate([*pages, ("1.2 Notices.", "End.")], start=4)
    )
    [(a, b)] = page_breaks(text)
    assert text[:a].endswith("shall not make") and text[b:].startswith("or sell the Product")


def test_a_page_number_between_sentences_is_one_where_the_pages_go_on_counting() -> None:
    pages = [f"{PAGE}1.1 The Supplier delivers.", f"{PAGE}1.2 The Buyer pays.", f"{PAGE}End."]
    # Run into the end of a page's last line, or on a line of its own.
    for gap in ("     ", " "):  # after a wide gap, or one space after a sentence's end
        text = "\n\n\n\n\n\n".join(f"{body}{gap}{n}" for n, body in enumerate(pages, start=7))
        assert [text[a:b].strip() for a, b in page_margins(text)] == ["7", "8"]
    text = "".join(f"{body}\n\n- {n} -\n\n" for n, body in enumerate(pages, start=7))
    assert [text[a:b] for a, b in page_margins(text)] == ["- 7 -", "- 8 -"]
    assert page_breaks(text) == []  # no sentence runs on
    # A figure ending a line, or alone on one, where no count goes on around it; a table of
    # contents' pages, which count on a line or two apart.
    text = f"The fees for the year   2019\n\n\n\n\n\n{PAGE}\n\nIt is due   45\n\n\n\nNow."
    assert page_margins(text) == []
    contents = "".join(f"6.{n}\n\nWarranties\n\n{n + 20}\n\n" for n in range(1, 5))
    assert page_margins(f"{PAGE}\n\n{contents}{PAGE}") == []


def test_a_long_run_of_spaces_takes_no_quadratic_time() -> None:
    """The patterns for a page number at a line's end open on runs of spaces, and were
    searched from every start in the run: a line of 40,000 spaces took 30 s."""
    spaces = " " * 200_000
    text = f"The Supplier shall deliver the{spaces}22\n\n\n\n\n\nthe goods.\n\n1{spaces}x"
    with deadline(5):
        [(a, b)] = page_breaks(text)
        assert not text[a:b].strip(" \n0123456789") and text[b:].startswith("the goods")
        assert glued_margins({1: f"a{spaces}x", 2: f"b{spaces}", 3: f"c{spaces}3"}) == {}
        assert not is_page_number(f"1{spaces}x")


def test_a_line_of_the_body_that_recurs_but_for_its_numbers_is_never_blanked_out() -> None:
    items = "".join(f"Item {n}: the fee is due.\n\n" for n in (1, 2))
    text = items + "The Supplier shall pay the\n\n3\n\nItem 3: the fee is due.\n\nfees when due."
    kept = text.index("Item 3")
    assert not any(a <= kept < b for a, b in page_breaks(text))


@pytest.mark.parametrize(
    "text",
    [
        "The first clause ends here.\n\n2\n\nthe next one starts in lower case.",
        "8.2.4 Licenses to Xencor\n\n27\n\n8.2.5 Licenses to BII",  # a table of contents
        "ARTICLE 4 TERM\n\n5\n\nthe term is five years.",
        "The Supplier shall not\n2\nmay deliver.",  # a number inside the paragraph
        "Any notice shall be given by the Buyer\n\n7\n\nExhibit A lists the goods.",
    ],
)
def test_a_page_number_between_sentences_or_after_a_heading_is_no_break(text: str) -> None:
    assert page_breaks(text) == []


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ("unless", "and until approved.", True),
        ("... to have", "payments made by check.", True),
        ("any termination of this", "Agreement. Section 9.", True),
        ("including any GST on that amount,", "Except as stated.", True),
        ("... the Products; and", "(b) the Supplier will not.", True),
        ("ends here.", "and more.", False),
        ("11. FEES", "the fees are due.", False),
        ("Term and Termination", "the term is ten years.", False),
        ("877-243-5082", "ii. Cardholders may call.", False),
        ("enable the other party to", "CERTAIN CONFIDENTIAL PORTIONS WERE OMITTED", False),
        ("may be uninstalled", "Bundling of Applications", False),
        ("as set forth in", "7.3 Termination. Either party may.", False),
        # A cross-reference split from its number, a defined term from its rest or definition.
        ("returned pursuant to Section", "4.8(a) to Manufacturer.", True),
        ("its obligations under this Section", "10, except to the extent", True),
        ("SECTION", "1 DEFINITIONS", False),
        ("when such payment is due (the “Late Payment", "Date", True),
        ("is replaced by the following: “5.2 Invoicing.", "Supplier shall invoice.", False),
        ("1.21 “Knowledge”", "shall mean that which a Party knows.", True),
        ("1.21 “Knowledge”", "Each Party shall know.", False),
    ],
)
def test_runs_on(before: str, after: str, expected: bool) -> None:
    assert runs_on(before, after) is expected


def test_page_margins_follow_the_pages() -> None:
    last = {
        1: "The Parties agree as follows:",
        2: "the manufacturer of the Products; and 1",
        3: "on any amount, 2",
        4: "warrants that:3",
        5: "the price is $70 4",
        6: "as stated in Section 5",
        7: "a fee of 250",
        8: "the schedules of this agreement.7",
        9: "the rate is 9.8",
    }
    glued = glued_margins(last)
    assert {p: last[p][:c].rstrip() for p, c in glued.items()} == {
        2: "the manufacturer of the Products; and",
        3: "on any amount,",
        4: "warrants that:",
        5: "the price is $70",
        8: "the schedules of this agreement.",
    }
    # Numbers that do not follow the pages are figures, not page numbers.
    assert glued_margins({1: "a fee of 250", 2: "within 30", 3: "Section 12"}) == {}


def test_a_glued_running_footer_is_cut_from_each_page() -> None:
    last = {
        p: f"{body} TruckThat LLC Consulting Agreement Page {p} of 4"
        for p, body in enumerate(["the Company.", "shall be irrevocable.", "the Services."], 1)
    }
    last[4] = "IN WITNESS WHEREOF the parties sign on 4 of 4"
    glued = glued_margins(last)
    assert {p: last[p][:c].rstrip() for p, c in glued.items()} == {
        1: "the Company.",
        2: "shall be irrevocable.",
        3: "the Services.",
    }


# -- align ------------------------------------------------------------------------------
def test_align_tolerates_changed_whitespace() -> None:
    raw = "Hello   world.\r\nSecond\tline  here.\n\nThird."
    spans = align(raw, ["Hello world.", "Second line here.", "Third."])
    assert [raw[a:b] for a, b in spans] == ["Hello   world.", "Second\tline  here.", "Third."]  # type: ignore[misc]


def test_align_keeps_order() -> None:
    raw = "alpha beta alpha gamma"
    assert align(raw, ["beta", "alpha", "gamma"]) == [(6, 10), (11, 16), (17, 22)]


def test_align_missing_piece_is_none_and_does_not_stop_the_rest() -> None:
    raw = "One two. Three four. Five six."
    spans = align(raw, ["One two.", "not there", "Five six.", "  ", "One two."])
    assert spans == [(0, 8), None, (21, 30), None, None]


def test_align_treats_regex_characters_literally() -> None:
    raw = "Price (net): $1.00 * 3 [approx.]"
    spans = align(raw, ["Price (net): $1.00 * 3 [approx.]"])
    assert spans == [(0, len(raw))]
    assert align("a1b00", ["1.00"]) == [None]


def test_recurring_lines_are_found_anywhere_on_the_page_but_only_whole_lines() -> None:
    pages = [
        [
            "1.1 Terms",
            "CONFIDENTIAL TREATMENT",
            "WITH",
            "RESPECT TO CERTAIN PORTIONS",
            f"{n}.1",
            ", however",
        ]
        for n in range(5)
    ]
    assert recurring_lines(pages) == {
        "confidential treatment",
        "with",
        "respect to certain portions",
    }
    assert recurring_lines(pages[:2]) == set()


def test_blocks_labelled_margins_are_kept_unless_they_recur() -> None:
    """The fast PDF path labels whole pages of clauses "Footer"; only what recurs from page to
    page is dropped, and a number alone inside a page is a clause's, not the page's."""
    from ingest.parse import _Block, _without_running_lines
    from rag.types import ElementKind

    def page(n: int) -> list[_Block]:
        texts = [
            "Source: ACME CORP, 10-K",
            "CONFIDENTIAL",
            f"This Agreement, page {n}, is made between Acme Corp. and Zenith Inc.",
            "WITH",
            "the provisions of this Section",
            "10",
            f"and, for clarity, {'vwxyz'[n - 1]} is not.",
            f"{n + 1}",
        ]
        return [_Block(t, ElementKind.TEXT, n, None, margin=True) for t in texts]

    body = _without_running_lines({n: page(n) for n in range(1, 6)})
    assert [b.text for b in body[2]] == [
        "This Agreement, page 2, is made between Acme Corp. and Zenith Inc.",
        "the provisions of this Section",
        "10",
        "and, for clarity, w is not.",
    ]


@pytest.mark.parametrize(
    ("before", "after", "joined"),
    [
        ("between Acme Corp. (the “Licensor", "”), and Zenith Inc.", "(the “Licensor”), and"),
        ("Section 1.1. License Grant", ". Subject to the terms", "License Grant. Subject"),
        ("Licensee agrees not to engage or", "participate in any business.", "or participate"),
        ("Licensee shall pay the fees; and", "WHEREAS, the parties agree", None),
        ("the establishment of the Venture; and", "2.1.5 the cooperation", None),
        ("The Term ends on the Expiry Date.", "all other terms survive.", None),
        ("as follows:", "(a) the Supplier shall deliver", None),
        # A line wrap the parser made a block: a capital after an article or a preposition, a
        # split reference; not after a comma or "and", where a list's next item starts.
        ("in conformance with cGMP requirements of", "FDA to manufacture batches.", "of FDA to"),
        ("as set forth in Section", "3.2(b) to account for it.", "Section 3.2(b) to"),
        ("the goods, including any GST on that amount,", "Except as stated.", None),
        ("the Supplier shall deliver the goods and", "Buyer shall pay for them.", None),
    ],
)
def test_the_rest_of_a_sentence_split_off_by_the_pdf_parser_joins_it(
    before: str, after: str, joined: str | None
) -> None:
    """The fast PDF path splits a paragraph where the font changes (a defined term in bold)."""
    from ingest.parse import _Block, _gap, _goes_on
    from rag.types import ElementKind

    a, b = (_Block(t, ElementKind.TEXT, 1, None) for t in (before, after))
    assert _goes_on(a, b) == (joined is not None)
    if joined is not None:
        assert joined in before + _gap(after) + after


# -- SpaceRestorer ----------------------------------------------------------------------
def test_space_restorer_puts_back_spaces_lost_at_line_ends() -> None:
    reference = (
        "Nothing herein shall limit the\ngenerality of the foregoing. The terms set\n"
        "forth below apply."
    )
    restorer = SpaceRestorer(reference)
    assert (
        restorer.restore("Nothing herein shall limit thegenerality of the foregoing.")
        == "Nothing herein shall limit the generality of the foregoing."
    )
    # It moves forward through the page: the next element continues where the last one ended.
    assert restorer.restore("The terms setforth below apply.") == "The terms set forth below apply."
    # Elements out of PDFium's order: a running line at the page's foot read first.
    restorer = SpaceRestorer(reference + "\nSource: ACME CORP, 10-K")
    assert restorer.restore("Source: ACME CORP, 10-K") == "Source: ACME CORP, 10-K"
    assert restorer.restore("The terms setforth below apply.") == "The terms set forth below apply."


def test_space_restorer_reads_on_past_characters_pdfium_reads_otherwise() -> None:
    """PDFium gives U+FFFE for a hyphen at a line's end, and may read a character otherwise
    than pdfminer; the spaces after it are still put back (the Fuse Medical distributor
    agreement's clause 9 read "... an offence.9.Trade marks and intellectual property9.1The
    Supplier ...")."""
    reference = (
        "relating to anti\ufffecorruption; and\n(b) not engage in an offence.\n9. Trade marks\n"
        "9.1 The Supplier grants the right\nto use the Trade Marks in\nthe promotion."
    )
    glued = (
        "relating to anti-corruption; and(b)not engage in an offence.9.Trade marks9.1The "
        "Supplier grants the right"
    )
    assert SpaceRestorer(reference).restore(glued) == (
        "relating to anti-corruption; and (b) not engage in an offence. 9. Trade marks 9.1 The "
        "Supplier grants the right"
    )
    # A character read otherwise ("ﬁ" for "fi"): passed over, and the rest restored.
    restorer = SpaceRestorer("Under this agreement the \ufb01rst\nterm and the\nsecond term")
    assert restorer.restore("Under this agreement the firstterm and thesecond term") == (
        "Under this agreement the first term and the second term"
    )


def test_space_restorer_leaves_correct_text_alone() -> None:
    reference = "Alpha beta\ngamma delta."
    assert SpaceRestorer(reference).restore("Alpha beta gamma delta.") == "Alpha beta gamma delta."


def test_space_restorer_returns_unmatched_text_unchanged() -> None:
    restorer = SpaceRestorer("Alpha beta\ngamma delta.")
    for text in ["Something else entirely.", "", "   "]:
        assert restorer.restore(text) == text
    # A failed match does not move the cursor: a later element still finds its place.
    assert restorer.restore("Alpha betagamma delta.") == "Alpha beta gamma delta."


def test_space_restorer_keeps_the_text_after_a_mismatch() -> None:
    restorer = SpaceRestorer("Alpha beta\ngamma delta.")
    out = restorer.restore("Alpha betagamma deltaXYZXYZXYZXYZ")
    assert out == "Alpha beta gamma deltaXYZXYZXYZXYZ"
    assert out.replace(" ", "") == "Alpha betagamma deltaXYZXYZXYZXYZ".replace(" ", "")

"""ingest.chunk.Chunker with a fake tokenizer and hand-built parsed documents."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import pytest
from pydantic import ValidationError

from ingest.chunk import Chunker
from rag.errors import ConfigError
from rag.settings import ChunkSettings
from rag.types import Chunk, Element, ElementKind, ParsedDocument
from tests.unit.fakes import FakeCounter, deadline, split_sentences

SETTINGS = ChunkSettings(max_tokens=64, overlap_tokens=8, min_tokens=16, prefix_max_tokens=12)
TITLE = "Pump Manual"
NOUNS = ("pump", "valve", "filter", "motor", "hose", "gauge", "seal", "bearing")


# -- building documents by hand ------------------------------------------------------------
@dataclass(frozen=True)
class Block:
    kind: ElementKind
    text: str
    path: tuple[str, ...]
    page: int | None = None
    level: int | None = None


def section(
    path: Sequence[str], *paragraphs: str, page: int | None = None, heading: bool = True
) -> list[Block]:
    """A heading element (its path ends with itself, as the parser emits it) and body text."""
    p = tuple(path)
    blocks = [Block(ElementKind.TITLE, p[-1], p, page, len(p) - 1)] if heading and p else []
    return blocks + [Block(ElementKind.TEXT, text, p, page) for text in paragraphs]


def make_doc(blocks: Sequence[Block], title: str = TITLE) -> ParsedDocument:
    """Blocks joined by blank lines, as ingest.parse joins them; spans index the joined text."""
    parts: list[str] = []
    elements: list[Element] = []
    pos = 0
    for b in blocks:
        if parts:
            parts.append("\n\n")
            pos += 2
        parts.append(b.text)
        elements.append(Element(b.kind, pos, pos + len(b.text), b.page, b.path, b.level))
        pos += len(b.text)
    pages = [b.page for b in blocks if b.page is not None]
    return ParsedDocument(
        "".join(parts), tuple(elements), title, "md", max(pages, default=0) or None
    )


def sentences(n: int, tag: str) -> str:
    """n ten-token sentences, all different."""
    return " ".join(
        f"The {NOUNS[i % len(NOUNS)]} {tag} {i} needs checking after {i + 3} hours."
        for i in range(n)
    )


def short_sentences(n: int) -> str:
    """n five-token sentences ("Valve 3 stays shut."): an 8-token overlap holds one, not two."""
    return " ".join(f"Valve {i} stays shut." for i in range(n))


def manual() -> ParsedDocument:
    """Sections with heading paths, long ones, tiny ones, repeated paragraphs, several pages."""
    wipe = "Wipe the housing with a dry cloth and check that no water has entered the motor."
    return make_doc(
        section(["Pump Manual"], sentences(2, "intro"), page=1)
        + section(
            ["Pump Manual", "Installation"],
            sentences(6, "mount"),
            sentences(6, "pipe"),
            sentences(6, "wire"),
            page=1,
        )
        + section(["Pump Manual", "Specs"], page=2)
        + section(["Pump Manual", "Specs", "Weight"], "12 kg.", page=2)
        + section(["Pump Manual", "Specs", "Colour"], "Blue.", page=2)
        + section(["Pump Manual", "Maintenance"], *[wipe] * 8, page=2)
        + section(["Pump Manual", "Troubleshooting"], sentences(3, "noise"), page=3)
        + [Block(ElementKind.TEXT, sentences(9, "leak"), ("Pump Manual", "Troubleshooting"), 4)]
    )


def chunker(settings: ChunkSettings = SETTINGS) -> Chunker:
    return Chunker(FakeCounter(), settings, split_sentences)


def overlapping(doc: ParsedDocument, chunk: Chunk) -> list[Element]:
    return [el for el in doc.elements if el.start < chunk.end and chunk.start < el.end]


def assert_fits(chunks: Sequence[Chunk], max_tokens: int) -> None:
    c = FakeCounter()
    for ch in chunks:
        n = c.count(ch.embed_text) + c.special_tokens
        assert n <= max_tokens, (n, ch.embed_text)
        assert ch.n_tokens == n, (ch.n_tokens, n)


def assert_covers(doc: ParsedDocument, chunks: Sequence[Chunk]) -> None:
    covered = bytearray(len(doc.text))
    for ch in chunks:
        covered[ch.start : ch.end] = b"\x01" * (ch.end - ch.start)
    for el in doc.elements:
        lost = [i for i in range(el.start, el.end) if not doc.text[i].isspace() and not covered[i]]
        assert not lost, f"dropped {doc.text[lost[0] : lost[-1] + 1]!r} of element {el}"


# -- invariants ------------------------------------------------------------------------
def test_spans_round_trip() -> None:
    doc = manual()
    chunks = chunker().chunk("doc-1", doc)
    assert len(chunks) >= 6
    for ch in chunks:
        assert doc.text[ch.start : ch.end] == ch.text
        assert ch.text and ch.text == ch.text.strip()
        assert ch.embed_text.endswith(ch.text)
        assert ch.document_id == "doc-1"
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    assert [c.start for c in chunks] == sorted(c.start for c in chunks)


def test_token_limit_and_count() -> None:
    doc = manual()
    chunks = chunker().chunk("doc-1", doc)
    assert_fits(chunks, SETTINGS.max_tokens)
    # The limit is actually reached: long sections are packed close to it, not cut early.
    assert max(c.n_tokens for c in chunks) > SETTINGS.max_tokens - 12


def test_nothing_dropped() -> None:
    doc = manual()
    assert_covers(doc, chunker().chunk("doc-1", doc))


def test_page_span_follows_elements() -> None:
    doc = manual()
    chunks = chunker().chunk("doc-1", doc)
    for ch in chunks:
        pages = [el.page for el in overlapping(doc, ch) if el.page is not None]
        assert (ch.page_start, ch.page_end) == (min(pages), max(pages))
    assert any(ch.page_start == 3 and ch.page_end == 4 for ch in chunks), "a chunk spans pages 3-4"


def test_sentence_longer_than_window_is_sliced_between_words() -> None:
    # One "sentence" of 120 hyphenated words (5 tokens each, no sentence end): far over the window.
    words = [f"{NOUNS[i % 8]}-to-{NOUNS[(i + 3) % 8]}" for i in range(120)]
    doc = make_doc(section(["Glossary"], " ".join(words)))
    chunks = chunker().chunk("doc-1", doc)
    body = [c for c in chunks if "-to-" in c.text]
    assert len(body) >= 10
    assert_fits(chunks, SETTINGS.max_tokens)
    assert_covers(doc, chunks)
    text = doc.text
    for ch in body:
        # Every cut falls between two words, never inside "pump-to-hose".
        assert ch.start == 0 or text[ch.start - 1].isspace(), text[ch.start - 8 : ch.start + 8]
        assert ch.end == len(text) or text[ch.end].isspace(), text[ch.end - 8 : ch.end + 8]
        assert doc.text[ch.start : ch.end] == ch.text


def test_long_title_and_heading_path_are_cut_in_the_prefix() -> None:
    title = "A Very Long Title " * 10
    path = tuple(f"Chapter {i} About Many Different Things" for i in range(5))
    doc = make_doc(section(path, sentences(12, "deep")), title=title)
    ch = chunker()
    prefix = ch.prefix(title, path)
    assert FakeCounter().count(prefix) == SETTINGS.prefix_max_tokens
    assert title.startswith(prefix)
    chunks = ch.chunk("doc-1", doc)
    assert len(chunks) >= 2
    assert_fits(chunks, SETTINGS.max_tokens)
    assert_covers(doc, chunks)
    for c in chunks:
        assert c.heading_path == path
        assert c.embed_text == f"{prefix}\n\n{c.text}"


@pytest.mark.parametrize("max_tokens", [32, 50])
def test_prefix_larger_than_the_window_still_chunks(max_tokens: int) -> None:
    """Valid settings (max_tokens >= 32, prefix_max_tokens defaults to 48) with a deep heading
    path leave the chunk text a budget <= 0. The chunker must still fit every chunk in the
    window (cutting the prefix further), or refuse the settings with a clear error; it must
    not crash (budget < 0) or loop forever (budget == 0)."""
    try:
        settings = ChunkSettings(max_tokens=max_tokens, overlap_tokens=0, min_tokens=0)
    except ValidationError:
        return  # refusing such settings up front is a fix too
    path = tuple(f"Heading number {i} of the long path" for i in range(6))
    doc = make_doc(section(path, sentences(3, "body"), heading=False))
    with deadline(0.5):
        try:
            chunks = chunker(settings).chunk("doc-1", doc)
        except ConfigError:
            return
    assert chunks
    assert_fits(chunks, max_tokens)
    assert_covers(doc, chunks)


def test_text_between_elements_counts_against_the_window() -> None:
    """A chunk's text runs from its first to its last unit, so text that no element covers
    (a skipped running header, say) is embedded too: the exact count must catch it."""
    gap = " ".join(["HEADER"] * 40)
    parts = [sentences(2, "one"), gap, sentences(2, "two"), gap, sentences(2, "three")]
    text = "\n\n".join(parts)
    elements, pos = [], 0
    for i, part in enumerate(parts):
        if i % 2 == 0:  # the gaps are no element
            elements.append(Element(ElementKind.TEXT, pos, pos + len(part), None, ("Body",)))
        pos += len(part) + 2
    doc = ParsedDocument(text, tuple(elements), TITLE, "text", None)
    chunks = chunker().chunk("doc-1", doc)
    assert_fits(chunks, SETTINGS.max_tokens)
    assert_covers(doc, chunks)
    for ch in chunks:
        assert doc.text[ch.start : ch.end] == ch.text


def test_empty_document_gives_no_chunks() -> None:
    doc = ParsedDocument(
        "   \n\n  ", (Element(ElementKind.TEXT, 0, 7, None, ()),), "T", "text", None
    )
    assert chunker().chunk("doc-1", doc) == []
    assert chunker().chunk("doc-1", ParsedDocument("", (), "T", "text", None)) == []


# -- ids ---------------------------------------------------------------------------------
def test_ids_are_stable() -> None:
    doc = manual()
    first = chunker().chunk("doc-1", doc)
    again = chunker().chunk("doc-1", manual())
    assert [c.id for c in first] == [c.id for c in again]
    assert first == again
    # The id is per document: the same text in another document is another chunk.
    other = chunker().chunk("doc-2", doc)
    assert not {c.id for c in first} & {c.id for c in other}


def test_editing_one_section_changes_only_its_ids() -> None:
    def doc(install_tag: str) -> ParsedDocument:
        return make_doc(
            section(["Intro"], sentences(3, "intro"))
            + section(["Installation"], sentences(12, install_tag))
            + section(["Maintenance"], sentences(10, "care"))
        )

    before = chunker().chunk("doc-1", doc("mount"))
    after = chunker().chunk("doc-1", doc("mounting"))  # longer: every later offset shifts

    def ids(chunks: list[Chunk], path: tuple[str, ...]) -> list[str]:
        return [c.id for c in chunks if c.heading_path == path]

    assert ids(before, ("Intro",)) == ids(after, ("Intro",))
    assert ids(before, ("Maintenance",)) == ids(after, ("Maintenance",))
    assert ids(before, ("Maintenance",)), "Maintenance has chunks"
    # Offsets moved, ids did not.
    assert [c.start for c in before if c.heading_path == ("Maintenance",)] != [
        c.start for c in after if c.heading_path == ("Maintenance",)
    ]
    changed = set(ids(before, ("Installation",))) ^ set(ids(after, ("Installation",)))
    assert changed and not set(ids(before, ("Installation",))) & set(ids(after, ("Installation",)))


def test_ids_unique_with_repeated_paragraphs() -> None:
    wipe = "Wipe the housing with a dry cloth and check that no water has entered the motor."
    warning = "Never run the pump dry, the seal burns within seconds and must then be replaced."
    doc = make_doc(
        section(["Maintenance"], *[wipe] * 12, heading=False)
        + section(["Warning"], warning)
        + section(["Other"], sentences(3, "other"))
        + section(["Warning"], warning)  # same path, same text, elsewhere in the document
    )
    chunks = chunker().chunk("doc-1", doc)
    ids = [c.id for c in chunks]
    assert len(set(ids)) == len(ids), ids
    embedded = [c.embed_text for c in chunks]
    assert len(set(embedded)) < len(embedded), "the document really repeats a chunk"
    assert [c.id for c in chunker().chunk("doc-1", doc)] == ids


# -- structure ---------------------------------------------------------------------------
def test_heading_paths_and_prefix() -> None:
    doc = manual()
    chunks = chunker().chunk("doc-1", doc)
    single = 0
    for ch in chunks:
        paths = {el.heading_path for el in overlapping(doc, ch)}
        if len(paths) == 1:
            single += 1
            assert ch.heading_path == next(iter(paths))
        prefix = f"{doc.title}\n{' > '.join(ch.heading_path)}" if ch.heading_path else doc.title
        assert ch.embed_text == f"{prefix}\n\n{ch.text}"
    assert single >= 5
    assert {c.heading_path for c in chunks} >= {
        ("Pump Manual", "Installation"),
        ("Pump Manual", "Maintenance"),
        ("Pump Manual", "Troubleshooting"),
    }


def _pairs(chunks: list[Chunk], path: tuple[str, ...]) -> list[tuple[Chunk, Chunk]]:
    mine = [c for c in chunks if c.heading_path == path]
    return list(itertools.pairwise(mine))


def test_consecutive_pieces_of_a_long_section_overlap_by_whole_sentences() -> None:
    doc = make_doc(section(["Valves"], short_sentences(40)))
    chunks = chunker().chunk("doc-1", doc)
    pairs = _pairs(chunks, ("Valves",))
    assert len(pairs) >= 3
    counter = FakeCounter()
    for a, b in pairs:
        assert a.start < b.start < a.end, "the next piece starts inside the previous one"
        shared = doc.text[b.start : a.end]
        assert 0 < counter.count(shared) <= SETTINGS.overlap_tokens
        assert shared.endswith(".") and doc.text[b.start - 1].isspace(), shared
    assert_covers(doc, chunks)


def test_no_overlap_when_overlap_tokens_is_zero() -> None:
    doc = make_doc(section(["Valves"], short_sentences(40)))
    settings = SETTINGS.model_copy(update={"overlap_tokens": 0})
    chunks = chunker(settings).chunk("doc-1", doc)
    pairs = _pairs(chunks, ("Valves",))
    assert len(pairs) >= 3
    for a, b in pairs:
        assert b.start >= a.end
    assert_covers(doc, chunks)


def test_small_sections_are_packed_with_the_following_ones() -> None:
    doc = make_doc(
        section(["Specs", "Weight"], "12 kg.")
        + section(["Specs", "Colour"], "Blue.")
        + section(["Specs", "Voltage"], "230 V.")
        + section(["Care"], sentences(3, "care"))
    )
    chunks = chunker().chunk("doc-1", doc)
    first = chunks[0]
    assert "Weight" in first.text and "Colour" in first.text and "230 V." in first.text
    # Without a floor every section is its own chunk.
    unpacked = chunker(SETTINGS.model_copy(update={"min_tokens": 0})).chunk("doc-1", doc)
    assert len(unpacked) == 4 > len(chunks)
    assert [c.heading_path for c in unpacked][:3] == [
        ("Specs", "Weight"),
        ("Specs", "Colour"),
        ("Specs", "Voltage"),
    ]


def test_packed_sibling_sections_get_their_common_heading_path() -> None:
    """Weight, Colour and Voltage packed together are all under "Specs"; calling the chunk
    "Specs > Voltage" mislabels the weight and colour (in citations and in the embedded
    prefix)."""
    doc = make_doc(
        section(["Specs", "Weight"], "12 kg.")
        + section(["Specs", "Colour"], "Blue.")
        + section(["Specs", "Voltage"], "230 V.")
    )
    chunks = chunker().chunk("doc-1", doc)
    assert len(chunks) == 1
    assert chunks[0].heading_path == ("Specs",)
    assert chunks[0].embed_text.startswith(f"{TITLE}\nSpecs\n\n")


def test_two_small_siblings_get_their_common_path() -> None:
    doc = make_doc(section(["Specs", "Weight"], "12 kg.") + section(["Specs", "Colour"], "Blue."))
    chunks = chunker().chunk("doc-1", doc)
    assert len(chunks) == 1
    assert chunks[0].heading_path == ("Specs",)


def test_heading_only_section_merges_into_the_next_and_keeps_the_specific_path() -> None:
    doc = make_doc(
        section(["Chapter 1"])  # the heading and nothing else
        + section(["Chapter 1", "Scope"], sentences(3, "scope"))
        + section(["Chapter 2"], sentences(3, "two"))
    )
    chunks = chunker().chunk("doc-1", doc)
    assert chunks[0].text.startswith("Chapter 1\n\nScope\n\nThe ")
    assert chunks[0].heading_path == ("Chapter 1", "Scope")
    assert chunks[0].embed_text.startswith(f"{TITLE}\nChapter 1 > Scope\n\n")
    assert [c.heading_path for c in chunks[1:]] == [("Chapter 2",)]


def test_a_heading_opens_the_chunk_of_a_child_section_too_long_to_join_whole() -> None:
    """A parent heading with nothing under it but a long child section was a chunk of its own:
    "ARTICLE XIII CONFIDENTIALITY" alone matched a question about confidentiality best and held
    nothing that answers it."""
    doc = make_doc(
        section(["Article 6"]) + section(["Article 6", "Confidentiality"], sentences(6, "secret"))
    )
    chunks = chunker().chunk("doc-1", doc)
    assert chunks[0].text.startswith("Article 6\n\nConfidentiality\n\nThe pump secret 0 ")
    assert chunks[0].heading_path == ("Article 6", "Confidentiality")
    assert all("secret" in c.text for c in chunks)
    assert_fits(chunks, SETTINGS.max_tokens)
    assert_covers(doc, chunks)


def test_a_heading_is_not_a_chunk_when_the_first_sentence_under_it_is_long() -> None:
    """A contract's "6. Mutual Non-Disparagement; No Public Statements." was a chunk, the clause
    under it (one long sentence) the next: the clause's start now joins its heading, cut between
    words."""
    clause = " ".join(f"{NOUNS[i % 8]}-to-{NOUNS[(i + 3) % 8]}" for i in range(14)) + "."
    doc = make_doc(section(["Non-Disparagement"], clause, sentences(2, "after")))
    chunks = chunker().chunk("doc-1", doc)
    assert chunks[0].text.startswith("Non-Disparagement\n\npump-to-motor valve-to-hose")
    assert all("-to-" in c.text for c in chunks)
    assert len(chunks) == 2
    assert_fits(chunks, SETTINGS.max_tokens)
    assert_covers(doc, chunks)
    text = doc.text
    assert text[chunks[0].end].isspace() and text[chunks[1].start - 1].isspace()


def test_a_heading_longer_than_the_room_under_a_deeper_path_still_chunks() -> None:
    """A parent heading that fit its own short path can leave no room under its child's longer
    one (the prefix grows): it must not be cut into nothing, nor loop forever."""
    settings = ChunkSettings(max_tokens=32, overlap_tokens=0, min_tokens=64, prefix_max_tokens=48)
    parent = "Terms " + " ".join(f"w{i}" for i in range(20))
    child = (parent, *(f"Heading number {i} of the long path" for i in range(4)))
    doc = make_doc(section([parent]) + section(child, sentences(3, "body"), heading=False))
    with deadline(0.5):
        chunks = chunker(settings).chunk("doc-1", doc)
    assert_fits(chunks, 32)
    assert_covers(doc, chunks)


def test_fingerprint_follows_settings() -> None:
    assert chunker().fingerprint() == chunker(SETTINGS.model_copy()).fingerprint()
    other = SETTINGS.model_copy(update={"overlap_tokens": 0})
    assert chunker().fingerprint() != chunker(other).fingerprint()


def test_the_sentence_splitter_splits_as_llama_index_does() -> None:
    """rag.text calls nltk punkt itself (importing llama-index for it took 1.6 s of every
    `rag ask`); the pieces must stay those of llama-index's SentenceSplitter."""
    from llama_index.core.node_parser.text.utils import split_by_sentence_tokenizer

    from rag.text import sentence_splitter

    theirs, ours = split_by_sentence_tokenizer(), sentence_splitter()
    texts = [
        "Press the Home button. Select Settings > General. The TV restarts.",
        'He said "Stop." Then left! Did he? Yes... 2.5 kg, e.g. the U.S.A. model.',
        "  Leading space. Section 4.2 applies (see Exhibit A). Mr. Smith signs.\n\nNext para.",
        "No full stop at all",
        "",
        " ".join(f"Sentence {i} of a long paragraph ends here." for i in range(60)),
    ]
    for text in texts:
        assert ours(text) == theirs(text)
        assert "".join(ours(text)).strip() == text.strip()


def test_optional_backends_are_kept_out_of_the_splitter_only() -> None:
    import importlib
    import sys

    from rag.text import _unimportable

    sys.modules.pop("colorsys", None)
    json_module = sys.modules["json"]
    with _unimportable("colorsys", "json"):
        with pytest.raises(ImportError):
            importlib.import_module("colorsys")
        assert importlib.import_module("json") is json_module  # imported already: untouched
    assert importlib.import_module("colorsys").rgb_to_hsv(1, 0, 0) == (0.0, 1.0, 1)


def test_a_quote_is_not_cut_after_an_abbreviation() -> None:
    """punkt's default parameters end a sentence after "Inc." and "Dr."; a quote does not."""
    from rag.text import sentence_spans, whole_sentence

    text = (
        'This Agreement is made by and between Driven Deliveries, Inc. ("Company"), a Nevada '
        "corporation, and Acme Corp. The services are overseen by Dr. Murray of the Company. "
        "Payment is due within thirty (30) days of the invoice date, without set-off."
    )
    spans = sentence_spans(text)
    cut = [text[a:b] for a, b in spans]
    assert cut[0].endswith("Driven Deliveries, Inc.")  # what punkt does
    whole = [text[slice(*whole_sentence(text, a, b))] for a, b in spans]
    assert whole[0] == whole[1] == text[: text.index(" The services")]
    # Tail pieces are joined backwards too; "Corp. The services" is two sentences.
    assert "Dr. Murray of the Company." in whole[-2] and whole[-2].startswith("The services")
    assert whole[-1].startswith("Payment")
    # A clause's run-in heading is quoted with its clause; a manual's short step is not.
    clause = (
        "a) Assignment. Neither party may assign this Agreement, in whole or in part, without "
        "the other party's written consent, which will not be unreasonably withheld. b) Governing "
        "Law. This Agreement will be governed by the laws of the State of New York. Select "
        "Reset. The PIN window appears."
    )
    pieces = sentence_spans(clause)
    heading = next(p for p in pieces if clause[slice(*p)] == "b) Governing Law.")
    quote = clause[slice(*whole_sentence(clause, *heading))]
    assert (
        quote
        == "b) Governing Law. This Agreement will be governed by the laws of the State of New York."
    )
    step = next(p for p in pieces if clause[slice(*p)] == "Select Reset.")
    assert whole_sentence(clause, *step) == step
    # A cut at a line end is a real one: a heading or a signature block.
    block = "Acme, Inc.\nBy: /s/ Jane Roe, an officer of the corporation, on behalf of Acme. " * 4
    for a, b in sentence_spans(block):
        assert whole_sentence(block, a, b) == (a, b)

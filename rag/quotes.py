"""Quotes: a source's sentences as an answer cites them, with their span in the document."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

from rag.evidence import Sentence, Source, header, heading_line
from rag.lexical import porter_stems
from rag.text import overlap, sentence_spans, stems, whole_sentence
from rag.wording import akin, lead_in, matter, names, short, words


@dataclass(frozen=True, slots=True)
class Citation:
    n: int
    source: str
    title: str
    document_id: str
    chunk_id: str
    heading_path: tuple[str, ...]
    page: int | None
    start: int  # the supporting span in the document's canonical text
    end: int
    quote: str


@dataclass(frozen=True, slots=True)
class AnswerSentence:
    text: str
    citations: tuple[Citation, ...]
    # How well the cited passage supports the sentence, 0 to 1; 1 for a verbatim quote.
    support: float
    supported: bool
    # The sentence is the cited passage's own words (extract mode, or a generated sentence
    # that only restated the question, replaced by the sentence it cited).
    verbatim: bool = False


def whole(source: Source, sentence: Sentence) -> Sentence:
    """The sentence as a quote shows it: not cut after "Inc." or "Dr." (`whole_sentence`), and
    a heading line with the sentence under it, where its chunk goes on with one: "10.
    NON-SOLICITATION OF PERSONNEL" alone says that the clause is there, not what it says."""
    c = source.hit.chunk
    a, b = whole_sentence(c.text, sentence.start - c.start, sentence.end - c.start)
    if heading_line(c, a, b):
        under = next(((x, y) for x, y in sentence_spans(c.text) if x >= b), None)
        if under is not None and not heading_line(c, *under):
            b = whole_sentence(c.text, *under)[1]
    return replace(sentence, start=c.start + a, end=c.start + b, text=c.text[a:b])


def onward(source: Source, sentence: Sentence, more: int = 3) -> Sentence:
    """From `sentence` to the end of its source, and on through up to `more` sentences of its
    chunk: for a how-to question, the steps that follow what it describes, which the source (a
    sentence each side of the best) often cuts short ("Pair the TV with the Samsung Smart
    Remote. When you turn on the TV for the first time, ... If the Samsung Smart Remote does not
    pair to the TV automatically, point it at the remote control sensor ..."). A short line
    closing the source stays: it may be the next section's title ("Call log"), or the menu path
    the steps take ("Settings Support Software Update Try Now", as a DOCX manual lays it out);
    a stray title costs less than a lost path. Past the source, a heading line ends it: the
    next section begins (and so it does not go on past one closing the source).

    Replayed on the model outputs of `bench/answers.sh`, without the heading stop (`more` 0 ->
    1 / 2 / 3 / the chunk's end): token F1 S10 0.416 -> 0.430 / 0.439 / 0.447 / 0.448, TV 0.319
    -> 0.321 / 0.327 / 0.330 / 0.334; extract mode S10 0.491 -> 0.505 / 0.518 / 0.522 / 0.512.
    With it, at 3: S10 0.447, TV 0.331, extract mode S10 0.522, TV 0.396 -> 0.412."""
    c = source.hit.chunk
    end = max(sentence.end, source.end) - c.start  # offsets in the chunk from here on
    spans = sentence_spans(c.text)
    if not any(b == end and heading_line(c, a, b) for a, b in spans):
        for a, b in [(a, b) for a, b in spans if b > end][:more]:
            if heading_line(c, a, b):
                break
            end = b
    start = _from_the_step(c.text, spans, sentence.start - c.start)
    # A number alone closing the quote begins what comes next: EDGAR text sets a clause's
    # number apart from its title ("2.       PAYMENTS"), so "... in such notice of
    # termination. 2." ends at "termination.".
    while (
        last := next((a for a, b in spans if b == end and a > start), None)
    ) is not None and _NUMBER.fullmatch(c.text[last:end]):
        end = max((b for a, b in spans if b <= last), default=last)
    return replace(sentence, start=c.start + start, end=c.start + end, text=c.text[start:end])


# A clause's number with nothing after it: "2.", "4.1", "(b)", "IV.".
_NUMBER = re.compile(r"\(?(?:\d{1,3}(?:\.\d{1,3})*|[A-Za-z]|[IVXLC]{1,6})[.)]?")


# An item of a settings list ("Time : Set a time for the alarm.") and a step ("From Clock, tap
# Add alarm.", "Tap ...").
_ITEM = re.compile(r"^[^:.\n]{1,40}\s?:\s")
_STEP = re.compile(r"^(?:From|Tap|Touch|Press|Select|Open|Swipe|Drag|Go\s+to)\b")


def _from_the_step(text: str, spans: list[tuple[int, int]], start: int, items: int = 6) -> int:
    """Where a how-to quote that begins at an item of a list starts: at the lead-in that
    announces the list, and at the step just before it, if any ("From Clock, tap Add alarm.
    Tap the following items to configure an alarm: Time : Set a time for the alarm."); the
    item itself said only what one setting does."""
    before = [(a, b) for a, b in spans if b <= start]
    i = len(before)
    while (
        i
        and items
        and _ITEM.match(text[slice(*before[i - 1])])
        and not lead_in(text[slice(*before[i - 1])])
    ):
        i, items = i - 1, items - 1
    if not i or not lead_in(text[slice(*before[i - 1])]):
        return start
    i -= 1
    if i and _STEP.match(text[slice(*before[i - 1])]):
        i -= 1
    return before[i][0]


def citation(source: Source, sentence: Sentence) -> Citation:
    """`sentence` as cited: already `whole`."""
    c = source.hit.chunk
    return Citation(
        source.n,
        source.hit.source,
        source.hit.title,
        c.document_id,
        c.id,
        c.heading_path,
        c.page_start,
        sentence.start,
        sentence.end,
        sentence.text,
    )


def quoted(
    sentence: AnswerSentence, shown: str, steps: dict[int, Source] | None = None
) -> AnswerSentence | None:
    """The cited sentence, verbatim, in place of a claim that only restated the question or a
    header.

    A small model often answers "How can I encrypt the SD card?" with "Encrypt SD card. [1]"
    (S10: 6 of 45 answers, TV: 14 of 63): supported, correctly cited, and of no use. The
    sentence it cites says how ("From Settings, tap Biometrics and security > Encrypt or
    decrypt SD card."); the citation stays the same. None when the cited sentence adds
    nothing either: neither says anything. Replayed on the model outputs of `bench/answers.sh`:
    token F1 S10 0.294 -> 0.319, TV 0.213 -> 0.269 (ROUGE-L 0.272 -> 0.299, 0.187 -> 0.243);
    citations and abstentions unchanged.

    `steps` (the sources by number, for a how-to question): the quote runs on to the end of
    its source, where the steps follow what the cited sentence describes ("Capture an image of
    your screen. ... From any screen, press and release the Power and Volume down keys.").
    """
    (c,) = sentence.citations
    if not stems(c.quote) - stems(shown):
        return None
    if steps is not None and c.n in steps:
        src = steps[c.n]
        c = citation(src, onward(src, Sentence(c.start, c.end, c.quote, 0.0)))
    return replace(
        sentence, text=" ".join(c.quote.split()), citations=(c,), support=1.0, verbatim=True
    )


def instead_of_context(
    sentence: AnswerSentence, by_n: Mapping[int, Source], steps: bool, margin: float = 0.1
) -> AnswerSentence:
    """A copy of a sentence its source gave as context, much farther from the question than the
    sentence the source was chosen for, gives way to that sentence, quoted.

    A source is its best sentence with a neighbour each side, and the 0.5B model often copies
    the first one: "Which law governs the Beyond.com co-hosting agreement?" got "Neither party
    may assign this Agreement without the other's prior written approval, except by operation
    of law ... [1]." (question score 0.75) from a source chosen for "(e) This Agreement will be
    governed and interpreted according to the laws of the State of California ..." (0.88).
    Replayed on the model outputs of `bench/answers.sh` (margin 0.1 / 0.15 / 0.25 / 0.35, the
    best sentence alone): token F1 S10 0.447 -> 0.460 / 0.460 / 0.466 / 0.464, TV 0.331 ->
    0.336 / 0.336 / 0.334 / 0.331; TV citation precision 0.577 -> 0.597 / 0.597 / 0.589 /
    0.587; CUAD unchanged. At 0.1, a how-to answer's quote running on through the steps
    (`onward`) as a restated one does: S10 0.480, TV 0.345 (S10 7 answers better, none worse;
    TV 8 better, 2 worse). Keeping a copied step instead ("Tap ...", "Select ..."): S10 0.457,
    TV 0.342 (the step the source was chosen for is more often the one asked for).
    """
    (c,) = sentence.citations
    src = by_n[c.n]
    copied = [s for s in src.sentences if s.start < c.end and c.start < s.end]
    # Not for a heading or a label: "Bixby" is closest to "What is Bixby?", and the model
    # rightly copied "Bixby is a virtual assistant that learns, evolves, and adapts to you."
    # Nor for a lead-in, unless the steps it announces are quoted after it ("From Settings,
    # tap Display > Dark mode for the following options:" alone answered "What should I do if
    # the screen is too dark?").
    said = [
        s
        for s in src.sentences
        if not is_heading(src, s) and not short(s.text) and (steps or not lead_in(s.text))
    ]
    if not copied or not said:
        return sentence
    best = max(said, key=lambda s: s.score)
    if max(s.score for s in copied) >= best.score - margin:
        return sentence
    if overlap(sentence.text, c.quote) < 0.9 or overlap(c.quote, sentence.text) < 0.8:
        return sentence  # it says something of its own
    best = whole(src, best)
    q = citation(src, onward(src, best) if steps else best)
    text = " ".join(q.quote.split())
    return replace(sentence, text=text, citations=(q,), support=1.0, verbatim=True)


# A run-in heading numbered after its title, which a filing flattened into the paragraph
# ("... willful misconduct. Liability Insurance 51. The Venture may acquire insurance ..."): the
# sentence splitter makes a sentence of it, and "What are the insurance requirements?" quoted it.
_NUMBERED_TITLE = re.compile(r"(?:[A-Z][\w'&-]*\s+){1,6}\d+(?:\.\d+)*\.?")


def is_heading(source: Source, sentence: Sentence) -> bool:
    c = source.hit.chunk
    return (
        heading_line(c, sentence.start - c.start, sentence.end - c.start)
        or _NUMBERED_TITLE.fullmatch(sentence.text.strip()) is not None
    )


def names_held(source: Source, asking: set[str]) -> bool:
    """The source's passage, or its header, holds every name in `asking` (`wording.names` of a
    question): "How do I record a TV program?" is not answered by the Galaxy S10 manual's
    "Record videos", nor "Which contracts are governed by Delaware law?" by a Tennessee
    governing-law clause. A contract calls its parties "the Company" after its opening: a
    party's name counts as held where the document's title holds it, words glued together as
    in a file name ("DRIVENDELIVERIES,INC_05_22_2020-EX-10.4-CONSULTING AGREEMENT" holds
    "Driven" and "Deliveries")."""
    held = words(f"{header(source)} {source.hit.chunk.text}")
    glued = re.sub(r"[\W_]+", "", source.hit.title).lower()
    return all(n in held or (len(n) > 2 and n in glued) for n in asking)


def asks_of(asked: str) -> set[str]:
    """What a yes/no question asks of a passage beyond the names it asks about (an affirmation
    of a name is checked on its own; a denial's need not be there): "Is the Morgan Stanley
    trademark license exclusive?" asks "trademark", "licens" and "exclus"; "Can Sykes terminate
    the agreement without cause?", "termin" and "caus"."""
    return matter(asked) - porter_stems(" ".join(names(asked)))


def lacks(source: Source, asks: set[str]) -> bool:
    """The source holds no more than half of what is asked (`asks_of`) beyond its header, which
    names the document (half is not most: "Is the Morgan Stanley trademark license
    exclusive?" and the signature block "[Signature Page to Trademark License Agreement]")."""
    if not asks:  # not a yes/no question: no header or passage to stem
        return False
    need = asks - porter_stems(header(source))
    return bool(need) and 2 * len(akin(need, porter_stems(source.text))) <= len(need)


def headings(source: Source) -> str:
    """The headings over a source and in it."""
    lines = [s.text for s in source.sentences if is_heading(source, s)]
    return " ".join([*source.hit.chunk.heading_path, *lines])


def citation_json(c: Citation) -> dict[str, object]:
    return {
        "n": c.n,
        "source": c.source,
        "title": c.title,
        "document_id": c.document_id,
        "chunk_id": c.chunk_id,
        "heading_path": list(c.heading_path),
        "page": c.page,
        "start": c.start,
        "end": c.end,
        "quote": c.quote,
    }

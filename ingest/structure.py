"""Document structure the parsers do not give us: contract clauses, page margins, text offsets.

unstructured's "fast" PDF path classifies by typography heuristics: it calls "1.2 'Net Sales'
shall mean [***]." a Title and some PDFs come out as one element per page. Contracts announce
their structure in words instead ("ARTICLE IV", "Section 7.", "7.3 Termination."), so for PDFs
and plain text we find clause headings by pattern, inside elements too.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

# A clause number at the start of a paragraph: "ARTICLE IV", "Section 7.3", "7.", "7.3", "7.3.1".
_CLAUSE = re.compile(
    r"""^(?:
        (?P<word>ARTICLE|Article|SECTION|Section)\s+(?P<wnum>[0-9]{1,3}(?:\.[0-9]{1,3}){0,3}|[IVXLC]{1,7})\b\.?
      | (?P<num>[0-9]{1,2}(?:\.[0-9]{1,3}){1,3}|[0-9]{1,2}(?=\.))\.?(?=\s+[A-Z“"(])
    )""",
    re.VERBOSE,
)
# Where a clause may start inside a run-on paragraph (PDFs that give one element per page):
# after a sentence end, or after a wide gap.
_CLAUSE_INSIDE = re.compile(
    r"""(?:(?<=[.:;]\s)|(?<=[.:;]["”)]\s)|(?<=\s{3}))
        (?=(?:ARTICLE|SECTION|Section)\s+(?:[0-9]{1,3}|[IVXLC]{1,7})\b
          |[0-9]{1,2}\.[0-9]{1,3}(?:\.[0-9]{1,3})?\.?\s+[A-Z“"]
          |[0-9]{1,2}\.\s+[A-Z][a-z])""",
    re.VERBOSE,
)
# Paragraph breaks inside an element: blank lines, or the wide gaps of EDGAR text exports.
_PARAGRAPH_GAP = re.compile(r"\n\s*\n|[ \t]{3,}")
_QUOTED_TERM = re.compile(r'^\s*([“"][^”"]{1,80}[”"])')
_PAGE_NUMBER = re.compile(
    r"^\s*(?:page\s*)?[-–—]?\s*\d{1,4}\s*[-–—]?(?:\s*of\s*\d{1,4})?\s*$", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class Heading:
    level: int
    label: str
    # True when the paragraph is only the heading ("SECTION 1", "RECITALS").
    bare: bool
    # "7.3 Termination" is numbered; a caption such as "RECITALS" is not.
    numbered: bool = True


def clause_heading(text: str) -> Heading | None:
    """The heading a contract paragraph opens with, if any."""
    stripped = text.strip()
    m = _CLAUSE.match(stripped)
    if m is not None:
        number = m.group("wnum") or m.group("num") or ""
        depth = number.count(".") if number[:1].isdigit() else 0
        rest = stripped[m.end() :].strip()
        label = m.group(0).strip().rstrip(".") + _caption(rest)
        return Heading(level=depth, label=label[:120], bare=not rest)
    if _is_caption(stripped):
        return Heading(level=0, label=stripped[:120], bare=True, numbered=False)
    return None


def _caption(rest: str) -> str:
    """The clause title that follows its number: 'Termination', a defined term, or a few words."""
    if not rest:
        return ""
    quoted = _QUOTED_TERM.match(rest)
    if quoted is not None:
        return " " + quoted.group(1)
    sentence = re.split(r"(?<=[.:])\s", rest, maxsplit=1)[0].rstrip(".:")
    words = sentence.split()
    if len(words) <= 12:
        return " " + sentence
    return " " + " ".join(words[:6]) + " …"


def _is_caption(text: str) -> bool:
    """A short all-capitals line: 'RECITALS', 'DEFINITIONS', 'GOVERNING LAW'."""
    words = text.split()
    if not 1 <= len(words) <= 10 or text[-1:] in ".,;:":
        return False
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 4 and sum(c.isupper() for c in letters) >= 0.8 * len(letters)


def is_title_line(text: str) -> bool:
    """A short line in title case: 'Term and Termination', the title under a bare 'Section 10'
    (capitalised words, short link words aside; no closing punctuation)."""
    words = text.split()
    if not 1 <= len(words) <= 10 or text.rstrip()[-1:] in ".,;:" or not words[0][:1].isupper():
        return False
    long = [w for w in words if len(w) > 3]
    return sum(w[:1].isupper() for w in long) >= 0.8 * len(long)


def split_paragraphs(
    text: str, start: int, end: int, inside_clauses: bool
) -> list[tuple[int, int]]:
    """Split text[start:end] into paragraph spans (whitespace trimmed, never empty)."""
    cuts = [start]
    for m in _PARAGRAPH_GAP.finditer(text, start, end):
        cuts.append(m.end())
    if inside_clauses:
        cuts.extend(m.start() for m in _CLAUSE_INSIDE.finditer(text, start, end))
    cuts = [*sorted(set(cuts)), end]
    spans = []
    for a, b in itertools.pairwise(cuts):
        a, b = _trim(text, a, b)
        if a < b:
            spans.append((a, b))
    return spans


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


def repeated_margins(pages: Sequence[Sequence[str]], edge: int = 2) -> set[str]:
    """Normalised texts that recur at the top or bottom of many pages: headers and footers."""
    if len(pages) < 3:
        return set()
    seen: Counter[str] = Counter()
    for texts in pages:
        margin = list(texts[:edge]) + list(texts[-edge:])
        seen.update({margin_key(t) for t in margin})
    threshold = max(3, int(0.4 * len(pages)))
    return {key for key, n in seen.items() if n >= threshold and key}


def margin_key(text: str) -> str:
    """Page numbers differ from page to page; the rest of a running header does not."""
    return re.sub(r"\d+", "#", " ".join(text.lower().split()))


def is_page_number(text: str) -> bool:
    return bool(_PAGE_NUMBER.match(text))


def align(raw: str, pieces: Sequence[str]) -> list[tuple[int, int] | None]:
    """Find each piece in `raw`, in order, tolerating changed whitespace.

    Parsers normalise whitespace in element text; we need spans in the file's own text so that a
    citation is a file offset.
    """
    spans: list[tuple[int, int] | None] = []
    cursor = 0
    for piece in pieces:
        words = piece.split()
        if not words:
            spans.append(None)
            continue
        pattern = re.compile(r"\s*".join(re.escape(w) for w in words))
        m = pattern.search(raw, cursor)
        if m is None:
            spans.append(None)
            continue
        spans.append((m.start(), m.end()))
        cursor = m.end()
    return spans


class SpaceRestorer:
    """Put back the spaces that pdfminer drops at line ends ("thegenerality", "setforth").

    Many EDGAR PDFs place each line with a text-positioning operator and no space glyph; pdfminer
    (which unstructured's fast path uses) joins such lines with nothing, while PDFium sees the
    line break. We walk an element's characters along the same page's PDFium text, matching
    non-space characters, and insert a space wherever PDFium had whitespace and the element has
    none. On a mismatch we resynchronise on the next few characters, or leave the text as it is.
    """

    _PROBE = 12

    def __init__(self, reference: str) -> None:
        self._chars: list[str] = []
        self._gap: list[bool] = []
        gap = False
        for c in reference:
            if c.isspace():
                gap = True
                continue
            self._chars.append(c)
            self._gap.append(gap)
            gap = False
        self._stream = "".join(self._chars)
        self._pos = 0

    def restore(self, text: str) -> str:
        squeezed = "".join(c for c in text if not c.isspace())
        found = self._stream.find(squeezed[: self._PROBE], self._pos)
        if not squeezed or found < 0:
            return text
        p = found
        out: list[str] = []
        prev_space = True
        for i, c in enumerate(text):
            if c.isspace():
                out.append(c)
                prev_space = True
                continue
            if p >= len(self._chars) or self._chars[p] != c:
                rest = "".join(ch for ch in text[i:] if not ch.isspace())
                p = self._stream.find(rest[: self._PROBE], p)
                if p < 0:
                    out.append(text[i:])
                    return "".join(out)
            if self._gap[p] and not prev_space:
                out.append(" ")
            out.append(c)
            prev_space = False
            p += 1
        self._pos = p
        return "".join(out)

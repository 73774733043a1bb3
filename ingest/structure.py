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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

# A clause number at the start of a paragraph: "ARTICLE IV", "Section 7.3", "7.", "7.3", "7.3.1";
# not a sentence that starts with a reference ("Section 2, this Section 4.5, and Sections 6.2
# ... shall survive", "Section 10.5 and 10.14 of the Stock Purchase Agreement shall ...").
_NOT_A_HEADING = r"(?!\s*,|\.\d|\s+(?:and|or|through|to)\b)"
_CLAUSE = re.compile(
    r"""^(?:
        (?P<word>ARTICLE|Article|SECTION|Section)\s+(?P<wnum>[0-9]{1,3}(?:\.[0-9]{1,3}){0,3}|[IVXLC]{1,7})\b"""
    + _NOT_A_HEADING
    + r"""\.?
      | (?P<num>[0-9]{1,2}(?:\.[0-9]{1,3}){1,3}|[0-9]{1,2}(?=\.))\.?(?=\s+[A-Z“"(])
    )""",
    re.VERBOSE,
)
# Where a clause may start inside a run-on paragraph (PDFs that give one element per page):
# after a sentence end, or after a wide gap.
_CLAUSE_INSIDE = re.compile(
    r"""(?:(?<=[.:;]\s)|(?<=[.:;]["”)]\s)|(?<=\s{3}))
        (?=(?:ARTICLE|SECTION|Section)\s+(?:[0-9]{1,3}(?:\.[0-9]{1,3}){0,3}|[IVXLC]{1,7})\b"""
    + _NOT_A_HEADING
    + r"""
          |[0-9]{1,2}\.[0-9]{1,3}(?:\.[0-9]{1,3})?\.?\s+[A-Z“"]
          |[0-9]{1,2}\.\s+[A-Z](?:[a-z]|[A-Z]+\b))""",
    re.VERBOSE,
)
# Paragraph breaks inside an element: blank lines, or the wide gaps of EDGAR text exports.
_PARAGRAPH_GAP = re.compile(r"\n\s*\n|[ \t]{3,}")
# A title in capitals run into its clause ("TERM AND TERMINATION a) The term of ...", "PUBLICITY
# Unless required by law, ..."): up to 12 words in capitals, then one that is not.
_CAPITALS_TITLE = re.compile(
    r"^([A-Z][A-Z&/'’-]+(?:[ ,]+[A-Z][A-Z&/'’-]*){0,11})[ ,]+(?=[a-z(]|[A-Z][a-z])"
)
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
    capitals = _CAPITALS_TITLE.match(rest)
    if capitals is not None:
        return " " + capitals.group(1)
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
    text: str,
    start: int,
    end: int,
    inside_clauses: bool,
    joined: Sequence[tuple[int, int]] = (),
) -> list[tuple[int, int]]:
    """Split text[start:end] into paragraph spans (whitespace trimmed, never empty). A gap
    inside a `joined` span (a page break blanked out, see `page_breaks`) is no paragraph break."""
    cuts = [start]
    for m in _PARAGRAPH_GAP.finditer(text, start, end):
        if not any(a <= m.start() and m.end() <= b for a, b in joined):
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


def recurring_lines(pages: Sequence[Sequence[str]]) -> set[str]:
    """Texts found whole on many pages, wherever on the page (lower-cased, spaces squeezed): a
    running line the parser split into several blocks ("CONFIDENTIAL TREATMENT REQUESTED" |
    "WITH" | "RESPECT TO CERTAIN PORTIONS HEREOF" ...). Only texts that start as a line does
    (a capital, a quote), not a piece of a sentence (", however"); and numbers count, so
    clause numbers set apart ("2.1", "3.4") are not one text."""
    if len(pages) < 3:
        return set()
    seen: Counter[str] = Counter()
    for texts in pages:
        seen.update({line_key(t) for t in texts if t[:1].isupper() or t[:1] in '"“'})
    threshold = max(3, int(0.4 * len(pages)))
    return {key for key, n in seen.items() if n >= threshold and key}


def line_key(text: str) -> str:
    """A line as `recurring_lines` compares it: lower-cased, spaces squeezed."""
    return " ".join(text.lower().split())


def margin_key(text: str) -> str:
    """Page numbers differ from page to page; the rest of a running header does not."""
    return re.sub(r"\d+", "#", line_key(text))


def is_page_number(text: str) -> bool:
    # Short first: on a long line of spaces the pattern's runs of "\s*" take quadratic time.
    text = text.strip()
    return len(text) <= 40 and _PAGE_NUMBER.match(text) is not None


# A sentence ends here, perhaps inside a closing quote or bracket.
_SENTENCE_END = re.compile(r"[.:;!?][\"”’')\]]*$")
# An item of a list, not the rest of a sentence: "ii. Cardholders ...", "(b) the Supplier ...".
_ENUMERATOR = re.compile(r"^\(?(?:[ivxlc]{1,6}|[a-z])[.)]\s")
# Words a sentence does not end on, so a capital after them goes on with it ("... of the" |
# "Company, the MHC and the Bank ...").
_LINK_WORDS = frozenset(
    {"a", "an", "and", "any", "as", "at", "between", "by", "each", "for", "from", "in", "its"}
    | {"of", "on", "or", "such", "that", "the", "their", "this", "to", "under", "upon", "which"}
    | {"with"}
)
# Inside a page, a capital after "and" or "or" starts a list's next item ("...; and" | "WHEREAS").
_LINK_WORDS_IN_A_PAGE = _LINK_WORDS - {"and", "or"}


# A cross-reference split from its number: "... pursuant to Section" | "4.8(a) to Manufacturer's
# expense", "... under this Section" | "10, except ...".
_REFERENCE_WORD = re.compile(
    r"\s(?:[Ss]ections?|[Aa]rticles?|[Cc]lauses?|[Pp]aragraphs?|[Ee]xhibits?|[Ss]chedules?"
    r"|[Aa]nnex(?:es)?|[Aa]ppendix|[Ss]ubsections?)$"
)
# A defined term split inside its quotes ("(the “Late Payment" | "Date" | "”), interest ..."),
# or from its definition ("1.21 “Knowledge”" | "shall mean that which a Party knows ...");
# not a quotation whose sentence ends before the block does ("... as follows: “5.2 Invoicing.").
_OPEN_TERM = re.compile(r"“[^“”.:;]{0,40}$")
_DEFINES = re.compile(
    r"^(?:shall\s+(?:mean|have\s+the\s+meaning)|means|has\s+the\s+meaning)\b", re.IGNORECASE
)


def _splits_a_term(last: str, first: str) -> bool:
    """`last` | `first` split a cross-reference, a quoted term, or a term from its definition."""
    return (
        (_REFERENCE_WORD.search(last) is not None and first[0].isdigit())
        or _OPEN_TERM.search(last) is not None
        or (last.endswith("”") and _DEFINES.search(first) is not None)
    )


def runs_on(before: str, after: str, same_page: bool = False) -> bool:
    """Whether `after` goes on with the sentence that `before` broke off at a page break
    ("... then the party not in default" | "2" | "may, by giving written notice ..."): a split
    cross-reference or defined term, or no sentence end before it, neither side a heading, and
    `after` starts in lower case, or after a comma or a link word ("the", "of", ...) in words
    that are not all capitals. A capital after any other word is as often a title or a running
    line as the rest of a sentence. Inside a page (`same_page`), a capital after a comma,
    "and" or "or" is not taken: there it starts an item of a list ("...; and" | "WHEREAS")."""
    last = before.rstrip().rsplit("\n", 1)[-1].strip()
    first = after.lstrip().split("\n", 1)[0].strip()
    if not last or not first:
        return False
    if _splits_a_term(last, first):
        return True
    if _SENTENCE_END.search(last) or is_title_line(last):
        return False
    heading, words = clause_heading(last), len(last.split())
    if heading is not None and words <= 12 and len(heading.label.split()) >= words:
        return False  # "7.3 Termination", a line of a table of contents: a title, no sentence
    if first[0].islower():
        return _ENUMERATOR.match(first) is None
    opening = [w for w in first.split()[:3] if any(c.isalpha() for c in w)]
    if not opening or all(w.isupper() for w in opening) or clause_heading(first) is not None:
        return False  # "CERTAIN CONFIDENTIAL PORTIONS ...", "EXHIBIT A", "7.3 Term"
    if same_page:
        return last.split()[-1] in _LINK_WORDS_IN_A_PAGE
    return last.endswith(",") or last.split()[-1] in _LINK_WORDS


# A number at the end of a text, not a clause's ("Section 12") nor part of a figure ("9.5"),
# perhaps run into the sentence before it ("... of this agreement.2").
_TRAILING_NUMBER = re.compile(
    r"[-–—]?[ \t]*(?<![\d,$/])(?<!\d\.)(?<!section )(?<!article )(?<!clause )(?<!schedule )"
    r"(?<!exhibit )(\d{1,4})[ \t]*[-–—]?\s*$",
    re.IGNORECASE,
)


def _at_end(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    """`pattern`, which ends with "$", searched in the last 200 characters of `text` without its
    trailing whitespace: from every start in a long run of spaces, a pattern that opens on
    spaces runs through the whole run before failing (a line of 40,000 spaces took 30 s)."""
    end = len(text.rstrip())
    return pattern.search(text, max(0, end - 200), end)


def glued_margins(last_texts: Mapping[int, str]) -> dict[int, int]:
    """Pages whose last text ends with the page's margin, which the PDF's text layer ran into
    it, each with where the margin starts: a running footer ("... of the Services. TruckThat
    LLC Consulting Agreement Page 4 of 7"), or the page's printed number ("... supplied by the
    Supplier. 3"). A footer is three words or more, one of them a number, ending the last text
    of at least three pages and 40% of them; printed numbers must follow the pages' order (a
    constant offset from the page index) on three pages or more, so that a figure ending one
    page's text is not taken for one."""
    texts = dict(last_texts)
    cuts: dict[int, int] = {}
    keys = {p: margin_key(t).split() for p, t in texts.items()}
    need = max(3, int(0.4 * len(texts)))
    for size in range(12, 2, -1):
        ends = Counter(tuple(k[-size:]) for k in keys.values() if len(k) >= size)
        footer = next((e for e, n in ends.most_common() if n >= need and "#" in " ".join(e)), None)
        if footer is not None:
            for p, k in keys.items():
                if tuple(k[-size:]) == footer:
                    cuts[p] = [m.start() for m in re.finditer(r"\S+", texts[p])][-size]
                    texts[p] = texts[p][: cuts[p]].rstrip()
            break
    found = {p: m for p, t in texts.items() if (m := _at_end(_TRAILING_NUMBER, t))}
    offsets = Counter(int(m.group(1)) - p for p, m in found.items())
    if offsets and offsets.most_common(1)[0][1] >= 3:
        offset = offsets.most_common(1)[0][0]
        cuts.update({p: m.start() for p, m in found.items() if int(m.group(1)) - p == offset})
    return cuts


_WIDE_GAP = re.compile(r"[ \t]{3,}")
_PAGE_CHARS = 500  # a page holds more text than this
# A page's number that an export ran into the page's last line, after a wide gap ("... in
# connection with   22"), between dashes ("... Customer shall -17-"), or after a sentence's end
# ("... in doing the same. 8").
_GLUED_PAGE_NUMBER = re.compile(r"(?:[ \t]{3,}|[ \t]+(?=-)|(?<=[.;:)\]])[ \t]+)-?\d{1,4}-?$")


def page_breaks(text: str) -> list[tuple[int, int]]:
    """Spans of plain text from the end of a sentence's first part to the start of its rest,
    where only a page's margin comes between: EDGAR exports keep each page's number where the
    page ended ("... the party not in default\n\n2\n\nmay, by giving ..."; "... in connection
    with   22\n\n\n\n\n\nthe Services ..."), often beside a running line ("Google
    Confidential"), or mark a page by blank lines alone ("... All rights not herein
    specifically\n\n\n\n\n\ngranted to Company ..."). Margins between whole sentences, or
    after a heading (a table of contents), are left where they are (`_page_ends`)."""
    return page_spans(text)[0]


def page_margins(text: str) -> list[tuple[int, int]]:
    """Spans of the numbers of plain-text pages that end between sentences, on lines of their
    own or run into the page's last line ("... waiver or release.     27", "... OR OTHERWISE.
    -62-"); those inside a sentence are in its `page_breaks` span."""
    return page_spans(text)[1]


def page_spans(text: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """`page_breaks` and `page_margins` of one scan of the text."""
    ends = _page_ends(text)
    breaks = [(p.end, p.start) for p in ends if p.runs_on]
    return breaks, [m for p in ends if not p.runs_on for m in p.margins]


class _PageEnd(NamedTuple):
    end: int  # where the text before the page's margin ends
    start: int  # where the text after it starts
    margins: list[tuple[int, int]]  # its page numbers, blanked where no sentence runs on
    runs_on: bool  # a sentence goes on across the margin


def _page_ends(text: str) -> list[_PageEnd]:
    """Where pages end in plain text: a run of paragraphs of one line, each a page number or a
    running line (below), with a page number in it or at the end of the line before it, or
    three blank lines in a row (a paragraph's gap is one)."""
    # Each line's text, stripped, and where that text starts and ends.
    lines: list[tuple[str, int, int]] = []
    pos = 0
    for line in text.split("\n"):
        lead = len(line) - len(line.lstrip())
        lines.append((line.strip(), pos + lead, pos + len(line.rstrip())))
        pos += len(line) + 1
    # A running line recurs word for word ("Google Confidential"), or but for its numbers where
    # it names the page ("ACME Supply Agreement Page 3 of 9") or ends with it ("*** Confidential
    # treatment requested ...   4"); a line of the body that recurs but for its numbers
    # ("Clause 4: the fees ...") is no margin, and is never blanked out.
    exact = Counter(line for line, _, _ in lines if line)
    # Each line's page number run into its end, if it has one.
    glued_at = [_at_end(_GLUED_PAGE_NUMBER, line) for line, _, _ in lines]
    paged = Counter(
        margin_key(line)
        for (line, _, _), glued in zip(lines, glued_at, strict=True)
        if "page" in line.lower() or glued
    )

    # A running header that the export ran into the first line of each page, before a wide gap.
    heads = Counter(_WIDE_GAP.split(line, maxsplit=1)[0] for line, _, _ in lines if line)

    def margin(line: str) -> bool:
        return is_page_number(line) or (
            len(line) <= 400 and (exact[line] >= 3 or paged[margin_key(line)] >= 3)
        )

    # A page's number, on a line of its own or run into the end of its last line, is one
    # where the pages go on counting: the number before or after it, a page's text away, has
    # the one before or after it ("... that   23", "24"), so that a figure ending a line or
    # alone on one ("Total   2019", a table's "45"), or a table of contents' page, is not.
    numbers = []
    for k, (line, _, _) in enumerate(lines[:-1]):
        if is_page_number(line) and k and not lines[k - 1][0] and not lines[k + 1][0]:
            numbers.append((k, int(re.findall(r"\d+", line)[0])))
        elif not lines[k + 1][0] and (m := glued_at[k]):
            numbers.append((k, int(m.group().strip(" \t-"))))
    counted = {
        k
        for i, (k, n) in enumerate(numbers)
        for x in (i - 1, i + 1)
        if 0 <= x < len(numbers)
        and abs(n - numbers[x][1]) == 1
        and abs(lines[k][1] - lines[numbers[x][0]][1]) >= _PAGE_CHARS
    }
    out: list[_PageEnd] = []
    i = 1
    while i < len(lines):
        j = i  # lines i..j-1: blank or margins, a blank line first and last
        while j < len(lines) and (not lines[j][0] or margin(lines[j][0])):
            j += 1
        run = [line for line, _, _ in lines[i:j]]
        before, _, end = lines[i - 1]
        # Blanked between sentences: the page's counted numbers, not its running lines, which
        # cannot be told from a line of the body that recurs ("[***]", a table's "Clause").
        margins = [(x, y) for k in range(i, j) if k in counted for _, x, y in [lines[k]]]
        glued = glued_at[i - 1] if i - 1 in counted else None
        if glued is not None:
            margins.insert(0, (end - len(before) + glued.start(), end))
            before, end = before[: glued.start()], margins[0][0]
        after, start, _ = lines[j] if j < len(lines) else ("", 0, 0)
        head = _WIDE_GAP.split(after, maxsplit=1)
        if len(head) == 2 and len(head[0]) >= 20 and heads[head[0]] >= 3:
            after, start = head[1], start + len(after) - len(head[1])
        gaps = "".join("x" if line else "\n" for line in run)
        numbered = glued is not None or any(is_page_number(line) for line in run if line)
        if (
            j < len(lines)
            and before
            and len(run) >= 3
            and not run[0]
            and not run[-1]
            and (numbered or "\n\n\n" in gaps)
        ):
            out.append(_PageEnd(end, start, margins, runs_on(before, after)))
        i = max(j, i + 1)
    return out


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
        # PDFium gives U+FFFE for a hyphen that breaks a word at a line's end ("anti\ufffe
        # corruption"), where pdfminer gives "-".
        for c in reference.replace("\ufffe", "-"):
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
        if found < 0:
            # pdfminer's order is not always PDFium's: a running line at the page's foot can come
            # first ("Source: MORGAN STANLEY DIRECT LENDING FUND, 10-12G/A"), and every element
            # after it would then be looked for past it.
            found = self._stream.find(squeezed[: self._PROBE])
        if not squeezed or found < 0:
            return text
        p = found
        out: list[str] = []
        prev_space = True
        unread = 0  # characters PDFium reads otherwise, kept as they are
        for i, c in enumerate(text):
            if c.isspace():
                out.append(c)
                prev_space = True
                continue
            if unread:
                out.append(c)
                unread -= 1
                continue
            if p >= len(self._chars) or self._chars[p] != c:
                # Resynchronise where the next characters are found again, passing over up to
                # two that PDFium reads otherwise.
                rest = "".join(ch for ch in text[i:] if not ch.isspace())
                k, q = next(
                    (
                        (k, q)
                        for k in range(3)
                        if (q := self._stream.find(rest[k : k + self._PROBE], p)) >= 0
                    ),
                    (0, -1),
                )
                if q < 0:
                    out.append(text[i:])
                    return "".join(out)
                p = q
                if k:
                    # Nor is a space put back right after them: PDFium's gaps around a
                    # character it reads otherwise are no guide to pdfminer's text.
                    out.append(c)
                    unread, prev_space = k - 1, True
                    continue
            if self._gap[p] and not prev_space:
                out.append(" ")
            out.append(c)
            prev_space = False
            p += 1
        self._pos = p
        return "".join(out)

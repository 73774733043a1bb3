"""Structure-aware chunking that never exceeds the embedder's window.

Chunks follow the heading structure: a manual section or a contract clause is a chunk. A section
longer than the window is split at sentence boundaries (llama-index's sentence tokenizer), with
the last sentences repeated at the start of the next piece; a section smaller than `min_tokens`
is packed together with the sections that follow it. Token counts come from the embedder's own
tokenizer, title prefix and special tokens included, so nothing is ever silently truncated.

Why not llama-index's SentenceSplitter itself: it returns strings, not spans into the source
(we need `doc_text[start:end] == chunk.text` for citations), and it knows nothing of headings.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from rag.embedder import TokenCounter
from rag.settings import ChunkSettings
from rag.text import sentence_splitter
from rag.types import Chunk, Element, ParsedDocument

# Bumped whenever chunking changes what a document turns into, so `ingest run` re-chunks what it
# stored. 2: a heading never makes a chunk of its own (`_pack`).
CHUNKER_VERSION = 2


@dataclass(frozen=True, slots=True)
class _Unit:
    """A sentence (or a slice of an over-long one): the smallest thing a chunk boundary keeps."""

    start: int
    end: int
    tokens: int
    page: int | None


@dataclass(slots=True)
class _Draft:
    path: tuple[str, ...]
    units: list[_Unit]
    # Heading paths of the sections packed into this draft.
    sections: list[tuple[str, ...]] = field(default_factory=list)
    # A whole (small) section may absorb the sections after it; the tail of a split one may not.
    whole: bool = False

    @property
    def tokens(self) -> int:
        return sum(u.tokens for u in self.units)


class Chunker:
    def __init__(
        self,
        counter: TokenCounter,
        settings: ChunkSettings,
        split_sentences: Callable[[str], list[str]] | None = None,
    ) -> None:
        self.counter = counter
        self.settings = settings
        self._splitter = split_sentences

    def _split(self, text: str) -> list[str]:
        if self._splitter is None:  # loaded on first use: a run with nothing to do skips it
            self._splitter = sentence_splitter()
        return self._splitter(text)

    def fingerprint(self) -> str:
        """Identifies the settings that shape chunks; a change re-chunks every document."""
        shape = {"version": CHUNKER_VERSION, **self.settings.model_dump()}
        return hashlib.sha256(json.dumps(shape, sort_keys=True).encode()).hexdigest()[:16]

    def chunk(self, document_id: str, doc: ParsedDocument) -> list[Chunk]:
        drafts: list[_Draft] = []
        for path, elements in _sections(doc.elements):
            units = [u for el in elements for u in self._units(doc.text, el, path, doc.title)]
            if not units:
                continue
            self._pack(drafts, path, units, doc.title, doc.text)
        chunks: list[Chunk] = []
        seen: dict[str, int] = {}
        fitted = [t for draft in drafts for t in self._fit(doc, draft)]
        for ordinal, (draft, embed_text, n) in enumerate(fitted):
            # Stable content id; a repeated identical passage gets an occurrence suffix.
            key = hashlib.sha256(f"{document_id}\x00{embed_text}".encode()).hexdigest()[:24]
            seen[key] = seen.get(key, 0) + 1
            pages = [u.page for u in draft.units if u.page is not None]
            start, end = draft.units[0].start, draft.units[-1].end
            chunks.append(
                Chunk(
                    id=key if seen[key] == 1 else f"{key}-{seen[key]}",
                    document_id=document_id,
                    ordinal=ordinal,
                    text=doc.text[start:end],
                    start=start,
                    end=end,
                    heading_path=draft.path,
                    page_start=min(pages) if pages else None,
                    page_end=max(pages) if pages else None,
                    n_tokens=n,
                    embed_text=embed_text,
                )
            )
        return chunks

    # -- budget -------------------------------------------------------------------------
    def prefix(self, title: str, path: Sequence[str]) -> str:
        """Title and heading path, cut to `prefix_max_tokens` and to half the window at most."""
        text = title if not path else f"{title}\n{' > '.join(path)}"
        offsets = self.counter.offsets(text)
        half = (self.settings.max_tokens - self.counter.special_tokens) // 2
        limit = min(self.settings.prefix_max_tokens, half)
        if len(offsets) > limit:
            text = text[: offsets[limit - 1][1]] if limit else ""
        return text

    def budget(self, title: str, path: Sequence[str]) -> int:
        """Tokens left for chunk text once special tokens and the prefix are paid for."""
        prefix = self.prefix(title, path)
        used = self.counter.special_tokens + (self.counter.count(prefix) if prefix else 0)
        return self.settings.max_tokens - used

    # -- units --------------------------------------------------------------------------
    def _units(self, text: str, el: Element, path: tuple[str, ...], title: str) -> list[_Unit]:
        body = text[el.start : el.end]
        out: list[_Unit] = []
        pos = el.start
        limit = self.budget(title, path)
        for piece in self._split(body) if len(body) > 200 else [body]:
            a, b = _trim(text, pos, pos + len(piece))
            pos += len(piece)
            if a >= b:
                continue
            n = self.counter.count(text[a:b])
            if n <= limit:
                out.append(_Unit(a, b, n, el.page))
            else:
                out.extend(self._slice(text, a, b, limit, el.page))
        return out

    def _slice(self, text: str, a: int, b: int, limit: int, page: int | None) -> list[_Unit]:
        """Cut an over-long sentence at word starts, each slice at most `limit` tokens."""
        offsets = [(a + s, a + e) for s, e in self.counter.offsets(text[a:b])]
        out: list[_Unit] = []
        i = 0
        while i < len(offsets):
            j = min(i + limit, len(offsets))
            if j < len(offsets):
                # Back off to a token that starts a word, so no word is split in two.
                k = j
                while k > i + limit // 2 and not text[offsets[k][0] - 1].isspace():
                    k -= 1
                j = k if k > i + limit // 2 else j
            s, e = _trim(text, offsets[i][0], offsets[j - 1][1])
            out.append(_Unit(s, e, j - i, page))
            i = j
        return out

    # -- packing ------------------------------------------------------------------------
    def _pack(
        self,
        drafts: list[_Draft],
        path: tuple[str, ...],
        units: list[_Unit],
        title: str,
        text: str,
    ) -> None:
        if drafts and drafts[-1].whole and drafts[-1].tokens < self.settings.min_tokens:
            last = drafts[-1]
            # Headings of parents followed by a child: the child's path says it best. Siblings
            # packed together: only the path they share is true of the whole chunk.
            parents = all(path[: len(p)] == p for p in last.sections)
            merged_path = path if parents else _common(last.path, path)
            if last.tokens + sum(u.tokens for u in units) <= self.budget(title, merged_path):
                last.path = merged_path
                last.units.extend(units)
                last.sections.append(path)
                return
            if parents:
                # Parent headings with nothing under them open the first chunk of a child too
                # long to join whole, rather than make a chunk of their own: "ARTICLE XIII
                # CONFIDENTIALITY" alone matches a question about confidentiality best and
                # holds nothing that answers it.
                drafts.pop()
                units = last.units + units
        limit = self.budget(title, path)
        first = len(drafts)
        current: list[_Unit] = []
        pending = units[::-1]
        while pending:
            unit = pending.pop()
            lead = sum(u.tokens for u in current)
            if current and lead + unit.tokens > limit:
                if len(drafts) == first and lead < min(self.settings.min_tokens, limit):
                    # Nor does the heading or short lead-in of a section whose first sentence
                    # is too long to join it whole: the sentence is cut between words, its
                    # start joins the heading ("6. Mutual Non-Disparagement; No Public
                    # Statements." was a chunk; the clause under it, the next).
                    head, tail = self._cut(text, unit, limit - lead)
                    current.append(head)
                    pending.extend([tail] if tail.end > tail.start else [])
                    continue
                drafts.append(_Draft(path, current))
                current = self._overlap(current)
                while current and sum(u.tokens for u in current) + unit.tokens > limit:
                    current.pop(0)
            current.append(unit)
        if current:
            drafts.append(_Draft(path, current))
        drafts[-1].whole = len(drafts) == first + 1
        drafts[-1].sections = [path]

    def _cut(self, text: str, unit: _Unit, room: int) -> tuple[_Unit, _Unit]:
        """`unit` in two between words: a first piece of at most `room` tokens, and the rest."""
        head = self._slice(text, unit.start, unit.end, room, unit.page)[0]
        a, b = _trim(text, head.end, unit.end)
        return head, _Unit(a, b, self.counter.count(text[a:b]), unit.page)

    def _overlap(self, units: list[_Unit]) -> list[_Unit]:
        """Trailing units of a full chunk, at most `overlap_tokens`, never the whole chunk."""
        tail: list[_Unit] = []
        total = 0
        for unit in reversed(units[1:]):
            if total + unit.tokens > self.settings.overlap_tokens:
                break
            tail.insert(0, unit)
            total += unit.tokens
        return tail

    def _fit(self, doc: ParsedDocument, draft: _Draft) -> list[tuple[_Draft, str, int]]:
        """Verify the exact token count of what gets embedded; split the draft if it is over.

        Counts of separate sentences are not exactly additive across their seams, so the sum we
        packed by can be off by a token or two. Returns (draft, embed_text, n_tokens) triples.
        """
        prefix = self.prefix(doc.title, draft.path)
        text = doc.text[draft.units[0].start : draft.units[-1].end]
        embed_text = f"{prefix}\n\n{text}" if prefix else text
        n = self.counter.count(embed_text) + self.counter.special_tokens
        over = n - self.settings.max_tokens
        if over <= 0:
            return [(draft, embed_text, n)]
        if len(draft.units) > 1:
            head, tail = _Draft(draft.path, draft.units[:-1]), _Draft(draft.path, draft.units[-1:])
            return [*self._fit(doc, head), *self._fit(doc, tail)]
        unit = draft.units[0]
        pieces = self._slice(doc.text, unit.start, unit.end, unit.tokens - over - 1, unit.page)
        return [t for piece in pieces for t in self._fit(doc, _Draft(draft.path, [piece]))]


def _sections(elements: Sequence[Element]) -> list[tuple[tuple[str, ...], list[Element]]]:
    out: list[tuple[tuple[str, ...], list[Element]]] = []
    for el in elements:
        if out and out[-1][0] == el.heading_path:
            out[-1][1].append(el)
        else:
            out.append((el.heading_path, [el]))
    return out


def _common(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b

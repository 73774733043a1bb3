"""The model's reply, read: its sentences and the sources each cites by its [n] markers.

A 0.5B model does not keep to the format it is shown: it opens lines with markers, copies
source headers and headings, lays its answer out like the prompt's list of sources. What it
wrote is read here as sentences and numbers; whether a sentence holds is `rag.verify`'s job.
"""

from __future__ import annotations

import re

from rag.evidence import Source, header
from rag.text import sentence_spans
from rag.wording import short

_CITE = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_LEADING = re.compile(r"^\s*(?:\[\d+(?:\s*[,;]\s*\d+)*\]\s*)+")


def echoes(sources: list[Source]) -> set[str]:
    """Source headers and headings as they appear in the prompt: a small model copies them,
    sometimes with the label that opens the passage ("Checking signal strength Settings"), or
    without the header's page ("<title> | 9 Miscellaneous > Section 9.3 Amendments [1].")."""
    out: set[str] = set()
    for s in sources:
        names = {header(s), *(h for h in (s.hit.title, *s.hit.chunk.heading_path) if h.strip())}
        names.add(re.sub(r" \| page \d+$", "", header(s)))
        first = s.text.strip().split("\n", 1)[0]
        out |= names | ({f"{h} {first}" for h in names} if short(first) else set())
    return {" ".join(e.split()).lower() for e in out}


def split_answer(raw: str, echoes: set[str] | None = None) -> list[tuple[str, list[int]]]:
    """Answer sentences without their [n] markers, and the numbers each cites.

    Markers cite the sentences written since the previous markers ("A. B [2]." cites both A
    and B); markers that open a line cite the lines that follow until other markers say
    otherwise (a small model often writes "[1] <copied text>"). A line laid out as a list of
    sources, "[1] A [2] B [3] C", cites each piece by the marker before it. Lines or sentences
    that only repeat a source header or a heading are left out.
    """
    echoes = set() if echoes is None else echoes
    out: list[tuple[str, list[int]]] = []
    explicit: list[bool] = []  # out[i] was cited by markers after it, not by its line's opening
    since = 0  # first sentence after the last markers
    block: list[int] = []

    def cite(numbers: list[int]) -> None:
        nonlocal since
        for i in range(since, len(out)):
            text, old = out[i]
            if i == len(out) - 1 or not (old or explicit[i]):
                out[i] = (text, [*old, *numbers] if explicit[i] else list(numbers))
                explicit[i] = True
        since = len(out)

    # The prompt's example ends "Answer: ..."; the label is not part of the answer, nor is a
    # copied "Sources:" label.
    raw = re.sub(r"^\s*(?:answer|sources?)\s*:\s*", "", raw, flags=re.IGNORECASE)
    for line in raw.strip().splitlines():
        listed = _listed(line)
        if listed is not None:
            for numbers, piece in listed:
                for text, _ in _sentences(piece):
                    if not _is_echo(text, echoes):
                        out.append((text, numbers))
                        explicit.append(True)
            since, block = len(out), []
            continue
        lead = _LEADING.match(line)
        if lead is not None:
            if not line[lead.end() :].strip():  # a line of markers only
                since = min(since, len(out) - 1) if out else 0
                cite(marked(lead.group(0)))
                continue
            block, line = marked(lead.group(0)), line[lead.end() :]
        for text, numbers in _sentences(line):
            if text and not _is_echo(text, echoes):
                out.append((text, list(block)))
                explicit.append(False)
            if numbers and out:
                if not text:  # markers opening a sentence belong to the one before
                    since = min(since, len(out) - 1)
                cite(numbers)
    return out


def _listed(line: str) -> list[tuple[list[int], str]] | None:
    """(numbers, text) of each item of a line laid out like the prompt's list of sources,
    "[1] A [2] B [3] C": it opens with a marker, and every marker is followed by text. Markers
    side by side ("[1][2] A") open one item together; a marker at the very end adds to the last
    item. None for any other line.

    A small model copies that layout instead of answering ("Sources: [1] Guide screen [2]
    Guide screen"); read as ordinary trailing markers, each piece would get the number of the
    next one, and header echoes glued together would pass for an answer."""
    parts = _CITE.split(line)  # text, numbers, text, numbers, ..., text
    if len(parts) < 5 or parts[0].strip(" .:;,"):
        return None
    items: list[tuple[list[int], str]] = []
    pending: list[int] = []
    for i in range(1, len(parts), 2):
        pending += marked(f"[{parts[i]}]")
        if parts[i + 1].strip() or i == len(parts) - 2:
            items.append((pending, parts[i + 1]))
            pending = []
    if items[-1][1].strip(" .:;,") == "":
        if len(items) < 2:
            return None
        (last, _), (numbers, text) = items.pop(), items.pop()
        items.append(([*numbers, *(n for n in last if n not in numbers)], text))
    if len(items) < 2 or any(not text.strip(" .:;,") for _, text in items):
        return None
    return items


def _sentences(line: str) -> list[tuple[str, list[int]]]:
    """(clean text, cited numbers) of each sentence of one line; markers that open a sentence
    come back as a separate entry with empty text."""
    out: list[tuple[str, list[int]]] = []
    for a, b in sentence_spans(line, short=0):
        piece = line[a:b]
        lead = _LEADING.match(piece)
        if lead is not None and a > 0:
            out.append(("", marked(lead.group(0))))
            piece = piece[lead.end() :]
        clean = re.sub(r"\s+([.,;:!?])", r"\1", " ".join(_CITE.sub("", piece).split()))
        if clean.strip(" .;,"):
            out.append((clean, marked(piece)))
    return out


def _is_echo(text: str, echoes: set[str]) -> bool:
    flat = " ".join(text.split()).lower().strip(" .:;")
    flat = re.sub(r"^(?:source|sources)\s*:\s*", "", flat)
    if flat in ("source", "sources", "answer", "question"):  # a copied label of the prompt
        return True
    return flat in echoes or any(
        e and flat.startswith(e) and len(flat) <= len(e) + 2 for e in echoes
    )


def echoed(raw: str, echoes: dict[int, set[str]]) -> list[int]:
    """The sources whose header or heading (`echoes`, by source number) the answer copies, in
    its order."""
    texts = _CITE.split(re.sub(r"^\s*sources?\s*:", "", raw, flags=re.IGNORECASE))[::2]
    lines = [line for text in texts for line in text.splitlines() if line.strip(" .:;,")]
    return list(
        dict.fromkeys(n for line in lines for n, own in echoes.items() if _is_echo(line, own))
    )


def cited(raw: str) -> list[int]:
    return [n for _, numbers in split_answer(raw) for n in numbers]


def marked(text: str) -> list[int]:
    """The numbers of the [n] markers in `text`, in order ("[1] ... [2, 3]": 1, 2, 3)."""
    return [int(n) for m in _CITE.finditer(text) for n in re.split(r"[,;\s]+", m.group(1)) if n]

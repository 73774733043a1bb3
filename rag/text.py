"""Sentences with their offsets: the unit of chunk boundaries, evidence and citations."""

from __future__ import annotations

import contextlib
import functools
import re
import sys
from collections.abc import Callable, Iterator

from rag.lexical import content_words, hyphenated


@functools.cache
def sentence_splitter() -> Callable[[str], list[str]]:
    """NLTK punkt with its default parameters (no data to load), split as llama-index's
    SentenceSplitter splits (`split_by_sentence_tokenizer`): each piece runs to where the next
    sentence starts, so the pieces concatenate back to the input exactly and offsets are
    running sums. Called here directly: importing llama-index for it cost every `rag ask`
    process 1.6 s (tests/unit/test_chunk.py holds the two to the same pieces)."""
    with _unimportable("scipy", "sklearn", "pandas"):
        from nltk.tokenize.punkt import PunktSentenceTokenizer

    tokenizer = PunktSentenceTokenizer()

    def split(text: str) -> list[str]:
        starts = [a for a, _ in tokenizer.span_tokenize(text)]
        if not starts:
            return []
        return [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]

    return split


@contextlib.contextmanager
def _unimportable(*names: str) -> Iterator[None]:
    """Within the block, importing `names` fails as if they were not installed, unless they
    are imported already. nltk's package init imports every optional backend it finds:
    scipy, scikit-learn and pandas cost 1.5 s of the 1.7 s it takes, and punkt uses none of
    them (nltk skips what fails to import). Afterwards they import as usual."""
    blocked = [n for n in names if n not in sys.modules]
    for n in blocked:
        sys.modules[n] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        for n in blocked:
            if sys.modules.get(n, 0) is None:
                del sys.modules[n]


def sentence_spans(text: str, short: int = 200) -> list[tuple[int, int]]:
    """Spans of the sentences of `text`, whitespace trimmed. Blank lines always end a sentence
    (a heading has no full stop); a paragraph under `short` characters is one sentence."""
    spans = []
    for para in re.finditer(r"\S(?:.*?\S)?(?=\s*\n\s*\n|\s*$)", text, re.DOTALL):
        body = para.group(0)
        pieces = sentence_splitter()(body) if len(body) > short else [body]
        pos = para.start()
        for piece in pieces:
            a, b = pos, pos + len(piece)
            pos = b
            while a < b and text[a].isspace():
                a += 1
            while b > a and text[b - 1].isspace():
                b -= 1
            if a < b:
                spans.append((a, b))
    return spans


# Abbreviations after which punkt's default parameters (llama-index's, so the chunker's and the
# evidence's) end a sentence: "by and between Driven Deliveries, Inc." | '("Company"), a Nevada
# corporation', "Dr." | "Murray", "Supplement No." | "1". Counted over the public CUAD
# contracts: ~400 such cuts, most after "Inc.", "Corp.", "Dr.", "U.S." and "No.".
# A title always runs on along its line; a name's suffix only into a word that no sentence
# starts with: "... and Acme Corp. The term is five years." is two sentences.
_TITLE = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|Prof|St|No|Nos|vs|e\.g|i\.e|approx|Sec|Art|Fig)\.$", re.I)
_SUFFIX_ABBREVIATION = re.compile(
    r"\b(?:Inc|Corp|Co|Ltd|LLC|L\.P|N\.A|S\.A|B\.V|N\.V|U\.S\.A|U\.S|U\.K|Jr|Sr|etc)\.$",
    re.IGNORECASE,
)


# A clause's run-in heading, cut from its clause by punkt: "b) Governing Law." | "This
# Agreement will be governed by ...". Numbered, or in capitals ("GOVERNING LAW."), so that a
# manual's "Select Reset." stays a sentence of its own.
_HEADING_WORD = r"(?:[A-Z][\w'/&-]*|of|and|the|to|for|on|in|or|a|an)"
_RUN_IN_HEADING = re.compile(
    rf"^(?:(?:\(?[A-Za-z0-9]{{1,4}}\)|\d+(?:\.\d+)*\.?|(?:Section|Article)\s+[\dIVX.]+)\s+"
    rf"{_HEADING_WORD}(?:\s+{_HEADING_WORD}){{0,7}}|[A-Z][A-Z'/&-]+(?:\s+[A-Z][A-Z'/&-]*){{0,7}})\.$"
)


def whole_sentence(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence `text[start:end]` (a span of `sentence_spans(text)`) joined to its
    neighbours where punkt cut it after an abbreviation or a clause's run-in heading and the
    text runs on along the line.

    For quotes only, where a lawyer reads them: joined in the evidence too (punkt's trained
    English parameters, an earlier stop), the prompts changed and `bench/answers.sh` got a
    question or two worse on TV and CUAD."""
    spans = sentence_spans(text)
    i = next((i for i, (a, b) in enumerate(spans) if a <= start < b), None)
    if i is None:
        return start, end
    j = next((j for j in range(i, len(spans)) if spans[j][1] >= end), len(spans) - 1)
    while i > 0 and _runs_on(text, spans[i - 1], spans[i]):
        i -= 1
    while j + 1 < len(spans) and _runs_on(text, spans[j], spans[j + 1]):
        j += 1
    return min(start, spans[i][0]), max(end, spans[j][1])


def _runs_on(text: str, before: tuple[int, int], after: tuple[int, int]) -> bool:
    if "\n" in text[before[1] : after[0]]:
        return False
    cut = text[before[0] : before[1]]
    return (
        _TITLE.search(cut) is not None
        or _RUN_IN_HEADING.match(cut) is not None
        or (_SUFFIX_ABBREVIATION.search(cut) is not None and not text[after[0]].isupper())
    )


_SUFFIX = re.compile(r"(?:ing|ed|es|s)$")


def stems(text: str) -> set[str]:
    """Content words, crudely stemmed: enough to see that 'charges' supports 'charging'. A
    hyphenated word counts whole as well as by its parts: "Wi-Fi" holds "wifi", which a
    support agent types."""
    words = [*content_words(text), *hyphenated(text)]
    return {_SUFFIX.sub("", w) if len(w) > 4 else w for w in words}


def overlap(claim: str, source: str) -> float:
    """Share of the claim's content words found in the source (0..1)."""
    words = stems(claim)
    return len(words & stems(source)) / len(words) if words else 0.0


def wordless(text: str) -> bool:
    """No letter or digit in `text` ("?!", "..."): nothing to search for, and every passage is
    as close to it as any other."""
    return re.search(r"[^\W_]", text) is None

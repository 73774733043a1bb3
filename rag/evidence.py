"""Evidence for an answer: the sentences that matter, numbered, within a token budget.

On a 2-core CPU the SLM reads a prompt at only ~100 tokens/s, so the prompt holds the few
sentences (with a neighbour each side for context) that best match the question, not whole
chunks by habit. Sentences are scored by the embedder (question-sentence cosine) plus word
overlap; each source is a contiguous span of one chunk, so its citation is a span of the
document. Prompts are assembled here and nowhere else.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from rag.embedder import Embedder
from rag.generator import Message
from rag.query import answer_shape
from rag.text import overlap, sentence_spans
from rag.types import Chunk, Hit

ABSTAIN = "I could not find this in the documents."
# A question asking how to do something: its answer is the steps, never the heading naming them.
# Asked plainly ("How do I ...?", "What are the steps to ...?"), as a yes/no question ("Is there
# any way to stop the recording?": the steps answer it, not "Yes"), or as a request ("Please
# explain how to schedule recording?", "Explain the procedure for cancelling ...").
_HOW_TO = re.compile(
    r"^\W*(?:how\s+(?:do|does|can|could|should|would|may|to)\b"
    r"|(?:what\s+(?:are|is)\s+the|explain\s+the)\s+(?:steps|procedure)\b"
    r"|is\s+there\s+(?:any|a)\s+way\s+to\b)"
    r"|\b(?:explain|instruct|show|tell|instructions)\b.{0,40}\bhow\s+to\b",
    re.IGNORECASE,
)
# One worked example, in the system prompt: without it the 0.5B model declined a third of the
# answerable manual questions and cited nothing or everything; with it, none and one source.
# The system prompt is a fixed prefix, so llama.cpp keeps its KV cache: the example costs
# prompt time once per process, not per question.
_SEAL = "Replace the impeller seal every 2000 operating hours"
EXAMPLE = (
    f"Example:\nSources:\n[1] Pump manual | Maintenance\n{_SEAL}. Use the seal kit.\n[2] Pump "
    "manual | Start-up\nFill the casing with water before the first start.\n\nQuestion: How "
    f"often should the seal be replaced?\nAnswer: {_SEAL} [1]."
)
SYSTEM = (
    "You answer questions using only the numbered sources. Answer in one to three short "
    "sentences. End each sentence with the number of the source it comes from, like [1]. "
    f"Only if no source is about the question, reply exactly: {ABSTAIN}\n\n{EXAMPLE}"
)


@dataclass(frozen=True, slots=True)
class Sentence:
    start: int  # absolute offsets in the document's canonical text
    end: int
    text: str
    score: float


@dataclass(frozen=True, slots=True)
class Source:
    """One numbered source of the prompt: a contiguous span of a retrieved chunk."""

    n: int
    hit: Hit
    start: int
    end: int
    text: str
    sentences: tuple[Sentence, ...]
    # The best question-sentence score in it: how relevant the source is.
    relevance: float


class EvidenceSelector:
    def __init__(
        self,
        embedder: Embedder,
        count_tokens: Callable[[str], int],
        budget_tokens: int = 220,
        max_sources: int = 4,
        context: int = 1,
        max_chunks: int = 6,
        relative: float = 0.0,
        retrieval_weight: float = 0.6,
        cache_size: int = 0,
    ) -> None:
        self.embedder = embedder
        # Sentence vectors by text, least recently used out: embedding the retrieved chunks'
        # sentences is ~85% of an extract answer's time (~65 ms of ~80 on 2 cores), and the
        # questions a service gets keep returning to the same sections.
        self.cache_size = cache_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.count = count_tokens
        self.budget = budget_tokens
        self.max_sources = max_sources
        self.context = context
        self.max_chunks = max_chunks
        # A source must score at least this share of the best one. Weak extra sources cost
        # prompt time (~10 ms a token here) and tempt a small model to cite the wrong passage.
        self.relative = relative
        # Sources are ranked by their best sentence plus this weight times the hit's fused
        # retrieval score (relative to the first hit's): the sentence alone judges a few words,
        # retrieval the whole passage and its heading. Measured (the gold passage is source
        # [1], weight 0 -> 0.6, `bench/evidence.py`): S10 0.80 -> 0.88, TV 0.55 -> 0.63, CUAD
        # 0.38 -> 0.48.
        self.retrieval_weight = retrieval_weight

    def select(self, question: str, qvec: np.ndarray, hits: Sequence[Hit]) -> list[Source]:
        """Best sentences first; a source per chunk; sources dropped whole past the budget."""
        per_hit = [self._sentences(h) for h in hits[: self.max_chunks]]
        flat = [s for spans in per_hit for s in spans]
        if not flat:
            return []
        dense = self._vectors([s.text for s in flat]) @ qvec
        # "Who are the parties to the agreement?" shares its words with every recital that says
        # "parties" ("WHEREAS, Co-Host and NAI are parties to an Electronic Software Distribution
        # Agreement"); the sentence that names them says "by and between". Asked of each of the
        # 13 sample contracts, extract mode quoted that sentence for 3 before, 10 after (bonus
        # 0.3: 7; "the parties agree as follows:" scored 0.93 against its 0.51). Likewise the
        # sentence that dates the agreement ("made and entered into as of May 31, 1999"), and
        # the step that opens what a how-to question asks to open ("From Apps, tap Email .").
        answers = answer_shape(question)
        scored: list[list[Sentence]] = []
        i = 0
        for spans in per_hit:
            row = []
            for s in spans:
                score = float(dense[i]) + 0.3 * overlap(question, s.text)
                score += 0.5 * (answers is not None and answers(s.text))
                row.append(Sentence(s.start, s.end, s.text, score))
                i += 1
            scored.append(row)
        top_hit = hits[0].score if hits[0].score > 0 else 0.0

        def rank(j: int) -> float:
            prior = hits[j].score / top_hit if top_hit else 0.0
            return max((s.score for s in scored[j]), default=-1.0) + self.retrieval_weight * prior

        order = sorted(range(len(scored)), key=lambda j: -rank(j))
        steps = how_to(question)
        sources: list[Source] = []
        used = 0
        top = rank(order[0])
        for j in order:
            if len(sources) == self.max_sources or not scored[j]:
                break
            if top > 0 and rank(j) < self.relative * top:
                break
            source = self._span(len(sources) + 1, hits[j], scored[j], steps)
            if any(_overlaps(source, s) for s in sources):
                continue  # neighbouring chunks share sentences: the same words, given twice
            cost = self.count(source.text) + 12  # + its header line
            if used + cost > self.budget and sources:
                continue  # dropped whole; a smaller later source may still fit
            sources.append(source)
            used += cost
        return sources

    def _vectors(self, texts: list[str]) -> np.ndarray:
        """The embedder's vectors of `texts`, those seen lately from the cache."""
        if self.cache_size <= 0:
            return self.embedder.embed(texts)
        with self._lock:
            found = {t: self._cache[t] for t in texts if t in self._cache}
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            # Rows copied: a kept row would otherwise keep its whole batch's array alive.
            fresh = self.embedder.embed(missing)
            found.update((t, fresh[i].copy()) for i, t in enumerate(missing))
        with self._lock:
            for t in dict.fromkeys(texts):
                self._cache[t] = found[t]
                self._cache.move_to_end(t)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return np.stack([found[t] for t in texts])

    def _sentences(self, hit: Hit) -> list[Sentence]:
        c = hit.chunk
        return [
            Sentence(c.start + a, c.start + b, c.text[a:b], 0.0) for a, b in sentence_spans(c.text)
        ]

    def _span(self, n: int, hit: Hit, sentences: list[Sentence], steps: bool = False) -> Source:
        """The best sentence with `context` neighbours each side, as one contiguous span. For a
        how-to question (`steps`) the best is not a heading line: "How do I turn on Wireless
        PowerShare?" matches the heading "Wireless PowerShare" best, two sentences above the
        step ("From Quick Settings, tap Wireless PowerShare to enable this feature."), which
        the model then never saw."""
        c = hit.chunk
        candidates = [
            i
            for i, s in enumerate(sentences)
            if not (steps and heading_line(c, s.start - c.start, s.end - c.start))
        ] or list(range(len(sentences)))
        best = max(candidates, key=lambda i: sentences[i].score)
        lo, hi = max(0, best - self.context), min(len(sentences), best + self.context + 1)
        chosen = tuple(sentences[lo:hi])
        start, end = chosen[0].start, chosen[-1].end
        text = c.text[start - c.start : end - c.start]
        return Source(n, hit, start, end, text, chosen, sentences[best].score)


def how_to(question: str) -> bool:
    """The question asks how to do something: its answer is steps."""
    return _HOW_TO.search(question) is not None


def heading_line(chunk: Chunk, a: int, b: int) -> bool:
    """The text at `a:b` of the chunk lies on a line of its own that reads as a heading: a few
    words and no full stop ("Section 21. Third-Party Beneficiary", "NFC and payment"). A PDF's
    headings are not always in the chunk's heading path, so `header` does not know them."""
    text = chunk.text
    line = text[text.rfind("\n", 0, a) + 1 : len(text) if (e := text.find("\n", b)) < 0 else e]
    return line.strip() != "" and len(line.split()) <= 8 and line.rstrip()[-1] not in ".!?:;,"


def _overlaps(a: Source, b: Source) -> bool:
    return (
        a.hit.chunk.document_id == b.hit.chunk.document_id and a.start < b.end and b.start < a.end
    )


def header(source: Source) -> str:
    hit = source.hit
    parts = [hit.title]
    if hit.chunk.heading_path:
        parts.append(" > ".join(hit.chunk.heading_path))
    if hit.chunk.page_start is not None:
        parts.append(f"page {hit.chunk.page_start}")
    return " | ".join(parts)


def messages(question: str, sources: Sequence[Source]) -> list[Message]:
    """The chat: fixed system prompt first (its KV cache is reused), then sources and question."""
    blocks = [f"[{s.n}] {header(s)}\n{s.text}" for s in sources]
    user = "Sources:\n" + "\n\n".join(blocks) + f"\n\nQuestion: {question}"
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]

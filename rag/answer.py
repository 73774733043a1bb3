"""Grounded answers: retrieve, select evidence, generate (or extract), then verify every sentence.

Each answer sentence must cite a source it is supported by: citations of sources that were not
given are removed; a sentence's support is the best match (word overlap, or embedder cosine)
between it and the sentences of the sources it cites; unsupported sentences are dropped from
the answer (and reported). No supported sentence, a model that abstains, or evidence too weak
to answer from: the answer is the fixed abstention, with the closest passages listed.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import numpy as np

from rag.embedder import Embedder
from rag.errors import QuestionTooLong
from rag.evidence import (
    ABSTAIN,
    EvidenceSelector,
    Sentence,
    Source,
    header,
    heading_line,
    how_to,
    messages,
)
from rag.generator import Generator
from rag.lexical import porter_stems, weighted_overlap
from rag.retrieval import Searcher
from rag.text import sentence_spans, stems, whole_sentence

_CITE = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")


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


@dataclass
class Answer:
    question: str
    text: str
    sentences: list[AnswerSentence]
    sources: list[Source]
    abstained: bool
    # Every kept sentence is supported and nothing had to be dropped.
    supported: bool
    mode: str
    reason: str = ""
    # Citations of sources that were not given, and sentences without any citation.
    format_errors: int = 0
    raw: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass(frozen=True, slots=True)
class Event:
    """What `Answerer.stream` yields: sources first, then text pieces, then the final answer."""

    kind: str  # "sources" | "token" | "answer"
    sources: tuple[Source, ...] = ()
    token: str = ""
    answer: Answer | None = None


class Answerer:
    def __init__(
        self,
        searcher: Searcher,
        embedder: Embedder,
        generator: Generator | None,
        selector: EvidenceSelector,
        k: int = 8,
        min_relevance: float = 0.60,
        min_support: float = 0.5,
        max_tokens: int = 120,
        min_relevance_routed: float | None = None,
        cited_margin: float = 0.1,
        max_question_tokens: int = 512,
        cited_relevance: float = 0.0,
    ) -> None:
        self.searcher = searcher
        self.embedder = embedder
        self.generator = generator
        self.selector = selector
        self.k = k
        self.min_relevance = min_relevance
        self.min_relevance_routed = (
            min_relevance if min_relevance_routed is None else min_relevance_routed
        )
        self.min_support = min_support
        self.cited_margin = cited_margin
        # A cited source must reach this share of the relevance bar (settings.py says why).
        self.cited_relevance = cited_relevance
        self.max_tokens = max_tokens
        self.max_question_tokens = max_question_tokens

    def answer(
        self, question: str, mode: str = "generate", documents: set[int] | None = None
    ) -> Answer:
        final = None
        for event in self.stream(question, mode, documents):
            if event.kind == "answer":
                final = event.answer
        assert final is not None
        return final

    def stream(
        self, question: str, mode: str = "generate", documents: set[int] | None = None
    ) -> Iterator[Event]:
        if mode == "generate" and self.generator is not None:
            check_length(question, self.generator, self.max_question_tokens)
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        result = self.searcher.search(question, self.k, documents)
        query = result.query
        assert query is not None
        qvec = (
            query.vector if query.vector is not None else self.embedder.embed_query(query.question)
        )
        sources = self.selector.select(query.question, qvec, result.hits)
        timings["retrieve_s"] = time.perf_counter() - t0
        yield Event("sources", sources=tuple(sources))
        if result.unmatched:
            # "Consider the Lease between A and B; ..." asked of a collection without that
            # lease: whatever passage scores best, it is not from the document asked about.
            yield Event(
                "answer",
                answer=self._abstain(
                    question, sources, mode, f'no document here is "{result.missing}"', timings, t0
                ),
            )
            return
        best = max((s.relevance for s in sources), default=0.0)
        bar = self.min_relevance_routed if result.routed else self.min_relevance
        if best < bar:
            yield Event(
                "answer",
                answer=self._abstain(question, sources, mode, "no relevant passage", timings, t0),
            )
            return
        if mode == "extract" or self.generator is None:
            answer = self._extract(question, query.question, sources, timings, t0, bar)
            if not answer.sentences:  # relevant passages, but no sentence that answers
                answer = self._abstain(
                    question, sources, "extract", "no sentence was relevant", timings, t0
                )
            yield Event("answer", answer=answer)
            return
        prompt = messages(query.question, sources)
        pieces: list[str] = []
        stream = self.generator.stream(prompt, self.max_tokens, len(sources), ABSTAIN)
        for piece in stream:
            if not pieces:
                timings["ttft_s"] = time.perf_counter() - t0
            pieces.append(piece)
            yield Event("token", token=piece)
        timings["generate_s"] = time.perf_counter() - t0 - timings["retrieve_s"]
        answer = self._verify(question, query.question, "".join(pieces), sources, timings, t0, bar)
        answer.prompt_tokens = sum(self.generator.count(m["content"]) for m in prompt)
        answer.completion_tokens = self.generator.count(answer.raw)
        yield Event("answer", answer=answer)

    # -- verification ---------------------------------------------------------------------
    def _verify(
        self,
        question: str,
        asked: str,
        raw: str,
        sources: list[Source],
        timings: dict[str, float],
        t0: float,
        bar: float,
    ) -> Answer:
        """`asked`: the question without its document reference (what retrieval searched);
        `bar`: the relevance a passage needs to be answered from."""
        by_n = {s.n: s for s in sources}
        if raw.strip().startswith(ABSTAIN[:24]) or not raw.strip():
            return self._abstain(
                question, sources, "generate", "the model abstained", timings, t0, raw
            )
        kept: list[AnswerSentence] = []
        dropped = errors = 0
        echoes = {src.n: _echoes([src]) for src in sources}
        claims = _split_answer(raw, set().union(*echoes.values()))
        # Sources the model named without saying anything: cited by headings it copied, or by
        # sentences that, like what they cite, only repeat the question and headers, or copy a
        # label of the passage ("Settings.").
        pointers = [] if claims else _cited(raw)
        # A copied heading names its own source, whatever the markers around it say: "[1]
        # Scanning for channels [2]." points at [1] first, and "Block a number [2]." at the
        # source headed "Block a number". (Among sources of the same heading, the ones the
        # answer cites, if any; a heading that cites nothing points nowhere.)
        cited_anywhere = set(_numbers(raw))
        echoed = _echoed(raw, echoes) if cited_anywhere else []
        echoed = [n for n in echoed if n in cited_anywhere] or echoed
        # Lines of a word or two in the passages: menu paths, labels ("Settings", "Try Now").
        labels = {_flat(line) for src in sources for line in src.text.splitlines() if _short(line)}
        pool = [(src, s) for src in sources for s in src.sentences]
        # What the prompt showed besides the passages: the question and the sources' headers.
        shown = " ".join([asked, *(header(s) for s in sources)])
        dense = np.zeros((len(claims), len(pool)), dtype=np.float32)
        if claims and pool:
            vecs = self.embedder.embed([t for t, _ in claims])
            dense = vecs @ self.embedder.embed([s.text for _, s in pool]).T
        words_of = [stems(s.text) for _, s in pool]
        # Sentences made only of their source's header words: a heading ("Galaxy S10").
        headings = [not w - stems(header(src)) for (src, _), w in zip(pool, words_of, strict=True)]
        said = {src.n: porter_stems(src.text) for src in sources}
        held = {src.n: _figures(src.text) for src in sources}
        shown_stems = porter_stems(shown)
        known = shown_stems | porter_stems(_VERDICT)
        # A heading supports a yes/no verdict only by a word it shares with it beyond the
        # document's name: "Non-Solicitation" does "Yes, there is a non-solicit clause";
        # "OUTSOURCING AGREEMENT" does not "Yes, the Sykes agreement is governed by New York law".
        verdict = _YES_NO.match(asked) is not None
        # The sources headed by what an existence question asks about: "Is there a limitation
        # of liability?" and a clause headed "Limitation of Liability" (in its heading path, or
        # on a line of its own: a PDF's headings are not always in the path).
        thing = _asked_about(asked)
        headed = [s.n for s in sources if thing and _akin(thing, stems(_headings(s))) == thing]
        titled = {src.n: stems(src.hit.title) for src in sources}
        sought = _sought(thing)
        about = {src.n: stems(f"{header(src)} {src.text}") for src in sources} if thing else {}
        # Names a yes/no question asks about ("Is it governed by New York law?"): an answer that
        # affirms one cites a passage that holds it, not the preamble that names the parties.
        asking = _names(asked) if verdict else set()
        holds = {src.n: _words(f"{header(src)} {src.text}") for src in sources}
        # Shared words count by how rare they are in the collection: "There is an audit right
        # in the agreement" shares "right" and "agreement" with a governing-law clause ("...
        # the obligations, rights and remedies of the parties"), two of its three words, and
        # says nothing that clause holds.
        claimed = [porter_stems(text) for text, _ in claims]
        weight = self.searcher.idf(set().union(*claimed))
        porter_of = [porter_stems(s.text) for _, s in pool]
        for i, (text, cited) in enumerate(claims):
            errors += sum(1 for n in cited if n not in by_n) + (not cited)
            if _words(text) <= {"yes", "no"}:
                # A bare verdict, "No [1].": the model named where the answer is without
                # writing it; no passage supports a bare word, and the wording is what matters.
                pointers += cited
                continue
            if headed and _DENIAL.search(text):
                # "No, there is no limitation of liability [1]." with a clause headed
                # "Limitation of Liability" given: the clause is there, and it is what the
                # lawyer must read (no passage can support "there is no ...").
                pointers += headed
                continue
            words = stems(text)
            # What it says beyond the question and headers, a verdict's "yes" or "cannot" aside.
            novel = claimed[i] - known
            figures = _figures(text)
            affirms = set() if _DENIAL.search(text) else asking & _words(text)
            # "Yes, there is an indemnification clause [1]" needs a passage about indemnity:
            # the embedder finds any contract sentence close to it ("This writing constitutes
            # the entire agreement between the parties", 0.57).
            exists = bool(sought) and not _DENIAL.search(text)
            # "No, there are no services after termination [1]": only a sentence that says so
            # itself (with a "no" or "not", and every word of what was asked) supports a
            # denial. An absence no passage can show; the embedder found "12.1 Termination ...
            # shall not affect any rights accrued" close to it.
            denies = bool(sought) and _ABSENCE.search(text) is not None
            if exists and headed and not novel:
                # "Yes, there is an indemnification clause [1]." with a clause headed
                # "Indemnity" given: the heading says so (the embedder scores the clause's
                # wording at 0.47), and the citation points at that clause.
                kept = _once(kept, _headed(text, pool, headed))
                continue
            # It says nothing that the prompt showed besides the passages (every content word is
            # the question's or a source header's: "Encrypt SD card.", "Recording programs |
            # Using the guide"), and the question is not a yes/no one, where a restatement
            # answers it.
            restates = not verdict and not claimed[i] - shown_stems
            scores = [
                # A heading supports no statement (it may a verdict: CUAD's "There is a
                # non-solicit clause" from the heading "Non-Solicitation"), and a passage no
                # figure it does not hold (the embedder finds "Galaxy S10 weighs 2.5
                # kilograms" close to "Galaxy S10").
                0.0
                if (heading and (novel or (verdict and not (words & w) - titled[src.n])))
                or figures - held[src.n]
                or affirms - holds[src.n]
                or (exists and not _akin(sought, about[src.n]))
                or (denies and not (_DENIAL.search(sent.text) and _akin(sought, w) == sought))
                # What the answer adds must mostly be in the passage it cites: the embedder
                # finds "The CEO of Samsung is Steve Jobs" close to '("Samsung")'.
                or len(novel & said[src.n]) * 2 < len(novel)
                # A passage given as context, too far from the question to answer it.
                or src.relevance < self.cited_relevance * bar
                else max(weighted_overlap(claimed[i], p, weight), float(d))
                for (src, sent), d, heading, w, p in zip(
                    pool, dense[i], headings, words_of, porter_of, strict=True
                )
            ]
            sentence = self._support(text, pool, scores, set(cited))
            if not sentence.supported:
                dropped += 1
                continue
            if _flat(text) in labels:
                pointers += [c.n for c in sentence.citations]
                continue
            if restates:
                quoted = _quoted(sentence, shown, by_n if how_to(asked) else None)
                if quoted is None:
                    pointers += [c.n for c in sentence.citations]
                    continue
                sentence = quoted
            kept = _once(kept, sentence)
        # (Not when the model said something unsupported: a heading is then no answer.)
        for named in ([] if dropped else echoed, pointers) if not kept else ():
            pointed = self._pointed(question, asked, raw, named, by_n, timings, t0, bar)
            if pointed is not None:
                return pointed
        if not kept:
            return self._abstain(
                question, sources, "generate", "no sentence was supported", timings, t0, raw
            )
        timings["total_s"] = time.perf_counter() - t0
        text = " ".join(f"{s.text} " + "".join(f"[{c.n}]" for c in s.citations) for s in kept)
        return Answer(
            question,
            text.strip(),
            kept,
            sources,
            False,
            dropped == 0,
            "generate",
            format_errors=errors,
            raw=raw,
            timings=timings,
        )

    def _pointed(
        self,
        question: str,
        asked: str,
        raw: str,
        pointers: list[int],
        by_n: dict[int, Source],
        timings: dict[str, float],
        t0: float,
        bar: float,
    ) -> Answer | None:
        """The answer when the model wrote nothing but headings of the sources it cites
        ("Sound mode [2].", "[1] Creating a favorites list [2] Adding channels"), sentences
        that, like the ones they cite, only repeat the question and headers ("8. Indemnification
        and Insurance > 8.4 Insurance [1]."), bare verdicts ("No [1].") or a denial of what a
        given clause is headed by: it named where the answer is without writing it.
        Those sources' sentences that best match the question, verbatim, as extract mode
        quotes them; None when none is relevant enough. (On the model outputs of
        `bench/answers.sh` this answers S10 8 of 50 answerable questions, TV 4 of 65, CUAD 5 of
        60; most were abstentions before.)"""
        pointed = [by_n[n] for n in dict.fromkeys(pointers) if n in by_n]
        if not pointed:  # also when `pointers` is empty
            return None
        answer = self._extract(question, asked, pointed, timings, t0, bar)
        if not answer.sentences:
            return None
        # Every source the model was given stays listed, as in any other answer.
        return replace(answer, mode="generate", raw=raw, sources=list(by_n.values()))

    def _support(
        self, text: str, pool: list[tuple[Source, Sentence]], scores: list[float], cited: set[int]
    ) -> AnswerSentence:
        """The source sentence that best supports `text` (`scores`: its support by each sentence
        of `pool`); supported if it reaches the bar.

        One citation per sentence: a small model cites every source at once ("[1][2][3]"), or
        the wrong one (it mixes up numbers, most of all between near-identical passages), and a
        generic sentence overlaps several; only one passage is where the statement comes from.
        The model's own citation is kept while it supports the sentence about as well as the
        best given source (within `cited_margin`); otherwise the citation names the source that
        does. Never a source that was not given.
        """
        if not pool:
            return AnswerSentence(text, (), 0.0, False)
        best = max(range(len(pool)), key=lambda i: scores[i])
        own = [i for i in range(len(pool)) if pool[i][0].n in cited]
        if own:
            mine = max(own, key=lambda i: scores[i])
            if (
                scores[mine] >= self.min_support
                and scores[mine] >= scores[best] - self.cited_margin
            ):
                best = mine
        if scores[best] < self.min_support:
            return AnswerSentence(text, (), scores[best], False)
        src, sentence = pool[best]
        return AnswerSentence(text, (_citation(src, _whole(src, sentence)),), scores[best], True)

    def _extract(
        self,
        question: str,
        asked: str,
        sources: list[Source],
        timings: dict[str, float],
        t0: float,
        bar: float,
    ) -> Answer:
        """The best supporting sentence of the best sources, verbatim: no model, milliseconds.
        A sentence made only of its source header's words (a heading, or what is left of one
        that the sentence splitter cut: "Section 1.1." + "License Grant.") says where the
        answer is, not what it is: it is quoted only when its source has nothing else. A
        heading line or a signature block is never quoted (a lawyer asking about insurance got
        "Section 21. Third-Party Beneficiary"), nor a passage without the names the question
        asks about (`asked`: the question without its document reference): "Which contracts
        are governed by Delaware law?" got a Tennessee governing-law clause (a yes/no question
        aside: "Is it governed by New York law?" is answered by the clause naming Florida). If
        nothing else is left, the answer abstains."""
        names = set() if _YES_NO.match(asked) else _names(asked)
        # "Is there a non-compete?" is answered by a passage about competing, as in generate
        # mode (`_verify`), or not at all: the closest sentences of a contract without one are
        # about something else ("This Agreement does not constitute a partnership").
        sought = _sought(_asked_about(asked))

        def best(s: Source) -> Sentence:
            known = stems(header(s))
            # Rather a statement than a heading, and rather than a bare name ("Galaxy S10e").
            return max(
                s.sentences,
                key=lambda x: (
                    bool(stems(x.text) - known) and not _heading_line(s, x),
                    not _short(x.text),
                    x.score,
                ),
            )

        picks: list[tuple[Source, Sentence]] = []
        seen: set[str] = set()
        steps = how_to(asked)
        about = [s for s in sources if not sought or _akin(sought, stems(f"{header(s)} {s.text}"))]
        for src, sent in sorted(((s, best(s)) for s in about), key=lambda p: -p[1].score):
            sent = _onward(src, _whole(src, sent)) if steps else _whole(src, sent)
            # Once each: two editions of a manual repeat sentences word for word.
            if (flat := " ".join(sent.text.split())) not in seen and len(picks) < 2:
                seen.add(flat)
                picks.append((src, sent))
        # The answer reads as prose (a menu path laid out a line per step is one line); the
        # citation's quote keeps the passage's own layout.
        sentences = [
            AnswerSentence(
                " ".join(sent.text.split()),
                (_citation(src, sent),),
                1.0,  # its own words: fully supported (its relevance chose it)
                True,
                verbatim=True,
            )
            for src, sent in picks
            # A name or a label ("Galaxy S10e") is no answer, however close to the question.
            if sent.score >= bar
            and not _short(sent.text)
            and not _heading_line(src, sent)
            and not _SIGNATURE.search(sent.text)
            and names <= _words(f"{header(src)} {src.hit.chunk.text}")
        ]
        timings["total_s"] = time.perf_counter() - t0
        text = " ".join(f"{s.text} [{s.citations[0].n}]" for s in sentences)
        return Answer(question, text, sentences, sources, False, True, "extract", timings=timings)

    def _abstain(
        self,
        question: str,
        sources: list[Source],
        mode: str,
        reason: str,
        timings: dict[str, float],
        t0: float,
        raw: str = "",
    ) -> Answer:
        timings["total_s"] = time.perf_counter() - t0
        return Answer(
            question,
            ABSTAIN,
            [],
            sources,
            True,
            True,
            mode,
            reason=reason,
            raw=raw,
            timings=timings,
        )


def _once(kept: list[AnswerSentence], new: AnswerSentence) -> list[AnswerSentence]:
    """`kept` and `new`, each said once: a sentence said twice, or one that a quote (a
    restatement replaced by the sentences it cited) already holds, or holds, goes."""
    flat = " ".join(new.text.split())
    if any(flat in " ".join(k.text.split()) for k in kept):
        return kept
    return [k for k in kept if " ".join(k.text.split()) not in flat] + [new]


def check_length(question: str, generator: Generator, limit: int) -> None:
    """QuestionTooLong unless the question fits the model beside its sources."""
    n = generator.count(question)
    if n > limit:
        raise QuestionTooLong(
            f"The question is {n} tokens long; the model takes at most {limit} "
            "(SABIO_ANSWER__MAX_QUESTION_TOKENS). Shorten it, or ask in extract mode."
        )


# A question a bare restatement answers: "Is there a cap on liability?" -> "There is a cap on
# liability." is a verdict; "How can I encrypt the SD card?" -> "Encrypt SD card." is not.
_YES_NO = re.compile(
    r"\s*(?:is|are|am|was|were|do|does|did|can|could|will|would|shall|should|may|might|must"
    r"|has|have|had)\b",
    re.IGNORECASE,
)


# "Is there a cap on liability?", "Are there any audit rights?", "Does this contract include
# an exclusivity clause?": whether the document has something (the `thing`).
_EXISTS = re.compile(
    r"\s*(?:(?:is|are)\s+there|(?:does|do|will|shall)\s+(?:the|this|that|it)\b(?:\s+\w+)?\s+"
    r"(?:include|contain|have|provide\s+for|grant|impose))\s+(?:an?\s+|any\s+)?(?P<thing>[^?]+)",
    re.IGNORECASE,
)
_WHERE = re.compile(
    r"\s+(?:in|under|of|within)\s+(?:the|this|that)\s+"
    r"(?:agreement|contract|lease|license|document)\b.*",
    re.IGNORECASE,
)
_GENERIC = "clause clauses provision provisions agreement agreements contract contracts"


def _asked_about(asked: str) -> set[str]:
    """What an existence question asks about, stemmed: {"limitation", "liability"} of "Is there
    a limitation of liability in this agreement?"; empty for any other question."""
    m = _EXISTS.match(asked)
    return set() if m is None else stems(_WHERE.sub("", m.group("thing"))) - stems(_GENERIC)


def _sought(thing: set[str]) -> set[str]:
    """The words of what an existence question asks about (`_asked_about`) that say what it
    is ("non-compete": "compete", "noncompete"; not "non")."""
    return {w for w in thing if len(w) > 3} or thing


def _quoted(
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
        c = _citation(src, _onward(src, Sentence(c.start, c.end, c.quote, 0.0)))
    return replace(
        sentence, text=" ".join(c.quote.split()), citations=(c,), support=1.0, verbatim=True
    )


_LEADING = re.compile(r"^\s*(?:\[\d+(?:\s*[,;]\s*\d+)*\]\s*)+")


_VERDICT = "yes cannot"  # words of a verdict, which no passage need hold
# Not the digits of a name: "Galaxy S10", "PS4", "MP3".
_FIGURE = re.compile(r"(?<!\w)\d+(?:[.,:/]\d+)*")
# What numbers a list item or a clause at the start of a line ("1. ", "12.8. Counterparts",
# "4.12 GOVERNING LAW", "Section 21. Third-Party"): no figure the passage states. The model took
# "12.8" from a heading for "the royalty rate is 12.8", and that heading's passage "held" it.
_ENUMERATOR = re.compile(
    r"^[ \t]*(?:(?i:section|article|clause)[ \t]+)?\d+(?:\.\d+)*(?:[.)](?!\d)|(?=[ \t]+[A-Z]))",
    re.MULTILINE,
)


_UNITS = ["two", "three", "four", "five", "six", "seven", "eight", "nine"]
_TEENS = [
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
# Numbers in words, as contracts write them ("five (5) years", "thirty-five days"); "one" only
# in a compound: alone it is more often a pronoun ("no one", "the one you want") than a figure.
_SPELLED = (
    dict(zip(_UNITS, range(2, 10), strict=True))
    | dict(zip(_TEENS, range(10, 20), strict=True))
    | dict(zip(_TENS, range(20, 100, 10), strict=True))
)
_NUMBER_WORD = re.compile(
    rf"\b(?:({'|'.join(_TENS)})[- ](one|{'|'.join(_UNITS)})|({'|'.join(_SPELLED)}))\b",
    re.IGNORECASE,
)


# A sum of money or a percentage: "$25,000", "USD 25,000", "25,000 dollars", "5%", "5 percent".
_MONEY = re.compile(
    r"(?:[$€£]|\b(?:USD|US\$|EUR|GBP)\s?)\s*(\d+(?:[.,]\d+)*)"
    r"|(\d+(?:[.,]\d+)*)\s*(?:dollars|euros|pounds|USD|EUR|GBP)\b",
    re.IGNORECASE,
)
_PERCENT = re.compile(r"(\d+(?:[.,]\d+)*)\s*(?:%|percent\b|per cent\b)", re.IGNORECASE)


def _figures(text: str) -> set[str]:
    """The numbers a text states ("2.5", "16:9", "1,000" as "1000", "five" as "5",
    "thirty-five" as "35"), a list's "1. " aside; a sum of money or a percentage also as
    what it is ("$25000", "5%"), so that "$25,000" is not "25,000 shares"."""
    # Numbers in words become digits first: "five percent" is "5%", as "5 percent" is.
    text = _NUMBER_WORD.sub(_digits, _ENUMERATOR.sub("", text))
    out = {f.replace(",", "") for f in _FIGURE.findall(text)}
    out |= {"$" + (a or b).replace(",", "") for a, b in _MONEY.findall(text)}
    out |= {f.replace(",", "") + "%" for f in _PERCENT.findall(text)}
    return out


def _digits(m: re.Match[str]) -> str:
    tens, unit, word = (g.lower() if g else g for g in m.groups())
    return str(_SPELLED[tens] + _SPELLED.get(unit, 1) if tens else _SPELLED[word])


# Two fields of a signature block: "By: ____ Name: Title:".
_SIGNATURE = re.compile(r"\b(?:By|Name|Title|Its|Date)\s*:.{0,80}?\b(?:Name|Title|Its|Date)\s*:")
_NAME = re.compile(r"(?<=[\w,;:()\"'] )[A-Z][\w'-]*")  # capitalised, not a sentence's first word
# An answer that something is not there: "No services ...", "There is no cap ...", "The
# agreement does not include ..." (not any sentence with a "not": "X shall not compete").
_ABSENCE = re.compile(
    r"^\W*no\b|\bthere\s+(?:is|are|was|were)\s+no\b|\bno\s+such\b"
    r"|\b(?:does|do|did)\s*(?:not|n't)\s+(?:include|contain|have|provide|grant|impose)\b",
    re.IGNORECASE,
)
_DENIAL = re.compile(r"\b(?:no|not|never|cannot|none|neither|nor)\b|n't\b", re.IGNORECASE)


def _names(text: str) -> set[str]:
    """The capitalised words of a text that do not open a sentence ("New", "York", "Florida"),
    lowercased; "I" aside."""
    return {_word(m) for m in _NAME.findall(text) if len(m) > 1}


def _headed(text: str, pool: list[tuple[Source, Sentence]], headed: list[int]) -> AnswerSentence:
    """`text` cited to the sentence of the `headed` sources that best matches the question:
    the clause, not its heading, where the source holds more than the heading."""
    within = [(src, s) for src, s in pool if src.n in headed]
    heads = {src.n: stems(_headings(src)) for src, _ in within}

    def clause(src: Source, s: Sentence) -> bool:
        return not _heading_line(src, s) and bool(stems(s.text) - heads[src.n])

    src, s = max(within, key=lambda x: (clause(*x), x[1].score))
    return AnswerSentence(text, (_citation(src, _whole(src, s)),), s.score, True)


def _akin(words: set[str], other: set[str]) -> set[str]:
    """The `words` that `other` holds, or holds a word of the same root: one that starts with
    the same six letters ("indemnification": "indemnify", "Indemnity"; "exclusivity":
    "exclusive"). Shorter words only whole."""
    roots = {w[:6] for w in other if len(w) >= 6}
    return {w for w in words if w in other or (len(w) >= 6 and w[:6] in roots)}


def _words(text: str) -> set[str]:
    return {_word(w) for w in re.findall(r"[\w'-]+", text)}


def _word(w: str) -> str:
    """Lowercased, without a possessive: "Samsung's" is "samsung"."""
    return re.sub(r"'s?$", "", w.lower())


def _echoes(sources: list[Source]) -> set[str]:
    """Source headers and headings as they appear in the prompt: a small model copies them,
    sometimes with the label that opens the passage ("Checking signal strength Settings"), or
    without the header's page ("<title> | 9 Miscellaneous > Section 9.3 Amendments [1].")."""
    out: set[str] = set()
    for s in sources:
        names = {header(s), *(h for h in (s.hit.title, *s.hit.chunk.heading_path) if h.strip())}
        names.add(re.sub(r" \| page \d+$", "", header(s)))
        first = s.text.strip().split("\n", 1)[0]
        out |= names | ({f"{h} {first}" for h in names} if _short(first) else set())
    return {" ".join(e.split()).lower() for e in out}


def _split_answer(raw: str, echoes: set[str] | None = None) -> list[tuple[str, list[int]]]:
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
                cite(_numbers(lead.group(0)))
                continue
            block, line = _numbers(lead.group(0)), line[lead.end() :]
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
        pending += _numbers(f"[{parts[i]}]")
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
            out.append(("", _numbers(lead.group(0))))
            piece = piece[lead.end() :]
        clean = re.sub(r"\s+([.,;:!?])", r"\1", " ".join(_CITE.sub("", piece).split()))
        if clean.strip(" .;,"):
            out.append((clean, _numbers(piece)))
    return out


def _is_echo(text: str, echoes: set[str]) -> bool:
    flat = " ".join(text.split()).lower().strip(" .:;")
    flat = re.sub(r"^(?:source|sources)\s*:\s*", "", flat)
    if flat in ("source", "sources", "answer", "question"):  # a copied label of the prompt
        return True
    return flat in echoes or any(
        e and flat.startswith(e) and len(flat) <= len(e) + 2 for e in echoes
    )


def _flat(text: str) -> str:
    return " ".join(text.lower().split()).strip(" .:;,")


def _short(line: str) -> bool:
    return 0 < len(line.split()) <= 2


def _heading_line(source: Source, sentence: Sentence) -> bool:
    c = source.hit.chunk
    return heading_line(c, sentence.start - c.start, sentence.end - c.start)


def _headings(source: Source) -> str:
    """The headings over a source and in it."""
    lines = [s.text for s in source.sentences if _heading_line(source, s)]
    return " ".join([*source.hit.chunk.heading_path, *lines])


def _echoed(raw: str, echoes: dict[int, set[str]]) -> list[int]:
    """The sources whose header or heading (`echoes`, by source number) the answer copies, in
    its order."""
    texts = _CITE.split(re.sub(r"^\s*sources?\s*:", "", raw, flags=re.IGNORECASE))[::2]
    lines = [line for text in texts for line in text.splitlines() if line.strip(" .:;,")]
    return list(
        dict.fromkeys(n for line in lines for n, own in echoes.items() if _is_echo(line, own))
    )


def _cited(raw: str) -> list[int]:
    return [n for _, numbers in _split_answer(raw) for n in numbers]


def _numbers(text: str) -> list[int]:
    return [int(n) for m in _CITE.finditer(text) for n in re.split(r"[,;\s]+", m.group(1)) if n]


def _whole(source: Source, sentence: Sentence) -> Sentence:
    """The sentence as a quote shows it: not cut after "Inc." or "Dr." (`whole_sentence`)."""
    c = source.hit.chunk
    a, b = whole_sentence(c.text, sentence.start - c.start, sentence.end - c.start)
    return replace(sentence, start=c.start + a, end=c.start + b, text=c.text[a:b])


def _onward(source: Source, sentence: Sentence) -> Sentence:
    """From `sentence` to the end of its source: for a how-to question, the steps that follow
    what it describes. A short line closing it stays: it may be the next section's title
    ("Call log"), or the menu path the steps take ("Settings Support Software Update Try Now",
    as a DOCX manual lays it out); a stray title costs less than a lost path."""
    c = source.hit.chunk
    end = max(sentence.end, source.end)
    return replace(sentence, end=end, text=c.text[sentence.start - c.start : end - c.start])


def _citation(source: Source, sentence: Sentence) -> Citation:
    """`sentence` as cited: already `_whole`."""
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


def answer_json(a: Answer) -> dict[str, object]:
    """The answer as the CLI's --json and the API return it."""
    return {
        "question": a.question,
        "answer": a.text,
        "abstained": a.abstained,
        "supported": a.supported,
        "mode": a.mode,
        "reason": a.reason,
        "sentences": [
            {
                "text": s.text,
                "supported": s.supported,
                "support": round(s.support, 3),
                "verbatim": s.verbatim,
                "citations": [citation_json(c) for c in s.citations],
            }
            for s in a.sentences
        ],
        "sources": [source_json(s) for s in a.sources],
        "format_errors": a.format_errors,
        "timings": {k: round(v, 3) for k, v in a.timings.items()},
        "prompt_tokens": a.prompt_tokens,
        "completion_tokens": a.completion_tokens,
    }


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


def source_json(s: Source) -> dict[str, object]:
    c = s.hit.chunk
    return {
        "n": s.n,
        "source": s.hit.source,
        "title": s.hit.title,
        "document_id": c.document_id,
        "chunk_id": c.id,
        "heading_path": list(c.heading_path),
        "page": c.page_start,
        "start": s.start,
        "end": s.end,
        "text": s.text,
        "relevance": round(s.relevance, 3),
        # The whole chunk, and where it starts in the document, so a page can show the quoted
        # span highlighted inside its passage.
        "passage": c.text,
        "passage_start": c.start,
    }

"""Grounded answers: retrieve, select evidence, generate (or extract), then verify every sentence.

Each answer sentence must cite a source it is supported by (`rag.verify` checks each against
the passages it cites; unsupported sentences are dropped from the answer, and reported). A
reply that only names sources is answered by quoting them, as extract mode quotes. No
supported sentence, a model that abstains, or evidence too weak to answer from: the answer is
the fixed abstention, with the closest passages listed.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from rag.embedder import Embedder
from rag.errors import QuestionTooLong
from rag.evidence import ABSTAIN, EvidenceSelector, Sentence, Source, header, how_to, messages
from rag.generator import Generator
from rag.query import answer_shape, asks_date
from rag.quotes import (
    AnswerSentence,
    asks_of,
    citation,
    citation_json,
    is_heading,
    lacks,
    names_held,
    onward,
    whole,
)
from rag.retrieval import Searcher
from rag.text import stems
from rag.verify import Verifier
from rag.wording import (
    SIGNATURE,
    YES_NO,
    akin,
    asked_about,
    dangling,
    dates,
    lead_in,
    names,
    short,
    sought,
)

# A yes/no question that also asks what, how or when: "..., and under what conditions?"
_ALSO_ASKS = re.compile(
    r"\band\s+(?:if\s+so,?\s+)?(?:under\s+)?(?:what|which|how|when|who|where)\b", re.IGNORECASE
)


# "What is Anynet+?", "What are Smart Hub apps?": what a thing is.
_WHAT_IS = re.compile(r"^\W*what\s+(?:is|are)\s+(?:an?\s+|the\s+)?(?P<term>[^?]+?)\s*\??\s*$", re.I)


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
        self.verifier = Verifier(embedder, searcher.idf, min_support, cited_margin, cited_relevance)
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
        if raw.strip().startswith(ABSTAIN[:24]) or not raw.strip():
            return self._abstain(
                question, sources, "generate", "the model abstained", timings, t0, raw
            )
        checked = self.verifier.check(asked, raw, sources, bar)
        by_n = {s.n: s for s in sources}
        # Nothing kept but sources named: quote them. (Copied headings only when the model
        # said nothing unsupported: a heading is then no answer.)
        echoed = [] if checked.dropped else checked.echoed
        for named in (echoed, checked.pointers) if not checked.kept else ():
            pointed = self._pointed(question, asked, raw, named, by_n, timings, t0, bar)
            if pointed is not None:
                return pointed
        if not checked.kept:
            return self._abstain(
                question, sources, "generate", "no sentence was supported", timings, t0, raw
            )
        timings["total_s"] = time.perf_counter() - t0
        kept = checked.kept
        text = " ".join(f"{s.text} " + "".join(f"[{c.n}]" for c in s.citations) for s in kept)
        return Answer(
            question,
            text.strip(),
            kept,
            sources,
            False,
            checked.dropped == 0,
            "generate",
            format_errors=checked.errors,
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
        "Section 21. Third-Party Beneficiary"), nor a lead-in without what it announces ("The
        parties may terminate this Agreement during the Term as follows:"), nor a passage
        without the names the question asks about (`asked`: the question without its document
        reference): "Which contracts are governed by Delaware law?" got a Tennessee
        governing-law clause (a yes/no question aside: "Is it governed by New York law?" is
        answered by the clause naming Florida). If nothing else is left, the answer abstains."""
        asking = set() if YES_NO.match(asked) else names(asked)
        # "Is there a non-compete?" is answered by a passage about competing, as in generate
        # mode (`rag.verify`), or not at all: the closest sentences of a contract without one are
        # about something else ("This Agreement does not constitute a partnership").
        wanted = sought(asked_about(asked))
        steps = how_to(asked)
        # Any other yes/no question, by a passage that holds most of what it asks, as a verdict
        # restating it must be in generate mode: "Is the Morgan Stanley trademark license
        # exclusive?" got the notices clause with both parties' addresses. Not one that also
        # asks for the clause: "Can this contract be terminated for convenience, and under what
        # conditions?" is answered by "may be terminated by Anixa, without cause".
        verdict = YES_NO.match(asked) and not wanted and not steps and not _ALSO_ASKS.search(asked)
        asks = asks_of(asked) if verdict else set()
        dated = asks_date(asked)

        def best(s: Source) -> Sentence:
            known = stems(header(s))
            # Rather a statement than a heading, and rather than a bare name ("Galaxy S10e");
            # rather than a lead-in, unless the steps it announces are quoted after it.
            return max(
                s.sentences,
                key=lambda x: (
                    bool(stems(x.text) - known) and not is_heading(s, x),
                    not short(x.text),
                    steps or not lead_in(x.text),
                    x.score,
                ),
            )

        defined = _WHAT_IS.match(asked)
        term = stems(defined.group("term")) if defined else set()

        def headed_score(src: Source, sent: Sentence) -> float:
            """The sentence's relevance, or, asked what a thing is, that of the heading line
            naming it right above: "What is Anynet+?" matches the heading "Using Anynet+
            (HDMI-CEC)" (0.86), and the sentence under it, which says what it is, less (0.52).
            (Not any heading: "What batteries does the remote use?" and the phone's "Battery"
            over "View how battery power is used ...".)"""
            i = src.sentences.index(sent)
            above = src.sentences[i - 1] if i else None
            if term and above and is_heading(src, above) and term <= stems(above.text):
                return max(sent.score, above.score)
            return sent.score

        # Each pick: its source, the sentence chosen and the quote of it (for a how-to question
        # running on through the steps, and through a short line closing the source, which as a
        # whole may read as a heading: "From Apps, tap Calendar .\n\nAdd calendars").
        picks: list[tuple[Source, Sentence, Sentence]] = []
        seen: set[str] = set()
        # A clause of the shape that answers the question is about it, whatever its words: "Is
        # there a cap on liability?" and "NEITHER PARTY SHALL BE LIABLE ... FOR ANY INCIDENTAL,
        # SPECIAL OR INDIRECT DAMAGES" (no "cap"; the answer abstained).
        shape = answer_shape(asked)
        about = [
            s
            for s in sources
            if (
                not wanted
                or akin(wanted, stems(f"{header(s)} {s.text}"))
                or (shape is not None and any(shape(x.text) for x in s.sentences))
            )
            and not lacks(s, asks)
        ]
        for src, chosen in sorted(((s, best(s)) for s in about), key=lambda p: -p[1].score):
            sent = onward(src, whole(src, chosen)) if steps else whole(src, chosen)
            # Once each: two editions of a manual repeat sentences word for word.
            if (flat := " ".join(sent.text.split())) not in seen and len(picks) < 2:
                seen.add(flat)
                picks.append((src, chosen, sent))
        # The answer reads as prose (a menu path laid out a line per step is one line); the
        # citation's quote keeps the passage's own layout.
        sentences = [
            AnswerSentence(
                " ".join(sent.text.split()),
                (citation(src, sent),),
                1.0,  # its own words: fully supported (its relevance chose it)
                True,
                verbatim=True,
            )
            for src, chosen, sent in picks
            # A name or a label ("Galaxy S10e") is no answer, however close to the question.
            if headed_score(src, chosen) >= bar
            and not short(sent.text)
            and not is_heading(src, chosen)
            and not SIGNATURE.search(sent.text)
            and not lead_in(sent.text)  # a how-to quote's steps run on after it
            and not dangling(chosen.text)
            and names_held(src, asking)
            # Asked when the agreement was made, a sentence without a date is no answer.
            and (bool(dates(sent.text)) or not dated)
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


def check_length(question: str, generator: Generator, limit: int) -> None:
    """QuestionTooLong unless the question fits the model beside its sources."""
    n = generator.count(question)
    if n > limit:
        raise QuestionTooLong(
            f"The question is {n} tokens long; the model takes at most {limit} "
            "(SABIO_ANSWER__MAX_QUESTION_TOKENS). Shorten it, or ask in extract mode."
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

"""Prompt budget, citation parsing and support checks, with a scripted fake generator."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from rag.answer import Answer, Answerer, answer_json
from rag.evidence import ABSTAIN, SYSTEM, EvidenceSelector, how_to, messages
from rag.generator import Message, RepetitionGuard
from rag.query import answer_shape
from rag.quotes import AnswerSentence
from rag.retrieval import Searcher, make_retrievers
from rag.routing import DocumentRouter
from rag.store import Collection, Store
from rag.types import Chunk, Hit
from rag.verify import once
from rag.wording import ABSENCE, dangling, dates, figures, lead_in, negated
from tests.unit.fakes import FakeEmbedder
from tests.unit.test_store import make_doc, write

PUMP = [
    "Priming the pump: fill the casing with water before the first start.",
    "Replace the impeller seal every 2000 operating hours.",
    "Noise from the bearing means the bearing grease is exhausted.",
]


class ScriptedGenerator:
    """Replies with a fixed text, in pieces; records the prompts it was given."""

    model_id = "scripted"

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.prompts: list[list[Message]] = []

    def count(self, text: str) -> int:
        return len(text.split())

    def stream(
        self, messages: Sequence[Message], max_tokens: int, citations: int = 0, exempt: str = ""
    ) -> Iterator[str]:
        self.prompts.append(list(messages))
        for word in self.reply.split(" "):
            yield word + " "


@pytest.fixture
def coll(tmp_path: Path, embedder: FakeEmbedder) -> Collection:
    c = Store(tmp_path).open_or_create("pumps", embedder.model_id, embedder.dim)
    write(c, embedder, [make_doc("/d/pump.txt", "Pump manual", PUMP)])
    return c


def one_passage(tmp_path: Path, embedder: FakeEmbedder, title: str, body: str) -> Collection:
    """A collection of one document, titled `title`, whose one chunk is `body`."""
    c = Store(tmp_path).open_or_create("seals", embedder.model_id, embedder.dim)
    write(c, embedder, [make_doc("/d/seal.txt", title, [body])])
    return c


def answerer(
    coll: Collection, embedder: FakeEmbedder, gen: ScriptedGenerator | None, **kw: float
) -> Answerer:
    searcher = Searcher(coll, embedder, make_retrievers("hybrid"))
    selector = EvidenceSelector(embedder, lambda t: len(t.split()), budget_tokens=80)
    return Answerer(
        searcher,
        embedder,
        gen,
        selector,
        min_relevance=kw.get("rel", 0.2),
        min_support=kw.get("sup", 0.5),
        cited_margin=kw.get("margin", 0.1),
        cited_relevance=kw.get("cited", 0.0),
    )


def test_supported_sentences_carry_the_span_they_come_from(
    coll: Collection, embedder: FakeEmbedder
) -> None:
    gen = ScriptedGenerator("Replace the impeller seal every 2000 operating hours [1].")
    a = answerer(coll, embedder, gen).answer("When should the impeller seal be replaced?")
    assert not a.abstained and a.supported
    (sentence,) = a.sentences
    (cite,) = sentence.citations
    text = coll.catalog().document_text(cite.document_id)
    assert text is not None and text[cite.start : cite.end] == cite.quote == PUMP[1]
    assert a.text.endswith("[1]")
    # The prompt: fixed system prompt first, numbered sources with their titles, the question.
    system, user = gen.prompts[0]
    assert system["content"] == SYSTEM
    assert "[1] Pump manual" in user["content"] and "Question: When should" in user["content"]
    assert answer_json(a)["sentences"][0]["citations"][0]["quote"] == PUMP[1]  # type: ignore[index]


def test_unsupported_sentences_are_dropped_and_bad_citations_removed(
    coll: Collection, embedder: FakeEmbedder
) -> None:
    gen = ScriptedGenerator(
        "Replace the impeller seal every 2000 operating hours [1]. "
        "The warranty lasts ninety years on Mars [1]. Fill the casing with water [7]."
    )
    a = answerer(coll, embedder, gen).answer("When should the impeller seal be replaced?")
    assert [s.text for s in a.sentences] == [
        "Replace the impeller seal every 2000 operating hours.",
        "Fill the casing with water.",
    ]
    assert not a.supported  # something had to be dropped
    assert a.format_errors == 1  # [7] was never given
    assert "Mars" not in a.text


def test_abstentions(coll: Collection, embedder: FakeEmbedder) -> None:
    made_up = ScriptedGenerator("Mars has two small moons [1].")
    a = answerer(coll, embedder, made_up).answer("When should the impeller seal be replaced?")
    assert a.abstained and a.text == ABSTAIN and a.reason == "no sentence was supported"
    assert a.sources  # the closest passages are still listed

    honest = ScriptedGenerator(ABSTAIN)
    assert (
        answerer(coll, embedder, honest).answer("impeller seal hours").reason
        == "the model abstained"
    )

    never = ScriptedGenerator("unused")
    far = answerer(coll, embedder, never, rel=0.99).answer("Who won the 1998 world cup final?")
    assert far.abstained and far.reason == "no relevant passage"
    assert never.prompts == []  # no time spent generating


def test_a_question_about_a_document_that_is_not_here_abstains(
    coll: Collection, embedder: FakeEmbedder
) -> None:
    never = ScriptedGenerator("unused")
    ans = answerer(coll, embedder, never)
    ans.searcher.router = DocumentRouter()
    a = ans.answer("Consider the Lease Agreement between Halcyon and Quartz; how often is it?")
    lease = '"the Lease Agreement between Halcyon and Quartz"'
    assert a.abstained and a.reason == f"no document here is {lease}"
    assert a.sources and never.prompts == []
    named = ans.answer("Consider the Pump manual; how often is the impeller seal replaced?")
    assert not named.reason.startswith("no document here")


def test_extract_mode_is_verbatim(coll: Collection, embedder: FakeEmbedder) -> None:
    a = answerer(coll, embedder, None).answer("bearing grease noise", mode="extract")
    assert a.mode == "extract" and not a.abstained
    assert a.sentences[0].text == PUMP[2] and a.sentences[0].verbatim
    assert a.sentences[0].citations[0].quote == PUMP[2]


def test_prompt_budget_drops_whole_sources(coll: Collection, embedder: FakeEmbedder) -> None:
    searcher = Searcher(coll, embedder, make_retrievers("hybrid"))
    hits = searcher.search("pump seal bearing", 5).hits
    qvec = embedder.embed_query("pump seal bearing")
    roomy = EvidenceSelector(embedder, lambda t: len(t.split()), budget_tokens=500, context=0)
    tight = EvidenceSelector(embedder, lambda t: len(t.split()), budget_tokens=25, context=0)
    assert len(roomy.select("pump seal bearing", qvec, hits)) == 3
    kept = tight.select("pump seal bearing", qvec, hits)
    assert len(kept) == 1  # one source fits with its header; the others are dropped whole
    assert kept[0].text in PUMP
    user = messages("q", kept)[1]["content"]
    assert user.count("[1]") == 1 and "[2]" not in user


def test_a_sentence_that_only_restates_the_question_becomes_the_cited_sentence(
    coll: Collection, embedder: FakeEmbedder
) -> None:
    def said(reply: str, question: str) -> list[AnswerSentence]:
        return answerer(coll, embedder, ScriptedGenerator(reply)).answer(question).sentences

    a = answerer(coll, embedder, ScriptedGenerator("Prime the pump [1].")).answer(
        "How do I prime the pump?"
    )
    (sentence,) = a.sentences
    assert sentence.verbatim and sentence.text == sentence.citations[0].quote == PUMP[0]
    assert a.text == f"{PUMP[0]} [1]" and a.supported
    assert answer_json(a)["sentences"][0]["verbatim"] is True  # type: ignore[index]
    # So does a sentence that adds only words of a source's header ("Pump manual").
    (header,) = said("Prime the pump [1].", "How do I prime before the first start?")
    assert header.verbatim and header.text == PUMP[0]
    # Its words are read as BM25 stems them: "Prime" restates "priming".
    (stem,) = said("Prime the pump [1].", "How is priming the pump done?")
    assert stem.verbatim and stem.text == PUMP[0]
    # A sentence that says more than the question stays the model's.
    (own,) = said("Fill the pump casing with water [1].", "How do I prime the pump?")
    assert not own.verbatim and own.text == "Fill the pump casing with water."
    # To a yes/no question, restating it is the answer ("Yes, ...").
    asked = "Can the impeller seal be replaced?"
    (verdict,) = said("The impeller seal can be replaced [1].", asked)
    assert not verdict.verbatim and verdict.text == "The impeller seal can be replaced."
    # Said twice, kept once.
    twice = "Fill the pump casing with water [1]. Fill the pump casing with water."
    assert len(said(twice, "How do I prime the pump?")) == 1


def test_repetition_guard() -> None:
    guard = RepetitionGuard(window=10, times=3)
    assert not any(guard.looping(p) for p in ["The seal ", "is worn. "])
    looped = [guard.looping("Replace it. ") for _ in range(6)]
    assert looped[-1] and not looped[0]


def test_one_citation_per_sentence_the_best_supporting_one(
    coll: Collection, embedder: FakeEmbedder
) -> None:
    gen = ScriptedGenerator("Replace the impeller seal every 2000 operating hours [1][2][3].")
    a = answerer(coll, embedder, gen).answer("impeller seal bearing casing")
    (sentence,) = a.sentences
    (cite,) = sentence.citations
    assert cite.quote == PUMP[1]


def test_a_wrong_citation_is_moved_to_the_source_that_supports_the_sentence(
    coll: Collection, embedder: FakeEmbedder
) -> None:
    gen = ScriptedGenerator("Replace the impeller seal every 2000 operating hours.")
    a = answerer(coll, embedder, gen).answer("impeller seal bearing casing")
    assert a.format_errors == 1  # no citation at all
    (sentence,) = a.sentences
    assert sentence.citations[0].quote == PUMP[1]
    assert sentence.citations[0].n in {s.n for s in a.sources}


def test_the_models_citation_stays_only_while_it_supports_about_as_well(
    coll: Collection, embedder: FakeEmbedder
) -> None:
    """A small model mixes up source numbers; the citation names where the sentence is from."""
    question = "impeller seal bearing casing"
    sources = answerer(coll, embedder, None).answer(question, "extract").sources
    own = next(s.n for s in sources if PUMP[1] not in s.text)
    gen = ScriptedGenerator(f"Replace the impeller seal every 2000 operating hours [{own}].")
    moved = answerer(coll, embedder, gen, sup=0.0).answer(question)
    assert moved.sentences[0].citations[0].quote == PUMP[1]
    assert moved.format_errors == 0  # the model did cite: a given source, just not the best
    kept = answerer(coll, embedder, gen, sup=0.0, margin=2.0).answer(question)
    assert kept.sentences[0].citations[0].n == own


def searched(coll: Collection, embedder: FakeEmbedder) -> tuple[str, list[Hit], np.ndarray]:
    """A question about the pump, its hits and its vector: what evidence is selected from."""
    question = "impeller seal bearing casing"
    hits = Searcher(coll, embedder, make_retrievers("hybrid")).search(question, 5).hits
    return question, hits, embedder.embed_query(question)


def words(text: str) -> int:
    return len(text.split())


def test_retrieval_score_ranks_sources_with_their_best_sentence(
    coll: Collection, embedder: FakeEmbedder
) -> None:
    question, hits, qvec = searched(coll, embedder)

    def first(weight: float, found: list[Hit]) -> str:
        selector = EvidenceSelector(embedder, words, 500, context=0, retrieval_weight=weight)
        return selector.select(question, qvec, found)[0].text

    by_sentence = first(0.0, hits)
    # Another hit that retrieval now ranks far above the rest.
    target = next(h for h in hits if by_sentence not in h.chunk.text)
    rescored = [replace(h, score=100.0 if h is target else 1.0) for h in hits]
    assert first(0.0, rescored) == by_sentence
    assert first(1.0, rescored) in target.chunk.text


def test_sentence_vectors_are_cached_and_the_cache_is_bounded(
    coll: Collection, embedder: FakeEmbedder
) -> None:
    question, hits, qvec = searched(coll, embedder)
    plain = EvidenceSelector(embedder, words, 500).select(question, qvec, hits)
    cached = EvidenceSelector(embedder, words, 500, cache_size=1000)
    first = cached.select(question, qvec, hits)
    calls = embedder.calls
    again = cached.select(question, qvec, hits)
    assert embedder.calls == calls  # every sentence vector came from the cache
    assert first == again == plain  # and the same sources, scores and spans as without it
    small = EvidenceSelector(embedder, words, 500, cache_size=2)
    assert small.select(question, qvec, hits) == plain
    assert len(small._cache) == 2


def test_an_answer_of_headings_only_quotes_what_those_sources_say(
    coll: Collection, embedder: FakeEmbedder
) -> None:
    question = "How often is the impeller seal replaced?"
    a = answerer(coll, embedder, ScriptedGenerator("Pump manual section [1].")).answer(question)
    assert not a.abstained and a.mode == "generate" and a.raw.startswith("Pump manual section")
    (sentence,) = a.sentences
    assert sentence.verbatim and sentence.text == PUMP[1] == sentence.citations[0].quote
    # Every source the model was given stays listed, not only the one it pointed at.
    given = answerer(coll, embedder, None).answer(question, mode="extract").sources
    assert len(given) > 1 and [s.n for s in a.sources] == [s.n for s in given]
    # A heading that cites nothing points nowhere: nothing was said.
    bare = answerer(coll, embedder, ScriptedGenerator("Pump manual section.")).answer(question)
    assert bare.abstained and bare.reason == "no sentence was supported"


def test_extract_mode_quotes_no_heading(tmp_path: Path, embedder: FakeEmbedder) -> None:
    body = "Pump manual section\n\nEvery 2000 operating hours, a new one."
    c = one_passage(tmp_path, embedder, "Pump manual", body)
    question = "pump manual section: new one every operating hours?"
    a = answerer(c, embedder, None).answer(question, mode="extract")
    (source,) = a.sources  # where the heading scores best
    assert max(source.sentences, key=lambda s: s.score).text == "Pump manual section"
    (sentence,) = a.sentences
    assert sentence.text == "Every 2000 operating hours, a new one."
    # A PDF's heading is not in the chunk's heading path; on a line of its own, without a full
    # stop, it still says where an answer would be, not what it is.
    clause = "Nothing in this Agreement gives any right to a person who is not a party to it."
    c = one_passage(
        tmp_path / "pdf",
        embedder,
        "Servicing agreement",
        heading := "Section 21. Third-Party Beneficiary",
    )
    question = "Does a third-party beneficiary of section 21 have any right under this agreement?"
    a = answerer(c, embedder, None).answer(question, mode="extract")
    assert a.abstained and a.reason == "no sentence was relevant", a.text
    body = f"{heading}\n\n{clause}"
    c = one_passage(tmp_path / "both", embedder, "Servicing agreement", body)
    a = answerer(c, embedder, None).answer(question, mode="extract")
    (source,) = a.sources
    assert max(source.sentences, key=lambda s: s.score).text == heading
    assert [s.text for s in a.sentences] == [clause]


def test_answers_come_from_what_holds_the_names_asked_about(
    tmp_path: Path, embedder: FakeEmbedder
) -> None:
    clause = "This Agreement shall be governed by the laws of the State of Tennessee."
    c = one_passage(tmp_path, embedder, "Endorsement agreement", clause)
    ask = answerer(c, embedder, None).answer
    # A clause naming another state does not answer which contracts Delaware law governs...
    a = ask("Which contracts are governed by Delaware law?", mode="extract")
    assert a.abstained and a.reason == "no sentence was relevant", a.text
    copy = ScriptedGenerator(f"{clause} [1]")
    a = answerer(c, embedder, copy).answer("Which contracts are governed by Delaware law?")
    assert unsupported(a), a.text
    # Nor does a phone's camera answer how to record a TV program (sample manuals: "Tap
    # Capture to begin recording a video. ... [1]").
    camera = "Tap Capture to begin recording a video. Tap Stop when you are finished recording."
    c = one_passage(tmp_path / "phone", embedder, "Galaxy S10 manual", camera)
    copy = ScriptedGenerator(f"{camera} [1]")
    a = answerer(c, embedder, copy, rel=-1.0).answer("How do I record a TV program?")
    assert unsupported(a), a.text
    assert not answerer(c, embedder, copy, rel=-1.0).answer("How do I record a video?").abstained
    # A contract calls a party "the Company" after its opening; the file name, words glued
    # together, names it.
    fee = "1.2 Compensation. The Company shall pay Consultant a flat fee of $18,000 per month."
    title = "DRIVENDELIVERIES,INC_05_22_2020-EX-10.4-CONSULTING AGREEMENT"
    c = one_passage(tmp_path / "fee", embedder, title, fee)
    question = "What fee does Driven Deliveries pay the consultant?"
    assert answerer(c, embedder, None, rel=-1.0).answer(question, "extract").text.startswith(fee)
    copy = ScriptedGenerator(f"{fee} [1]")
    assert not answerer(c, embedder, copy, rel=-1.0).answer(question).abstained
    # ...it answers one naming Tennessee, and, as a "no", the yes/no question about Delaware.
    for question in (
        "Which contracts are governed by Tennessee law?",
        "Is the agreement governed by Delaware law?",
    ):
        assert [s.text for s in ask(question, mode="extract").sentences] == [clause]
    # A signature block holds the name, and answers nothing.
    block = "ACME FUND, a Delaware corporation By: Name: Title: [Signature Page to the Agreement]"
    c = one_passage(tmp_path / "signed", embedder, "License agreement", block)
    a = answerer(c, embedder, None).answer("Which firm is a Delaware corporation?", "extract")
    assert a.abstained and a.reason == "no sentence was relevant", a.text


def test_a_header_copied_without_its_page_points_at_its_source(
    tmp_path: Path, embedder: FakeEmbedder
) -> None:
    # A PDF passage's header ends "| page 5"; the model copies the rest of it.
    doc = make_doc("/d/license.pdf", "License agreement", ["The laws of New York govern it."])
    doc = replace(doc, chunks=[replace(ch, page_start=5, page_end=5) for ch in doc.chunks])
    c = Store(tmp_path).open_or_create("paged", embedder.model_id, embedder.dim)
    write(c, embedder, [doc])
    gen = ScriptedGenerator("[1] License agreement | License agreement section [1].")
    a = answerer(c, embedder, gen).answer("Which law governs: New York?")
    assert [s.text for s in a.sentences] == ["The laws of New York govern it."], a.reason
    assert a.sentences[0].verbatim


def test_a_sentence_that_says_nothing_citing_one_that_says_nothing_points_at_its_source(
    tmp_path: Path, embedder: FakeEmbedder
) -> None:
    # "Seal." restates the header, and so does the sentence it cites; the model named the
    # source without saying anything, so the answer is what that source says.
    body = "Seal.\n\nReplace the impeller seal every 2000 operating hours."
    c = one_passage(tmp_path, embedder, "Seal care", body)
    a = answerer(c, embedder, ScriptedGenerator("Seal [1].")).answer(
        "How often is the seal replaced?"
    )
    (sentence,) = a.sentences
    assert (
        sentence.verbatim
        and sentence.text == "Replace the impeller seal every 2000 operating hours."
    )


def test_neighbouring_chunks_sharing_a_sentence_give_it_once(embedder: FakeEmbedder) -> None:
    # Long sections are cut with overlap, so two chunks can hold the same sentence.
    def chunk(cid: str, ordinal: int) -> Hit:
        text = "Replace the impeller seal every 2000 operating hours."
        c = Chunk(cid, "d", ordinal, text, 100, 100 + len(text), (), None, None, 9, text)
        return Hit(c, 1.0, "dense", "/d/pump.txt", "Pump manual")

    selector = EvidenceSelector(embedder, lambda t: len(t.split()), budget_tokens=200)
    question = "How often is the impeller seal replaced?"
    hits = [chunk("a", 0), chunk("b", 1)]
    (source,) = selector.select(question, embedder.embed_query(question), hits)
    assert source.hit.chunk.id == "a"


def test_a_how_to_question_is_given_the_steps_not_the_heading_naming_them(
    embedder: FakeEmbedder,
) -> None:
    text = (
        "Wireless PowerShare\n\nWirelessly charge your compatible devices using your phone. "
        "Some features are not available while sharing power.\n\nFrom Quick Settings, tap "
        "Wireless PowerShare to enable this feature."
    )
    c = Chunk("a", "d", 0, text, 0, len(text), ("Wireless PowerShare",), None, None, 30, text)
    hits = [Hit(c, 1.0, "dense", "/d/phone.html", "Phone manual")]
    selector = EvidenceSelector(embedder, lambda t: len(t.split()), 200, context=1)

    def given(question: str) -> str:
        (source,) = selector.select(question, embedder.embed_query(question), hits)
        return source.text

    # The heading matches best, and the step is two sentences below it: the model never saw it.
    assert given("What is Wireless PowerShare?").startswith("Wireless PowerShare\n")
    assert "Quick Settings" not in given("What is Wireless PowerShare?")
    for question in ("How do I turn on Wireless PowerShare?", "how to use Wireless PowerShare"):
        assert given(question).endswith("tap Wireless PowerShare to enable this feature."), question


def test_a_how_to_answer_that_names_its_section_quotes_the_steps(
    tmp_path: Path, embedder: FakeEmbedder
) -> None:
    body = (
        "Take a screenshot\n\nCapture an image of your screen.\n\nFrom any screen, press and "
        "release the Power and Volume down keys."
    )
    c = one_passage(tmp_path, embedder, "Phone manual", body)
    step = "press and release the Power and Volume down keys."
    question = "How do I take a screenshot?"
    # The model named the section ("Take a screenshot [1].") or restated the question: the
    # answer quotes its source from the sentence that best matches on, the steps included.
    for reply in ("Take a screenshot [1].", "You can take a screenshot [1]."):
        a = answerer(c, embedder, ScriptedGenerator(reply), rel=-1.0).answer(question)
        assert a.text.endswith(f"{step} [1]") and a.sentences[0].verbatim, (reply, a.text)
        (cited,) = a.sentences[0].citations
        assert cited.quote.endswith(step) and body[cited.start : cited.end] == cited.quote
    a = answerer(c, embedder, None, rel=-1.0).answer(question, mode="extract")
    assert a.text.endswith(f"{step} [1]"), a.text
    # The steps go on past the source (a sentence each side of the best), up to the next
    # section's heading.
    body = (
        "Pair the remote\n\nPair the TV with the remote.\n\nIt pairs when the TV first starts."
        "\n\nIf it does not, hold Back and Play for 3 seconds.\n\nCleaning\n\nWipe the screen."
    )
    r = one_passage(tmp_path / "remote", embedder, "TV manual", body)
    a = answerer(r, embedder, None, rel=-1.0).answer("How do I pair the remote?", mode="extract")
    assert a.text.endswith("hold Back and Play for 3 seconds. [1]"), a.text
    # Asked as a yes/no question or a request, it asks how all the same: a restatement is no
    # verdict that answers it, and a denial of every way no answer either.
    for question, reply in (
        ("Is there any way to take a screenshot?", "Take a screenshot [1]."),
        ("Is there any way to take a screenshot?", "There is no way to take a screenshot [1]."),
        ("Please explain how to take a screenshot?", "Take a screenshot [1]."),
    ):
        a = answerer(c, embedder, ScriptedGenerator(reply), rel=-1.0).answer(question)
        assert a.text.endswith(f"{step} [1]"), (question, reply, a.text)
    assert how_to("Explain the procedure for cancelling a scheduled recording")
    assert not how_to("Is there a limitation of liability?")
    # Any other question is answered by the one sentence.
    a = answerer(c, embedder, None, rel=-1.0).answer("What is a screenshot?", mode="extract")
    assert len(a.sentences) == 1 and a.text.count(".") == 1, a.text


def test_evaluation_records_each_question(coll: Collection, embedder: FakeEmbedder) -> None:
    from evals import answers

    def item(question: str, gold: str) -> answers.Item:
        return answers.Item(question, gold, lambda src, s, e: src == "/d/pump.txt")

    asked = [item("How often is the impeller seal replaced?", "Every 2000 operating hours.")]
    report = answers.evaluate(
        answerer(coll, embedder, None), asked, [item("zzz qqq", "")], "emanual", "extract"
    )
    answered, refused = report["questions"]  # type: ignore[misc]
    assert answered["answerable"] and not answered["abstained"] and answered["token_f1"] > 0
    assert answered["citations"] and all(c["correct"] for c in answered["citations"])
    assert answered["sources"][0]["gold"] is True
    assert not refused["answerable"] and refused["abstained"] and "token_f1" not in refused


def replied(
    coll: Collection, embedder: FakeEmbedder, reply: str, question: str, **kw: float
) -> Answer:
    """The verified answer when the model replies `reply` to `question` (`kw`: `answerer`'s)."""
    return answerer(coll, embedder, ScriptedGenerator(reply), **kw).answer(question)


def unsupported(a: Answer) -> bool:
    return a.abstained and a.reason == "no sentence was supported"


def test_a_figure_the_cited_passage_does_not_hold_is_unsupported(
    coll: Collection, embedder: FakeEmbedder
) -> None:
    question = "How often is the impeller seal replaced?"
    wrong = "Replace the impeller seal every 5000 operating hours [1]."
    assert unsupported(replied(coll, embedder, wrong, question))
    right = "Replace the impeller seal every 2000 operating hours [1]."
    assert not replied(coll, embedder, right, question).abstained
    # The digits of a name are no figure: the passage need not say "P200" to support this.
    named = "Replace the impeller seal of the P200 every 2000 operating hours [1]."
    assert not replied(coll, embedder, named, question).abstained
    assert figures("the Galaxy S10, a PS4, 16GB, 5G") == {"16", "5"}


def test_a_figure_in_words_is_a_figure(tmp_path: Path, embedder: FakeEmbedder) -> None:
    c = one_passage(
        tmp_path, embedder, "Term", "The term of this Agreement is ten (10) years from signing."
    )
    question = "How long is the term of this Agreement?"
    assert unsupported(replied(c, embedder, "The term is five years from signing [1].", question))
    assert not replied(c, embedder, "The term is ten years from signing [1].", question).abstained
    assert figures("thirty-five days, twenty one weeks, 2.5 kg, 1,000 units") == {
        "35",
        "21",
        "2.5",
        "1000",
    }
    # "one" alone is a pronoun more often than a figure; a list's "1. " is no figure.
    assert figures("1. Select the one you want.") == set()


def test_a_date_the_cited_passage_does_not_state_is_unsupported(
    tmp_path: Path, embedder: FakeEmbedder
) -> None:
    body = (
        "Unless either party gives notice, the term will be extended until December 31, 1999. "
        "Thereafter it renews for one year, unless either party cancels on or before October 1 "
        "of any such year."
    )
    c = one_passage(tmp_path, embedder, "1.2 Term", body)
    question = "Until when is the term extended, and when may either party cancel?"
    # Its day and its year are both in the passage, but not as one date: the model made it up.
    made_up = "The agreement expires on October 1, 1998 [1]."
    assert unsupported(replied(c, embedder, made_up, question, rel=0.0))
    for said in (
        "The term is extended until December 31, 1999 [1].",
        "It renews unless cancelled on or before October 1 [1].",
        "The term is extended until the 31st day of December, 1999 [1].",
    ):
        assert not replied(c, embedder, said, question, rel=0.0).abstained, said
    assert dates("the 31st day of December, 1999, or 1 Sept. 2020, or Jan. 5") == {
        "1999-12-31",
        "12-31",
        "1999-12",
        "2020-09-01",
        "09-01",
        "2020-09",
        "01-05",
    }
    assert dates("in October 1998, as the parties may 2 times") == {"1998-10"}


def test_a_clause_number_is_no_figure_the_passage_states(
    tmp_path: Path, embedder: FakeEmbedder
) -> None:
    body = (
        "12.8. Counterparts of the Agreement\n\nThis Agreement has been executed in two (2) "
        "identical copies, one (1) for each party."
    )
    c = one_passage(tmp_path, embedder, "Strategic alliance agreement", body)
    # The model read the royalty rate off the clause number; the passage states no such figure.
    # (Any passage is relevant enough here, rel=0: what is checked is what it supports.)
    question = "What is the royalty rate in the agreement?"
    reply = "The royalty rate in the agreement is 12.8 [1]."
    assert unsupported(replied(c, embedder, reply, question, rel=0.0))
    reply = "The agreement was executed in two identical copies [1]."
    question = "In how many copies was the agreement executed?"
    assert not replied(c, embedder, reply, question, rel=0.0).abstained
    assert figures("4.12 GOVERNING LAW. The fee is 4.12 dollars.\nSection 21. Notice") == {
        "4.12",
        "$4.12",
    }
    assert figures("1.5 kilograms\n30 days after notice\n  3) Tap Save") == {"1.5", "30"}


def test_a_heading_supports_no_statement(tmp_path: Path, embedder: FakeEmbedder) -> None:
    # "Galaxy S10" matches half of the claim's words, and the embedder finds them close; it
    # says nothing about what the phone weighs.
    c = one_passage(tmp_path, embedder, "Galaxy S10", "Galaxy S10\n\nCharge it before use.")
    claim = "Galaxy S10 weighs a lot [1]."
    assert unsupported(replied(c, embedder, claim, "How much does the Galaxy S10 weigh?"))


def test_a_name_alone_is_no_quote(tmp_path: Path, embedder: FakeEmbedder) -> None:
    c = one_passage(tmp_path, embedder, "Models", "Galaxy S10e\n\nGalaxy S10\n\nGalaxy S10+")
    a = answerer(c, embedder, None).answer("What is the price of the Galaxy S10e?", "extract")
    assert a.abstained and a.reason == "no sentence was relevant"


def test_a_sentence_a_quote_already_holds_is_given_once() -> None:
    def said(text: str) -> AnswerSentence:
        return AnswerSentence(text, (), 1.0, True)

    pin, quote = said("Enter the PIN."), said("Enter the PIN. All settings are then reset.")
    assert once([pin], quote) == [quote]
    assert once([quote], pin) == [quote]
    assert once([pin], said("Enter  the PIN.")) == [pin]


def test_what_an_answer_adds_to_the_question_must_be_in_the_passage_it_cites(
    coll: Collection, embedder: FakeEmbedder
) -> None:
    # Close to the cited sentence by most words and by the embedder, but the name it adds is
    # nowhere in the passage.
    question = "Who replaces the impeller seal every 2000 operating hours?"
    made_up = "Steve Jobs replaces the impeller seal every 2000 operating hours [1]."
    assert unsupported(replied(coll, embedder, made_up, question))
    # A verdict's own words ("Yes", "cannot") need not be in the passage.
    verdict = "Yes, the impeller seal is replaced every 2000 operating hours [1]."
    asked = "Is the impeller seal replaced every 2000 operating hours?"
    assert not replied(coll, embedder, verdict, asked).abstained


def test_a_copied_heading_points_at_its_own_source(tmp_path: Path, embedder: FakeEmbedder) -> None:
    """'[1] <heading of 1> [2].': the model named [1] by its heading; the marker after it
    opens the next item of a list it did not write. A label copied from a passage
    ("Settings") is no answer either: it points at its source."""
    c = Store(tmp_path).open_or_create("tv", embedder.model_id, embedder.dim)
    signal = "Settings\nSupport\nUse the signal strength meter to adjust the antenna for reception."
    tests = "Settings\nSupport\nRun the picture test and the sound test to diagnose signal issues."
    write(
        c,
        embedder,
        [
            make_doc("/m/signal.txt", "Checking signal strength", [signal]),
            make_doc("/m/tests.txt", "Diagnosing the TV", [tests]),
        ],
    )
    question = "How do I check the signal strength?"
    given = answerer(c, embedder, None).answer(question, "extract").sources
    n = {s.hit.source: s.n for s in given}
    mine, other = n["/m/signal.txt"], n["/m/tests.txt"]
    for reply in (
        f"Sources: [{mine}] Checking signal strength [{other}].",
        f"Sources:\n[{mine}] Checking signal strength\nSettings [{other}].",
        f"[{mine}] Checking signal strength Settings [{other}].",
        # Behind another source's marker alone: "Block a number [2]." named the section of
        # source [1] headed "Block a number" and was answered from [2], the Phone app's intro.
        f"Checking signal strength [{other}].",
    ):
        a = replied(c, embedder, reply, question)
        assert not a.abstained, reply
        assert "antenna" in a.text and {x.n for s in a.sentences for x in s.citations} == {mine}


def test_a_heading_supports_a_verdict_only_by_what_it_names(
    tmp_path: Path, embedder: FakeEmbedder
) -> None:
    # The document's name says nothing about its governing law, however close (here: a low
    # support bar standing for the embedder's closeness to short lines).
    body = "SYKES OUTSOURCING AGREEMENT\n\nNON-SOLICITATION\n\nThe Vendor shall keep records."
    c = one_passage(tmp_path, embedder, "Sykes outsourcing agreement", body)

    def verdict(question: str, reply: str) -> Answer:
        return replied(c, embedder, reply, question, sup=0.3)

    law = verdict(
        "Is the Sykes outsourcing agreement governed by New York law?",
        "Yes, the Sykes outsourcing agreement is governed by New York law [1].",
    )
    assert unsupported(law)
    clause = verdict(
        "Is there a non-solicitation clause in the Sykes outsourcing agreement?",
        "Yes, there is a non-solicitation clause [1].",
    )
    assert not clause.abstained


def test_a_denial_of_what_a_clause_is_headed_quotes_the_clause(
    tmp_path: Path, embedder: FakeEmbedder
) -> None:
    # Asked whether the agreement limits liability, the model denied it, citing the clause
    # headed "Limitation of Liability" (the Curo servicing agreement).
    clause = (
        "Neither the Servicer nor its officers shall be under any liability to the Owner for "
        "any action taken in good faith under this Agreement."
    )
    question = "Is there a limitation of liability in the agreement?"
    for body in (clause, f"Limitation of Liability; Indemnification\n\n{clause}"):
        # Headed in the heading path (the passage's title here), or on a line of its own.
        title = "Limitation of Liability" if body == clause else "Servicing agreement"
        c = Store(tmp_path / str(len(body))).open_or_create("c", embedder.model_id, embedder.dim)
        write(c, embedder, [make_doc("/d/curo.txt", title, [body])])
        reply = "No, there is no limitation of liability in the agreement [1]."
        a = answerer(c, embedder, ScriptedGenerator(reply)).answer(question)
        assert not a.abstained and a.text == f"{clause} [1]", a.text
        assert a.sentences[0].verbatim
    # Of three words or more asked about, the heading may lack one ("preventing").
    hire = "Neither party shall hire any employee of the other party during the term."
    body = f"19. NON-SOLICITATION OF EMPLOYEES\n\n{hire}"
    c = one_passage(tmp_path / "hire", embedder, "Supply agreement", body)
    question = "Is there a clause preventing the solicitation of employees in this contract?"
    reply = ScriptedGenerator("No source about the question [1].")
    a = answerer(c, embedder, reply, rel=-1.0).answer(question)
    assert a.text == f"{hire} [1]", a.text
    # A denial of what no heading names stands or falls by its support, as before.
    c = one_passage(tmp_path / "other", embedder, "Servicing agreement", clause)
    reply = "No, there is no audit right in the agreement [1]."
    a = answerer(c, embedder, ScriptedGenerator(reply), sup=0.0).answer(
        "Is there an audit right in the agreement?"
    )
    assert a.text.startswith("No, there is no audit right")


def test_a_verdict_on_a_clause_of_a_known_shape_quotes_the_clause(
    tmp_path: Path, embedder: FakeEmbedder
) -> None:
    # "Is there a cap on liability?" "There is a cap on liability under this contract [1].",
    # citing "In no event shall either party be liable ...": right, too far from the clause's
    # wording to be supported (the answer abstained), and of no use to a lawyer without it.
    cap = (
        "In no event shall either party's aggregate liability under this Agreement exceed the "
        "fees paid in the twelve months before the claim."
    )
    notices = "All notices shall be in writing and delivered to the addresses set out above."
    c = Store(tmp_path).open_or_create("c", embedder.model_id, embedder.dim)
    write(c, embedder, [make_doc("/d/supply.txt", "Supply agreement", [f"{notices} {cap}"])])
    question = "Is there a cap on liability under this contract?"
    for reply in (
        "There is a cap on liability under this contract [1].",
        "No, there is no cap on liability in this contract [1].",
    ):
        a = answerer(c, embedder, ScriptedGenerator(reply), rel=-1.0).answer(question)
        assert not a.abstained and a.text == f"{cap} [1]", (reply, a.text)
        assert a.sentences[0].verbatim
    # A party that may leave at will: not the termination for cause, nor a lead-in under a
    # "for Cause" heading.
    at_will = "Either Party may terminate this Agreement at any time upon thirty (30) days notice."
    for_cause = (
        "Either Party may terminate this Agreement upon notice if the other Party materially "
        "breaches it."
    )
    lead = (
        "9.3 Termination for Cause.\nThis Agreement may be terminated by either Party at any time:"
    )
    c = Store(tmp_path / "leave").open_or_create("c", embedder.model_id, embedder.dim)
    write(c, embedder, [make_doc("/d/lic.txt", "License agreement", [for_cause, at_will])])
    question = "Can this contract be terminated for convenience?"
    reply = ScriptedGenerator("The contract can be terminated for convenience [1].")
    a = answerer(c, embedder, reply, rel=-1.0).answer(question)
    assert a.text == f"{at_will} [1]", a.text
    c = one_passage(tmp_path / "lead", embedder, "License agreement", f"{for_cause}\n\n{lead}")
    a = answerer(c, embedder, reply, rel=-1.0).answer(question)
    assert at_will not in a.text and not a.text.startswith("9.3"), a.text
    # Extract mode quotes it too, though it holds no "cap" ("Is there a cap on liability?" and
    # "NEITHER PARTY SHALL BE LIABLE ... FOR ANY INCIDENTAL, SPECIAL OR INDIRECT DAMAGES"
    # abstained: a passage about a cap was wanted, by its words).
    excludes = (
        "NEITHER PARTY SHALL BE LIABLE TO THE OTHER PARTY FOR ANY INCIDENTAL, SPECIAL OR "
        "INDIRECT DAMAGES ARISING OUT OF THIS AGREEMENT."
    )
    c = Store(tmp_path / "extract").open_or_create("c", embedder.model_id, embedder.dim)
    write(c, embedder, [make_doc("/d/promo.txt", "Promotion agreement", [notices, excludes])])
    a = answerer(c, embedder, None, rel=-1.0).answer(
        "Is there a cap on liability under this contract?", mode="extract"
    )
    assert not a.abstained and a.text == f"{excludes} [1]", a.text
    # What is not of the shape: an insurer's limits, a termination for force majeure.
    caps = answer_shape("Is there a cap on liability under this contract?")
    assert caps is not None and caps(cap) and not caps(notices)
    assert not caps("Supplier shall carry liability insurance with limits in excess of $1,000,000.")
    assert not caps("Indemnification; Limitations of Liability.")
    leaves = answer_shape(question)
    assert leaves is not None and leaves(at_will) and not leaves(for_cause)
    assert not leaves("Either party may terminate this Agreement if force majeure lasts 60 days.")
    # A claim that says more than the question stands or falls by its support, as before.
    c = one_passage(tmp_path / "more", embedder, "Supply agreement", cap)
    reply = ScriptedGenerator("Liability is capped at one million dollars [1].")
    assert unsupported(answerer(c, embedder, reply, rel=-1.0).answer(question))


def test_whether_the_agreement_may_be_assigned_is_answered_by_the_clause_that_restricts_it(
    tmp_path: Path, embedder: FakeEmbedder
) -> None:
    # "Is there an anti-assignment clause in this contract?" "No, there is no anti-assignment
    # clause in this contract [1].", citing the clause that forbids it: the answer abstained (2 of
    # the 60 CUAD questions of bench/answers.sh), where a lawyer needs the clause.
    clause = (
        "Neither Party may assign or otherwise transfer this Agreement without the prior written "
        "consent of the other Party."
    )
    binding = "This Agreement shall be binding upon the Parties and their successors and assigns."
    c = Store(tmp_path).open_or_create("c", embedder.model_id, embedder.dim)
    write(c, embedder, [make_doc("/d/supply.txt", "Supply agreement", [f"{binding}\n\n{clause}"])])
    question = "Is there an anti-assignment clause in this contract?"
    for reply in (
        "No, there is no anti-assignment clause in this contract [1].",
        "Yes, there is an anti-assignment clause in this contract [1].",
    ):
        a = answerer(c, embedder, ScriptedGenerator(reply), rel=-1.0).answer(question)
        assert not a.abstained and a.text == f"{clause} [1]", (reply, a.text)
    # The shape: a sentence that forbids the assignment, makes it wait for consent or voids it;
    # not the parties' successors and assigns, nor an assignment made (of a patent, a lease).
    restricts = answer_shape("Can the agreement be assigned without consent?")
    assert restricts is not None and restricts(clause) and not restricts(binding)
    assert restricts("Any assignment in violation of this Section 13.2 shall be null and void.")
    assert not restricts(
        "Assignor hereby assigns and transfers to Assignee, without reservation of any rights, "
        "all of its interest in the Lease Agreement."
    )
    for other in ("Are inventions assigned to the Company?", "Who assigns the sales territory?"):
        assert answer_shape(other) is None, other
    # A licence's transfer is asked of the grant, not of the agreement's assignment.
    licence = answer_shape("Are the licenses granted under this contract non-transferable?")
    assert licence is not None and licence is not restricts


def test_a_restatement_of_a_question_of_a_known_shape_quotes_the_clause_that_answers_it(
    tmp_path: Path, embedder: FakeEmbedder
) -> None:
    # "What are the audit rights under this contract?" "Audit rights under this contract [1].",
    # citing the clause: a pointer without the answer, unsupported, and the answer abstained
    # (5 of the 17 public CUAD audit questions). Likewise "The expiration date of this contract
    # is [1]." The clause of the question's shape is the answer, quoted.
    audit = (
        "SHPS shall have the right, upon reasonable prior written notice, to examine, copy and "
        "audit such records."
    )
    keep = "HPS shall keep accurate records of all services performed."
    term = "This Agreement shall continue in force for five (5) years from the Effective Date."
    c = Store(tmp_path).open_or_create("c", embedder.model_id, embedder.dim)
    write(
        c,
        embedder,
        [make_doc("/d/services.txt", "Services agreement", [f"{keep}\n\n{audit}", term])],
    )
    for question, reply, clause in (
        (
            "What are the audit rights under this contract?",
            "Audit rights under this contract [1].",
            audit,
        ),
        (
            "What is the expiration date of this contract?",
            "The expiration date of this contract is [1].",
            term,
        ),
    ):
        a = answerer(c, embedder, ScriptedGenerator(reply), rel=-1.0).answer(question)
        assert not a.abstained and a.text == f"{clause} [1]", (question, a.text)
        assert a.sentences[0].verbatim
    # An answer that says more than the question stands or falls by its support, as before.
    reply = ScriptedGenerator("HPS may audit the records of SHPS every 30 days [1].")
    a = answerer(c, embedder, reply, rel=-1.0).answer(
        "What are the audit rights under this contract?"
    )
    assert unsupported(a), a.text
    # The shape: a right to audit, inspect or examine records or facilities; not a duty to keep
    # them, nor audited financial statements.
    audits = answer_shape("Can we inspect the supplier's records?")
    assert audits is not None and audits(audit) and not audits(keep)
    assert not audits("The financial statements were audited by independent accountants.")
    assert answer_shape("Which accountants audited the financial statements?") is None


def test_a_run_in_heading_numbered_after_its_title_is_no_answer(
    tmp_path: Path, embedder: FakeEmbedder
) -> None:
    # BorrowMoney's joint venture agreement, flattened by its filing: "What are the insurance
    # requirements under this contract?" was answered "Liability Insurance 51. [1]".
    before = (
        "Each Member will be liable for any and all acts or failures to act resulting from gross "
        "negligence or willful misconduct."
    )
    insurance = (
        "The Venture may acquire insurance on behalf of any Member against any liability asserted "
        "against that Member."
    )
    body = f"{before} Liability Insurance 51. {insurance}"
    c = one_passage(tmp_path, embedder, "Joint venture agreement", body)
    a = answerer(c, embedder, None, rel=-1.0).answer(
        "What are the insurance requirements under this contract?", mode="extract"
    )
    assert "Liability Insurance 51" not in a.text and insurance in a.text, a.text


def test_a_bare_verdict_quotes_the_passage_it_cites(tmp_path: Path, embedder: FakeEmbedder) -> None:
    # "Can the agreement be assigned without consent?" "No [1].": right, and of no use to a
    # lawyer, who needs the clause's wording; the bare word was dropped and the answer abstained.
    clause = (
        "Neither party may assign this Agreement without the prior written consent of the other."
    )
    c = one_passage(tmp_path, embedder, "Assignment", clause)
    for reply in ("No [1].", "Yes [1]", "[1] No."):
        a = answerer(c, embedder, ScriptedGenerator(reply)).answer(
            "Can the agreement be assigned without consent?"
        )
        assert a.text == f"{clause} [1]", (reply, a.text)


def test_a_copy_of_the_prompts_example_points_at_the_source_it_cites(
    tmp_path: Path, embedder: FakeEmbedder
) -> None:
    body = "Quickly optimize your device storage. From Settings, tap Device care > Storage."
    c = one_passage(tmp_path, embedder, "Phone manual", body)
    question = "How can I optimize device storage?"
    # The 0.5B model answered with the system prompt's worked example, word for word.
    reply = ScriptedGenerator("Replace the impeller seal every 2000 operating hours [1].")
    a = answerer(c, embedder, reply, rel=-1.0).answer(question)
    assert not a.abstained and "Device care > Storage" in a.text, a.text
    assert all(s.verbatim for s in a.sentences)


def test_a_lead_in_is_no_answer_without_what_it_announces(
    tmp_path: Path, embedder: FakeEmbedder
) -> None:
    body = "Termination. The parties may terminate this Agreement during the Term as follows:"
    c = one_passage(tmp_path / "c", embedder, "Alliance agreement", body)
    question = "Which agreements can be terminated for convenience?"
    reply = ScriptedGenerator("The parties may terminate this Agreement as follows: (a) [1].")
    a = answerer(c, embedder, reply, rel=-1.0).answer(question)
    assert "as follows" not in a.text, a.text
    a = answerer(c, embedder, None, rel=-1.0).answer(question, mode="extract")
    assert "as follows" not in a.text, a.text
    how = "How can this Agreement be terminated?"  # a how-to question, and nothing follows
    a = answerer(c, embedder, None, rel=-1.0).answer(how, mode="extract")
    assert "as follows" not in a.text, a.text
    # Before the steps it announces, a lead-in is where they start.
    body = (
        "From Settings, tap Software update for the following options:\n\nCheck for updates: "
        "Manually check for software updates."
    )
    c = one_passage(tmp_path / "m", embedder, "Phone manual", body)
    a = answerer(c, embedder, None, rel=-1.0).answer("How do I update the software?", "extract")
    assert a.text.startswith("From Settings, tap Software update") and "Manually" in a.text
    assert lead_in("Therefore, the parties agree as follows: 1.")
    # The model's own lead-in is dropped; the steps after it stay (sample manuals).
    steps = "Tap General management > Reset > Factory data reset. Tap Reset to perform the reset."
    c = one_passage(tmp_path / "reset", embedder, "Phone manual", f"From Settings:\n\n{steps}")
    reply = ScriptedGenerator(
        f"To perform the factory data reset, follow these steps:\n[1] {steps}"
    )
    a = answerer(c, embedder, reply, rel=-1.0).answer("How do I factory reset the phone?")
    assert "follow these steps" not in a.text and "Factory data reset" in a.text, a.text
    assert not lead_in("Fleet shall meet the expected non-binding forecast set out below:")
    # The model's copy of a manual's lead-in, a full stop added ("How do I set an alarm?").
    assert lead_in("Tap the following items to configure an alarm:.")


def test_a_how_to_quote_of_a_list_item_starts_at_the_step_that_opens_the_list(
    tmp_path: Path, embedder: FakeEmbedder
) -> None:
    # "How do I set an alarm?" quoted the alarm's settings from "Time : Set a time for the
    # alarm." on, without how to add one (sample manuals, a blank line between lines).
    body = "\n\n".join(
        [
            "Use the Alarm tab to set one-time or recurring alarms.",
            step := "From Clock , tap Add alarm .",
            "Tap the following items to configure an alarm:",
            "Time : Set a time for the alarm.",
            "Day : Choose the days for this alarm.",
        ]
    )
    c = one_passage(tmp_path, embedder, "Phone manual", body)
    a = answerer(c, embedder, None, rel=-1.0).answer(
        "How do I set the time of an alarm?", "extract"
    )
    assert a.text.startswith(f"{step} Tap the following items"), a.text
    assert "Time : Set a time for the alarm." in a.text, a.text
    # Not for a question that asks no steps: the item is the answer.
    a = answerer(c, embedder, None, rel=-1.0).answer("What does the Time setting do?", "extract")
    assert a.text.startswith("Time : Set a time"), a.text


def test_a_how_to_quote_does_not_end_on_the_next_clauses_number(
    tmp_path: Path, embedder: FakeEmbedder
) -> None:
    # EDGAR text sets a clause's number apart from its title ("2.       PAYMENTS"), and the
    # title starts the next chunk: "How can the Sykes outsourcing agreement be terminated?"
    # was quoted "... as of a date specified in such notice of termination. 2." (sample).
    body = (
        "1.3 TERMINATION FOR CAUSE. If either party defaults, the party not in default may, by "
        "giving written notice, terminate this Agreement as of a date specified in such notice "
        "of termination.\n\n      2."
    )
    c = one_passage(tmp_path, embedder, "Outsourcing agreement", body)
    a = answerer(c, embedder, None, rel=-1.0).answer(
        "How can the agreement be terminated?", "extract"
    )
    assert a.text.endswith("in such notice of termination. [1]"), a.text


def test_pieces_of_one_sentence_copied_around_a_marker_are_that_sentence_quoted(
    tmp_path: Path, embedder: FakeEmbedder
) -> None:
    # A passage's own brackets read as citations: CUAD's Whitesmoke-Google agreement, whose
    # redactions are "[ * ]", was answered "may [1] any of its rights ... consent of [1]".
    body = (
        "11.3 Assignment. [ * ] may [ * ]any of its rights or obligations under this Agreement "
        "without the prior written consent of [ * ]. 11.4 Notices. Notices are in writing."
    )
    c = one_passage(tmp_path, embedder, "Distribution agreement", body)
    reply = "[1]. may [1]. any of its rights or obligations under this Agreement without the prior "
    reply += "written consent of [1]."
    a = replied(c, embedder, reply, "Can the agreement be assigned?", rel=-1.0)
    assert a.text.startswith("11.3 Assignment. [ * ] may [ * ]any of its rights"), a.text
    assert a.text.count("[1]") == 1, a.text


def test_a_pointer_to_a_lost_link_is_no_answer(tmp_path: Path, embedder: FakeEmbedder) -> None:
    # A PDF's link text is often missing from its text layer ("Visit to learn more.", "To add
    # an email account, see ."); the 0.5B model copied or imitated what was left: "How can I
    # open email on my device?" got "To open email on your device, see. [1]" (public S10).
    body = (
        "Chrome\nBrowse the Internet with Chrome and bring your open tabs and bookmarks to your "
        "mobile device.\n\nVisit to learn more."
    )
    c = one_passage(tmp_path, embedder, "Phone manual", body)
    question = "How can I browse the internet on my device?"
    for reply in ("To browse the internet on your device, see [1].", "Visit to learn more [1]."):
        a = replied(c, embedder, reply, question, rel=-1.0)
        # It points at the passage: the passage's best sentence answers in its place.
        assert "Browse the Internet with Chrome" in a.text, a.text
        assert not a.text.startswith(("To browse", "Visit")), a.text
    assert dangling("TIP Visit for more information.") and dangling("Refer to .")
    assert not dangling("Visit samsung.com for more information.")
    assert not dangling("For more information, see Section 4.")
    assert not dangling("Adjust the picture until it looks as you see fit. This is what you see.")


def test_a_verdict_affirming_a_name_cites_a_passage_that_holds_it(
    tmp_path: Path, embedder: FakeEmbedder
) -> None:
    # The preamble names the agreement and its parties, and is close to the question by
    # them; it says nothing of New York.
    preamble = (
        "This Outsourcing Agreement is made by Sykes HealthPlan Services, Inc., a Florida "
        "corporation, and HealthPlan Services, Inc. This Agreement is governed by its terms."
    )
    c = one_passage(tmp_path, embedder, "Sykes outsourcing agreement", preamble)

    def verdict(question: str, reply: str) -> Answer:
        return replied(c, embedder, reply, question, sup=0.3)

    ny = "Is this Agreement governed by New York law?"
    assert unsupported(verdict(ny, "Yes, this Agreement is governed by New York law [1]."))
    # What the passage holds may be affirmed.
    fl = "Is this Agreement made by a Florida corporation?"
    assert not verdict(fl, "Yes, this Agreement is made by a Florida corporation [1].").abstained
    # A possessive is the name: "Sykes's" is held by a passage that says "Sykes".
    sykes = "Is this Agreement made by Sykes's corporation?"
    assert not verdict(sykes, "Yes, this Agreement is made by Sykes's corporation [1].").abstained
    # A denial need not find the name it denies, in a clause about what was asked; the
    # preamble is not one.
    no = "No, this Agreement is not governed by New York law [1]."
    assert unsupported(verdict(ny, no))
    law = "This Agreement is governed by the laws of the State of Florida."
    c = one_passage(tmp_path / "law", embedder, "Sykes outsourcing agreement", law)
    assert not verdict(ny, no).abstained
    # A name is held by a word of its root: "Israeli" by "Israel" (the ReWalk agreement).
    law = "This agreement will be governed by the laws of the State of Israel."
    c = one_passage(tmp_path / "israel", embedder, "Strategic alliance agreement", law)
    reply = ScriptedGenerator("Yes, the agreement is governed by Israeli law [1].")
    il = answerer(c, embedder, reply, sup=0.3, rel=-1.0).answer(
        "Is the agreement governed by Israeli law?"
    )
    assert not il.abstained, il.reason


def test_a_verdict_that_restates_the_question_needs_a_passage_holding_what_it_asks(
    tmp_path: Path, embedder: FakeEmbedder
) -> None:
    # "Yes" and the question's own words claim nothing a passage need hold besides what was
    # asked: the preamble that names Sykes was close to it (0.51) and says nothing of ending
    # the agreement.
    preamble = (
        "This Outsourcing Agreement is made by Sykes HealthPlan Services, Inc., a Florida "
        "corporation, and HealthPlan Services, Inc."
    )
    clause = "Either party may terminate this Agreement without cause on ninety days notice."
    question = "Can Sykes terminate this Agreement without cause?"
    reply = "Yes, Sykes can terminate this Agreement without cause [1]."
    for body, held in ((preamble, False), (clause, True)):
        c = one_passage(tmp_path / str(held), embedder, "Sykes outsourcing agreement", body)
        a = replied(c, embedder, reply, question, sup=0.3)
        assert unsupported(a) is not held, a.text
    # Half of what was asked is not most: the signature page names the parties and the
    # license, and says nothing of exclusivity.
    signed = (
        "MORGAN STANLEY DIRECT LENDING FUND a Delaware corporation By: Name: Title: "
        "[Signature Page to Trademark License Agreement]"
    )
    c = one_passage(tmp_path / "signed", embedder, "Morgan Stanley brand license", signed)
    reply = "The Morgan Stanley trademark license is exclusive [1]."
    question = "Is the Morgan Stanley trademark license exclusive?"
    assert unsupported(replied(c, embedder, reply, question, sup=0.3))
    # Extract mode likewise quotes no passage that lacks what a yes/no question asks...
    a = answerer(c, embedder, None, rel=-1.0).answer(question, mode="extract")
    assert a.abstained and a.reason == "no sentence was relevant", a.text
    # ...unless it also asks for the clause, whatever its words ("without cause").
    anixa = "This Agreement may be terminated by Anixa, without cause, upon thirty days notice."
    c = one_passage(tmp_path / "anixa", embedder, "License agreement", anixa)
    question = "Can this contract be terminated for convenience, and under what conditions?"
    assert answerer(c, embedder, None, rel=-1.0).answer(question, "extract").text.startswith(anixa)
    question = "Can this contract be terminated for convenience?"
    assert answerer(c, embedder, None, rel=-1.0).answer(question, "extract").abstained
    # "Another" is asked of no passage: a clause on acting for the benefit of another person
    # holds "party" and "another", and says nothing of assignment (sample contracts).
    behalf = (
        "16.3 Each party that has rights under this agreement is acting on its own behalf and "
        "not for the benefit of another person."
    )
    c = one_passage(tmp_path / "behalf", embedder, "Distributor agreement", behalf)
    reply = "The agreement can be assigned to another party [1]."
    question = "Can the agreement be assigned to another party?"
    assert unsupported(replied(c, embedder, reply, question, sup=0.3))
    # A denial too: a list of the models' names says nothing of water. The manual's name is
    # in every header, so what is asked of it is "waterproof".
    models = "Galaxy S10e\n\nGalaxy S10\n\nGalaxy S10+"
    c = one_passage(tmp_path / "models", embedder, "Galaxy S10 manual", models)
    reply = "Galaxy S10 is not waterproof [1]."
    a = replied(c, embedder, reply, "Is the Galaxy S10 waterproof?", sup=0.3)
    assert unsupported(a), a.text
    # "Is it possible to ..." asks what follows: "possible" is a verdict's word. (Here every
    # other word asked is in the source's header.)
    steps = "Add more contacts to a group, or remove contacts, in the Phone app."
    title = "Add or remove group contacts"
    c = one_passage(tmp_path / "groups", embedder, title, steps)
    reply = "Yes, it is possible to add or remove contacts from groups [1]."
    question = "Is it possible to add or remove contacts from groups?"
    assert not replied(c, embedder, reply, question, sup=0.3).abstained


def test_what_a_passage_says_a_thing_is_not_supports_no_claim_that_it_is(
    tmp_path: Path, embedder: FakeEmbedder
) -> None:
    # The Morgan Stanley trademark license: "Yes, the license allows sublicensing [1]." was
    # cited to its grant of a "non-sublicensable license" (support 0.6).
    grant = (
        "Licensor hereby grants to Licensee a non-exclusive, non-transferable, and "
        "non-sublicensable license for the use of the Brand."
    )
    c = one_passage(tmp_path, embedder, "Trademark license agreement", grant)
    question = "Is the license transferable?"

    def verdict(reply: str) -> Answer:
        return replied(c, embedder, reply, question, sup=0.3)

    assert unsupported(verdict("Yes, the license is transferable and exclusive [1]."))
    assert not verdict("No, the license is non-transferable and non-exclusive [1].").abstained
    assert not verdict("The license is not transferable [1].").abstained
    # Nor does a heading of a word, which the PDF's sentence splitter cut from its number
    # ("Section 1.2." | "Sublicensing"): it says what the clause is about, not what it says.
    headed = (
        f"Subject to the terms and conditions herein, {grant[:-1]} solely for the Permitted "
        "Activity.Section 1.2. Sublicensing\n\n."
    )
    c = one_passage(tmp_path / "headed", embedder, "Trademark license agreement", headed)
    question = "Does the license allow sublicensing?"
    assert unsupported(verdict("Yes, the license allows sublicensing [1]."))
    # Extract mode quotes the grant: "allow" is a "can", asked of no passage.
    a = answerer(c, embedder, None, rel=-1.0).answer(question, mode="extract")
    assert a.text.startswith("Subject to the terms and conditions herein, Licensor"), a.text
    # Nor does what a clause says a party shall not do: "The obligations of the distributor
    # include assigning, transferring, mortgage, ... [1]" (sample contracts; the PDF's ";" is
    # U+037E, the Greek question mark).
    dealings = (
        "16.1 The Distributor shall not assign, transfer, mortgage, charge, declare a trust of or "
        "deal in any other manner with this agreement\u037e provided, however, the Distributor "
        "may assign this agreement to a Permitted Assignee."
    )
    c = one_passage(tmp_path / "dealings", embedder, "Distributor agreement", dealings)
    question = "What are the obligations of the distributor?"
    assert unsupported(
        verdict(
            "The obligations of the distributor include assigning, transferring, mortgage, "
            "charge, declare a trust of or deal in any other manner with this agreement [1]."
        )
    )
    assert not verdict(
        "The distributor may assign the agreement to a permitted assignee [1]."
    ).abstained
    # What it may do under the exception the clause states, it may.
    consent = (
        "Licensee shall not assign or transfer this Agreement without the consent of Licensor."
    )
    c = one_passage(tmp_path / "consent", embedder, "License agreement", consent)
    question = "Can the licensee transfer the agreement?"
    assert not verdict(
        "The licensee may transfer it with the consent of the licensor [1]."
    ).abstained
    assert unsupported(verdict("The licensee may transfer the agreement [1]."))
    # What a "not" denies ends at the next clause's verb, and is an act, not a name.
    fees = (
        "Sparkling shall not be required to pay any further fees to Garman, and Garman shall "
        "immediately return all fees paid."
    )
    assert negated(fees) == {"requir", "pai"}
    # A clause's name is no "non" of what it is about: a non-solicitation clause prevents
    # solicitation.
    assert negated("10. NON-SOLICITATION OF PERSONNEL") == set()


def test_who_the_parties_are_and_when_it_was_made_are_answered_by_the_opening_sentence_that_says_so(
    tmp_path: Path, embedder: FakeEmbedder
) -> None:
    # Every recital that says "parties" shares more words with the question than the preamble
    # that names them ("made by and between ..."): 10 of the 13 sample contracts answered
    # "Who are the parties to ...?" with a recital, "the parties agree as follows:", or nothing.
    preamble = (
        "This Co-Hosting Agreement is made by and between Networks Associates, Inc. and "
        'Software.net Corporation (the "parties").'
    )
    recitals = (
        "WHEREAS, Co-Host and NAI are parties to an Electronic Software Distribution "
        "Agreement. Accordingly, the parties agree as follows:"
    )
    ownership = "As between the parties, the Licensor is the sole owner of all rights to the Brand."
    c = Store(tmp_path).open_or_create("c", embedder.model_id, embedder.dim)
    write(
        c,
        embedder,
        [make_doc("/d/cohost.txt", "Co-hosting agreement", [preamble, recitals, ownership])],
    )
    question = "Who are the parties to the agreement?"
    a = answerer(c, embedder, None, rel=-1.0).answer(question, mode="extract")
    assert a.text.startswith(preamble), a.text
    names = answer_shape(question)
    assert names is not None and names(preamble) and not names(ownership)
    # Likewise the sentence that dates the agreement, not the one that dates its term ("What is
    # the effective date of the Warning Management endorsement agreement?" got the term's end,
    # "May 31, 2000").
    made = (
        'This Endorsement Agreement (the "Agreement") is made and entered into as of May 31, '
        "1999, by Famous Fixins, Inc. and Pey Dirt, Inc."
    )
    term = (
        'As used herein, "Contract Period" shall mean the period of time of the Agreement '
        "commencing as of May 31, 1999 and concluding May 31, 2000."
    )
    c = Store(tmp_path / "dated").open_or_create("c", embedder.model_id, embedder.dim)
    write(c, embedder, [make_doc("/d/endorse.txt", "Endorsement agreement", [term, made])])
    question = "What is the effective date of the agreement?"
    a = answerer(c, embedder, None, rel=-1.0).answer(question, mode="extract")
    assert a.text.startswith(made), a.text
    dates_it = answer_shape(question)
    assert dates_it is not None and dates_it(made) and not dates_it(term)
    assert not dates_it("This Agreement shall continue until December 31, 2024.")
    # Where the opening dates nothing, a sentence without a date does not answer it, quoted or
    # copied (the Sparkling Spring license: "(c) Documentation means ...").
    undated = "Documentation means the documentation related to use of the Software."
    c = one_passage(tmp_path / "undated", embedder, "Software license agreement", undated)
    assert answerer(c, embedder, None, rel=-1.0).answer(question, mode="extract").abstained
    copy = ScriptedGenerator(f"{undated} [1]")
    assert unsupported(answerer(c, embedder, copy, rel=-1.0).answer(question))


def test_a_copy_of_a_context_sentence_gives_way_to_the_sentence_the_source_was_chosen_for(
    tmp_path: Path, embedder: FakeEmbedder
) -> None:
    # A source is its best sentence with a neighbour each side; the model copied the first
    # (the Beyond.com co-hosting agreement, asked which law governs it).
    assign = (
        "Neither party may assign this Agreement without the other's prior written approval, "
        "except by operation of law."
    )
    law = "This Agreement will be governed by the laws of the State of California."
    body = f"{assign} {law} Each party consents to the courts of Santa Clara County."
    c = one_passage(tmp_path, embedder, "Co-hosting agreement", body)
    question = "Which state's laws govern the Agreement?"
    for reply, said in ((f"{assign} [1]", law), (f"{law} [1]", law)):
        a = answerer(c, embedder, ScriptedGenerator(reply), rel=-1.0).answer(question)
        assert a.text == f"{said} [1]", a.text
    # A heading closest to the question is no sentence to quote instead ("What is Bixby?" and
    # the heading "Bixby" over "Bixby is a virtual assistant that ...").
    said = "It learns, evolves, and adapts to you."
    body = f"Meet Bixby the virtual assistant\n\n{said}"
    c2 = one_passage(tmp_path / "bixby", embedder, "Galaxy S10 manual", body)
    a = answerer(c2, embedder, ScriptedGenerator(f"{said} [1]"), rel=-1.0).answer(
        "What is the Bixby virtual assistant?"
    )
    assert a.text == f"{said} [1]", a.text
    # Nor a lead-in, where the steps it announces are not quoted after it.
    night = "Put your device in Night mode to rest your eyes."
    lead = "From Settings, tap Display > Dark screen for the following options:"
    c3 = one_passage(tmp_path / "night", embedder, "Galaxy S10 manual", f"{night}\n\n{lead}")
    a = answerer(c3, embedder, ScriptedGenerator(f"{night} [1]"), rel=-1.0).answer(
        "What should I do if the screen is too dark?"
    )
    assert a.text == f"{night} [1]", a.text
    # What the model says in its own words stays (here: the governing law, asked about).
    own = "The Agreement is governed by California law [1]."
    a = answerer(c, embedder, ScriptedGenerator(own), rel=-1.0).answer(question)
    assert a.text == own.replace(" [1].", ". [1]"), a.text
    # But a verdict on whether the Agreement may be assigned quotes the clause that restricts it
    # (`answer_shape`), in place of the model's words.
    own = "Neither party may assign it without approval [1]."
    a = answerer(c, embedder, ScriptedGenerator(own), rel=-1.0).answer(
        "May a party assign the Agreement without approval?"
    )
    assert a.text == f"{assign} [1]", a.text


def test_words_most_passages_hold_support_no_claim(tmp_path: Path, embedder: FakeEmbedder) -> None:
    # Every clause of a contract says "Agreement" and many say "right": the governing-law
    # clause holds two of the three words of "There is an audit right in the agreement" and
    # nothing of what it claims. Shared words count by how rare they are in the collection.
    law = (
        "This Agreement is governed by New York law, and the rights and remedies of the "
        "parties under this Agreement are determined by those laws."
    )
    clauses = [
        law,
        "Either party has the right to terminate this Agreement on thirty days notice.",
        "The Servicer has the right to assign this Agreement to an affiliate.",
        "This Agreement is the entire agreement of the parties on its subject.",
    ]
    question = "Is there an audit right in the agreement?"
    claim = "There is an audit right in the agreement [1]."

    def asked(paragraphs: list[str]) -> Answer:
        c = Store(tmp_path / str(len(paragraphs))).open_or_create(
            "servicing", embedder.model_id, embedder.dim
        )
        write(c, embedder, [make_doc("/d/servicing.txt", "Servicing agreement", paragraphs)])
        return answerer(c, embedder, ScriptedGenerator(claim)).answer(question)

    assert unsupported(asked(clauses))
    # The clause that grants it supports it.
    audit = "The Owner has the right to audit the books of the Servicer under this Agreement."
    a = asked([audit, *clauses])
    assert not a.abstained
    assert a.sentences[0].citations[0].quote == audit


def test_an_extract_answer_reads_as_one_line(tmp_path: Path, embedder: FakeEmbedder) -> None:
    body = "Settings\nSupport\nSelf Diagnosis\nSignal Information shows the signal strength."
    c = one_passage(tmp_path, embedder, "Signal", body)
    a = answerer(c, embedder, None).answer("How do I see the signal strength?", "extract")
    (s,) = a.sentences
    assert "\n" not in a.text and "\n" not in s.text and s.support == 1.0
    assert "Self Diagnosis Signal Information shows the signal strength." in s.text
    assert "Self Diagnosis\nSignal" in s.citations[0].quote  # the passage's own layout


def test_a_sum_of_money_is_not_a_count_of_shares(tmp_path: Path, embedder: FakeEmbedder) -> None:
    grant = "The Company shall issue to the Consultant 25,000 shares of common stock."
    c = one_passage(tmp_path, embedder, "Consulting agreement", grant)
    question = "What does the Company issue to the Consultant?"
    money = "The Company shall issue to the Consultant $25,000 of common stock [1]."
    assert unsupported(replied(c, embedder, money, question))
    shares = "The Company shall issue to the Consultant 25,000 shares of common stock [1]."
    assert not replied(c, embedder, shares, question).abstained
    assert figures("Ten Dollars ($10.00), USD 5, 7 euros, 3% and 4 percent") >= {
        "$10.00",
        "$5",
        "$7",
        "3%",
        "4%",
    }
    assert figures("five percent of Ten Dollars") == {"5", "5%", "10", "$10"}


def test_a_quote_runs_past_an_abbreviation(tmp_path: Path, embedder: FakeEmbedder) -> None:
    body = (
        'The supplier under this agreement is Garman Routing Systems, Inc. ("Garman"), a '
        "Delaware corporation with offices in Denver. Orders are placed in writing by fax, "
        "and each order names the goods, their quantity and the date of delivery."
    )
    c = one_passage(tmp_path, embedder, "Supply agreement", body)
    whole = body[: body.index(" Orders")]
    a = answerer(c, embedder, None).answer("Who is the supplier under this agreement?", "extract")
    assert a.sentences[0].text == whole == a.sentences[0].citations[0].quote
    reply = "The supplier is Garman Routing Systems [1]."
    (s,) = replied(c, embedder, reply, "Who is the supplier under this agreement?").sentences
    (cite,) = s.citations
    assert cite.quote == whole == body[cite.start : cite.end]


def test_a_source_given_as_context_is_not_answered_from(
    coll: Collection, embedder: FakeEmbedder
) -> None:
    """A source far below the relevance bar is in the prompt as context, not to be cited: the
    model made "Battery is used for remote unlock." of Find My Mobile for "What batteries does
    the remote use?"."""
    question = "How often is the impeller seal replaced?"
    reply = "Fill the casing with water before the first start [3]."
    gen = ScriptedGenerator(reply)
    answered = answerer(coll, embedder, gen, cited=0.0).answer(question)
    assert not answered.abstained  # the sentence is the passage's own
    (best, *_, far) = answered.sources
    # The bar is 0.2 here: the priming passage is below 0.7 of it, the seal passage above.
    assert far.n == 3 and "casing" in far.text and far.relevance < 0.7 * 0.2 < best.relevance
    assert unsupported(answerer(coll, embedder, gen, cited=0.7).answer(question))


def test_the_cli_prints_a_reason_that_quotes_the_question_as_it_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """rich would read the question's brackets as markup: lose them, or fail on "[/x]"."""
    import io

    from rich.console import Console

    from rag import cli

    buf = io.StringIO()
    monkeypatch.setattr(cli, "out", Console(file=buf, width=200))
    reason = 'no document here is "the [red]Roku[/x] manual"'
    cli._print_answer(Answer("q", ABSTAIN, [], [], True, True, "generate", reason=reason))
    assert f"({reason})" in buf.getvalue()


def test_a_heading_is_quoted_with_the_sentence_under_it(
    tmp_path: Path, embedder: FakeEmbedder
) -> None:
    # "Is there a clause preventing the solicitation of employees?" answered with a sentence
    # that the heading supports best: the heading was the whole quote ("10. NON-SOLICITATION
    # OF PERSONNEL"; the ReWalk strategic alliance agreement), where the lawyer needs the
    # clause under it.
    clause = "During the collaboration, neither party shall hire the staff of the other."
    c = one_passage(
        tmp_path, embedder, "Alliance agreement", f"10. NON-SOLICITATION OF PERSONNEL\n\n{clause}"
    )
    question = "Is there a clause preventing the solicitation of employees in the agreement?"
    claim = "Yes, there is a non-solicitation of personnel clause"
    a = replied(c, embedder, f"{claim} [1].", question, sup=0.01, rel=-1.0)
    assert not a.abstained, a.reason
    (cited,) = a.sentences[0].citations
    assert " ".join(cited.quote.split()) == f"10. NON-SOLICITATION OF PERSONNEL {clause}"


def test_a_verdict_that_something_exists_cites_a_passage_about_it(
    tmp_path: Path, embedder: FakeEmbedder
) -> None:
    # "Yes, there is an indemnification clause [2]" was re-cited to the entire-agreement
    # clause, which the embedder found closer (0.57) than the indemnity clause's wording (0.47)
    # (the sample Warning Management endorsement agreement).
    whole = (
        "There is in the agreement an entire agreement clause: this writing is the whole "
        "agreement of the parties."
    )
    indemnity = (
        "Company agrees to protect, indemnify and save harmless the Agent from and against "
        "all claims arising from the products."
    )
    question = "Is there an indemnification clause in the agreement?"
    claim = "Yes, there is an indemnification clause in the agreement"
    verdict = ScriptedGenerator(f"{claim} [1].")
    # A passage that says nothing of indemnity supports no such verdict, however close.
    c = one_passage(tmp_path / "whole", embedder, "Endorsement agreement", whole)
    assert unsupported(answerer(c, embedder, verdict).answer(question))
    # Given a clause headed "Indemnity" (a word of the same root), the verdict cites that
    # clause, whichever source the model named; the quote is the clause, not its heading.
    c = Store(tmp_path / "both").open_or_create("c", embedder.model_id, embedder.dim)
    paragraphs = [f"Entire Agreement\n\n{whole}", f"Indemnity\n\n{indemnity}"]
    write(c, embedder, [make_doc("/d/endorsement.txt", "Endorsement agreement", paragraphs)])
    first = answerer(c, embedder, verdict, rel=-1.0).answer(question)
    wrong = next(s.n for s in first.sources if whole in s.text)
    a = answerer(c, embedder, ScriptedGenerator(f"{claim} [{wrong}]."), rel=-1.0).answer(question)
    assert not a.abstained and a.text.startswith(claim), a.text
    (cited,) = a.sentences[0].citations
    assert cited.quote == indemnity
    # Words of a hyphenated name count by their parts: "Non-Competition" is about "non-compete"
    # ("non" alone is not: "Non-Solicitation" is about something else).
    question = "Is there a non-compete clause in the agreement?"
    reply = ScriptedGenerator("Yes, there is a non-compete clause in the agreement [1].")
    for body, held in (
        ("Non-Competition. The Distributor shall not sell rival products in the Territory.", True),
        ("Non-Solicitation. Neither party shall hire the employees of the other party.", False),
    ):
        c = one_passage(tmp_path / str(held), embedder, "Distribution agreement", body)
        a = answerer(c, embedder, reply, sup=0.01, rel=-1.0, cited=1.0).answer(question)
        assert unsupported(a) != held, (body, a.text)


def test_a_denial_that_something_exists_cites_a_passage_that_denies_it(
    tmp_path: Path, embedder: FakeEmbedder
) -> None:
    # "No services to be provided after the termination of this contract [1]." cited a clause
    # on what termination does not affect: no passage shows an absence.
    question = "Are there any services to be provided after the termination of this contract?"
    reply = ScriptedGenerator("No services are to be provided after the termination [1].")
    for body, held in (
        (
            "Termination of this contract shall not affect any rights accrued at the date of "
            "termination.",
            False,
        ),
        ("No services shall be provided by the Supplier after the termination date.", True),
    ):
        c = one_passage(tmp_path / str(held), embedder, "Supply contract", body)
        a = answerer(c, embedder, reply, sup=0.01, rel=-1.0).answer(question)
        assert unsupported(a) != held, (body, a.text)
    # An answer says something is absent by its form, not by any "not" it holds.
    for text in (
        "No such clause.",
        "There are no price controls",
        "It does not include one",
        "The licensee's affiliates have no licensing rights",
    ):
        assert ABSENCE.search(text), text
    assert not ABSENCE.search("Dr Murray shall not assist in developing a competing product")
    # A question whose subject is a possessive ("the licensee's affiliates") asks about
    # existence too: a grant to affiliates is no support for "they have none".
    question = "Does the licensee's affiliates have any rights under this contract?"
    reply = ScriptedGenerator("The licensee's affiliates have no rights [1].")
    body = "Licensor grants Licensee and its affiliates a license to the licensed marks."
    c = one_passage(tmp_path / "affiliates", embedder, "Trademark license", body)
    assert unsupported(answerer(c, embedder, reply, sup=0.01, rel=-1.0).answer(question))
    # Asked of their licensing rights, a question of a known shape: the denial gives way to the
    # clause that licenses them.
    question = "Does the licensee's affiliates have any licensing rights under this contract?"
    reply = ScriptedGenerator("The licensee's affiliates have no licensing rights [1].")
    a = answerer(c, embedder, reply, sup=0.01, rel=-1.0).answer(question)
    assert not a.abstained and body in a.text and "no licensing" not in a.text


def test_extract_mode_answers_an_existence_question_from_a_passage_about_it(
    tmp_path: Path, embedder: FakeEmbedder
) -> None:
    # "Is there a non-compete in the Warning Management endorsement agreement?" was answered,
    # word for word, with "This Agreement does not constitute ... a partnership".
    question = "Is there a non-compete clause in the agreement?"
    unrelated = "This Agreement does not constitute a partnership or joint venture in the clause."
    c = one_passage(tmp_path / "none", embedder, "Endorsement agreement", unrelated)
    a = answerer(c, embedder, None, rel=-1.0).answer(question, mode="extract")
    assert a.abstained and a.reason == "no sentence was relevant", a.text
    clause = "Non-Competition. The Agent shall not compete with the Company in the Territory."
    c = Store(tmp_path / "both").open_or_create("c", embedder.model_id, embedder.dim)
    write(c, embedder, [make_doc("/d/e.txt", "Endorsement agreement", [unrelated, clause])])
    a = answerer(c, embedder, None, rel=-1.0).answer(question, mode="extract")
    assert [s.text for s in a.sentences] == [clause], a.text
    # Every contract grants rights: an audit right is about auditing ("Is there an audit
    # right in the Sparkling Spring software license agreement?" quoted its IP clause).
    owner = "Garman is the owner of all intellectual property rights in the Work."
    c = one_passage(tmp_path / "audit", embedder, "Software license agreement", owner)
    question = "Is there an audit right in the agreement?"
    a = answerer(c, embedder, None, rel=-1.0).answer(question, mode="extract")
    assert a.abstained and a.reason == "no sentence was relevant", a.text


def test_what_a_thing_is_is_answered_by_the_sentence_under_the_heading_that_names_it(
    tmp_path: Path, embedder: FakeEmbedder
) -> None:
    # "What is Anynet+?" abstained in extract mode: the heading "Using Anynet+ (HDMI-CEC)"
    # matched the question, the sentence under it, which says what it is, less (sample TV
    # manual).
    heading = "Using Anynet+ (HDMI-CEC)"
    says = "Control an external device connected via Anynet+ (HDMI-CEC) with the remote control."
    c = one_passage(tmp_path, embedder, "TV manual", f"{heading}\n\n{says}")
    ask = answerer(c, embedder, None, rel=-1.0).answer
    scores = {x.text: x.score for x in ask("What is Anynet+?", mode="extract").sources[0].sentences}
    assert scores[heading] > scores[says]
    # A relevance bar between the two: the sentence alone is under it.
    bar = (scores[heading] + scores[says]) / 2
    ask = answerer(c, embedder, None, rel=bar).answer
    a = ask("What is Anynet+?", mode="extract")
    assert [x.text for x in a.sentences] == [says], a.text
    # Only asked what the thing is ("What batteries does the remote use?" got the phone's
    # "View how battery power is used ..." under "Battery"), not anything else.
    c = one_passage(tmp_path / "other", embedder, "TV manual", f"{heading}\n\n{says}")
    question = "Which devices does using Anynet+ (HDMI-CEC) need?"
    found = answerer(c, embedder, None, rel=-1.0).answer(question, mode="extract").sources[0]
    other = {x.text: x.score for x in found.sentences}
    assert other[heading] > other[says], other
    bar = (other[heading] + other[says]) / 2
    assert answerer(c, embedder, None, rel=bar).answer(question, "extract").abstained


def test_how_long_the_agreement_runs_is_answered_by_the_sentence_that_sets_its_term(
    tmp_path: Path, embedder: FakeEmbedder
) -> None:
    # "What is the expiration date of this contract?" shares "expiration" with every clause
    # about what happens upon it, and "term" with every "during the term": of the 37 public
    # CUAD expiration questions, the clause that sets the term was given to the model for 9.
    upon = (
        "Upon expiration or termination of this Agreement, the Licensee shall return all "
        "Confidential Information and the expiration shall not affect accrued rights."
    )
    during = "During the term of this Agreement, the Licensee shall pay the fees within 30 days."
    term = (
        "This Agreement shall commence on the Effective Date and shall continue for an initial "
        "term of three (3) years."
    )
    c = Store(tmp_path).open_or_create("c", embedder.model_id, embedder.dim)
    write(c, embedder, [make_doc("/d/license.txt", "License agreement", [upon, during, term])])
    for question in (
        "What is the expiration date of this contract?",
        "How long does the agreement last?",
        "When does the agreement end?",
    ):
        a = answerer(c, embedder, None, rel=-1.0).answer(question, mode="extract")
        assert a.text.startswith(term), (question, a.text)
        sets = answer_shape(question)
        assert sets is not None and sets(term) and not sets(upon) and not sets(during)
    for other in (
        "What is the renewal term for this contract?",
        "What happens upon expiration of the agreement?",
        "What is the duration of any warranties provided in this contract?",
    ):
        assert answer_shape(other) is None, other
    # Each way a contract sets its term, and none of what merely mentions it.
    sets = answer_shape("What is the term of the agreement?")
    assert sets is not None
    for sentence in (
        "The term of this Agreement commences on the Effective Date and continues in perpetuity.",
        "The initial term of this Agreement shall expire on 31 December 2024.",
        'Dr. Murray shall perform from the Effective Date until December 31, 2018 (the "Term").',
        "This Agreement shall remain in full force and effect for an initial period of [***].",
        '"Contract Period" shall mean the period commencing as of May 31, 1999 and concluding '
        "May 31, 2000.",
        "You must operate the Franchise for a term of 10 years.",
        "This Agreement (a) shall commence on the Effective Date and shall continue for a period "
        "of five (5) years.",
    ):
        assert sets(sentence), sentence
    for sentence in (
        "The Distributor shall keep records for a period of three (3) years.",
        "No term of this Agreement is enforceable by a third party.",
        "This Agreement shall be governed by the laws of New York.",
        # The sell-off period after expiry (Warning Management's, which "When does the Warning
        # Management endorsement agreement expire?" quoted): another subject continues there.
        "Endorsed Products may be sold during the ninety (90) day period after expiration if "
        "(c) the stock is a reasonable inventory for the Contract Period, (d) Company shall "
        "continue to pay royalties.",
    ):
        assert not sets(sentence), sentence


def test_how_to_open_something_is_answered_by_the_step_that_opens_it(
    tmp_path: Path, embedder: FakeEmbedder
) -> None:
    # "How do I open the camera?" shares more words with a setting that mentions opening it
    # than with the step that does ("From Apps, tap Camera ."); "How can I open internet on my
    # device?" cited the Chrome section ("Visit to learn more.") and "How do I launch the
    # Calendar app?" abstained (sample manuals, public S10 questions).
    setting = "Quick launch: Press the Power key twice in quick succession to open the camera."
    step = "From Apps, tap Camera ."
    # The step closes its passage before the next section's title: quoted with that title
    # line, the quote as a whole reads as a heading, and was not quoted at all.
    camera = f"You can capture pictures and videos using the Camera app.\n\n{step}\n\nTake pictures"
    c = Store(tmp_path).open_or_create("c", embedder.model_id, embedder.dim)
    write(c, embedder, [make_doc("/d/apps.txt", "Galaxy manual", [setting, camera])])
    a = answerer(c, embedder, None, rel=-1.0).answer("How do I open the camera?", mode="extract")
    assert a.text.startswith(step), a.text

    opens = answer_shape("How can I open the internet browser on my device?")
    assert opens is not None and opens("From Apps, tap Internet .")
    assert not opens("Browse the Internet with Chrome and bring your open tabs.")
    assert not opens("From Internet, tap Bookmarks .")
    opens = answer_shape("How do I launch the Notes app?")
    assert opens is not None and opens("From Apps, tap Samsung folder > Samsung Notes .")
    # Not a part of what is asked: the notification panel is not opened by its settings.
    panel = answer_shape("How do I access the notification panel?")
    settings = "To customize notifications, tap Notification settings ."
    assert panel is not None and not panel(settings)
    recording = answer_shape("How do I start recording a video?")
    assert recording is not None and not recording("Tap Record to start recording.")
    assert answer_shape("How do I turn on the camera flash?") is None


def test_a_copy_cut_short_by_the_token_budget_is_quoted_whole(
    tmp_path: Path, embedder: FakeEmbedder
) -> None:
    # The sample Sparkling Spring licence: the model copied the grant and ran out of tokens at
    # "... or if Garman ceases to", and the answer read "... or if Garman ceases to. [1]",
    # without what the licence is conditional on.
    clause = (
        "(b) Garman hereby grants to Sparkling a perpetual, fully paid, non-exclusive license to "
        "use the Codes; Sparkling may only use it if Garman ceases to\nsupport the Software."
    )
    c = Store(tmp_path).open_or_create("c", embedder.model_id, embedder.dim)
    write(c, embedder, [make_doc("/d/licence.txt", "Software licence", [clause])])
    cut = (
        "Garman hereby grants to Sparkling a perpetual, fully paid, non-exclusive license to use "
        "the Codes; Sparkling may only use it if Garman ceases to [1]."
    )
    question = "What licenses are granted under the Garman software licence?"
    a = answerer(c, embedder, ScriptedGenerator(cut), rel=-1.0).answer(question)
    assert not a.abstained and a.text == f"{' '.join(clause.split())} [1]", a.text
    assert a.sentences[0].verbatim
    # A copy that ends where the sentence or a clause of it does is the model's answer.
    whole = "Garman hereby grants to Sparkling a perpetual, fully paid, non-exclusive license to "
    shorter = f"{whole}use the Codes [1]."
    a = answerer(c, embedder, ScriptedGenerator(shorter), rel=-1.0).answer(question)
    assert a.text.startswith("Garman hereby grants") and not a.sentences[0].verbatim, a.text
    # Nor one that ends where a line of a manual does (no full stop; the next line is a heading).
    manual = "Removed channels do not appear in the Channel List\nAdding back removed channels"
    write(c, embedder, [make_doc("/d/tv.txt", "TV manual", [manual])])
    said = "Removed channels do not appear in the Channel List [1]."
    a = answerer(c, embedder, ScriptedGenerator(said), rel=-1.0).answer(
        "Where are removed channels?"
    )
    assert a.text == said.replace(" [1].", ". [1]") and not a.sentences[0].verbatim, a.text

"""Verification: every sentence of the model's reply against the passages it cites.

Citations of sources that were not given are removed; a sentence's support is the best match
(word overlap weighted by rarity, or embedder cosine) between it and the sentences of the
sources it cites, under lexical checks the embedder cannot make (a figure the passage lacks, a
name it does not hold, an absence no passage shows). Unsupported sentences are dropped; a
sentence that only restates the question is replaced by the sentence it cites; one that only
names a source (a copied heading, a bare "No [1].") points at it, for `rag.answer` to quote.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

import numpy as np

from rag.embedder import Embedder
from rag.evidence import EXAMPLE, Sentence, Source, header, how_to
from rag.lexical import porter_stems, weighted_overlap
from rag.query import answer_shape, asks_date
from rag.quotes import (
    AnswerSentence,
    asks_of,
    citation,
    headings,
    instead_of_context,
    is_heading,
    lacks,
    names_held,
    quoted,
    whole,
)
from rag.reply import cited, echoed, echoes, marked, split_answer
from rag.text import stems
from rag.wording import (
    ABSENCE,
    DENIAL,
    VERDICT,
    YES_NO,
    akin,
    asked_about,
    dangling,
    dates,
    excepted,
    figures,
    lead_in,
    names,
    negated,
    short,
    sought,
    words,
)

_EXAMPLE = stems(EXAMPLE)  # the words of the system prompt's worked example


@dataclass
class Checked:
    """What verification made of a reply."""

    kept: list[AnswerSentence]  # supported sentences, one citation each
    dropped: int  # sentences no given passage supports
    errors: int  # citations of sources not given, and sentences that cite nothing
    # Sources the reply named without saying anything: cited by bare verdicts ("No [1]."),
    # labels, restatements, or the denial of a clause a given source is headed by.
    pointers: list[int]
    echoed: list[int]  # sources whose header or heading the reply copied, in its order


class Verifier:
    def __init__(
        self,
        embedder: Embedder,
        idf: Callable[[set[str]], Mapping[str, float]],
        min_support: float = 0.5,
        cited_margin: float = 0.1,
        cited_relevance: float = 0.0,
    ) -> None:
        self.embedder = embedder
        # Stemmed term -> how rare it is in the collection (`Searcher.idf`).
        self.idf = idf
        self.min_support = min_support
        self.cited_margin = cited_margin
        # A cited source must reach this share of the relevance bar (settings.py says why).
        self.cited_relevance = cited_relevance

    def check(self, asked: str, raw: str, sources: list[Source], bar: float) -> Checked:
        """`asked`: the question without its document reference (what retrieval searched);
        `bar`: the relevance a passage needs to be answered from."""
        by_n = {s.n: s for s in sources}
        echo = {src.n: echoes([src]) for src in sources}
        claims = split_answer(raw, set().union(*echo.values()))
        # Sources the model named without saying anything: cited by headings it copied, or by
        # sentences that, like what they cite, only repeat the question and headers, or copy a
        # label of the passage ("Settings.").
        pointers = [] if claims else cited(raw)
        # A copied heading names its own source, whatever the markers around it say: "[1]
        # Scanning for channels [2]." points at [1] first, and "Block a number [2]." at the
        # source headed "Block a number". (Among sources of the same heading, the ones the
        # answer cites, if any; a heading that cites nothing points nowhere.)
        cited_anywhere = set(marked(raw))
        named = echoed(raw, echo) if cited_anywhere else []
        named = [n for n in named if n in cited_anywhere] or named
        # Lines of a word or two in the passages: menu paths, labels ("Settings", "Try Now").
        labels = {_flat(line) for src in sources for line in src.text.splitlines() if short(line)}
        reading = _Reading(self, asked, sources, claims, bar)
        kept: list[AnswerSentence] = []
        dropped = errors = 0
        for i, (text, cites) in enumerate(claims):
            errors += sum(1 for n in cites if n not in by_n) + (not cites)
            if words(text) <= {"yes", "no"} or reading.copies_example(text) or dangling(text):
                # A bare verdict, "No [1].": the model named where the answer is without
                # writing it; no passage supports a bare word, and the wording is what matters.
                # So did a copy of the prompt's worked example ("Replace the impeller seal
                # every 2000 operating hours [1]." to "How can I optimize device storage?"),
                # and a pointer to a link the passage lost ("To open email on your device, see
                # [1].": the PDF's link text was not in its text layer).
                pointers += cites
                continue
            if reading.shaped and (DENIAL.search(text) or not reading.claimed[i] - reading.known):
                # "There is a cap on liability under this contract [1]." or "No, it cannot be
                # terminated for convenience [1]." with a clause of the shape that answers it
                # given ("In no event shall either party be liable for ...", "Sparkling may
                # terminate this Agreement at any time upon ninety (90) days written notice"):
                # the clause is the answer, quoted; the restatement shares too few words with
                # it to be supported, and no passage supports the denial. So for a question
                # that is no yes/no one: "Audit rights under this contract [1]." (5 of the 17
                # public CUAD audit questions), "The expiration date of this contract is [1]."
                kept = once(kept, reading.shaped_clause())
                continue
            if reading.headed and DENIAL.search(text):
                # "No, there is no limitation of liability [1]." with a clause headed
                # "Limitation of Liability" given: the clause is there, and it is what the
                # lawyer must read (no passage can support "there is no ...").
                pointers += reading.headed
                continue
            if reading.sought and reading.headed and not reading.claimed[i] - reading.known:
                # "Yes, there is an indemnification clause [1]." with a clause headed
                # "Indemnity" given: the heading says so (the embedder scores the clause's
                # wording at 0.47), and the citation points at that clause.
                kept = once(kept, reading.headed_clause(text))
                continue
            sentence = self._support(text, reading.pool, reading.scores(i, text), set(cites))
            if not sentence.supported:
                dropped += 1
                continue
            if _flat(text) in labels or lead_in(text):
                # A label of the passage ("Settings."), or a lead-in to what it lists ("... as
                # follows: (a)."): it says where the answer is, not what it is.
                pointers += [c.n for c in sentence.citations]
                continue
            # It says nothing that the prompt showed besides the passages (every content word
            # is the question's or a source header's: "Encrypt SD card.", "Recording programs |
            # Using the guide"), and the question is not a yes/no one, where a restatement
            # answers it.
            if not reading.verdict and not reading.claimed[i] - reading.shown_stems:
                restated = quoted(sentence, reading.shown, by_n if how_to(asked) else None)
                if restated is None:
                    pointers += [c.n for c in sentence.citations]
                    continue
                sentence = restated
            kept = once(kept, instead_of_context(completed(sentence), by_n, how_to(asked)))
        return Checked(kept, dropped, errors, pointers, named)

    def _support(
        self, text: str, pool: list[tuple[Source, Sentence]], scores: list[float], cites: set[int]
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
        own = [i for i in range(len(pool)) if pool[i][0].n in cites]
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
        return AnswerSentence(text, (citation(src, whole(src, sentence)),), scores[best], True)


class _Reading:
    """What verification knows of one reply's claims and the passages they may cite: every
    source sentence (`pool`), its words, and the question's kind, computed once per reply."""

    def __init__(
        self,
        verifier: Verifier,
        asked: str,
        sources: list[Source],
        claims: list[tuple[str, list[int]]],
        bar: float,
    ) -> None:
        self.pool = [(src, s) for src in sources for s in src.sentences]
        # What the prompt showed besides the passages: the question and the sources' headers.
        self.shown = " ".join([asked, *(header(s) for s in sources)])
        self.dense = np.zeros((len(claims), len(self.pool)), dtype=np.float32)
        if claims and self.pool:
            vecs = verifier.embedder.embed([t for t, _ in claims])
            self.dense = vecs @ verifier.embedder.embed([s.text for _, s in self.pool]).T
        self.words_of = [stems(s.text) for _, s in self.pool]
        # Sentences made only of their source's header words: a heading ("Galaxy S10"); and a
        # word or two, a heading the heading path lacks (a PDF's "Section 1.2. Sublicensing",
        # which the sentence splitter cut after "1.2.").
        self.headings = [
            not w - stems(header(src)) or short(s.text)
            for (src, s), w in zip(self.pool, self.words_of, strict=True)
        ]
        self.said = {src.n: porter_stems(src.text) for src in sources}
        self.held = {src.n: figures(src.text) for src in sources}
        self.shown_stems = porter_stems(self.shown)
        self.known = self.shown_stems | porter_stems(VERDICT)
        # A heading supports a yes/no verdict only by a word it shares with it beyond the
        # document's name: "Non-Solicitation" does "Yes, there is a non-solicit clause";
        # "OUTSOURCING AGREEMENT" does not "Yes, the Sykes agreement is governed by New York law".
        self.verdict = YES_NO.match(asked) is not None and not how_to(asked)
        # The sources headed by what an existence question asks about: "Is there a limitation
        # of liability?" and a clause headed "Limitation of Liability" (in its heading path, or
        # on a line of its own: a PDF's headings are not always in the path).
        thing = asked_about(asked)
        # Of three words or more, one may be missing: "a clause preventing the solicitation of
        # employees" is headed "NON-SOLICITATION OF EMPLOYEES".
        need = len(thing) - (len(thing) >= 3)
        self.headed = [
            s.n for s in sources if thing and len(akin(thing, stems(headings(s)))) >= need
        ]
        # The sources holding a sentence of the shape that answers the question (`answer_shape`:
        # the clause that sets the term, caps liability, lets a party leave at will, restricts
        # assignment or grants an audit ...). (Not a heading, which names the clause without
        # saying it; not a lead-in without what it announces: "9.3 Termination for Cause. This
        # Agreement may be terminated ... by either Party at any time:".)
        shape = answer_shape(asked)
        self.shaped = [
            (src, s)
            for src, s in self.pool
            if shape is not None
            and not is_heading(src, s)
            and shape(text := whole(src, s).text)
            and not lead_in(text)
        ]
        self.titled = {src.n: stems(src.hit.title) for src in sources}
        self.sought = sought(thing)
        self.about = {src.n: stems(f"{header(src)} {src.text}") for src in sources}
        # Names a yes/no question asks about ("Is it governed by New York law?"): an answer that
        # affirms one cites a passage that holds it, not the preamble that names the parties.
        self.asking = names(asked) if self.verdict else set()
        # Names any other question asks about: a passage without them is about something else
        # ("How do I record a TV program?" and the Galaxy S10 manual's "Tap Capture to begin
        # recording a video."), as in extract mode.
        other = set() if self.verdict else names(asked)
        self.unnamed = {src.n: not names_held(src, other) for src in sources}
        # What a yes/no question asks of each source, and the sources that hold no more than
        # half of it (`lacks`): "Is the Morgan Stanley trademark license exclusive?" asks
        # "exclusive" (the notices clause giving both parties' addresses supported "The Morgan
        # Stanley trademark license is exclusive [1]." at 0.60); "Is the Galaxy S10
        # waterproof?" of the Galaxy S10 manual, "waterproof"; "Can the agreement be assigned
        # to another party?", "assign" and "party", and "Each party ... is acting on its own
        # behalf and not for the benefit of another person" holds only the one.
        asks = asks_of(asked) if self.verdict else set()
        self.lacking = {src.n: lacks(src, asks) for src in sources}
        self.holds = {src.n: words(f"{header(src)} {src.text}") for src in sources}
        # Shared words count by how rare they are in the collection: "There is an audit right
        # in the agreement" shares "right" and "agreement" with a governing-law clause ("...
        # the obligations, rights and remedies of the parties"), two of its three words, and
        # says nothing that clause holds.
        self.claimed = [porter_stems(text) for text, _ in claims]
        self.weight = verifier.idf(set().union(*self.claimed))
        self.porter_of = [porter_stems(s.text) for _, s in self.pool]
        # What each sentence holds only negated, unless the claim states its exception ("The
        # licensee may assign it with the licensor's consent" of "shall not assign ... without
        # the prior written consent of Licensor"): the negated words count only then.
        self.negated = [(negated(s.text), excepted(s.text)) for _, s in self.pool]
        # Asked when the agreement was made, a sentence that states no date does not answer,
        # whatever passage it copies ("(c) Documentation means ...", the Sparkling Spring
        # license, whose opening dates nothing).
        self.dated = asks_date(asked)
        # A passage given as context, too far from the question to answer it.
        self.floor = verifier.cited_relevance * bar

    def scores(self, i: int, text: str) -> list[float]:
        """How well each sentence of the pool supports claim `i` (`text`); 0 where a lexical
        check rules it out."""
        mine = stems(text)
        # What it says beyond the question and headers, a verdict's "yes" or "cannot" aside.
        novel = self.claimed[i] - self.known
        stated = figures(text)
        denial = DENIAL.search(text) is not None
        # What it affirms that a passage holds only with a "non" or a "shall not": "Yes, the
        # license allows sublicensing [1]." of "a non-exclusive, non-transferable and
        # non-sublicensable license" (the embedder scored them 0.6); "The obligations of the
        # distributor include assigning, transferring, mortgage, ... [1]" of "The Distributor
        # shall not assign, transfer, mortgage, ..." (sample contracts).
        plain = set() if denial else self.claimed[i] - negated(text)
        affirms = set() if denial else self.asking & words(text)
        # "Yes, there is an indemnification clause [1]" needs a passage about indemnity: the
        # embedder finds any contract sentence close to it ("This writing constitutes the
        # entire agreement between the parties", 0.57).
        exists = bool(self.sought) and not denial
        # "No, there are no services after termination [1]": only a sentence that says so
        # itself (with a "no" or "not", and every word of what was asked) supports a denial.
        # An absence no passage can show; the embedder found "12.1 Termination ... shall not
        # affect any rights accrued" close to it.
        denies = bool(self.sought) and ABSENCE.search(text) is not None
        # "Yes, Sykes can terminate the agreement without cause [1]." and "Galaxy S10 is not
        # waterproof [1]." say nothing but the question and a verdict: only a passage that
        # holds most of what was asked supports them (the embedder found the preamble that
        # names Sykes close to the one, 0.51, and a list of the models' names to the other).
        # (An existence question's verdicts have their own checks, `exists` and `denies`.)
        restates = self.verdict and not self.sought and not novel
        undated = self.dated and not dates(text)
        return [
            # A heading supports no statement (it may the verdict of an existence question:
            # CUAD's "There is a non-solicit clause" from the heading "Non-Solicitation"; not
            # "Yes, the license allows sublicensing" from a clause headed "Sublicensing" that
            # grants a "non-sublicensable license"), and a passage no figure it does not hold
            # (the embedder finds "Galaxy S10 weighs 2.5 kilograms" close to "Galaxy S10").
            0.0
            if (
                heading
                and (novel or (self.verdict and not (exists and (mine & w) - self.titled[src.n])))
            )
            or stated - self.held[src.n]
            or affirms - akin(affirms, self.holds[src.n])
            or (exists and not akin(self.sought, self.about[src.n]))
            or (denies and not (DENIAL.search(sent.text) and akin(self.sought, w) == self.sought))
            or (restates and self.lacking[src.n])
            or (plain & non[0] and not plain & non[1])
            or undated
            # What the answer adds must mostly be in the passage it cites: the embedder finds
            # "The CEO of Samsung is Steve Jobs" close to '("Samsung")'.
            or len(novel & self.said[src.n]) * 2 < len(novel)
            or src.relevance < self.floor
            or self.unnamed[src.n]
            else max(weighted_overlap(self.claimed[i], p, self.weight), float(d))
            for (src, sent), d, heading, w, p, non in zip(
                self.pool,
                self.dense[i],
                self.headings,
                self.words_of,
                self.porter_of,
                self.negated,
                strict=True,
            )
        ]

    def copies_example(self, text: str) -> bool:
        """`text` holds only words of the system prompt's worked example, most of them in no
        source: the model copied the example instead of answering."""
        said = stems(text)
        unsourced = said - set().union(*self.about.values())
        return bool(said) and said <= _EXAMPLE and len(unsourced) * 2 > len(said)

    def shaped_clause(self) -> AnswerSentence:
        """The `shaped` sentence that best matches the question, quoted."""
        src, s = max(self.shaped, key=lambda x: x[1].score)
        c = citation(src, whole(src, s))
        return AnswerSentence(" ".join(c.quote.split()), (c,), 1.0, True, verbatim=True)

    def headed_clause(self, text: str) -> AnswerSentence:
        """`text` cited to the sentence of the `headed` sources that best matches the
        question: the clause, not its heading, where the source holds more than the heading."""
        within = [(src, s) for src, s in self.pool if src.n in self.headed]
        heads = {src.n: stems(headings(src)) for src, _ in within}

        def clause(src: Source, s: Sentence) -> bool:
            return not is_heading(src, s) and bool(stems(s.text) - heads[src.n])

        src, s = max(within, key=lambda x: (clause(*x), x[1].score))
        return AnswerSentence(text, (citation(src, whole(src, s)),), s.score, True)


def once(kept: list[AnswerSentence], new: AnswerSentence) -> list[AnswerSentence]:
    """`kept` and `new`, each said once: a sentence said twice, or one that a quote (a
    restatement replaced by the sentences it cited) already holds, or holds, goes. Pieces of one
    sentence copied on either side of a marker are that sentence, quoted: a passage's own
    brackets read as citations ("11.3 Assignment. [ * ] may [ * ]any of its rights ..." was
    copied as "[1]. may [2]. any of its rights ... consent of [3].", and the answer read "may
    [1] any of its rights ... [1]")."""
    flat = " ".join(new.text.split())
    if any(flat in " ".join(k.text.split()) for k in kept):
        return kept
    if kept and _pieces_of_one(kept[-1], new):
        (c,) = new.citations
        whole = replace(new, text=" ".join(c.quote.split()), support=1.0, verbatim=True)
        return [*kept[:-1], whole]
    return [k for k in kept if " ".join(k.text.split()) not in flat] + [new]


# What may stand before a clause's first word: its number or letter ("(b) ", "12.3 ", "a) ").
_LABEL = re.compile(r"(?:\(?[\w.]{1,6}\)?\s+)?")


def completed(sentence: AnswerSentence) -> AnswerSentence:
    """A copy of its cited sentence that stops short of the sentence's end is that sentence,
    quoted whole: the token budget ran out mid-copy ("Garman hereby grants to Sparkling, a
    perpetual ... license ..., provided that Sparkling shall only be entitled to utilize such
    license if ... or if Garman ceases to [1]."), and the rest of a clause may be what qualifies
    it. Not a copy that ends where the sentence, a clause of it or a line of the passage does (a
    manual's lines end without a full stop: "Removed channels do not appear in the Channel
    List" | "Adding back removed channels"; a line that goes on in lower case is a PDF's wrap),
    nor a few words taken from its middle ("Fill the casing with water." of "Priming the pump:
    fill the casing with water before the first start." is the model's own short answer)."""
    if len(sentence.citations) != 1 or sentence.verbatim:
        return sentence
    words = _flat(sentence.text).split()
    quote = sentence.citations[0].quote
    m = (
        re.search(r"\s+".join(map(re.escape, words)), quote, re.IGNORECASE)
        if len(words) >= 6
        else None
    )
    if m is None or not _LABEL.fullmatch(quote[: m.start()]):
        return sentence
    rest = quote[m.end() :].lstrip(" \t")
    if not rest.strip(" .:;,!?\n") or rest[0] in ".:;!?":
        return sentence
    if rest[0] == "\n" and not rest.lstrip()[0].islower():
        return sentence  # a line that the next one does not go on with (a PDF's wrap does)
    return replace(sentence, text=" ".join(quote.split()), support=1.0, verbatim=True)


def _pieces_of_one(a: AnswerSentence, b: AnswerSentence) -> bool:
    """`a` and `b` copy pieces of the one sentence they both cite, word for word."""
    if len(a.citations) != 1 or a.citations != b.citations:
        return False
    quote = _flat(a.citations[0].quote)
    return all(_flat(x.text) in quote for x in (a, b))


def _flat(text: str) -> str:
    return " ".join(text.lower().split()).strip(" .:;,")

"""Query analysis, document routing, section BM25, weighted fusion, restricted search."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.query import analyze, answer_shape
from rag.retrieval import Searcher, make_retrievers, minmax_fusion, reciprocal_rank_fusion
from rag.routing import DocumentRouter
from rag.store import Collection, Snapshot, Store
from tests.unit.fakes import FakeEmbedder
from tests.unit.test_store import make_doc, write

SUPPLY = [
    "This Supply Agreement is made between Acme Widgets Inc and Borealis Foods LLC.",
    "Either party may terminate this agreement for convenience with ninety days notice.",
    "This agreement is governed by the laws of Delaware.",
]
LICENSE = [
    "This License Agreement is made between Zenith Software Corp and Orchard Bank.",
    "Either party may terminate this agreement for convenience with thirty days notice.",
    "This agreement is governed by the laws of New York.",
]


@pytest.fixture
def coll(tmp_path: Path, embedder: FakeEmbedder) -> Collection:
    c = Store(tmp_path).open_or_create("contracts", embedder.model_id, embedder.dim)
    write(
        c,
        embedder,
        [
            make_doc("/c/supply.txt", "Acme Borealis Supply Agreement", SUPPLY),
            make_doc("/c/license.txt", "Zenith Orchard License Agreement", LICENSE),
        ],
    )
    return c


@pytest.mark.parametrize(
    ("text", "reference", "question"),
    [
        (
            "Consider the Supply Agreement between Acme and Borealis; What law governs?",
            "the Supply Agreement between Acme and Borealis",
            "What law governs?",
        ),
        (
            "In the Zenith license agreement, how much notice is needed to terminate?",
            "the Zenith license agreement",
            "how much notice is needed to terminate?",
        ),
        (
            'Consider the License Agreement between A Corp ("Licensor"); B Inc ("Licensee"); '
            "What is the expiration date of this contract?",
            'the License Agreement between A Corp ("Licensor"); B Inc ("Licensee")',
            "What is the expiration date of this contract?",
        ),
        (
            "How much notice is needed to terminate?",
            None,
            "How much notice is needed to terminate?",
        ),
        ("In what year was it signed?", None, "In what year was it signed?"),
        # "it" after a contract's name stands for it; the product after a manual's; the dummy
        # subject for nothing.
        (
            "In the Sykes outsourcing agreement, how long does it last?",
            "the Sykes outsourcing agreement",
            "how long does the agreement last?",
        ),
        (
            "Under the Acme lease, what are its renewal terms?",
            "the Acme lease",
            "what are the lease's renewal terms?",
        ),
        (
            "Under the Acme lease, is it possible to sublet?",
            "the Acme lease",
            "is it possible to sublet?",
        ),
        (
            "In the Sykes agreement, who provides IT support?",
            "the Sykes agreement",
            "who provides IT support?",
        ),
        (
            "In the Frame TV manual, how do I turn it on?",
            "the Frame TV manual",
            "how do I turn it on?",
        ),
        (
            "Which state's law governs the Sykes outsourcing agreement?",
            "the Sykes outsourcing agreement",
            "Which state's law governs the agreement?",
        ),
        # A kind followed by a preposition ends the name too; the party named before it stays.
        (
            "Can Sykes terminate the outsourcing agreement without cause?",
            "the outsourcing agreement",
            "Can Sykes terminate the agreement without cause?",
        ),
        # A name a few words before the end of the question, the longest one there.
        ("When does the Acme lease expire?", "the Acme lease", "When does the lease expire?"),
        (
            "Can the Acme lease agreement be renewed?",
            "the Acme lease agreement",
            "Can the agreement be renewed?",
        ),
        # A capitalised name anywhere, where the kind ends a noun phrase.
        (
            "Does the Acme lease expire before the end of 2030?",
            "the Acme lease",
            "Does the lease expire before the end of 2030?",
        ),
        (
            "Is the Sykes agreement governed by New York law?",
            "the Sykes agreement",
            "Is the agreement governed by New York law?",
        ),
        # A bare kind, a kind inside a longer phrase, a name far from the clause's end without
        # a capital.
        ("Who owns the IP under the license?", None, "Who owns the IP under the license?"),
        ("How do I record from the guide screen?", None, "How do I record from the guide screen?"),
        ("Is the Software License fee due?", None, "Is the Software License fee due?"),
        (
            "Does the acme lease expire before the end of 2030?",
            None,
            "Does the acme lease expire before the end of 2030?",
        ),
    ],
)
def test_analyze_splits_a_document_reference(
    text: str, reference: str | None, question: str
) -> None:
    q = analyze(text)
    assert (q.reference, q.question, q.text) == (reference, question, text)


def sources(result_hits: list) -> list[str]:  # type: ignore[type-arg]
    return [h.source for h in result_hits]


def test_a_named_document_gets_the_question(coll: Collection, embedder: FakeEmbedder) -> None:
    routed = Searcher(coll, embedder, make_retrievers("hybrid"), router=DocumentRouter())
    plain = Searcher(coll, embedder, make_retrievers("hybrid"))
    text = (
        "Consider the License Agreement between Zenith Software Corp and Orchard Bank; "
        "governing law"
    )
    result = routed.search(text, k=5)
    assert set(sources(result.hits)) == {"/c/license.txt"}
    assert result.query is not None and result.query.documents is not None
    # Without routing, the other contract's governing-law clause competes.
    assert "/c/supply.txt" in sources(plain.search(text, k=5).hits)


def test_a_named_document_that_is_not_here_is_flagged(
    coll: Collection, embedder: FakeEmbedder
) -> None:
    routed = Searcher(coll, embedder, make_retrievers("hybrid"), router=DocumentRouter())
    text = "Consider the Lease Agreement between Halcyon Realty and Quartz Dental; governing law"
    result = routed.search(text, k=5)
    assert result.unmatched and not result.routed
    assert result.hits  # a search still lists what it found
    named = routed.search(
        "Consider the License Agreement between Zenith Software Corp and Orchard Bank; law", k=5
    )
    assert named.routed and not named.unmatched
    # A document the caller may not see is as absent as one that does not exist.
    with coll.snapshot() as snap:
        (supply,) = snap.catalog.conn.execute(
            "SELECT id FROM documents WHERE source = '/c/supply.txt'"
        ).fetchone()
    hidden = routed.search(
        "Consider the License Agreement between Zenith Software Corp and Orchard Bank; law",
        k=5,
        documents={supply},
    )
    assert hidden.unmatched and {h.source for h in hidden.hits} == {"/c/supply.txt"}
    plain = routed.search("Which agreements can be terminated for convenience?", k=5)
    assert not plain.unmatched and not plain.routed
    # Everyday phrasing parses as a reference too; too vague to be a missing document.
    vague = routed.search("In the settings menu, which law governs?", k=5)
    assert vague.query is not None and vague.query.reference == "the settings menu"
    assert not vague.unmatched


def test_a_document_named_inside_the_question(coll: Collection, embedder: FakeEmbedder) -> None:
    routed = Searcher(coll, embedder, make_retrievers("hybrid"), router=DocumentRouter())
    result = routed.search("Which law governs the Zenith license agreement?", k=5)
    assert result.routed and set(sources(result.hits)) == {"/c/license.txt"}
    assert result.query is not None and result.query.question == "Which law governs the agreement?"
    # The name may end the question but for what it asks of it: "Are the licenses granted
    # under the Morgan Stanley trademark license agreement non-transferable?" was searched
    # whole, and the grant clause of another contract came first.
    last = routed.search("Are the licenses under the Zenith license agreement non-transferable?")
    assert last.routed and set(sources(last.hits)) == {"/c/license.txt"}
    assert last.query is not None
    assert last.query.question == "Are the licenses under the agreement non-transferable?"
    # No document stands out: the whole question is searched, names included.
    vague = routed.search("Which law governs the signed service agreement?", k=5)
    assert not vague.routed and not vague.unmatched
    assert vague.query is not None
    assert vague.query.question == "Which law governs the signed service agreement?"


def test_a_model_number_picks_its_own_manual(tmp_path: Path, embedder: FakeEmbedder) -> None:
    """A manual of another model is not the one asked about, however many words they share."""
    c = Store(tmp_path).open_or_create("manuals", embedder.model_id, embedder.dim)
    battery = ["Charge the battery with the supplied cable.", "Hold the side key to restart."]
    write(
        c,
        embedder,
        [
            make_doc("/m/s10.txt", "Galaxy S10 user manual", battery),
            make_doc("/m/note10.txt", "Galaxy Note 10 user manual", battery),
            make_doc("/m/legal.txt", "Legal", ["Section 1. Read this section before use."]),
        ],
    )
    routed = Searcher(c, embedder, make_retrievers("hybrid"), router=DocumentRouter())

    def ask(text: str) -> tuple[set[str], bool]:
        r = routed.search(text, k=5)
        return {h.source for h in r.hits} if r.routed else set(), r.unmatched

    assert ask("How do I charge the Galaxy Note 10 user manual?") == ({"/m/note10.txt"}, False)
    assert ask("In the Galaxy S10 user manual, how do I restart?") == ({"/m/s10.txt"}, False)
    # Other models: not here, though "Galaxy", "Note" and "manual" are.
    assert ask("How do I charge the battery according to the Galaxy Note 20 manual?")[1]
    assert ask("In the iPhone 12 manual, how do I restart?")[1]
    # A number that names no document is no reference to a missing one, and a short
    # reference must be all in a document's opening to pick it ("section", but not "5").
    assert ask("In section 5, how do I restart?") == (set(), False)
    # A maker or model name that no document here holds, in a short reference.
    assert ask("According to the Roku manual, how do I restart?")[1]
    assert ask("In the iPhone manual, how do I charge the battery?")[1]
    # Names that are here, or no name at all: searched everywhere as before.
    assert ask("According to the Galaxy manual, how do I restart?") == (set(), False)
    assert ask("In the user manual, how do I restart?") == (set(), False)
    # A name that begins a word of a document's title is there: a file named GSVINC_... .
    write(c, embedder, [make_doc("/m/gsv.txt", "GSVINC_1998 EX-10 manual", ["Press reset."])])
    assert ask("According to the GSV manual, how do I restart?") == ({"/m/gsv.txt"}, False)
    # The name must be in a document the caller may see: in a forbidden one it does not count
    # (nor reveal that it is there).
    write(c, embedder, [make_doc("/m/roku.txt", "Roku streaming stick manual", battery)])
    rows = {src: f.rowid for src, f in c.catalog().stored_files().items()}
    roku = "According to the Roku manual, how do I restart?"
    assert ask(roku) == ({"/m/roku.txt"}, False)
    assert routed.search(roku, 5, {rows["/m/s10.txt"]}).unmatched


def test_who_the_parties_are_is_read_in_the_opening(tmp_path: Path, embedder: FakeEmbedder) -> None:
    # The preamble names the parties once; the clauses say "Party" over and over.
    recitals = "WHEREAS, the Licensor owns software that the Licensee wishes to use. " * 30
    clauses = [
        "Either Party may terminate; the terminating Party notifies the other Party.",
        "Each Party shall keep the other Party's information confidential.",
    ]
    preamble = "This License Agreement is made between Zenith Software Corp and Orchard Bank."
    license_ = make_doc(
        "/c/license.txt", "Zenith Orchard License Agreement", [preamble, recitals, *clauses]
    )
    c = Store(tmp_path).open_or_create("contracts", embedder.model_id, embedder.dim)
    write(
        c, embedder, [license_, make_doc("/c/supply.txt", "Acme Borealis Supply Agreement", SUPPLY)]
    )
    routed = Searcher(c, embedder, make_retrievers("hybrid"), router=DocumentRouter())

    def texts(question: str, documents: set[int] | None = None) -> list[str]:
        return [h.chunk.text for h in routed.search(question, k=5, documents=documents).hits]

    assert texts("Who are the parties to the Zenith license agreement?") == [preamble, recitals]
    assert texts("When was the Zenith license agreement signed?") == [preamble, recitals]
    # Questions about the parties' rights are not about who they are.
    assert texts("Which party may terminate the Zenith license agreement?")[0] in clauses
    assert (
        texts("What are the parties' obligations under the Zenith license agreement?")[0] in clauses
    )
    # Not routed, the one document the caller may see is the one asked about; with two, no
    # opening is the answer.
    with c.snapshot() as snap:
        rows = dict(snap.catalog.conn.execute("SELECT source, id FROM documents").fetchall())
    assert texts("Who are the parties?", {rows["/c/license.txt"]}) == [preamble, recitals]
    assert texts("Who are the parties?")[0] in clauses
    # A collection of one contract: that one.
    alone = Store(tmp_path / "alone").open_or_create("one", embedder.model_id, embedder.dim)
    write(alone, embedder, [license_])
    hits = Searcher(alone, embedder, make_retrievers("hybrid")).search("Who are the parties?").hits
    assert [h.chunk.text for h in hits] == [preamble, recitals]


def test_the_clause_that_sets_the_term_is_found_first(
    tmp_path: Path, embedder: FakeEmbedder
) -> None:
    # The question's words ("expiration", "term") are in every clause about what follows
    # expiration; the clause that sets the term holds one of them, once.
    upon = [
        f"On the expiration date of the term, the Licensee shall {duty}; expiration of this "
        "Agreement does not end accrued rights."
        for duty in ("return all documents", "stop all use of the marks", "pay all fees due")
    ]
    term = "This Agreement shall continue in force for five (5) years from its signing."
    license_ = make_doc("/c/license.txt", "Zenith Orchard License Agreement", [*upon, term])
    c = Store(tmp_path).open_or_create("contracts", embedder.model_id, embedder.dim)
    write(
        c, embedder, [license_, make_doc("/c/supply.txt", "Acme Borealis Supply Agreement", SUPPLY)]
    )
    routed = Searcher(c, embedder, make_retrievers("hybrid"), router=DocumentRouter())
    hits = routed.search("What is the expiration date of the Zenith license agreement?", k=4).hits
    assert hits[0].chunk.text == term
    assert hits[0].score >= max(h.score for h in hits)
    # Other questions keep their ranking.
    hits = routed.search("What happens upon expiration of the Zenith license agreement?", k=4)
    assert hits.hits[0].chunk.text in upon


def _first_for(
    tmp_path: Path, embedder: FakeEmbedder, clauses: list[str], questions: list[str]
) -> list[str]:
    """The first hit's text for each question, asked of a reseller agreement of `clauses`
    beside the supply agreement."""
    reseller = make_doc("/c/reseller.txt", "Zenith Orchard Reseller Agreement", clauses)
    c = Store(tmp_path).open_or_create("contracts", embedder.model_id, embedder.dim)
    write(
        c, embedder, [reseller, make_doc("/c/supply.txt", "Acme Borealis Supply Agreement", SUPPLY)]
    )
    routed = Searcher(c, embedder, make_retrievers("hybrid"), router=DocumentRouter())
    return [routed.search(q, k=4).hits[0].chunk.text for q in questions]


def test_the_clause_that_grants_exclusivity_is_found_first(
    tmp_path: Path, embedder: FakeEmbedder
) -> None:
    # "exclusive" is in the forum clause, the remedy clause and the non-exclusive licence more
    # often than in the clause that makes the reseller exclusive.
    others = [
        "The courts of New York shall have exclusive jurisdiction over any dispute, and each "
        "party submits to the exclusive jurisdiction and exclusive venue of such courts.",
        "Termination is the exclusive remedy of the Reseller; such remedy is exclusive of any "
        "other exclusive remedy.",
        "Licensor grants the Reseller a non-exclusive license; the non-exclusive license is "
        "exclusive of trademarks.",
    ]
    grant = "Schoolpop shall have the exclusive right to resell Cards in the NPO Marketplace."
    first = _first_for(
        tmp_path,
        embedder,
        [*others, grant],
        [
            "Does the Zenith reseller agreement include an exclusivity agreement?",
            "Is the reseller exclusive under the Zenith reseller agreement?",
            # Not of the shape: the grant is not first without it (the test can fail).
            "Zenith reseller agreement: exclusive?",
        ],
    )
    assert first[:2] == [grant, grant] and first[2] in others
    # The shape: a party made exclusive; not a forum, a remedy or a non-exclusive licence.
    shape = answer_shape("Does this contract include an exclusivity agreement?")
    assert shape is not None and shape(grant)
    assert not any(shape(t) for t in others)
    assert not shape("3.2 Exclusivity.")
    # Nor is every "exclusively" a question about it.
    assert answer_shape("Is breast cancer determined exclusively by genetic factors?") is None
    assert answer_shape("Is there a non-exclusive license?") is None
    assert answer_shape("Are the remedies exclusive?") is None


def test_the_clause_that_shares_revenue_is_found_first(
    tmp_path: Path, embedder: FakeEmbedder
) -> None:
    # "revenue" and "profit" are in the clauses on reports and taxes more often than in the one
    # that pays a share of them.
    others = [
        "The Reseller shall report its revenue and its profit each month; revenue reports and "
        "profit reports are due on the tenth day.",
        "Each party bears the taxes on its own revenue and profit arrangements.",
    ]
    share = "Each Party shall receive 50% of all Net Revenue derived from the sale of advertising."
    first = _first_for(
        tmp_path,
        embedder,
        [*others, share],
        [
            "Does the Zenith reseller agreement include any revenue or profit-sharing "
            "arrangements?",
            # Not of the shape: the share is not first without it.
            "What revenue and profit arrangements does the Zenith reseller agreement have?",
        ],
    )
    assert first[0] == share and first[1] in others
    shape = answer_shape("What royalty is paid under this contract?")
    assert shape is not None and shape("CAPSUGEL shall pay a royalty equal to [***] of Net Sales.")
    assert not shape("Net Sales means gross sales less returns.")
    assert not any(shape(t) for t in others)


def test_the_clause_that_grants_a_license_is_found_first(
    tmp_path: Path, embedder: FakeEmbedder
) -> None:
    # "license" and "granted" are in the fee clause, the end of the licence and the denial more
    # often than in the clause that grants it.
    others = [
        "License fees for the licensed Marks are due monthly; late license fees bear interest.",
        "The license terminates with this Agreement, and licensed Marks are then returned.",
        "No other licenses or rights are granted; licenses not granted here are reserved.",
    ]
    grant = "Licensor hereby grants to Reseller a non-transferable license to use the Marks."
    first = _first_for(
        tmp_path,
        embedder,
        [*others, grant],
        [
            "What licenses are granted under the Zenith reseller agreement?",
            "Are the licenses granted under the Zenith reseller agreement non-transferable?",
            # Not of the shape: the grant is not first without it.
            "Zenith reseller agreement: licenses?",
        ],
    )
    assert first[:2] == [grant, grant] and first[2] in others
    shape = answer_shape("What licenses are granted under this contract?")
    assert shape is not None and shape(grant)
    assert shape(
        "Each Party grants to the other the non-exclusive right, in the Territory, to use it."
    )
    assert not any(shape(t) for t in others)
    assert not shape("Nothing in this Agreement shall grant Reseller a license to the Software.")
    # A denial earlier in a long clause is not one of its grant.
    assert shape(
        "X shall not file any Patent; provided that X hereby grants Y a perpetual license."
    )
    # Asked of a grant, not of any licence: affiliates are not whom the grant names.
    assert answer_shape("Does the licensee's affiliates have any licensing rights?") is not shape


def test_the_clause_that_licenses_affiliates_is_found_first(
    tmp_path: Path, embedder: FakeEmbedder
) -> None:
    # "licensee", "affiliates" and "licensing" are in the definition, the fee clause and the
    # grant to the licensee alone more often than in the clause that lets affiliates in.
    grant = "Licensor hereby grants to Licensee a non-exclusive license to use the Marks."
    others = [
        "Affiliates means any entity controlling the Licensee; Licensee affiliates are listed.",
        "Licensing rights of affiliates of the Licensee: the licensing rights of Licensee "
        "affiliates are those of the Licensee under this agreement.",
        grant,
    ]
    sublicense = "Licensee may sublicense the Marks to any of its wholly owned subsidiaries."
    first = _first_for(
        tmp_path,
        embedder,
        [*others, sublicense],
        [
            "Do the licensee's affiliates have any licensing rights under the Zenith agreement?",
            # Not of the shape: the clause is not first without it.
            "Zenith agreement: rights of the licensee affiliates?",
        ],
    )
    assert first[0] == sublicense and first[1] in others
    shape = answer_shape("Does the licensor's affiliates have any licensing rights?")
    assert shape is not None and shape(sublicense)
    assert shape("Licensor grants to Licensee and its Affiliates a license to use the Marks.")
    assert not any(shape(t) for t in others)
    assert answer_shape("Who are the licensee's affiliates?") is None


def test_the_clause_that_names_the_governing_law_is_found_first(
    tmp_path: Path, embedder: FakeEmbedder
) -> None:
    # "governing" and "law" are in the compliance clause and the escrow clause more often than
    # in the clause that names the law.
    others = [
        "The Reseller shall comply with all governing law and all law governing its conduct.",
        "The escrow agreement governing the deposit is governed by its own governing terms.",
    ]
    law = "This Agreement shall be construed in accordance with the laws of the State of Kansas."
    first = _first_for(
        tmp_path,
        embedder,
        [*others, law],
        [
            "What is the governing law for the Zenith reseller agreement?",
            # Not of the shape: the clause is not first without it.
            "Zenith reseller agreement: the law governing it?",
        ],
    )
    assert first[0] == law and first[1] in others
    shape = answer_shape("Which state's law governs this contract?")
    assert shape is not None and shape(law)
    assert shape("This Manual is governed by the applicable regulations of the Republic of Chile.")
    assert not any(shape(t) for t in others)
    assert not shape("The Distributor shall obey the laws of each country where it sells.")
    # Asked of the law that governs, not of any law.
    assert answer_shape("What laws must the distributor comply with?") is None


def test_no_route_when_no_document_stands_out(coll: Collection, embedder: FakeEmbedder) -> None:
    routed = Searcher(coll, embedder, make_retrievers("bm25"), router=DocumentRouter())
    result = routed.search("Which agreements can be terminated for convenience?", k=5)
    assert result.query is not None and result.query.documents is None
    assert set(sources(result.hits)) == {"/c/supply.txt", "/c/license.txt"}


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25", "lexical"])
def test_a_restriction_is_applied_inside_every_retriever(
    coll: Collection, embedder: FakeEmbedder, mode: str
) -> None:
    with coll.snapshot() as snap:
        supply = snap.catalog.conn.execute(
            "SELECT id FROM documents WHERE source = '/c/supply.txt'"
        ).fetchone()[0]
    searcher = Searcher(coll, embedder, make_retrievers(mode))
    hits = searcher.search("terminate for convenience notice", k=10, documents={supply}).hits
    assert hits and set(sources(hits)) == {"/c/supply.txt"}
    # k results come back when k allowed chunks exist: nothing is filtered away afterwards.
    if mode in ("dense", "hybrid"):
        assert len(hits) == 3
    assert searcher.search("terminate", k=10, documents=set()).hits == []


def test_dense_feedback_searches_again_within_the_restriction(
    coll: Collection, embedder: FakeEmbedder
) -> None:
    with coll.snapshot() as snap:
        supply = snap.catalog.conn.execute(
            "SELECT id FROM documents WHERE source = '/c/supply.txt'"
        ).fetchone()[0]
    plain = Searcher(coll, embedder, make_retrievers("hybrid"), fusion="minmax")
    moved = Searcher(coll, embedder, make_retrievers("hybrid"), fusion="minmax", feedback=2)
    question = "terminate for convenience notice"
    result = moved.search(question, k=10, documents={supply})
    assert "feedback" in result.timings
    assert set(sources(result.hits)) == {"/c/supply.txt"}
    # The caller keeps the question's own vector (answers score evidence with it).
    assert result.query is not None and result.query.vector is not None
    assert (result.query.vector == embedder.embed_query(question)).all()
    # The second dense pass moved the ranking: scores differ from the plain search.
    before = {h.chunk.id: h.score for h in plain.search(question, k=10).hits}
    after = {h.chunk.id: h.score for h in moved.search(question, k=10).hits}
    assert before.keys() == after.keys() and before != after


def test_section_bm25_ranks_whole_sections(coll: Collection, embedder: FakeEmbedder) -> None:
    searcher = Searcher(coll, embedder, make_retrievers("lexical"))
    hits = searcher.search("Zenith Orchard", k=10).hits
    # Every chunk of the matching section (here: the whole document) shares the section rank.
    section_ranks = {h.ranks["section"] for h in hits if "section" in h.ranks}
    assert section_ranks == {1}
    assert {h.source for h in hits if "section" in h.ranks} == {"/c/license.txt"}


def test_weighted_fusion_with_shared_ranks() -> None:
    ranked = {
        "a": [(1, 9.0), (2, 8.0)],
        "s": [(2, 5.0), (3, 5.0), (1, 1.0)],  # chunks 2 and 3 share rank 1
    }
    fused = {f.id: f for f in reciprocal_rank_fusion(ranked, rrf_k=10, weights={"a": 2.0})}
    assert fused[1].score == pytest.approx(2 / 11 + 1 / 13)
    assert fused[2].score == pytest.approx(2 / 12 + 1 / 11)
    assert fused[3].score == pytest.approx(1 / 11)
    assert fused[3].ranks == {"s": 1}
    weightless = reciprocal_rank_fusion(ranked, rrf_k=10, weights={"a": 0.0, "s": 1.0})
    assert [f.id for f in weightless][:2] == [2, 3]


def test_minmax_fusion_scales_each_list() -> None:
    ranked = {
        "dense": [(1, 0.9), (2, 0.7), (3, 0.5)],
        "bm25": [(3, 12.0)],  # one match only: it is this list's best
    }
    fused = {f.id: f.score for f in minmax_fusion(ranked, {"dense": 1.0, "bm25": 0.5})}
    assert fused == pytest.approx({1: 1.0, 2: 0.5, 3: 0.5})
    tied = minmax_fusion({"dense": [(1, 0.4), (2, 0.4)]})
    assert [(f.id, f.score) for f in tied] == [(1, 1.0), (2, 1.0)]


def test_common_words_are_dropped_from_bm25_queries(
    coll: Collection, embedder: FakeEmbedder
) -> None:
    from rag import lexical

    with coll.snapshot() as snap:
        conn = snap.catalog.conn
        # "agreement" is in every chunk (df 6 of 6), "delaware" in one.
        assert lexical.match_expression(conn, "agreement Delaware") == '"delaware"'
        # Words that share a stem ("termin") are looked up once; nothing crashes.
        assert lexical.match_expression(conn, "terminate termination delaware") == '"delaware"'
        # When every word is common, the rarest one is kept rather than none.
        assert lexical.match_expression(conn, "agreement terminate") == '"terminate"'
        assert lexical.match_expression(conn, "agreement") == '"agreement"'


def test_bm25_finds_a_word_as_the_documents_spell_it(
    tmp_path: Path, embedder: FakeEmbedder
) -> None:
    # A support agent types "wifi" and "e-mail"; the manual writes "Wi-Fi" (two tokens to
    # FTS5: "wi", "fi") and "email". BM25 found neither.
    manual = [
        "Connect to a Wi-Fi network from Settings.",
        "Add an email account in the Email app.",
        "Charge the battery with the supplied cable.",
        "Turn on Wi-Fi Direct to share files between devices.",
    ]
    c = Store(tmp_path).open_or_create("phone", embedder.model_id, embedder.dim)
    write(c, embedder, [make_doc("/m/phone.txt", "Phone manual", manual)])
    search = Searcher(c, embedder, make_retrievers("bm25")).search
    from rag import lexical

    with c.snapshot() as snap:
        conn = snap.catalog.conn
        assert lexical.match_expression(conn, "wifi") == '"wi fi"'
        assert lexical.match_expression(conn, "How do I set up e-mail?") == (
            '"set" OR "e" OR "mail" OR "email"'
        )
        # A word no chunk holds, and that no two words side by side make, stays as it is.
        assert lexical.match_expression(conn, "bluetooth") == '"bluetooth"'
    assert {h.chunk.text for h in search("wifi").hits} == {manual[0], manual[3]}
    assert search("How do I set up e-mail?").hits[0].chunk.text == manual[1]
    # The evidence and the checks of an answer read words the same way: a sentence that says
    # "Wi-Fi" holds all of "wifi", and "non-exclusive" still holds "exclusive".
    from rag.text import overlap

    assert overlap("wifi", manual[0]) == 1.0
    assert overlap("Is the license exclusive?", "a non-exclusive license") == 1.0


def test_section_bm25_runs_beside_the_rest_on_the_same_generation(
    coll: Collection, embedder: FakeEmbedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    searcher = Searcher(coll, embedder, make_retrievers("hybrid"))
    question = "How much notice is needed to terminate for convenience?"
    found = searcher.search(question, k=6)
    assert found.hits and set(found.timings) >= {"bm25", "section", "dense"}
    # A second reader sees the first one's generation; once a writer has published a newer
    # one, it says so (None)...
    with coll.snapshot() as snap, coll.twin(snap) as twin:
        assert twin is not None and twin.generation == snap.generation
        assert twin.catalog.conn is not snap.catalog.conn
    with coll.snapshot() as snap:
        other = Store(tmp_path).open_or_create("contracts", embedder.model_id, embedder.dim)
        write(other, embedder, [make_doc("/c/note.txt", "Note", ["A short note."])])
        with coll.twin(snap) as twin:
            assert twin is None
    # ...and the search then runs that query on the first reader: the same hits.
    before = searcher.search(question, k=6)

    @contextlib.contextmanager
    def moved_on(snap: Snapshot) -> Iterator[None]:
        yield None

    monkeypatch.setattr(coll, "twin", moved_on)
    after = searcher.search(question, k=6)
    assert after.generation == before.generation == found.generation + 1
    assert [(h.chunk.id, h.score) for h in after.hits] == [
        (h.chunk.id, h.score) for h in before.hits
    ]
    assert "section" in after.timings

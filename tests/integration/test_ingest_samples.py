"""Ingest real sample files with the real packaged embedder, then change them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingest.chunk import Chunker
from ingest.pipeline import Ingestor, Labels, RunSummary, document_id, dry_run
from rag.embedder import LazyEmbedder
from rag.retrieval import Searcher, make_retrievers
from rag.settings import ChunkSettings, IngestSettings
from rag.store import Collection, Store
from rag.text import sentence_spans
from tests.integration.conftest import SAMPLES, copy_samples
from tests.unit.fakes import deadline

FILES = [
    "contracts/CARDAX,INC_08_19_2014-EX-10.1-COLLABORATION AGREEMENT.PDF",
    "contracts/REWALKROBOTICSLTD_07_10_2014-EX-10.2-STRATEGIC ALLIANCE AGREEMENT.PDF",
    "contracts/SYKESHEALTHPLANSERVICESINC_04_24_1998-EX-10.14-OUTSOURCING AGREEMENT.txt",
    "manuals/galaxy-s10-01-features.html",
    "manuals/galaxy-s10-06-legal-information.html",
    "manuals/samsung-smart-tv-remote.md",
    "manuals/samsung-smart-tv-settings.docx",
]
TXT = "SYKESHEALTHPLANSERVICESINC_04_24_1998-EX-10.14-OUTSOURCING AGREEMENT.txt"


class World:
    """A collection built once for this module, with helpers to run ingest again."""

    def __init__(self, root: Path, embedder: LazyEmbedder) -> None:
        self.docs = root / "docs"
        copy_samples(self.docs, FILES)
        self.store = Store(root / "indexes")
        self.embedder = embedder
        self.chunker = Chunker(embedder.tokenizer, ChunkSettings())
        self.collection = self.store.open_or_create("samples", embedder.model_id, embedder.dim)
        self.first = self.run()

    def run(self) -> RunSummary:
        ingestor = Ingestor(self.collection, self.embedder, self.chunker, IngestSettings())
        return ingestor.run([self.docs])

    def search(self, text: str, k: int = 5, mode: str = "hybrid") -> list[str]:
        searcher = Searcher(self.collection, self.embedder, make_retrievers(mode))
        return [Path(h.source).name for h in searcher.search(text, k).hits]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, embedder: LazyEmbedder) -> World:
    return World(tmp_path_factory.mktemp("samples"), embedder)


def by_status(summary: RunSummary, status: str) -> set[str]:
    return {Path(r.source).name for r in summary.results if r.status == status}


def test_every_format_is_indexed(world: World) -> None:
    assert world.first.ok, [r for r in world.first.results if r.error]
    assert by_status(world.first, "added") == {Path(f).name for f in FILES}
    docs = world.collection.catalog().documents("samples")
    formats = {d.format for d in docs}
    assert formats == {"pdf", "text", "html", "md", "docx"}
    assert all(d.n_chunks > 0 for d in docs)


def test_chunk_invariants_hold_with_the_real_tokenizer(world: World) -> None:
    catalog = world.collection.catalog()
    counter = world.embedder.tokenizer
    for doc in catalog.documents("samples"):
        text = catalog.document_text(doc.id)
        assert text is not None
        for chunk in catalog.chunks_of(doc.id):
            assert text[chunk.start : chunk.end] == chunk.text
            n = counter.count(chunk.embed_text) + counter.special_tokens
            assert n == chunk.n_tokens <= 256
            assert chunk.embed_text.startswith(doc.title)
            assert not re.search(r"<[A-Za-z/!][^>]*>", chunk.text), "markup leaked into a chunk"
            if doc.format == "pdf":
                assert chunk.page_start is not None and 1 <= chunk.page_start <= chunk.page_end
            if doc.format in ("html", "docx", "md"):
                assert chunk.heading_path, "structured formats give every chunk a heading path"


def test_running_footers_stay_out_of_chunks(world: World) -> None:
    """The CARDAX PDF repeats a confidentiality legend at the foot of every page."""
    catalog = world.collection.catalog()
    cardax = next(d for d in catalog.documents("samples") if d.title.startswith("CARDAX"))
    chunks = catalog.chunks_of(cardax.id)
    # Its last page is a scanned signature page: reported, not fatal.
    result = next(r for r in world.first.results if Path(r.source).name.startswith("CARDAX"))
    assert result.diagnostics == [
        "page 25: no text layer (scanned image?); OCR is not supported yet"
    ]
    assert cardax.diagnostics == tuple(result.diagnostics)
    legend = "CERTAIN PORTIONS OF THIS EXHIBIT HAVE BEEN OMITTED"
    assert sum(legend in c.text for c in chunks) == 0
    assert any("SECTION 1 DEFINITIONS" in " ".join(c.heading_path) for c in chunks)


@pytest.mark.parametrize(
    ("start", "reads", "margin"),
    [
        ("not in default", "the party not in default may, by giving written notice", ["2"]),
        ("For convenience", "For convenience, the parties acknowledge that HPS will deduct", []),
    ],
)
def test_a_sentence_broken_by_a_page_reads_as_one(
    world: World, start: str, reads: str, margin: list[str]
) -> None:
    """The Sykes text keeps each page's number where the page ended, inside clause 1.3:
    "... then the party not in default\n\n2\n\nmay, by giving written notice ...", and marks
    another page by blank lines alone, inside clause 2.3 ("... the parties\n\n\n\n\n\n
    acknowledge ..."). The margin is blanked out, so each clause is one sentence and chunk
    offsets are still the file's."""
    raw = (world.docs / TXT).read_text()
    catalog = world.collection.catalog()
    sykes = next(d for d in catalog.documents("samples") if Path(d.source).name == TXT)
    chunk = next(c for c in catalog.chunks_of(sykes.id) if start in c.text)
    sentence = next(
        chunk.text[a:b] for a, b in sentence_spans(chunk.text) if start in chunk.text[a:b]
    )
    assert reads in " ".join(sentence.split())
    original = raw[chunk.start : chunk.end]
    assert len(original) == len(chunk.text)
    words = original.split()
    for word in margin:
        words.remove(word)
    assert words == chunk.text.split()


def test_a_sentence_broken_by_a_pdf_page_reads_as_one() -> None:
    """A PDF page that ends inside a sentence ("... hereunder unless" | "and until ..."), and a
    page number run into a page's last line ("... (as the same may 2" | "be amended ...")."""
    from ingest.parse import parse_file

    cases = {
        "WARNINGMANAGEMENTSERVICESINC_12_10_1999-EX-10-ENDORSEMENT AGREEMENT.PDF": (
            "made hereunder unless and until the same has been approved"
        ),
        "MorganStanleyDirectLendingFund_20191119_10-12GA_EX-10.5_11898508_EX-10.5_Trademark "
        "License Agreement.pdf": "(as the same may be amended, modified",
    }
    for name, words in cases.items():
        paragraphs = parse_file(SAMPLES / "contracts" / name).text.split("\n\n")
        assert any(words in " ".join(p.split()) for p in paragraphs), name


def test_a_pdf_page_the_parser_labels_a_footer_is_kept() -> None:
    """unstructured's fast PDF path labels the Morgan Stanley licence's whole first page a
    "Footer", its preamble with the parties included, and reads the page's running line
    ("Source: MORGAN STANLEY DIRECT LENDING FUND, 10-12G/A") before it."""
    from ingest.parse import parse_file

    [path] = (SAMPLES / "contracts").glob("MorganStanley*.pdf")
    text = " ".join(parse_file(path).text.split())
    assert "between Morgan Stanley Investment Management Inc. (“Licensor”), and" in text
    assert "Section 1.2" in text
    assert "wholly owned subsidiary of Licensee, and then only with" in text


def test_the_clauses_of_a_pdf_page_whose_text_layer_lost_its_spaces_are_found() -> None:
    """The Fuse Medical PDF's text layer runs clause 9 together ("... an offence.9.Trade marks
    and intellectual property9.1The Supplier ... this agreement.9.2The Distributor ..."), and
    PDFium, which the parser reads the spaces back from, gives U+FFFE for the hyphen in
    "anti-corruption" a line before."""
    from ingest.parse import parse_file

    [path] = (SAMPLES / "contracts").glob("FuseMedical*.pdf")
    parsed = parse_file(path)
    assert "this agreement. 9.2 The Distributor may sell" in " ".join(parsed.text.split())
    labels = [e.heading_path[-1] for e in parsed.elements if e.heading_path]
    assert any(label.startswith("9.2 The Distributor") for label in labels)


def test_a_text_file_with_a_long_run_of_spaces_is_parsed_in_seconds(tmp_path: Path) -> None:
    """unstructured groups paragraphs in quadratic time in a run of spaces: 40,000 took 9 s,
    and this file more than five minutes."""
    from ingest.parse import parse_file

    path = tmp_path / "padded.txt"
    path.write_text("1.1 The Supplier delivers." + " " * 300_000 + "1.2 The Buyer pays.\n")
    with deadline(60):
        parsed = parse_file(path)
    words = [w for e in parsed.elements for w in parsed.text[e.start : e.end].split()]
    assert " ".join(words) == "1.1 The Supplier delivers. 1.2 The Buyer pays."


def test_pdf_text_is_in_composed_form() -> None:
    """The Sparkling PDF's text layer, as the parser reads it, gives U+037E, the Greek question
    mark, for each ";": the same character to Unicode, but not to a reader's search or the
    wording checks."""
    from ingest.parse import parse_file

    [path] = (SAMPLES / "contracts").glob("SPARKLINGSPRINGWATER*.PDF")
    text = parse_file(path).text
    assert "\u037e" not in text and text.count(";") >= 30


def test_search_finds_the_right_documents(world: World) -> None:
    assert world.search("Wireless PowerShare charge Galaxy Buds", k=3)[0].startswith(
        "galaxy-s10-01"
    )
    assert "REWALKROBOTICSLTD" in world.search("laws of the State of Israel", k=3)[0]
    assert world.search("picture mode settings", k=3, mode="dense")[0].endswith(".docx")


def test_second_run_changes_nothing(world: World) -> None:
    again = world.run()
    assert again.ok
    assert by_status(again, "unchanged") == {Path(f).name for f in FILES}
    assert again.chunks_embedded == 0


def test_editing_one_file_reembeds_only_its_changed_chunks(world: World) -> None:
    path = world.docs / TXT
    text = path.read_text()
    old = "save and hold harmless"
    assert old in text
    path.write_text(
        text.replace(old, "zebra wrangling", 1) + "\n\nA brand new closing paragraph.\n"
    )
    total_before = world.collection.catalog().counts()["chunks"]
    summary = world.run()
    assert by_status(summary, "updated") == {TXT}
    assert by_status(summary, "unchanged") == {Path(f).name for f in FILES} - {TXT}
    result = next(r for r in summary.results if r.status == "updated")
    assert 0 < result.embedded < result.chunks
    assert summary.chunks_embedded == result.embedded
    assert abs(world.collection.catalog().counts()["chunks"] - total_before) <= 2
    assert world.search("zebra wrangling", k=1, mode="bm25") == [TXT]


def test_deleted_files_leave_the_collection(world: World) -> None:
    (world.docs / "galaxy-s10-06-legal-information.html").unlink()
    summary = world.run()
    assert by_status(summary, "deleted") == {"galaxy-s10-06-legal-information.html"}
    names = {Path(d.source).name for d in world.collection.catalog().documents("samples")}
    assert "galaxy-s10-06-legal-information.html" not in names
    assert "galaxy-s10-06-legal-information.html" not in world.search("Samsung Knox", k=10)
    with world.collection.snapshot() as snap:
        assert snap.index.ntotal == snap.catalog.counts()["chunks"]


def test_identical_texts_are_embedded_once(
    world: World, tmp_path: Path, embedder: LazyEmbedder
) -> None:
    """A copy of a file under the same name in another folder shares every chunk text."""
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "galaxy-s10-01-features.html").write_bytes(
        (world.docs / "galaxy-s10-01-features.html").read_bytes()
    )
    ingestor = Ingestor(world.collection, embedder, world.chunker, IngestSettings())
    summary = ingestor.run([copy])
    assert by_status(summary, "added") == {"galaxy-s10-01-features.html"}
    assert summary.chunks_embedded == 0
    ingestor.run([copy / "missing-root-is-harmless"])  # a mistyped path deletes nothing
    assert len(
        Collection("samples", world.collection.folder).catalog().documents("samples")
    ) == len(FILES)


def test_a_moved_file_keeps_its_groups_and_its_vectors(world: World, tmp_path: Path) -> None:
    """Moving a restricted file must not make it public, nor re-embed it. (Last: it gives
    every document a group.)"""
    name = "samsung-smart-tv-remote.md"
    ingestor = Ingestor(world.collection, world.embedder, world.chunker, IngestSettings())
    ingestor.run([world.docs], labels=Labels(groups=("support",)))
    (world.docs / "archive").mkdir()
    (world.docs / name).rename(world.docs / "archive" / name)
    # Reported as one move, in a dry run as in the run: not as an addition and a deletion.
    planned = dry_run(
        world.collection.catalog(), "samples", [world.docs], world.chunker, index_dir=tmp_path
    )
    summary = world.run()  # no --acl-group: each document keeps what it has
    for report in (planned, summary):
        (moved,) = [r for r in report.results if r.status == "moved"]
        assert moved.source == str(world.docs / "archive" / name)
        assert moved.moved_from == str(world.docs / name)
        assert by_status(report, "deleted") == by_status(report, "added") == set()
        assert report.counts()["moved"] == 1
    assert summary.chunks_embedded == 0
    groups = world.collection.catalog().acl_groups()
    assert groups[document_id(moved.source)] == ("support",)
    assert document_id(str(world.docs / name)) not in groups


def test_a_table_row_is_a_passage_of_its_own_in_every_format(tmp_path: Path) -> None:
    """unstructured gives a table as one run of words ("Model Battery S10e 3100 mAh S10 ...");
    each row is a paragraph here, its cells named by the header."""
    import docx

    from ingest.parse import parse_file

    rows = [
        ("Model", "Battery", "Weight"),
        ("S10e", "3100 mAh", "150 g"),
        ("S10", "3400 mAh", "157 g"),
    ]
    md = (
        "# Specs\n\n| "
        + " |\n| ".join([" | ".join(rows[0]), "---|---|---", *(" | ".join(r) for r in rows[1:])])
        + " |\n"
    )
    (tmp_path / "specs.md").write_text(md)
    cells = "".join(
        "<tr>" + "".join(f"<{t}>{c}</{t}>" for c in r) + "</tr>"
        for r, t in zip(rows, ("th", "td", "td"), strict=True)
    )
    (tmp_path / "specs.html").write_text(
        f"<html><body><h1>Specs</h1><table>{cells}</table></body></html>"
    )
    document = docx.Document()
    table = document.add_table(rows=3, cols=3)
    for i, r in enumerate(rows):
        for j, c in enumerate(r):
            table.cell(i, j).text = c
    document.save(str(tmp_path / "specs.docx"))
    for name in ("specs.md", "specs.html", "specs.docx"):
        parsed = parse_file(tmp_path / name)
        paragraphs = parsed.text.split("\n\n")
        assert "Model: S10e | Battery: 3100 mAh | Weight: 150 g" in paragraphs, name
        assert "Model: S10 | Battery: 3400 mAh | Weight: 157 g" in paragraphs, name


def test_a_title_under_a_bare_clause_number_is_part_of_its_heading(tmp_path: Path) -> None:
    """'Section 10' then 'Term and Termination' (not in capitals): one heading, as 'SECTION 1'
    then 'DEFINITIONS' already was."""
    from ingest.parse import parse_file

    text = (
        "Section 9\n\nConfidentiality and Publicity\n\n9.1 Confidentiality. Keep it secret."
        "\n\nSection 10\n\nTerm and Termination\n\n10.1 Term. Ten (10) years from signing."
    )
    (tmp_path / "contract.txt").write_text(text)
    parsed = parse_file(tmp_path / "contract.txt")
    term = next(e for e in parsed.elements if "Ten (10) years" in text[e.start : e.end])
    assert term.heading_path == ("Section 10 Term and Termination", "10.1 Term")
    # The number's own line is under the whole heading as well: one section, so a short clause
    # under it is not packed with "Section 10" as a sibling under no heading at all.
    number = next(e for e in parsed.elements if text[e.start : e.end] == "Section 9")
    assert number.heading_path == ("Section 9 Confidentiality and Publicity",)

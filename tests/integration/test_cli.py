"""The `ingest` and `rag` commands as a user runs them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.integration.conftest import CLI, copy_samples

FILES = [
    "manuals/galaxy-s10-01-features.html",
    "contracts/SYKESHEALTHPLANSERVICESINC_04_24_1998-EX-10.14-OUTSOURCING AGREEMENT.txt",
]


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    copy_samples(folder, FILES)
    return folder


def test_dry_run_plans_without_writing(docs: Path, cli: CLI, index_dir: Path) -> None:
    proc = cli("ingest", "run", str(docs), "-c", "dry", "--dry-run", "--json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["dry_run"] is True
    assert summary["files"]["added"] == 2
    assert not (index_dir / "dry").exists()
    table = cli("ingest", "run", str(docs), "-c", "dry", "--dry-run")
    assert "would be added" in table.stdout
    # What a run would refuse by its first bytes is said now, not "would be added".
    (docs / "empty.md").write_bytes(b"")
    (docs / "fake.pdf").write_text("not a pdf")
    proc = cli("ingest", "run", str(docs), "-c", "dry", "--dry-run", "--json")
    assert proc.returncode == 1
    failed = {r["source"]: r["error"] for r in json.loads(proc.stdout)["results"]}
    assert failed[str(docs / "empty.md")] == "empty file"
    assert "not a PDF" in failed[str(docs / "fake.pdf")]


def test_run_status_ls_search_rm(docs: Path, cli: CLI) -> None:
    run = cli("ingest", "run", str(docs), "-c", "c1", "--json")
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    assert summary["files"] == {
        "added": 2,
        "updated": 0,
        "moved": 0,
        "deleted": 0,
        "unchanged": 0,
        "failed": 0,
    }
    assert summary["chunks_embedded"] == sum(r["embedded"] for r in summary["results"]) > 0

    status = json.loads(cli("ingest", "status", "-c", "c1", "--json").stdout)
    assert status["documents"] == 2
    assert status["embedder"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert status["jobs"][0]["status"] == "done"

    listing = json.loads(cli("ingest", "ls", "-c", "c1", "--json").stdout)
    assert {Path(d["source"]).name for d in listing} == {Path(f).name for f in FILES}

    search = cli("rag", "search", "indemnify and hold harmless", "-c", "c1", "-k", "2", "--json")
    assert search.returncode == 0, search.stderr
    hits = json.loads(search.stdout)["hits"]
    assert hits and hits[0]["source"].endswith(".txt")
    assert {"source", "page_start", "heading_path", "score", "text", "start", "end"} <= set(hits[0])

    html_id = next(d["id"] for d in listing if d["source"].endswith(".html"))
    removed = cli("ingest", "rm", html_id, "-c", "c1")
    assert removed.returncode == 0 and "removed" in removed.stdout
    assert len(json.loads(cli("ingest", "ls", "-c", "c1", "--json").stdout)) == 1

    missing = cli("ingest", "rm", "no-such-doc", "-c", "c1")
    assert missing.returncode == 2 and "ingest ls" in missing.stderr


def test_clear_errors(docs: Path, cli: CLI, index_dir: Path) -> None:
    unknown = cli("rag", "search", "anything", "-c", "nope")
    assert unknown.returncode == 2
    assert "No collection 'nope'" in unknown.stderr and "ingest run" in unknown.stderr
    assert "Traceback" not in unknown.stderr

    bad_set = docs.parent / "qa.jsonl"
    bad_set.write_text('{"id": "q1", "question": "How?", "gold_section_ids": ["s:1"]}\n{"id"\n')
    corpus = docs.parent / "corpus.jsonl"
    corpus.write_text('{"id": "s:1", "title": "T", "text": "Tap A."}\n')
    bad_eval = cli(
        "rag", "eval", "retrieval", "emanual", "--corpus", str(corpus), "--questions", str(bad_set)
    )
    assert bad_eval.returncode == 2 and "Traceback" not in bad_eval.stderr
    assert f"{bad_set}, line 2" in " ".join(bad_eval.stderr.split())

    for words in (["search", "..."], ["ask", "?!", "--mode", "extract"]):  # nothing to look for
        wordless = cli("rag", *words, "-c", "nope")
        assert wordless.returncode == 2 and "has no words" in wordless.stderr, wordless.stderr

    for k in ("0", "-3", "101"):  # refused before anything loads, as the API refuses it
        bad_k = cli("rag", "search", "anything", "-c", "nope", "-k", k)
        assert bad_k.returncode == 2 and "-k" in bad_k.stderr, bad_k.stderr

    bad_name = cli("ingest", "run", str(docs), "-c", "../escape", "--json")
    assert bad_name.returncode == 2 and "Invalid collection name" in bad_name.stderr
    # With --json, stdout is JSON on failure too.
    assert json.loads(bad_name.stdout)["error"]["type"] == "InvalidCollectionName"

    typo = cli("ingest", "run", str(docs.parent / "no-such-folder"), "-c", "typo")
    assert typo.returncode == 2 and "Nothing to ingest" in typo.stderr
    assert not (index_dir / "typo").exists(), "a mistyped path left an empty collection"

    setting = cli("rag", "search", "x", "-c", "nope", env={"SABIO_RETRIEVAL__MODE": "fuzzy"})
    assert setting.returncode == 2 and "SABIO_RETRIEVAL__MODE='fuzzy'" in setting.stderr
    assert "Traceback" not in setting.stderr

    assert cli("ingest", "run", str(docs), "-c", "c2").returncode == 0
    manifest = index_dir / "c2" / "manifest.json"
    data = json.loads(manifest.read_text())
    data["embedder"] = "BAAI/bge-small-en-v1.5"
    manifest.write_text(json.dumps(data))
    mismatch = cli("rag", "search", "anything", "-c", "c2")
    assert mismatch.returncode == 2
    assert (
        "BAAI/bge-small-en-v1.5" in mismatch.stderr and "SABIO_EMBEDDER__MODEL" in mismatch.stderr
    )
    rerun = cli("ingest", "run", str(docs), "-c", "c2")
    assert rerun.returncode == 2 and "garbage" in rerun.stderr

    # A damaged collection does not hide the others, and can be deleted.
    (index_dir / "broken").mkdir()
    (index_dir / "broken" / "manifest.json").write_text("{not json")
    status = cli("ingest", "status", "--json")
    assert status.returncode == 1
    assert {r["collection"]: "error" in r for r in json.loads(status.stdout)} == {
        "broken": True,
        "c2": False,
    }
    assert cli("ingest", "rm", "-c", "broken", "--all", "--yes").returncode == 0
    assert not (index_dir / "broken").exists()

    hub = cli(
        "rag", "search", "x", "-c", "c2", env={"SABIO_EMBEDDER__MODEL": "someone/unknown-model"}
    )
    assert hub.returncode == 2 and "not a packaged model name" in hub.stderr


def test_eval_details_give_each_question(tmp_path: Path, cli: CLI) -> None:
    corpus = tmp_path / "corpus.jsonl"
    sections = [
        {
            "id": "m:1",
            "title": "Pairing the remote",
            "text": "Point the remote at the TV and hold Back.",
        },
        {"id": "m:2", "title": "Cleaning", "text": "Wipe the screen with a dry cloth only."},
    ]
    corpus.write_text("".join(json.dumps(s) + "\n" for s in sections))
    qa = tmp_path / "qa.jsonl"
    qa.write_text(
        json.dumps(
            {"id": "q1", "question": "How do I pair the remote?", "gold_section_ids": ["m:1"]}
        )
        + "\n"
    )
    details = tmp_path / "details.jsonl"
    run = cli(
        "rag",
        "eval",
        "retrieval",
        "emanual",
        "--corpus",
        str(corpus),
        "--questions",
        str(qa),
        "--config",
        "",
        "--config",
        "retrieval.mode=bm25",
        "--details",
        str(details),
        "--json",
    )
    assert run.returncode == 0, run.stderr
    assert "questions" not in json.loads(run.stdout)["variants"][0]
    rows = [json.loads(line) for line in details.read_text().splitlines()]
    assert [(r["variant"], r["id"], r["rank"]) for r in rows] == [
        ("default", "q1", 1),
        ("retrieval.mode=bm25", "q1", 1),
    ]
    assert rows[0]["top"][0] == "m:1"


def test_a_contract_eval_refuses_a_collection_holding_other_documents(
    tmp_path: Path, cli: CLI
) -> None:
    # The same contracts, indexed from another folder into the collection being reused: the
    # eval would measure a corpus of two copies, and each named contract would be found twice.
    first, second = tmp_path / "a", tmp_path / "b"
    copy_samples(first, [FILES[1]])
    copy_samples(second, [FILES[1]])
    name = Path(FILES[1]).name
    questions = tmp_path / "q.json"
    test = {
        "query": "Consider the Outsourcing Agreement; what law governs it?",
        "file_path": f"contracts/{name}",
        "snippets": [{"span": [0, 100]}],
    }
    questions.write_text(json.dumps({"tests": [test]}))

    def evaluate(folder: Path) -> subprocess.CompletedProcess[str]:
        args = ["--contracts", str(folder), "--questions", str(questions), "--collection", "cc"]
        return cli("rag", "eval", "retrieval", "cuad", *args, "--no-baseline", "--json")

    assert evaluate(first).returncode == 0
    refused = evaluate(second)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    message = json.loads(refused.stdout)["error"]["message"]
    assert f"also holds 1 document(s) that are not in {second} (first: {first / name})" in message
    # Nothing was indexed from the second folder.
    listed = json.loads(cli("ingest", "ls", "-c", "cc", "--json").stdout)
    assert [d["source"] for d in listed] == [str(first / name)]

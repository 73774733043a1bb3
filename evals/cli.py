"""`rag eval retrieval cuad|emanual|beir`: retrieval quality on any folder of those layouts."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from evals import answers as answers_eval
from evals import beir, cuad, emanual
from evals.common import Variant, chunker_for, collection_for, index_documents, parse_variant
from ingest.pipeline import Ingestor, fingerprint
from ingest.progress import for_stream
from rag import wiring
from rag.console import err, friendly_errors, out, print_json
from rag.embedder import Embedder
from rag.errors import ConfigError, DatasetError
from rag.settings import Settings
from rag.store import Collection, Store

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Measure quality.")
retrieval = typer.Typer(no_args_is_help=True, add_completion=False, help="Retrieval quality.")
app.add_typer(retrieval, name="retrieval")

CollectionOpt = Annotated[
    str | None, typer.Option("--collection", "-c", help="Build into (or reuse) this collection.")
]
Configs = Annotated[
    list[str] | None,
    typer.Option("--config", help="A variant: KEY=VALUE[,KEY=VALUE] (repeat to compare)."),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
Details = Annotated[
    Path | None,
    typer.Option(help="Write each question's result and scores here, one JSON object a line."),
]
Evaluate = Callable[[Collection, Variant], dict[str, Any]]
Build = Callable[[Collection, Variant], None]


@contextlib.contextmanager
def _store(settings: Settings, collection: str | None) -> Iterator[tuple[Store, str]]:
    """The named collection in SABIO_INDEX_DIR, or a fresh one in a folder deleted afterwards."""
    if collection is not None:
        yield wiring.store(settings), collection
        return
    with tempfile.TemporaryDirectory(prefix="sabio-eval-") as tmp:
        yield Store(Path(tmp)), "eval"


def _run(
    dataset: str,
    n_questions: int,
    configs: list[str] | None,
    collection: str | None,
    build: Build,
    evaluate: Evaluate,
    extra: dict[str, Any] | None = None,
    details: Path | None = None,
) -> dict[str, Any]:
    """Build (or reuse) the collection each variant needs and evaluate it; `details` gets each
    question's result under each variant, one JSON object per line."""
    base = Settings()
    variants = [parse_variant(c, base) for c in (configs or [""])]
    emb = _embedder(base)
    results = []
    records: list[dict[str, Any]] = []
    with _store(base, collection) as (store, name):
        built: dict[str, Collection] = {}
        default_key = _build_key(base, emb)
        for v in variants:
            # Variants that chunk or embed differently need their own collection, named after
            # what differs so that a later run finds it again.
            key = _build_key(v.settings, emb)
            if key not in built:
                suffix = (
                    "" if key == default_key else "-" + hashlib.sha1(key.encode()).hexdigest()[:8]
                )
                coll = collection_for(store, name + suffix, emb)
                t0 = time.perf_counter()
                build(coll, v)
                built[key] = coll
                err.print(f"[dim]indexed {coll.name} in {time.perf_counter() - t0:.0f}s[/]")
            t0 = time.perf_counter()
            report = evaluate(built[key], v)
            report.setdefault("timings", {})["eval_s"] = time.perf_counter() - t0
            records += [{"variant": v.name, **q} for q in report.pop("questions", [])]
            results.append({"config": {"name": v.name, **v.overrides}, **report})
    if details is not None:
        _write_lines(details, records)
    head = results[0]
    return {
        "dataset": dataset,
        "n_questions": n_questions,
        "metrics": head["metrics"],
        "config": head["config"],
        "timings": head["timings"],
        "variants": results,
        **(extra or {}),
    }


_EMBEDDERS: dict[str, Embedder] = {}


def _embedder(settings: Settings) -> Embedder:
    """One embedder per distinct embedder setting, loaded once for all variants."""
    key = settings.embedder.model_dump_json()
    if key not in _EMBEDDERS:
        _EMBEDDERS[key] = wiring.embedder(settings)
    return _EMBEDDERS[key]


def _build_key(settings: Settings, emb: Embedder) -> str:
    e = settings.embedder
    return f"{fingerprint(chunker_for(settings, emb))}-{e.model}-{e.backend}-{e.quantize}"


def _searcher(coll: Collection, v: Variant) -> Any:
    return wiring.searcher(v.settings, coll, _embedder(v.settings))


@retrieval.command("cuad")
@friendly_errors
def cuad_cmd(
    contracts: Annotated[Path, typer.Option(help="Folder of contract .txt files.")],
    questions: Annotated[Path, typer.Option(help="Questions JSON (LegalBench-RAG format).")],
    collection: CollectionOpt = None,
    config: Configs = None,
    baseline: Annotated[bool, typer.Option(help="Also run BM25 over 500-char chunks.")] = True,
    as_json: AsJson = False,
    details: Details = None,
) -> None:
    """Character precision/recall@k of retrieved spans (k = 1..64)."""
    files = _contracts(contracts)
    names = {f.name for f in files}
    qs = _asked_of(
        [q for q in cuad.load_questions(questions) if q.file in names], questions, contracts
    )

    build = _contracts_build(files, contracts, as_json)
    extra = (
        {"baseline": {"name": "bm25 over 500-char chunks", **cuad.baseline_bm25(files, qs)}}
        if baseline
        else {}
    )
    report = _run(
        "cuad",
        len(qs),
        config,
        collection,
        build,
        lambda c, v: cuad.evaluate(c, _searcher(c, v), qs),
        extra,
        details,
    )
    _show(
        report,
        as_json,
        ["recall@1", "recall@8", "recall@32", "recall@64", "precision@1", "precision@32"],
    )


@retrieval.command("emanual")
@friendly_errors
def emanual_cmd(
    corpus: Annotated[Path, typer.Option(help="Sections JSONL ({id, title, text, ...}).")],
    questions: Annotated[Path, typer.Option(help="Questions JSONL with gold_section_ids.")],
    collection: CollectionOpt = None,
    config: Configs = None,
    as_json: AsJson = False,
    details: Details = None,
) -> None:
    """Section-level hit@k (1, 3, 5, 10) and MRR."""
    qs, missing = emanual.load_questions(questions)
    docs = list(emanual.documents(corpus))

    def build(coll: Collection, v: Variant) -> None:
        emb = _embedder(v.settings)
        index_documents(
            coll,
            emb,
            chunker_for(v.settings, emb),
            v.settings,
            docs,
            for_stream(sys.stderr, quiet=as_json),
        )

    report = _run(
        "emanual",
        len(qs),
        config,
        collection,
        build,
        lambda c, v: emanual.evaluate(_searcher(c, v), qs),
        {"questions_without_gold": missing},
        details,
    )
    _show(report, as_json, ["hit@1", "hit@3", "hit@5", "hit@10", "mrr"])


@retrieval.command("beir")
@friendly_errors
def beir_cmd(
    path: Annotated[Path, typer.Option(help="BEIR folder: corpus.jsonl, queries.jsonl, qrels/.")],
    collection: CollectionOpt = None,
    config: Configs = None,
    as_json: AsJson = False,
    details: Details = None,
) -> None:
    """nDCG@10 and recall@100."""
    data = beir.load(path)

    def build(coll: Collection, v: Variant) -> None:
        emb = _embedder(v.settings)
        index_documents(
            coll,
            emb,
            chunker_for(v.settings, emb),
            v.settings,
            beir.documents(data),
            for_stream(sys.stderr, quiet=as_json),
        )

    report = _run(
        "beir",
        len(data.queries),
        config,
        collection,
        build,
        lambda c, v: beir.evaluate_one(c, _searcher(c, v), data),
        details=details,
    )
    _show(report, as_json, ["ndcg@10", "recall@100"])


def _write_lines(path: Path, rows: list[Any]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def _contracts(folder: Path) -> list[Path]:
    found = sorted(folder.glob("*.txt"))
    if not found:
        raise ConfigError(f"No .txt contracts in {folder}: give the folder of the contracts.")
    return found


def _contracts_build(files: list[Path], folder: Path, quiet: bool) -> Build:
    """Index `files` into a collection, whose corpus is then exactly them. A collection reused
    with `--collection` that holds other documents (the same contracts indexed from another
    folder, say) is refused before anything is indexed: its figures would not be the folder's."""
    given = {os.path.abspath(f) for f in files}  # as `ingest` names a file's source

    def build(coll: Collection, v: Variant) -> None:
        others = sorted(set(coll.catalog().stored_files()) - given)
        if others:
            raise ConfigError(
                f"Collection {coll.name!r} also holds {len(others)} document(s) that are not in "
                f"{folder} (first: {others[0]}), so its figures would not be of that folder's "
                f"contracts. Give --collection a new name, or remove them: ingest rm "
                f"--collection {coll.name} PATH ..."
            )
        emb = _embedder(v.settings)
        Ingestor(
            coll,
            emb,
            chunker_for(v.settings, emb),
            v.settings.ingest,
            for_stream(sys.stderr, quiet),
        ).run(files)

    return build


def _asked_of(questions: list[Any], path: Path, contracts: Path) -> list[Any]:
    if not questions:
        raise DatasetError(
            f"No question in {path} is about a contract in {contracts} (their file_path "
            "names must be the .txt files there)."
        )
    return questions


def _show(report: dict[str, Any], as_json: bool, columns: list[str]) -> None:
    if as_json:
        print_json(report)
        return
    table = Table(title=f"{report['dataset']}: {report['n_questions']} questions")
    table.add_column("config")
    for c in [*columns, "p50 ms", "p95 ms"]:
        table.add_column(c, justify="right")
    rows = [(v["config"]["name"], v) for v in report["variants"]]
    if "baseline" in report:
        rows.append((report["baseline"]["name"], report["baseline"]))
    for name, v in rows:
        m, t = v["metrics"], v.get("timings", {})
        cells = [f"{m[c]:.3f}" for c in columns]
        table.add_row(
            name,
            *cells,
            *(f"{t[k]:.1f}" if k in t else "-" for k in ("search_p50_ms", "search_p95_ms")),
        )
    out.print(table)


answers = typer.Typer(no_args_is_help=True, add_completion=False, help="Answer quality.")
app.add_typer(answers, name="answers")
Unanswerable = Annotated[
    Path | None,
    typer.Option(help="Questions the corpus cannot answer (either layout), for abstention."),
]
Limit = Annotated[int | None, typer.Option(help="Ask only this many questions (spread out).")]
Mode = Annotated[str, typer.Option(help="generate or extract.")]


def _answer_run(
    dataset: str,
    collection: str | None,
    build: Build,
    items: list[answers_eval.Item],
    unanswerable: list[answers_eval.Item],
    mode: str,
    as_json: bool,
    details: Path | None,
) -> None:
    settings = Settings()
    emb = _embedder(settings)
    with _store(settings, collection) as (store, name):
        coll = collection_for(store, name, emb)
        build(coll, Variant("default", settings))
        gen = wiring.generator(settings) if mode == "generate" else None
        answerer = wiring.answerer(settings, coll, emb, gen)
        t0 = time.perf_counter()
        report = answers_eval.evaluate(answerer, items, unanswerable, dataset, mode)
    questions = report.pop("questions")
    assert isinstance(questions, list)
    if details is not None:
        _write_lines(details, questions)
    report = {
        "dataset": dataset,
        "n_questions": len(items),
        **report,
        "config": {
            "mode": mode,
            "generator": settings.generator.model,
            "backend": settings.generator.backend,
        },
        "timings": {"eval_s": time.perf_counter() - t0},
    }
    if as_json:
        print_json(report)
        return
    table = Table(title=f"{dataset}: {len(items)} questions, {len(unanswerable)} unanswerable")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in report["metrics"].items():  # type: ignore[attr-defined]
        table.add_row(key, f"{value:.3f}")
    out.print(table)


@answers.command("emanual")
@friendly_errors
def answers_emanual(
    corpus: Annotated[Path, typer.Option(help="Sections JSONL.")],
    questions: Annotated[Path, typer.Option(help="Questions JSONL with answers.")],
    unanswerable: Unanswerable = None,
    collection: CollectionOpt = None,
    limit: Limit = None,
    mode: Mode = "generate",
    as_json: AsJson = False,
    details: Details = None,
) -> None:
    """Token F1 and ROUGE-L against the gold answers, citation precision, abstention."""
    items = answers_eval.every(answers_eval.emanual_items(questions), limit)
    bad = (
        []
        if unanswerable is None
        else answers_eval.every(answers_eval.load_any(unanswerable), limit)
    )
    docs = list(emanual.documents(corpus))

    def build(coll: Collection, v: Variant) -> None:
        emb = _embedder(v.settings)
        index_documents(
            coll,
            emb,
            chunker_for(v.settings, emb),
            v.settings,
            docs,
            for_stream(sys.stderr, quiet=as_json),
        )

    _answer_run("emanual", collection, build, items, bad, mode, as_json, details)


@answers.command("cuad")
@friendly_errors
def answers_cuad(
    contracts: Annotated[Path, typer.Option(help="Folder of contract .txt files.")],
    questions: Annotated[Path, typer.Option(help="Questions JSON (LegalBench-RAG format).")],
    unanswerable: Unanswerable = None,
    collection: CollectionOpt = None,
    limit: Limit = None,
    mode: Mode = "generate",
    as_json: AsJson = False,
    details: Details = None,
) -> None:
    """Normalised match of short answers (Yes/No, dates, places), citation precision."""
    files = _contracts(contracts)
    names = {f.name for f in files}
    items = answers_eval.every(
        _asked_of(answers_eval.cuad_items(questions, names), questions, contracts), limit
    )
    bad = (
        []
        if unanswerable is None
        else answers_eval.every(answers_eval.load_any(unanswerable), limit)
    )

    build = _contracts_build(files, contracts, as_json)
    _answer_run("cuad", collection, build, items, bad, mode, as_json, details)

"""The `ingest` command: keep a collection in step with a set of files."""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from ingest.chunk import Chunker
from ingest.pipeline import FileResult, Ingestor, Labels, RunSummary, document_id, dry_run
from ingest.progress import for_stream
from rag import wiring
from rag.console import data_row, display_path, err, friendly_errors, out, print_json
from rag.errors import CollectionLocked, ConfigError, DocumentNotFound, SabioError
from rag.keys import check_groups
from rag.settings import Settings
from rag.store import Collection as StoredCollection
from rag.writer import open_writer

app = typer.Typer(no_args_is_help=True, add_completion=False)

CollectionOpt = Annotated[str, typer.Option("--collection", "-c", help="Collection name.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


@app.callback()
def _main() -> None:
    """Index documents into a collection, incrementally."""


@app.command()
@friendly_errors
def run(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to index.")],
    collection: CollectionOpt,
    keep_missing: Annotated[
        bool, typer.Option(help="Keep documents whose files are gone from PATHS.")
    ] = False,
    dry: Annotated[bool, typer.Option("--dry-run", help="Only say what would change.")] = False,
    wait: Annotated[
        float, typer.Option(help="Seconds to wait for another writer of this collection.")
    ] = 0.0,
    acl_group: Annotated[
        list[str] | None,
        typer.Option(
            "--acl-group",
            help="Only keys of this group may see these documents (repeat for several). "
            "Without it, documents keep the groups they have; new ones get none.",
        ),
    ] = None,
    public: Annotated[
        bool, typer.Option("--public", help="Remove the ACL groups of these documents.")
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Add new files, re-index changed ones, delete vanished ones; skip the rest."""
    labels = _labels(acl_group, public)
    if not any(p.exists() for p in paths):  # a typo must not leave an empty collection
        given = ", ".join(str(p) for p in paths)
        raise ConfigError(f"Nothing to ingest: no such file or folder: {given}")
    settings = Settings()
    store = wiring.store(settings)
    emb = wiring.embedder(settings)
    chunker = Chunker(emb.tokenizer, wiring.chunk_settings(settings, emb.max_tokens))
    if dry:
        catalog = None
        if store.exists(collection):
            catalog = store.require(collection).catalog()
        max_bytes = int(settings.ingest.max_file_mb * 2**20)
        summary = dry_run(
            catalog, collection, paths, chunker, keep_missing, max_bytes, settings.index_dir
        )
    else:
        coll = store.open_or_create(collection, emb.model_id, emb.dim)
        progress = for_stream(sys.stderr, quiet=as_json)
        summary = Ingestor(coll, emb, chunker, settings.ingest, progress).run(
            paths, keep_missing=keep_missing, wait_s=wait, labels=labels
        )
    if as_json:
        print_json(summary.to_json())
    else:
        _print_summary(summary)
    if not summary.ok:
        raise typer.Exit(1)


def _labels(groups: list[str] | None, public: bool) -> Labels:
    if public and groups:
        raise ConfigError("Pass either --acl-group or --public, not both.")
    if public:
        return Labels(groups=())
    return Labels(groups=None if not groups else check_groups(groups))


def _notes(r: FileResult) -> str:
    moved = [] if r.moved_from is None else [f"moved from {display_path(r.moved_from)}"]
    return f"[yellow]{escape('; '.join([*moved, *r.diagnostics]))}[/]"


def _print_summary(summary: RunSummary) -> None:
    verb = "would be " if summary.dry_run else ""
    table = Table(title=f"ingest {'--dry-run ' if summary.dry_run else ''}{summary.collection}")
    for col in ("file", "status", "pages", "chunks", "embedded", "seconds", "error / notes"):
        table.add_column(
            col,
            overflow="fold",
            justify="right" if col in ("pages", "chunks", "embedded", "seconds") else "left",
        )
    colour = {
        "failed": "red",
        "added": "green",
        "updated": "cyan",
        "moved": "blue",
        "deleted": "magenta",
    }
    for r in sorted(summary.results, key=lambda r: (r.status != "failed", r.source)):
        style = colour.get(r.status, "")
        table.add_row(
            escape(display_path(r.source)),
            f"[{style}]{verb}{r.status}[/]" if style else verb + r.status,
            "-" if r.pages is None else str(r.pages),
            str(r.chunks),
            str(r.embedded),
            f"{r.seconds:.2f}",
            escape(r.error) if r.error else _notes(r),
        )
    out.print(table)
    counts = ", ".join(f"{n} {s}" for s, n in summary.counts().items())
    tail = (
        ""
        if summary.dry_run
        else (f"; {summary.chunks_embedded} chunks embedded in {summary.seconds:.1f}s")
    )
    out.print(f"{counts}{tail}")


@app.command()
@friendly_errors
def status(
    collection: Annotated[str | None, typer.Option("--collection", "-c")] = None,
    as_json: AsJson = False,
) -> None:
    """What a collection holds, which embedder built it, and its recent runs."""
    settings = Settings()
    store = wiring.store(settings)
    if collection is not None:
        report = [_status(settings, collection)]
    else:  # one damaged collection must not hide the others
        report = [_status_or_error(settings, name) for name in store.names()]
    if as_json:
        print_json(report if collection is None else report[0])
    elif not report:
        out.print(f"No collections in {settings.index_dir}. Create one: ingest run PATH -c NAME")
    for r in [] if as_json else report:
        if "error" in r:
            out.print(f"[bold]{escape(r['collection'])}[/]  [red]{escape(r['error'])}[/]")
            continue
        out.print(
            f"[bold]{r['collection']}[/]  {r['documents']} documents, {r['chunks']} chunks, "
            f"generation {r['generation']}, embedder {r['embedder']} ({r['dim']}-d)"
            + ("  [yellow]writer active[/]" if r["writer_active"] else "")
        )
        for job in r["jobs"]:
            out.print(
                f"   job {job['id']}: {job['status']}, started {job['started']}, {job['summary']}"
            )
    if any("error" in r for r in report):
        raise typer.Exit(1)


def _status_or_error(settings: Settings, name: str) -> dict[str, Any]:
    try:
        return _status(settings, name)
    except SabioError as exc:
        return {"collection": name, "error": str(exc)}


def _status(settings: Settings, name: str) -> dict[str, Any]:
    coll = wiring.store(settings).require(name)
    catalog = coll.catalog()
    try:
        with coll.lock(wait_s=0):
            active = False
    except CollectionLocked:
        active = True
    jobs = []
    recent = catalog.jobs()
    finished = [j["id"] for j in recent if j["status"].startswith("done")]
    for j in recent:
        state = j["status"]
        if state == "running" and not active:
            later = any(i > j["id"] for i in finished)
            done = "a later run finished the job" if later else "the next run finishes the job"
            state = f"interrupted ({done})"
        jobs.append(
            {
                "id": j["id"],
                "status": state,
                "summary": j["summary"] or "",
                "started": datetime.fromtimestamp(j["started_at"]).isoformat(timespec="seconds"),
            }
        )
    return {
        "collection": name,
        **catalog.counts(),
        "generation": catalog.generation(),
        "embedder": coll.manifest.embedder,
        "dim": coll.manifest.dim,
        "writer_active": active,
        "jobs": jobs,
        "folder": str(coll.folder),
    }


@app.command("ls")
@friendly_errors
def ls(collection: CollectionOpt, as_json: AsJson = False) -> None:
    """List the documents of a collection."""
    settings = Settings()
    coll = _existing(settings, collection)
    catalog = coll.catalog()
    docs = catalog.documents(collection)
    groups = catalog.acl_groups()
    if as_json:
        print_json(
            [
                {
                    "id": d.id,
                    "source": d.source,
                    "title": d.title,
                    "format": d.format,
                    "pages": d.pages,
                    "chunks": d.n_chunks,
                    "version": d.version,
                    "sha256": d.sha256,
                    "indexed_at": d.indexed_at,
                    "acl_groups": list(groups.get(d.id, ())),
                    "metadata": d.metadata,
                    "diagnostics": list(d.diagnostics),
                }
                for d in docs
            ]
        )
        return
    table = Table(title=f"{collection}: {len(docs)} documents")
    for col in ("id", "file", "format", "pages", "chunks", "version", "groups", "notes"):
        table.add_column(col, overflow="fold")
    for d in docs:
        notes = f"{len(d.diagnostics)} diagnostics" if d.diagnostics else ""
        data_row(
            table,
            d.id,
            display_path(d.source),
            d.format,
            str(d.pages or "-"),
            str(d.n_chunks),
            str(d.version),
            ", ".join(groups.get(d.id, ())) or "-",
            notes,
        )
    out.print(table)


@app.command("rm")
@friendly_errors
def rm(
    targets: Annotated[list[str] | None, typer.Argument(help="Document ids or paths.")] = None,
    collection: CollectionOpt = "",
    everything: Annotated[bool, typer.Option("--all", help="Delete the whole collection.")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask before --all.")] = False,
    wait: Annotated[float, typer.Option(help="Seconds to wait for another writer.")] = 0.0,
) -> None:
    """Remove documents (by id or path) from a collection, or the whole collection."""
    settings = Settings()
    if everything:  # without opening it: a damaged collection can be deleted too
        if not yes and not typer.confirm(f"Delete collection {collection!r} and its index?"):
            raise typer.Exit(1)
        wiring.store(settings).delete(collection)
        out.print(f"Deleted collection {collection!r}.")
        return
    coll = _existing(settings, collection)
    if not targets:
        raise ConfigError("Name the documents to remove (ids or paths), or pass --all.")
    with open_writer(coll, wait) as writer:
        stored = writer.catalog.stored_files()
        by_id = {document_id(src): f for src, f in stored.items()}
        chosen = {}
        for t in targets:
            path = os.path.abspath(t)  # as `ingest run` stores it: links not resolved
            hits = [
                f
                for src, f in stored.items()
                if src == path or src.startswith(path.rstrip("/") + "/")
            ]
            hits += [by_id[t]] if t in by_id else []
            if not hits:
                raise DocumentNotFound(
                    f"No document {t!r} in {collection!r}; see: ingest ls -c {collection}"
                )
            chosen.update({f.source: f for f in hits})
        for f in chosen.values():
            writer.delete(f)
        writer.commit()
    for src in sorted(chosen):
        out.print(f"removed {escape(display_path(src))}", highlight=False)


def _existing(settings: Settings, name: str) -> StoredCollection:
    if not name:
        raise ConfigError("Pass --collection NAME.")
    return wiring.store(settings).require(name)


if __name__ == "__main__":
    err.print("use the `ingest` command")

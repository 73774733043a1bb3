"""The `rag` command: search, ask, eval, serve and keys."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from rag import wiring
from rag.answer import Answer, answer_json
from rag.console import data_row, display_path, err, friendly_errors, out, print_json
from rag.errors import ConfigError
from rag.settings import Settings
from rag.store import Collection as StoredCollection
from rag.text import wordless
from rag.types import Hit

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)

Collection = Annotated[str, typer.Option("--collection", "-c", help="Collection to use.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


@app.callback()
def _main() -> None:
    """Grounded answers from your own documents."""


@app.command()
@friendly_errors
def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    collection: Collection,
    k: Annotated[int, typer.Option("-k", min=1, max=100, help="Number of hits (1 to 100).")] = 10,
    mode: Annotated[str | None, typer.Option(help="hybrid, dense, bm25 or lexical.")] = None,
    as_json: AsJson = False,
) -> None:
    """Hybrid search: FAISS dense + SQLite FTS5 BM25 over chunks and sections, fused."""
    if not query.strip():
        raise ConfigError("The query is empty: give some words to search for.")
    if wordless(query):
        raise ConfigError(f"The query {query.strip()!r} has no words: give some to search for.")
    if mode is not None and mode not in ("hybrid", "dense", "bm25", "lexical"):
        raise ConfigError(f"Unknown mode {mode!r}: use hybrid, dense, bm25 or lexical.")
    settings = Settings()
    emb = wiring.embedder(settings)
    coll = wiring.open_collection(settings, collection, emb)
    result = wiring.searcher(settings, coll, emb, mode).search(query, k)
    if as_json:
        print_json(
            {
                "query": query,
                "collection": collection,
                "generation": result.generation,
                "timings_ms": {k: round(v * 1000, 2) for k, v in result.timings.items()},
                "hits": [hit_json(h) for h in result.hits],
            }
        )
        return
    if not result.hits:
        found = f"No passages in {collection!r} match {query!r}."
        out.print(escape(found + _if_empty(coll, collection)), highlight=False)
        return
    table = Table(show_lines=True)
    for col in ("#", "file", "page", "section", "score", "passage"):
        table.add_column(col, overflow="fold")
    for i, h in enumerate(result.hits, start=1):
        data_row(
            table,
            str(i),
            display_path(h.source),
            _pages(h),
            " > ".join(h.chunk.heading_path),
            f"{h.score:.4f}",
            snippet(h.chunk.text),
        )
    out.print(table)


@app.command()
@friendly_errors
def ask(
    question: Annotated[str, typer.Argument(help="The question.")],
    collection: Collection,
    mode: Annotated[str | None, typer.Option(help="generate (SLM) or extract (verbatim).")] = None,
    as_json: AsJson = False,
) -> None:
    """A short answer whose every sentence cites the passage it comes from, or an honest
    'I could not find this in the documents.'"""
    if not question.strip():
        raise ConfigError("The question is empty.")
    if wordless(question):
        raise ConfigError(f"The question {question.strip()!r} has no words: ask it in words.")
    settings = Settings()
    mode = settings.answer.mode if mode is None else mode
    if mode not in ("generate", "extract"):
        raise ConfigError(f"Unknown mode {mode!r}: use generate or extract.")
    emb = wiring.embedder(settings)
    coll = wiring.open_collection(settings, collection, emb)
    gen = wiring.generator(settings) if mode == "generate" else None
    answerer = wiring.answerer(settings, coll, emb, gen)
    final: Answer | None = None
    streamed = False
    for event in answerer.stream(question, mode):
        if event.kind == "token" and not as_json:
            if not streamed:
                err.print("[dim]draft:[/] ", end="")
            err.print(event.token, end="", markup=False, highlight=False)
            streamed = True
        elif event.kind == "answer":
            final = event.answer
    assert final is not None
    if streamed:
        err.print()
    if as_json:
        print_json(answer_json(final))
        return
    _print_answer(final)
    if not final.sources:
        out.print(escape(_if_empty(coll, collection).strip()), highlight=False)


def _if_empty(coll: StoredCollection, name: str) -> str:
    """Why nothing matched, when the reason is that there is nothing to match."""
    if coll.catalog().document_count():
        return ""
    return f" The collection holds no documents yet: add some with ingest run PATH... -c {name}"


def _print_answer(a: Answer) -> None:
    style = "yellow" if a.abstained else "bold"
    out.print(f"[{style}]{escape(a.text)}[/]", highlight=False)
    if a.abstained:
        # Escaped: the reason may quote the question ('no document here is "the [x] manual"').
        out.print(f"[dim]({escape(a.reason)})[/]", highlight=False)
    elif not a.supported:
        out.print("[yellow]Sentences the sources did not support were removed.[/]")
    if not a.sources:
        return
    cited = {c.n for s in a.sentences for c in s.citations}
    table = Table(title="Closest passages" if a.abstained else "Sources", show_lines=True)
    for col in ("#", "file", "page", "section", "quote"):
        table.add_column(col, overflow="fold")
    for s in a.sources:
        if a.abstained or s.n in cited:
            quote = next((c.quote for x in a.sentences for c in x.citations if c.n == s.n), s.text)
            c = s.hit.chunk
            page = "-" if c.page_start is None else str(c.page_start)
            data_row(
                table,
                str(s.n),
                display_path(s.hit.source),
                page,
                " > ".join(c.heading_path),
                snippet(quote, 400),
            )
    out.print(table)


def hit_json(h: Hit) -> dict[str, object]:
    c = h.chunk
    return {
        "source": h.source,
        "title": h.title,
        "document_id": c.document_id,
        "chunk_id": c.id,
        "page_start": c.page_start,
        "page_end": c.page_end,
        "heading_path": list(c.heading_path),
        "start": c.start,
        "end": c.end,
        "score": h.score,
        "retriever": h.retriever,
        "ranks": h.ranks,
        "text": c.text,
    }


def snippet(text: str, limit: int = 240) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rsplit(" ", 1)[0] + " …"


def _pages(h: Hit) -> str:
    a, b = h.chunk.page_start, h.chunk.page_end
    if a is None:
        return "-"
    return str(a) if a == b else f"{a}-{b}"

"""`rag serve` and `rag keys`: composed into the `rag` command by sabio/cli.py."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from rag import wiring
from rag.console import data_row, err, friendly_errors, out, print_json
from rag.keys import KeyStore
from rag.settings import Settings

keys_app = typer.Typer(no_args_is_help=True, add_completion=False, help="Manage API keys.")


@friendly_errors
def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on [SABIO_API__HOST].")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port [SABIO_API__PORT].")] = None,
    workers: Annotated[
        int | None, typer.Option(help="Processes, each with its own models [SABIO_API__WORKERS].")
    ] = None,
) -> None:
    """Serve the HTTP API and the web page."""
    import uvicorn

    settings = Settings()
    wiring.check_models(settings)
    api = settings.api
    host = api.host if host is None else host
    port = api.port if port is None else port
    workers = api.workers if workers is None else workers
    shown = f"[{host}]" if ":" in host else host
    err.print(f"sabio: loading models, then serving on [bold]http://{shown}:{port}/[/]")
    # An import string and a factory, so that every worker process builds its own app (and
    # reads the settings itself).
    uvicorn.run(
        "api.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        # Longer than uvicorn's 5 s: a client that waits out a 429's Retry-After (5 s) or polls
        # a job should find its connection still open, not race the server closing it.
        timeout_keep_alive=api.keep_alive_s,
    )


def _keys_file(index: Path | None = None) -> Path:
    return (Settings().index_dir if index is None else index) / "keys.sqlite"


def _store() -> KeyStore:
    return KeyStore(_keys_file())


@keys_app.command("create")
@friendly_errors
def create(
    name: Annotated[str, typer.Option("--name", help="Who or what uses the key.")],
    role: Annotated[str, typer.Option("--role", help="reader, editor or admin.")] = "reader",
    collection: Annotated[
        list[str] | None,
        typer.Option("--collection", "-c", help="A collection it may use (repeat), or '*'."),
    ] = None,
    group: Annotated[
        list[str] | None, typer.Option("--group", "-g", help="An ACL group it holds (repeat).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Create a key. It is printed once and never stored: keep it now."""
    index = Settings().index_dir
    key, secret = KeyStore(_keys_file(index)).create(name, role, collection or [], group or [])
    unknown = [c for c in key.collections if c != "*" and not (index / c).is_dir()]
    if unknown:  # allowed (a key may come before its collection), but maybe a typo
        err.print(escape(f"note: no collection named {', '.join(unknown)} in {index} yet"))
    if as_json:
        print_json({"id": key.id, "key": secret, "name": key.name, "role": key.role.value})
        return
    out.print(escape(f"created {key.id} ({key.role.value}) for {key.name!r}"), highlight=False)
    out.print(f"key: [bold]{secret}[/]", highlight=False)
    err.print("[yellow]This is the only time the key is shown.[/]")


@keys_app.command("list")
@friendly_errors
def list_keys(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every key (never the secrets)."""
    # Reading creates nothing: no keys file yet means no keys.
    keys = _store().list() if _keys_file().exists() else []
    if as_json:
        print_json(
            [
                {
                    "id": k.id,
                    "name": k.name,
                    "role": k.role.value,
                    "collections": list(k.collections),
                    "groups": list(k.groups),
                    "created_at": k.created_at,
                    "revoked": k.revoked_at is not None,
                }
                for k in keys
            ]
        )
        return
    table = Table(title=f"{len(keys)} keys")
    for col in ("id", "name", "role", "collections", "groups", "state"):
        table.add_column(col, overflow="fold")
    for k in keys:
        state = "revoked" if k.revoked_at is not None else "active"
        data_row(
            table, k.id, k.name, k.role.value, ", ".join(k.collections), ", ".join(k.groups), state
        )
    out.print(table)


@keys_app.command("revoke")
@friendly_errors
def revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id (see rag keys list).")],
) -> None:
    """Revoke a key: it stops working at once, also in a running server."""
    key = _store().revoke(key_id)
    out.print(escape(f"revoked {key.id} ({key.name!r})"), highlight=False)

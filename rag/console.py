"""Shared CLI plumbing: one way to print, one way to fail."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from rag.errors import SabioError

out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])


def friendly_errors(fn: F) -> F:
    """Turn SabioError into a one-line message and its exit code, never a traceback. With
    --json, stdout gets the error too, as one object: a script reading it gets JSON either way."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SabioError as exc:
            # Escaped: a message quoting a path or a layout ("[start, end]") is not markup.
            err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
            if kwargs.get("as_json"):
                print_json({"error": {"type": type(exc).__name__, "message": str(exc)}})
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            err.print("[yellow]interrupted[/]: what was committed is kept; run again to finish.")
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


def data_row(table: Table, *cells: str) -> None:
    """A table row of data: file names, headings, passages and names are shown as they are,
    never read as markup ("report [draft].pdf", a contract's "[/]" would vanish or fail)."""
    table.add_row(*(Text(c) for c in cells))


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def display_path(source: str) -> str:
    """A source path relative to the working folder when it lies under it."""
    cwd = os.getcwd()
    return os.path.relpath(source, cwd) if source.startswith(cwd + os.sep) else source

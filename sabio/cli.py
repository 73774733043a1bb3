"""Entry point of the `rag` console script."""

from __future__ import annotations

from api.cli import keys_app, serve
from evals.cli import app as eval_app
from rag.cli import app

app.add_typer(eval_app, name="eval")
app.command()(serve)
app.add_typer(keys_app, name="keys")

__all__ = ["app"]

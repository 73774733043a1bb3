"""Entry point of the `rag` console script."""

from __future__ import annotations

from evals.cli import app as eval_app
from rag.cli import app

app.add_typer(eval_app, name="eval")

__all__ = ["app"]

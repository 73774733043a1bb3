"""Evaluation on public datasets: builds collections through the write path, scores the read path.

Imports both `rag` and `ingest` (like `api`); nothing imports it but the CLIs, bench/ and tests.
"""

import rag  # noqa: F401  (offline environment first)

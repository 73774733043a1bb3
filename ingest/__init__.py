"""sabio's write path: parse -> chunk -> embed -> store, incrementally."""

import rag  # noqa: F401  (sets the offline environment before any model library loads)

"""The `rag` command, composed from the packages it fronts.

`rag search` lives in `rag`, `rag eval` in `evals` (which uses the write path), `rag serve`
will live in `api`. `rag` the library must not import `ingest` or `api`, so the command that
gathers them all sits above both.
"""

"""The HTTP API: FastAPI over the rag library and the ingest write path (never the reverse)."""

#!/usr/bin/env bash
# Set up .venv, index the sample documents into two collections, search each one, ask each a
# question (a short answer from the packaged SLM whose every sentence cites its source), then
# serve both collections over HTTP with the web page, on 127.0.0.1 (Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export SABIO_INDEX_DIR=${SABIO_INDEX_DIR:-indexes}

.venv/bin/ingest run sample_docs/manuals --collection manuals
.venv/bin/ingest run sample_docs/contracts --collection contracts

.venv/bin/rag search "How do I share my phone's battery with my Galaxy Watch?" --collection manuals -k 3
.venv/bin/rag search "Which state's law governs the agreement?" --collection contracts -k 3

.venv/bin/rag ask "How do I share my phone's battery with my Galaxy Watch?" --collection manuals
.venv/bin/rag ask "Which state's law governs the Sykes outsourcing agreement?" --collection contracts

# A key for the web page: printed once (older quickstart keys: rag keys list / rag keys revoke).
echo
.venv/bin/rag keys create --name quickstart --role admin --collection '*'
port=${SABIO_API__PORT:-8000}
echo "Open http://127.0.0.1:${port}/ and paste the key above."
exec .venv/bin/rag serve

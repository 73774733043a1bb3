#!/usr/bin/env bash
# Set up .venv, index the sample documents into two collections, and search each one.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export SABIO_INDEX_DIR=${SABIO_INDEX_DIR:-indexes}

.venv/bin/ingest run sample_docs/manuals --collection manuals
.venv/bin/ingest run sample_docs/contracts --collection contracts

.venv/bin/rag search "How do I share my phone's battery with my Galaxy Watch?" --collection manuals -k 3
.venv/bin/rag search "Which state's law governs the agreement?" --collection contracts -k 3

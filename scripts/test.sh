#!/usr/bin/env bash
# Set up .venv and run every test tier: unit, integration (real models and files), slow (quality
# gates on ../shared/data). Extra arguments go to pytest, e.g. scripts/test.sh -m "not slow".
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --browser
exec .venv/bin/python -m pytest "$@"

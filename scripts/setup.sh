#!/usr/bin/env bash
# Creates .venv with everything sabio needs, offline-safe at run time. Idempotent: a second call
# only checks that the installed set matches pyproject.toml + constraints.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
    .venv/bin/pip install --quiet --upgrade pip
fi

stamp=.venv/.sabio-installed
want=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    exit 0
fi

# torch is pinned to the CPU wheel that lies on this disk; constraints.txt pins the rest so a
# looser spec elsewhere can never pull a multi-GB CUDA build.
.venv/bin/pip install --quiet -c constraints.txt -e '.[dev]'
# See the comment in pyproject.toml: only its modules are needed, never its models.
.venv/bin/pip install --quiet --no-deps unstructured-inference==1.6.14
echo "$want" > "$stamp"

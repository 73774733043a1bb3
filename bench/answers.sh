#!/usr/bin/env bash
# Answer figures of issue 4 with the default SLM (Qwen2.5-0.5B GGUF, llama.cpp) on the public
# sets: S10 and TV manual questions (with contract questions as the unanswerable set), CUAD
# contract questions (with S10 questions as the unanswerable set), and extract mode on S10: as a
# service runs it (sentence vectors cached across questions) and cold (no cache); then extract
# mode on TV and CUAD, with the same unanswerable sets.
# Writes bench/results/answers_{s10,tv,cuad,s10_extract,s10_extract_cold,tv_extract,cuad_extract}.json
# and prints them.
# Collections are kept in SABIO_INDEX_DIR (default indexes/) as *-eval, so a re-run only asks.
set -euo pipefail
cd "$(dirname "$0")/.."
D=../shared/data
R=bench/results
RAG=.venv/bin/rag

$RAG eval answers emanual --corpus $D/emanual/s10_corpus.jsonl --questions $D/emanual/s10_qa.jsonl \
    --unanswerable $D/cuad/questions_public.json --collection s10-eval --limit 50 --json > $R/answers_s10.json
$RAG eval answers emanual --corpus $D/emanual/tv_corpus.jsonl --questions $D/emanual/tv_qa_public.jsonl \
    --unanswerable $D/cuad/questions_public.json --collection tv-eval --limit 65 --json > $R/answers_tv.json
$RAG eval answers cuad --contracts $D/cuad/contracts_txt --questions $D/cuad/questions_public.json \
    --unanswerable $D/emanual/s10_qa.jsonl --collection cuad-eval --limit 60 --json > $R/answers_cuad.json
$RAG eval answers emanual --corpus $D/emanual/s10_corpus.jsonl --questions $D/emanual/s10_qa.jsonl \
    --unanswerable $D/cuad/questions_public.json --collection s10-eval --limit 50 --mode extract \
    --json > $R/answers_s10_extract.json
SABIO_ANSWER__SENTENCE_CACHE=0 $RAG eval answers emanual --corpus $D/emanual/s10_corpus.jsonl \
    --questions $D/emanual/s10_qa.jsonl --unanswerable $D/cuad/questions_public.json \
    --collection s10-eval --limit 50 --mode extract --json > $R/answers_s10_extract_cold.json
$RAG eval answers emanual --corpus $D/emanual/tv_corpus.jsonl --questions $D/emanual/tv_qa_public.jsonl \
    --unanswerable $D/cuad/questions_public.json --collection tv-eval --limit 65 --mode extract \
    --json > $R/answers_tv_extract.json
$RAG eval answers cuad --contracts $D/cuad/contracts_txt --questions $D/cuad/questions_public.json \
    --unanswerable $D/emanual/s10_qa.jsonl --collection cuad-eval --limit 60 --mode extract \
    --json > $R/answers_cuad_extract.json

.venv/bin/python - <<'PY'
import json
for name in ("s10", "tv", "cuad", "s10_extract", "s10_extract_cold", "tv_extract", "cuad_extract"):
    d = json.load(open(f"bench/results/answers_{name}.json"))
    print(f"{name} ({d['n_questions']} questions):")
    print("   " + "  ".join(f"{k} {v:.3f}" for k, v in d["metrics"].items()))
PY

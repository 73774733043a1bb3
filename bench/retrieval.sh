#!/usr/bin/env bash
# Retrieval figures of issue 3 on the public sets, each next to its alternatives in one run:
# the default (hybrid: dense + BM25 + section BM25, min-max fusion, document routing, dense
# feedback), then single retrievers, reciprocal-rank fusion, no feedback, no routing.
# Writes bench/results/retrieval_{cuad,s10,tv,scifact}.json and prints the tables.
# Collections are kept in SABIO_INDEX_DIR (default indexes/) as *-eval, so a re-run only searches.
set -euo pipefail
cd "$(dirname "$0")/.."
D=../shared/data
R=bench/results
RAG=.venv/bin/rag
common=(--config "" --config retrieval.mode=bm25 --config retrieval.mode=dense
        --config retrieval.fusion=rrf --config retrieval.feedback=0)

$RAG eval retrieval cuad --contracts $D/cuad/contracts_txt --questions $D/cuad/questions_public.json \
    --collection cuad-eval "${common[@]}" --config retrieval.route=false --json > $R/retrieval_cuad.json
$RAG eval retrieval emanual --corpus $D/emanual/s10_corpus.jsonl --questions $D/emanual/s10_qa.jsonl \
    --collection s10-eval "${common[@]}" --config chunking.max_tokens=128 --json > $R/retrieval_s10.json
$RAG eval retrieval emanual --corpus $D/emanual/tv_corpus.jsonl --questions $D/emanual/tv_qa_public.jsonl \
    --collection tv-eval "${common[@]}" --config chunking.max_tokens=128 --json > $R/retrieval_tv.json
$RAG eval retrieval beir --path $D/scifact --collection scifact-eval "${common[@]}" \
    --config embedder.backend=torch --json > $R/retrieval_scifact.json

.venv/bin/python - <<'PY'
import json
for name in ("cuad", "s10", "tv", "scifact"):
    d = json.load(open(f"bench/results/retrieval_{name}.json"))
    keys = {"cuad": ["recall@1", "recall@4", "recall@32", "recall@64", "precision@1", "precision@32"],
            "scifact": ["ndcg@10", "recall@100"]}.get(name, ["hit@1", "hit@3", "hit@5", "hit@10", "mrr"])
    print(f"\n{name}: {d['n_questions']} questions")
    rows = [(v["config"]["name"], v["metrics"], v.get("timings", {})) for v in d["variants"]]
    if "baseline" in d:
        rows.append((d["baseline"]["name"], d["baseline"]["metrics"], {}))
    print(f"{'config':<48}" + "".join(f"{k:>13}" for k in keys) + f"{'p50 ms':>9}{'p95 ms':>9}")
    for cfg, m, t in rows:
        lat = "".join(f"{t[k]:>9.1f}" if k in t else f"{'-':>9}" for k in ("search_p50_ms", "search_p95_ms"))
        print(f"{cfg:<48}" + "".join(f"{m[k]:>13.3f}" for k in keys) + lat)
PY

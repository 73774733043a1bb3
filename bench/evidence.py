"""Where the gold passage lands among an answer's numbered sources, by one answer setting
(`answer.retrieval_weight` unless `--setting` names another: `evidence_tokens`, `max_sources`,
`relative_relevance`).

A small model cites source [1] most often, so citation precision is bounded by how often the
gold passage is [1] (and, at best, by how often it is given at all). No model is run: only
retrieval and evidence selection, with the default SLM's tokenizer counting the budget. Uses
the *-eval collections that `bench/answers.sh` builds in SABIO_INDEX_DIR (default indexes/).

    .venv/bin/python bench/evidence.py [--setting retrieval_weight] [--values 0,0.3,0.6,1.0]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from evals import answers
from rag import wiring
from rag.settings import Settings

REPO = Path(__file__).resolve().parents[1]
D = REPO.parent / "shared" / "data"


def items(name: str) -> list[answers.Item]:
    if name == "cuad":
        names = {p.name for p in (D / "cuad" / "contracts_txt").glob("*.txt")}
        return answers.every(answers.cuad_items(D / "cuad" / "questions_public.json", names), 60)
    file = "s10_qa.jsonl" if name == "s10" else "tv_qa_public.jsonl"
    return answers.every(answers.emanual_items(D / "emanual" / file), 65)


def main() -> None:
    parser = argparse.ArgumentParser()
    fields = type(Settings().answer).model_fields
    parser.add_argument("--setting", default="retrieval_weight", choices=sorted(fields))
    parser.add_argument("--values", default="0,0.3,0.6,1.0")
    args = parser.parse_args()
    kind = int if fields[args.setting].annotation is int else float
    values = [kind(v) for v in args.values.split(",")]
    base = Settings()
    emb = wiring.embedder(base)
    gen = wiring.generator(base)  # its tokenizer counts the evidence budget
    print(f"{'set':<6}{args.setting:>20}{'gold is [1]':>13}{'gold given':>12}{'sources':>9}")
    for name in ("s10", "tv", "cuad"):
        coll = wiring.open_collection(base, f"{name}-eval", emb)
        asked = items(name)
        found = []
        searcher = wiring.searcher(base, coll, emb)
        for it in asked:
            result = searcher.search(it.question, base.answer.k)
            assert result.query is not None and result.query.vector is not None
            found.append((it, result))
        for v in values:
            s = base.model_copy(update={"answer": base.answer.model_copy(update={args.setting: v})})
            selector = wiring.answerer(s, coll, emb, gen).selector
            first = given = total = 0
            for it, result in found:
                q = result.query
                assert q is not None and q.vector is not None
                sources = selector.select(q.question, q.vector, result.hits)
                ok = [it.cited_ok(x.hit.source, x.start, x.end) for x in sources]
                first += bool(ok) and ok[0]
                given += any(ok)
                total += len(sources)
            n = len(found)
            print(f"{name:<6}{v:>20}{first / n:>13.3f}{given / n:>12.3f}{total / n:>9.2f}")


if __name__ == "__main__":
    main()

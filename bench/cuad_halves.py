"""CUAD recall@1 and @4 by category, on two halves of the public contracts, before and after a
change: how a rule written from one half's gold clauses holds on the other's questions.

The halves: the contracts the questions name, sorted by file name; even positions are half 0,
odd ones half 1. Reads two `--details` files of `rag eval retrieval cuad` (the default variant)
and prints the categories whose recall@1 moved.

    rag eval retrieval cuad --contracts DIR --questions Q.json --collection cuad-eval \\
        --config "" --no-baseline --details before.jsonl      # on the old code, then after.jsonl
    .venv/bin/python bench/cuad_halves.py Q.json before.jsonl after.jsonl [--all]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def _default_rows(path: Path) -> dict[str, dict[str, float]]:
    with path.open() as f:
        rows = [json.loads(line) for line in f]
    return {r["question"]: r for r in rows if r["variant"] == "default"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("questions", type=Path)
    ap.add_argument("before", type=Path)
    ap.add_argument("after", type=Path)
    ap.add_argument("--all", action="store_true", help="every category, moved or not")
    args = ap.parse_args()
    tests = json.loads(args.questions.read_text())["tests"]
    half = {f: i % 2 for i, f in enumerate(sorted({t["file_path"] for t in tests}))}
    category = {t["query"]: t["category"] for t in tests}
    side = {t["query"]: half[t["file_path"]] for t in tests}
    a, b = _default_rows(args.before), _default_rows(args.after)
    for k in ("recall@1", "recall@4", "recall@32"):
        print(
            f"{k} all {sum(r[k] for r in a.values()) / len(a):.3f} -> "
            f"{sum(r[k] for r in b.values()) / len(b):.3f}"
        )
    for cat in sorted(set(category.values())):
        asked = [q for q in a if category.get(q) == cat]
        moved = any(abs(b[q]["recall@1"] - a[q]["recall@1"]) > 1e-9 for q in asked)
        if not asked or not (moved or args.all):
            continue
        parts = []
        for h in (0, 1):
            qs = [q for q in asked if side[q] == h]
            if qs:
                r = [
                    f"@{k[-1]} {sum(a[q][k] for q in qs) / len(qs):.2f}"
                    f"->{sum(b[q][k] for q in qs) / len(qs):.2f}"
                    for k in ("recall@1", "recall@4")
                ]
                parts.append(f"half {h} n={len(qs)} " + " ".join(r))
        print(f"{cat:35} " + " | ".join(parts))


if __name__ == "__main__":
    main()

"""How much of each CUAD contract's text the PDF parser reads, against the .txt of the same
contract (CUAD's own text of the filing); see evals/pdf_text.py for the three figures:
coverage (text lost), noise (running lines kept, words run together), sentences whole
(sentences broken into paragraphs).

    .venv/bin/python bench/pdf_text.py [--data ../shared/data/cuad] [--details FILE.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from evals import pdf_text  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "cuad")
    parser.add_argument("--details", type=Path)
    args = parser.parse_args()
    start = time.perf_counter()
    rows = pdf_text.measure_all(args.data)
    seconds = time.perf_counter() - start
    if args.details:
        args.details.write_text(json.dumps(rows, indent=1))
    print(f"{len(rows)} CUAD PDFs parsed in {seconds:.0f} s")
    for key, value in pdf_text.means(rows).items():
        print(f"{key:<16} {value:.4f}")


if __name__ == "__main__":
    main()

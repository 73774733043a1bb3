"""Reading the dataset files of `rag eval`.

New question sets are dropped in as files, so every problem such a file can have (missing, not
JSON, an entry without a field, a field of the wrong type, no questions at all) ends in a
`DatasetError` that names the file, the line or entry, and the layout expected.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rag.errors import DatasetError

EMANUAL_CORPUS = 'one JSON object per line: {"id", "title", "text", "section_hierarchy"}'
EMANUAL_QUESTIONS = (
    'one JSON object per line: {"id", "question", "answer", "gold_section_ids": [...]}'
)
CUAD_QUESTIONS = (
    '{"tests": [{"query", "file_path", "snippets": [{"span": [start, end]}], "answer"}]}'
)
BEIR = (
    'a folder with corpus.jsonl ({"_id", "title", "text"}), queries.jsonl ({"_id", "text"}) '
    "and qrels/test.tsv (query-id, corpus-id, score)"
)


def existing(path: Path, layout: str) -> Path:
    if not path.exists():
        raise DatasetError(f"{path} does not exist (expected {layout}).")
    return path


def read_json(path: Path, layout: str) -> Any:
    try:
        return json.loads(existing(path, layout).read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path} is not JSON ({exc}); expected {layout}.") from exc


def read_jsonl(path: Path, layout: str) -> list[dict[str, Any]]:
    rows = []
    with existing(path, layout).open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            with entry(path, f"line {n}", layout):
                row = json.loads(line)
                if not isinstance(row, dict):
                    raise TypeError("not a JSON object")
                rows.append(row)
    return rows


@contextlib.contextmanager
def entry(path: Path, where: str, layout: str) -> Iterator[None]:
    """Reading one entry of a dataset file: a missing field or a wrong type is the file's
    fault, and the message says where."""
    try:
        yield
    except KeyError as exc:
        raise DatasetError(f"{path}, {where}: no field {exc}; expected {layout}.") from exc
    except (TypeError, ValueError, IndexError, SyntaxError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}, {where}: {exc}; expected {layout}.") from exc


def nonempty(items: list[Any], path: Path, layout: str) -> None:
    if not items:
        raise DatasetError(f"{path} holds no questions to ask (expected {layout}).")

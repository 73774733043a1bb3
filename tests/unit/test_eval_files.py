"""Dataset files of `rag eval` that are not in their layout fail with a message that says
where and what is expected, never a traceback from deep inside a loader."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals import answers, beir, cuad, emanual
from rag.errors import DatasetError


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_emanual_questions_load_and_count_those_without_gold(tmp_path: Path) -> None:
    rows = [
        {"id": "q1", "question": "How?", "answer": "Tap A.", "gold_section_ids": "['s:1']"},
        {"id": "q2", "question": "Why?", "answer": "", "gold_section_ids": []},
    ]
    path = _write(tmp_path / "qa.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n\n")
    qs, missing = emanual.load_questions(path)
    assert [(q.id, q.gold) for q in qs] == [("q1", ("s:1",))] and missing == 1
    assert [i.gold for i in answers.emanual_items(path)] == ["Tap A."]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('{"id": "q1", "question": "How?", "gold_section_ids": ["s:1"]}\n{"id": \n', "line 2"),
        ('{"id": "q1", "question": "How?", "gold_section_ids": ["s:1"]}\n[1, 2]\n', "line 2"),
        ('{"id": "q1", "gold_section_ids": ["s:1"]}\n', "question 1: no field 'question'"),
        ('{"id": "q1", "question": "How?", "gold_section_ids": "[oops"}\n', "question 1"),
        ('{"id": "q1", "question": "How?"}\n', "holds no questions"),
    ],
)
def test_bad_emanual_questions(tmp_path: Path, text: str, where: str) -> None:
    path = _write(tmp_path / "qa.jsonl", text)
    with pytest.raises(DatasetError, match="gold_section_ids") as caught:
        emanual.load_questions(path)
    assert str(path) in str(caught.value) and where in str(caught.value)


def test_bad_emanual_corpus(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="does not exist"):
        list(emanual.documents(tmp_path / "none.jsonl"))
    path = _write(tmp_path / "c.jsonl", '{"title": "T", "text": "x"}\n')
    with pytest.raises(DatasetError, match=r"no field 'id'.*\"section_hierarchy\""):
        list(emanual.documents(path))


def test_cuad_questions_and_their_answers(tmp_path: Path) -> None:
    test = {"query": "Q?", "file_path": "d/a.txt", "snippets": [{"span": [3, 9]}]}
    path = _write(tmp_path / "q.json", json.dumps({"tests": [{**test, "answer": "Yes"}]}))
    ((q, answer),) = cuad.load_tests(path)
    assert (q.file, q.gold, answer) == ("a.txt", ((3, 9),), "Yes")
    assert answers.cuad_items(path, {"b.txt"}) == []


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ("[]", "the top level: not a JSON object"),
        ('{"tests": 3}', '"tests" is not a list'),
        ('{"tests": []}', "holds no questions"),
        ('{"tests": [{"query": "Q?", "file_path": "a.txt"}]}', "test 1: no field 'snippets'"),
        (
            '{"tests": [{"query": "Q?", "file_path": "a.txt", "snippets": [{"span": [1]}]}]}',
            "test 1",
        ),
        ('{"tests": [{"query": " ", "file_path": "a.txt", "snippets": []}]}', "query is empty"),
        ("{not json", "is not JSON"),
    ],
)
def test_bad_cuad_questions(tmp_path: Path, data: str, where: str) -> None:
    path = _write(tmp_path / "q.json", data)
    with pytest.raises(DatasetError, match=r"\[start, end\]") as caught:
        cuad.load_questions(path)
    assert where in str(caught.value)


def test_beir_layout(tmp_path: Path) -> None:
    _write(tmp_path / "corpus.jsonl", '{"_id": "d1", "title": "T", "text": "x"}\n')
    _write(tmp_path / "queries.jsonl", '{"_id": "q1", "text": "x?"}\n{"_id": "q2", "text": "y"}\n')
    with pytest.raises(DatasetError, match=r"qrels/test.tsv does not exist"):
        beir.load(tmp_path)
    qrels = _write(tmp_path / "qrels" / "test.tsv", "query-id\tcorpus-id\tscore\nq1\td1\tone\n")
    with pytest.raises(DatasetError, match=r"test\.tsv, line 2"):
        beir.load(tmp_path)
    qrels.write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\n")
    data = beir.load(tmp_path)
    assert data.queries == {"q1": "x?"} and data.qrels == {"q1": {"d1": 1}}

"""Bad requests get clear JSON 4xx errors in one shape; failures inside an answer too."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import World

QUERY = "/v1/collections/manuals/query"
SEARCH = "/v1/collections/manuals/search"


def _error(r, status: int, kind: str) -> str:  # type: ignore[no-untyped-def]
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"type", "message"}
    assert body["error"]["type"] == kind
    return str(body["error"]["message"])


def test_malformed_json_is_422_in_our_shape(world: World) -> None:
    headers = {**world.auth("admin"), "content-type": "application/json"}
    r = world.client.post(QUERY, content=b'{"question": "pump', headers=headers)
    assert "not valid JSON" in _error(r, 422, "InvalidRequest")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"question": ""},
        {"question": "   \n"},
        {"question": " ?! "},  # nothing to search for
        {"question": "pump?", "mode": "poem"},
        {"question": 3},
    ],
)
def test_bad_questions_are_422(world: World, body: dict) -> None:
    _error(world.client.post(QUERY, json=body, headers=world.auth("admin")), 422, "InvalidRequest")


def test_over_long_questions_are_422(world: World) -> None:
    limit = world.settings.api.max_question_chars
    for stream in (False, True):
        body = {"question": "pump " * (limit // 5 + 1), "stream": stream}
        r = world.client.post(QUERY, json=body, headers=world.auth("admin"))
        assert str(limit) in _error(r, 422, "InvalidRequest")
    chat = {"model": "manuals", "messages": [{"role": "user", "content": "x" * (limit + 1)}]}
    r = world.client.post("/v1/chat/completions", json=chat, headers=world.auth("admin"))
    _error(r, 422, "InvalidRequest")


def test_questions_the_model_cannot_take_are_422(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Within the character limit, but more tokens than fit the model's context beside its
    sources: a clear 422 before queueing, not a 500 from the model (streamed or not)."""
    monkeypatch.setattr(world.settings.answer, "max_question_tokens", 8)
    question = "How do I prime the pump before the first start of the season?"
    for stream in (False, True):
        r = world.client.post(
            QUERY, json={"question": question, "stream": stream}, headers=world.auth("admin")
        )
        assert "13 tokens long" in _error(r, 422, "QuestionTooLong")
    extract = {"question": question, "mode": "extract"}  # no model: no limit
    assert world.client.post(QUERY, json=extract, headers=world.auth("admin")).status_code == 200


@pytest.mark.parametrize(
    "body",
    [{"query": ""}, {"query": "..."}, {"query": "pump", "k": 0}, {"query": "pump", "k": 10_000}],
)
def test_bad_searches_are_422(world: World, body: dict) -> None:
    _error(world.client.post(SEARCH, json=body, headers=world.auth("admin")), 422, "InvalidRequest")


def test_unknown_collections_are_404_everywhere(world: World) -> None:
    admin = world.auth("admin")
    ask = {"question": "pump?"}
    _error(
        world.client.post("/v1/collections/nope/query", json=ask, headers=admin),
        404,
        "CollectionNotFound",
    )
    _error(
        world.client.post("/v1/collections/nope/search", json={"query": "x"}, headers=admin),
        404,
        "CollectionNotFound",
    )
    chat = {"model": "nope", "messages": [{"role": "user", "content": "pump?"}]}
    _error(
        world.client.post("/v1/chat/completions", json=chat, headers=admin),
        404,
        "CollectionNotFound",
    )


def test_chat_needs_a_user_message(world: World) -> None:
    chat = {"model": "manuals", "messages": [{"role": "system", "content": "Be brief."}]}
    r = world.client.post("/v1/chat/completions", json=chat, headers=world.auth("admin"))
    assert "user" in _error(r, 422, "InvalidRequest")
    parts = {
        "model": "manuals",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "impeller seal?"}]}],
    }
    r = world.client.post("/v1/chat/completions", json=parts, headers=world.auth("admin"))
    assert r.status_code == 200 and r.json()["object"] == "chat.completion"


def test_unknown_routes_methods_and_big_bodies_answer_in_our_shape(world: World) -> None:
    _error(world.client.get("/v1/nothing-here"), 404, "NotFound")
    _error(world.client.get(SEARCH, headers=world.auth("admin")), 405, "MethodNotAllowed")
    big = {"query": "pump " * 300_000}
    _error(world.client.post(SEARCH, json=big, headers=world.auth("admin")), 413, "PayloadTooLarge")


def test_a_failing_answer_is_a_500_or_an_error_event(world: World) -> None:
    def broken(messages: object, max_tokens: int) -> None:
        raise RuntimeError("the model fell over at /srv/secret/path")

    world.generator.stream = broken  # type: ignore[method-assign,assignment]
    client = TestClient(world.client.app, raise_server_exceptions=False)
    ask = {"question": "When should the impeller seal be replaced?"}
    r = client.post(QUERY, json=ask, headers=world.auth("admin"))
    assert "/srv" not in _error(r, 500, "InternalError")
    r = client.post(QUERY, json={**ask, "stream": True}, headers=world.auth("admin"))
    assert r.status_code == 200
    assert "event: sources" in r.text and "event: error" in r.text and "/srv" not in r.text
    assert '"type": "InternalError"' in r.text


def test_a_chat_stream_sends_only_the_verified_answer(world: World) -> None:
    """A chat client shows the content it is sent: never a drafted sentence that the sources
    did not support."""
    world.generator.reply = "The pump runs on moonlight [1]."
    chat = {
        "model": "manuals",
        "stream": True,
        "messages": [{"role": "user", "content": "How often is the impeller seal replaced?"}],
    }
    try:
        r = world.client.post("/v1/chat/completions", json=chat, headers=world.auth("admin"))
    finally:
        world.generator.reply = None
    assert r.status_code == 200
    chunks = [
        json.loads(line[len("data: ") :])
        for line in r.text.splitlines()
        if line.startswith("data: {")
    ]
    content = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert "moonlight" not in content
    assert content == chunks[-1]["answer"] == "I could not find this in the documents."
    assert chunks[-1]["abstained"] is True and r.text.rstrip().endswith("data: [DONE]")

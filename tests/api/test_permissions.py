"""A reader of group A never receives anything of a group-B document: not through search,
answers (streamed or not), citations, listings, document details, deletes or chat completions,
and a group-B document cannot even steer routing. Each test also shows that the forbidden
passage is there to be found by a caller who may see it, so none can pass by finding nothing.
"""

from __future__ import annotations

import json

import pytest

from tests.api.conftest import SECRET, World

QUESTION = "What is the bravo reactor password?"
ROUTED = "In the Bravo reactor manual, what is the password for shutdown?"


def _search(world: World, who: str, query: str = QUESTION) -> dict:
    r = world.client.post(
        "/v1/collections/manuals/search", json={"query": query, "k": 10}, headers=world.auth(who)
    )
    assert r.status_code == 200, r.text
    return r.json()


def test_search_never_returns_a_forbidden_chunk(world: World) -> None:
    found = _search(world, "reader_a")
    docs = {h["document_id"] for h in found["hits"]}
    assert docs == {world.ids["public"], world.ids["alpha"]}  # still k hits, from what it may see
    assert SECRET not in json.dumps(found)
    assert world.ids["bravo"] in {h["document_id"] for h in _search(world, "reader_b")["hits"]}
    assert world.ids["bravo"] in {h["document_id"] for h in _search(world, "admin")["hits"]}
    none = {h["document_id"] for h in _search(world, "reader_none")["hits"]}
    assert none == {world.ids["public"]}


def test_routing_only_considers_visible_documents(world: World) -> None:
    assert SECRET not in json.dumps(_search(world, "reader_a", ROUTED))
    routed = _search(world, "reader_b", ROUTED)["hits"]
    assert {h["document_id"] for h in routed} == {world.ids["bravo"]}  # routed to it


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("mode", ["generate", "extract"])
def test_answers_and_citations_never_use_a_forbidden_document(
    world: World, stream: bool, mode: str
) -> None:
    body = {"question": QUESTION, "mode": mode, "stream": stream}
    r = world.client.post(
        "/v1/collections/manuals/query", json=body, headers=world.auth("reader_a")
    )
    assert r.status_code == 200
    assert SECRET not in r.text
    assert world.ids["bravo"] not in r.text
    assert all(SECRET not in m["content"] for p in world.generator.prompts for m in p)
    allowed = world.client.post(
        "/v1/collections/manuals/query", json=body, headers=world.auth("reader_b")
    )
    assert SECRET in allowed.text


@pytest.mark.parametrize("stream", [False, True])
def test_chat_completions_never_use_a_forbidden_document(world: World, stream: bool) -> None:
    body = {
        "model": "manuals",
        "stream": stream,
        "messages": [{"role": "user", "content": QUESTION}],
    }
    r = world.client.post("/v1/chat/completions", json=body, headers=world.auth("reader_a"))
    assert r.status_code == 200
    assert SECRET not in r.text and world.ids["bravo"] not in r.text
    allowed = world.client.post("/v1/chat/completions", json=body, headers=world.auth("reader_b"))
    assert SECRET in allowed.text


def test_listings_and_counts_show_only_visible_documents(world: World) -> None:
    def listed(who: str) -> set[str]:
        r = world.client.get("/v1/collections/manuals/documents", headers=world.auth(who))
        return {d["id"] for d in r.json()["documents"]}

    ids = world.ids
    assert listed("reader_a") == {ids["public"], ids["alpha"]}
    assert listed("reader_b") == {ids["public"], ids["bravo"]}
    assert listed("reader_none") == {ids["public"]}
    assert listed("admin") == set(ids.values())
    counts = world.client.get("/v1/collections", headers=world.auth("reader_a")).json()
    assert counts["collections"] == [
        {"name": "manuals", "documents": 2, "chunks": 4, "error": None}
    ]


def test_forbidden_document_details_are_404_like_missing_ones(world: World) -> None:
    bravo, missing = world.ids["bravo"], "0123456789abcdef"
    base = "/v1/collections/manuals/documents/"
    forbidden = world.client.get(base + bravo, headers=world.auth("reader_a"))
    absent = world.client.get(base + missing, headers=world.auth("reader_a"))
    assert forbidden.status_code == absent.status_code == 404
    assert forbidden.text.replace(bravo, "ID") == absent.text.replace(missing, "ID")
    shown = world.client.get(base + bravo, headers=world.auth("reader_b")).json()
    assert shown["source"] == "bravo.txt" and shown["acl_groups"] == ["team-b"]
    assert "/srv" not in json.dumps(shown)  # a file name, never a server path


def test_an_editor_cannot_delete_what_it_cannot_see(world: World) -> None:
    base = "/v1/collections/manuals/documents/"
    r = world.client.delete(base + world.ids["bravo"], headers=world.auth("editor_a"))
    assert r.status_code == 404
    assert (
        world.client.get(base + world.ids["bravo"], headers=world.auth("admin")).status_code == 200
    )
    r = world.client.delete(base + world.ids["alpha"], headers=world.auth("editor_a"))
    assert r.status_code == 204
    assert (
        world.client.get(base + world.ids["alpha"], headers=world.auth("admin")).status_code == 404
    )


def test_a_collection_deleted_and_made_again_is_served_afresh(world: World) -> None:
    assert _search(world, "admin")["hits"]
    world.services.store.delete("manuals")
    r = world.client.post(
        "/v1/collections/manuals/search", json={"query": QUESTION}, headers=world.auth("admin")
    )
    assert r.status_code == 404
    embedder = world.services.embedder
    world.services.store.open_or_create("manuals", embedder.model_id, embedder.dim)
    assert _search(world, "admin")["hits"] == []  # not the deleted documents

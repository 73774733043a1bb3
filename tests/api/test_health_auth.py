"""Health, readiness, metrics, the OpenAPI schema, and who may call what."""

from __future__ import annotations

from pathlib import Path

import pytest

from api import app as app_module
from rag.errors import ConfigError
from rag.keys import KeyStore
from tests.api.conftest import World, make_world


def test_health_and_readiness_need_no_key(world: World) -> None:
    assert world.client.get("/healthz").json() == {"status": "ok"}
    r = world.client.get("/readyz")
    assert r.status_code == 200
    assert r.json() == {"status": "ready", "collections": 2, "unavailable": 0}


def test_readiness_fails_when_a_collection_cannot_be_served(world: World) -> None:
    manifest = world.settings.index_dir / "other" / "manifest.json"
    manifest.write_text(manifest.read_text().replace("fake-embedder", "another-model"))
    r = world.client.get("/readyz")
    assert r.status_code == 503
    assert r.json() == {"status": "not ready", "collections": 1, "unavailable": 1}
    # The listing still shows every collection, and says why one cannot be served.
    listed = world.client.get("/v1/collections", headers=world.auth("admin")).json()
    errors = {c["name"]: c["error"] for c in listed["collections"]}
    assert errors["manuals"] is None and "another embedding model" in errors["other"]


def test_openapi_schema_lists_the_versioned_routes(world: World) -> None:
    paths = world.client.get("/openapi.json").json()["paths"]
    for path in (
        "/v1/collections/{collection}/query",
        "/v1/collections/{collection}/search",
        "/v1/collections/{collection}/documents",
        "/v1/collections/{collection}/documents/{document_id}",
        "/v1/jobs/{job_id}",
        "/v1/chat/completions",
        "/v1/models",
        "/v1/me",
    ):
        assert path in paths


def test_metrics_count_requests_stages_and_queue(world: World) -> None:
    ask = {"question": "When should the impeller seal be replaced?"}
    assert (
        world.client.post(
            "/v1/collections/manuals/query", json=ask, headers=world.auth("admin")
        ).status_code
        == 200
    )
    world.client.get("/v1/me")  # 401
    text = world.client.get("/metrics").text
    query = 'route="/v1/collections/{collection}/query"'
    assert f'sabio_http_requests_total{{method="POST",{query},status="200"}} 1.0' in text
    assert 'sabio_http_requests_total{method="GET",route="/v1/me",status="401"} 1.0' in text
    assert 'sabio_stage_seconds_count{stage="generate"} 1.0' in text
    assert 'sabio_stage_seconds_count{stage="retrieve"} 1.0' in text
    assert 'sabio_queue_depth{lane="generate"} 0.0' in text
    assert 'sabio_errors_total{type="Unauthorized"} 1.0' in text
    assert "sabio_generated_tokens_per_second_count 1.0" in text


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer nope"},
        {"X-API-Key": "sabio_nope"},
        {"Authorization": "Basic x"},
    ],
)
def test_missing_or_invalid_keys_get_401(world: World, headers: dict[str, str]) -> None:
    r = world.client.get("/v1/collections", headers=headers)
    assert r.status_code == 401
    assert r.json()["error"]["type"] == "Unauthorized"


def test_bearer_and_x_api_key_both_work(world: World) -> None:
    secret = world.keys["reader_a"]
    for headers in ({"Authorization": f"Bearer {secret}"}, {"X-API-Key": secret}):
        r = world.client.get("/v1/me", headers=headers)
        assert r.status_code == 200
        assert r.json() == {
            "name": "reader_a",
            "role": "reader",
            "collections": ["manuals"],
            "groups": ["team-a"],
        }
    assert world.client.get("/v1/me", headers=world.auth("admin")).json()["collections"] == ["*"]


def test_a_revoked_key_stops_working_at_once(world: World) -> None:
    assert world.client.get("/v1/me", headers=world.auth("reader_b")).status_code == 200
    (key,) = [k for k in world.services.keys.list() if k.name == "reader_b"]
    world.services.keys.revoke(key.id)
    assert world.client.get("/v1/me", headers=world.auth("reader_b")).status_code == 401


def test_keys_are_stored_hashed(world: World) -> None:
    raw = (world.settings.index_dir / "keys.sqlite").read_bytes()
    for secret in world.keys.values():
        assert secret.encode() not in raw


def test_collections_the_key_may_not_use_are_403_whether_or_not_they_exist(world: World) -> None:
    for name in ("manuals", "does-not-exist"):
        r = world.client.post(
            f"/v1/collections/{name}/search",
            json={"query": "pump"},
            headers=world.auth("reader_other"),
        )
        assert r.status_code == 403, r.text
        assert r.json()["error"]["type"] == "Forbidden"
    listed = world.client.get("/v1/collections", headers=world.auth("reader_other")).json()
    assert [c["name"] for c in listed["collections"]] == ["other"]
    models = world.client.get("/v1/models", headers=world.auth("reader_other")).json()
    assert [m["id"] for m in models["data"]] == ["other"]


def test_unknown_collections_are_404(world: World) -> None:
    for path in ("/v1/collections/nope/documents", "/v1/collections/..%2Fetc/documents"):
        r = world.client.get(path, headers=world.auth("admin"))
        assert r.status_code == 404
        assert "indexes" not in r.text  # no server path in the message


def test_readers_may_not_upload_or_delete(world: World) -> None:
    files = {"files": ("a.txt", b"Some text.", "text/plain")}
    r = world.client.post(
        "/v1/collections/manuals/documents", files=files, headers=world.auth("reader_a")
    )
    assert r.status_code == 403
    doc = world.ids["public"]
    r = world.client.delete(
        f"/v1/collections/manuals/documents/{doc}", headers=world.auth("reader_a")
    )
    assert r.status_code == 403
    assert (
        world.client.get(
            f"/v1/collections/manuals/documents/{doc}", headers=world.auth("admin")
        ).status_code
        == 200
    )


def test_the_page_is_served_at_root_and_its_files_under_static(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    static = tmp_path / "static"
    static.mkdir()
    (static / "index.html").write_text("<!doctype html><title>sabio</title>")
    (static / "app.js").write_text("console.log('hi')")
    monkeypatch.setattr(app_module, "STATIC", static)
    for world in make_world(tmp_path):
        assert "<title>sabio</title>" in world.client.get("/").text
        assert world.client.get("/static/app.js").text == "console.log('hi')"
        missing = world.client.get("/static/nope.js")
        assert missing.status_code == 404 and missing.json()["error"]["type"] == "NotFound"


def test_an_admin_key_uses_every_collection_and_says_so(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys.sqlite")
    admin, _ = store.create("ops", "admin", [])
    assert admin.collections == ("*",)
    # Limited to some collections, it would have been listed so and still used every one.
    with pytest.raises(ConfigError, match="editor key limited"):
        store.create("ops", "admin", ["manuals"])
    with pytest.raises(ConfigError, match="Name the collections"):
        store.create("agent", "reader", [])

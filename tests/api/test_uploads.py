"""Uploads: background ingest jobs with ACL groups and metadata, and bad uploads refused with
a clear 4xx before anything is stored."""

from __future__ import annotations

import io
import os
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.conftest import World, make_world

DOCS = "/v1/collections/manuals/documents"
NOTES = b"Commissioning notes: the cooling loop must be bled for ten minutes before start."


def wait_job(world: World, job_id: str, who: str = "editor_a") -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = world.client.get(f"/v1/jobs/{job_id}", headers=world.auth(who)).json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish")


def stored_files(world: World) -> list[Path]:
    uploads = world.settings.index_dir / "manuals" / "uploads"
    return sorted(p for p in uploads.rglob("*") if p.is_file()) if uploads.exists() else []


def document_count(world: World) -> int:
    return len(world.client.get(DOCS, headers=world.auth("admin")).json()["documents"])


def upload(world: World, files: list[tuple[str, bytes]], who: str = "editor_a", **form: str):
    parts = [("files", (name, data, "application/octet-stream")) for name, data in files]
    return world.client.post(DOCS, files=parts, data=form, headers=world.auth(who))


def test_upload_is_ingested_by_a_job_with_groups_and_metadata(world: World) -> None:
    r = upload(
        world,
        [("notes.txt", NOTES), ("more.md", b"# Valves\n\nValve seven vents the alpha loop.\n")],
        acl_groups="team-a",
        metadata='{"owner": "ops"}',
    )
    assert r.status_code == 202, r.text
    assert r.json()["files"] == ["notes.txt", "more.md"]
    job = wait_job(world, r.json()["job_id"])
    assert job["status"] == "done" and job["error"] is None
    assert job["files_total"] == job["files_done"] == 2
    assert job["counts"]["added"] == 2 and job["counts"]["deleted"] == 0
    assert sorted(x["source"] for x in job["results"]) == ["more.md", "notes.txt"]
    assert document_count(world) == 5  # the three documents already there are kept
    docs = world.client.get(DOCS, headers=world.auth("editor_a")).json()["documents"]
    (notes,) = [d for d in docs if d["source"] == "notes.txt"]
    assert notes["acl_groups"] == ["team-a"] and notes["metadata"] == {"owner": "ops"}
    hits = world.client.post(
        "/v1/collections/manuals/search",
        json={"query": "cooling loop bled"},
        headers=world.auth("reader_a"),
    ).json()["hits"]
    assert hits[0]["source"] == "notes.txt"
    b_docs = world.client.get(DOCS, headers=world.auth("reader_b")).json()["documents"]
    assert "notes.txt" not in {d["source"] for d in b_docs}
    assert [p.parent.name for p in stored_files(world)] == ["groups-team-a"] * 2


def test_a_second_upload_of_a_name_updates_that_document(world: World) -> None:
    wait_job(world, upload(world, [("notes.txt", NOTES)]).json()["job_id"])
    job = wait_job(world, upload(world, [("notes.txt", NOTES + b" Twice.")]).json()["job_id"])
    assert [x["status"] for x in job["results"]] == ["updated"]
    docs = world.client.get(DOCS, headers=world.auth("admin")).json()["documents"]
    assert [d["version"] for d in docs if d["source"] == "notes.txt"] == [2]


def test_jobs_are_visible_only_to_editors_of_the_collection(world: World) -> None:
    job_id = upload(world, [("notes.txt", NOTES)], acl_groups="team-a").json()["job_id"]
    wait_job(world, job_id)
    assert world.client.get(f"/v1/jobs/{job_id}", headers=world.auth("admin")).status_code == 200
    for who in ("reader_a", "reader_other"):
        assert world.client.get(f"/v1/jobs/{job_id}", headers=world.auth(who)).status_code == 404
    assert world.client.get("/v1/jobs/nope", headers=world.auth("admin")).status_code == 404


def test_deleting_an_uploaded_document_removes_its_file(world: World) -> None:
    wait_job(world, upload(world, [("notes.txt", NOTES)]).json()["job_id"])
    docs = world.client.get(DOCS, headers=world.auth("editor_a")).json()["documents"]
    (doc,) = [d for d in docs if d["source"] == "notes.txt"]
    assert stored_files(world)
    assert (
        world.client.delete(f"{DOCS}/{doc['id']}", headers=world.auth("editor_a")).status_code
        == 204
    )
    assert stored_files(world) == []
    assert document_count(world) == 3


def test_an_editor_may_only_give_its_own_groups(world: World) -> None:
    r = upload(world, [("notes.txt", NOTES)], acl_groups="team-b")
    assert r.status_code == 403
    assert stored_files(world) == [] and document_count(world) == 3


def _zip_bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
        zf.writestr("word/media/padding.bin", b"\0" * (48 * 2**20))
    return buf.getvalue()


BAD = [
    ("../escape.txt", NOTES, 400),
    ("/etc/passwd.txt", NOTES, 400),
    ("sub/dir.txt", NOTES, 400),
    ("..\\win.txt", NOTES, 400),
    (".hidden.txt", NOTES, 400),
    ("empty.txt", b"", 400),
    ("tool.exe", b"MZ\x90\x00" + os.urandom(500), 415),
    ("page.pdf", b"<html><body><p>Not a PDF at all.</p></body></html>", 415),
    ("random.docx", os.urandom(4000), 415),
    ("empty-zip.docx", b"PK\x05\x06" + b"\0" * 18, 415),  # a zip, but not a Word document
    ("binary.txt", b"\x00\x01\x02\x03" * 100, 415),
    ("bomb.docx", _zip_bomb(), 413),
]


@pytest.mark.parametrize(("name", "data", "status"), BAD, ids=[b[0] for b in BAD])
def test_bad_uploads_are_refused_and_store_nothing(
    world: World, name: str, data: bytes, status: int
) -> None:
    r = upload(world, [("good.txt", NOTES), (name, data)])  # one bad file refuses the request
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["type"] and error["message"]
    assert "/indexes" not in error["message"]
    assert stored_files(world) == [] and document_count(world) == 3


@pytest.mark.parametrize("metadata", ["{not json", '["a"]', '{"a": 1}'])
def test_malformed_metadata_is_422(world: World, metadata: str) -> None:
    r = upload(world, [("notes.txt", NOTES)], metadata=metadata)
    assert r.status_code == 422 and r.json()["error"]["type"] == "InvalidRequest"
    assert stored_files(world) == []


def test_an_upload_without_files_is_422(world: World) -> None:
    r = world.client.post(DOCS, data={"acl_groups": "team-a"}, headers=world.auth("editor_a"))
    assert r.status_code == 422 and r.json()["error"]["type"] == "InvalidRequest"


@pytest.fixture
def small(tmp_path: Path) -> Iterator[World]:
    yield from make_world(tmp_path, max_upload_mb=0.05)


@pytest.mark.parametrize("size", [80_000, 3 * 2**20])
def test_uploads_over_the_size_limit_are_413(small: World, size: int) -> None:
    r = upload(small, [("big.txt", b"word " * (size // 5))])
    assert r.status_code == 413, r.text
    assert r.json()["error"]["type"] == "PayloadTooLarge"
    assert "the limit is 0.05 MB" in r.json()["error"]["message"]  # what to send instead
    assert stored_files(small) == []


def test_a_chunked_upload_is_stopped_once_it_passes_the_limit(small: World) -> None:
    head = b'--XX\r\nContent-Disposition: form-data; name="files"; filename="a.txt"\r\n\r\n'

    def body() -> Iterator[bytes]:  # no Content-Length: the size shows only while reading
        yield head
        for _ in range(200):
            yield b"word " * 13_000
        yield b"\r\n--XX--\r\n"

    r = small.client.post(
        DOCS,
        content=body(),
        headers={**small.auth("admin"), "content-type": "multipart/form-data; boundary=XX"},
    )
    assert r.status_code == 413 and r.json()["error"]["type"] == "PayloadTooLarge"
    assert "the limit is 0.05 MB" in r.json()["error"]["message"]
    assert stored_files(small) == []

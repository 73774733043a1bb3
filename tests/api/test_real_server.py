"""`rag serve` as it runs for real: a subprocess on 127.0.0.1, the packaged embedder and the
small SmolLM2 generator, over a tiny collection indexed by `ingest run` with an ACL group."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DOC = REPO / "sample_docs" / "manuals" / "galaxy-s10-01-features.html"
QUESTION = "What does Night mode do?"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli(env: dict[str, str], *args: str) -> str:
    proc = subprocess.run(
        [str(BIN / args[0]), *args[1:]], env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    root = tmp_path_factory.mktemp("serve")
    (root / "docs").mkdir()
    shutil.copy2(DOC, root / "docs" / DOC.name)
    env = {
        **os.environ,
        "SABIO_INDEX_DIR": str(root / "indexes"),
        "SABIO_GENERATOR__MODEL": "smollm2-135m-instruct",
        "HF_HUB_OFFLINE": "1",
    }
    _cli(env, "ingest", "run", str(root / "docs"), "-c", "phones", "--acl-group", "support")
    made = json.loads(
        _cli(env, "rag", "keys", "create", "--name", "t", "-c", "phones", "-g", "support", "--json")
    )
    outsider = json.loads(_cli(env, "rag", "keys", "create", "--name", "o", "-c", "*", "--json"))
    port = _free_port()
    log = (root / "serve.log").open("w")
    proc = subprocess.Popen(
        [str(BIN / "rag"), "serve", "--port", str(port)], env=env, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            assert proc.poll() is None, (root / "serve.log").read_text()
            try:
                if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not become ready"
            time.sleep(0.5)
        yield base, {"key": made["key"], "outsider": outsider["key"]}
    finally:
        proc.terminate()
        proc.wait(60)
        log.close()


def test_the_real_server_answers_with_citations(server: tuple[str, dict[str, str]]) -> None:
    base, keys = server
    auth = {"Authorization": f"Bearer {keys['key']}"}
    assert httpx.get(base + "/readyz").json() == {
        "status": "ready",
        "collections": 1,
        "unavailable": 0,
    }
    r = httpx.post(
        f"{base}/v1/collections/phones/query",
        json={"question": QUESTION},
        headers=auth,
        timeout=300,
    )
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["question"] == QUESTION and answer["mode"] == "generate"
    assert answer["sources"], answer
    assert {s["source"] for s in answer["sources"]} == {DOC.name}
    assert any("Night mode" in s["passage"] or "darker" in s["passage"] for s in answer["sources"])
    assert answer["completion_tokens"] > 0 or answer["abstained"]
    metrics = httpx.get(base + "/metrics").text
    assert 'sabio_stage_seconds_count{stage="total"} 1.0' in metrics


def test_the_real_server_streams_and_enforces_groups(server: tuple[str, dict[str, str]]) -> None:
    base, keys = server
    body = {"question": QUESTION, "stream": True}
    kinds = []
    with httpx.stream(
        "POST",
        f"{base}/v1/collections/phones/query",
        json=body,
        headers={"X-API-Key": keys["key"]},
        timeout=300,
    ) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        kinds = [line[7:] for line in r.iter_lines() if line.startswith("event: ")]
    assert kinds[0] == "sources" and kinds[-1] == "answer"
    outsider = {"X-API-Key": keys["outsider"]}  # no group: the document is not for it
    hits = httpx.post(
        f"{base}/v1/collections/phones/search", json={"query": "Night mode"}, headers=outsider
    )
    assert hits.status_code == 200 and hits.json()["hits"] == []


def test_a_client_that_leaves_mid_stream_stops_its_generation(
    server: tuple[str, dict[str, str]],
) -> None:
    base, keys = server
    auth = {"X-API-Key": keys["key"]}
    body = {"question": QUESTION, "stream": True}
    with httpx.stream(
        "POST", f"{base}/v1/collections/phones/query", json=body, headers=auth, timeout=300
    ) as r:
        for line in r.iter_lines():
            if line == "event: token":
                break  # hang up after the first piece of the answer
    deadline = time.monotonic() + 60
    while "sabio_answers_cancelled_total 1.0" not in httpx.get(base + "/metrics").text:
        assert time.monotonic() < deadline, "the generation was not cancelled"
        time.sleep(0.2)
    # The model is free again: the next question is answered.
    r2 = httpx.post(
        f"{base}/v1/collections/phones/query",
        json={"question": QUESTION, "mode": "extract"},
        headers=auth,
        timeout=300,
    )
    assert r2.status_code == 200

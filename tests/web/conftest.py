"""Browser tier: the real app (real packaged models, a tiny real collection) served by uvicorn
on 127.0.0.1, and the page driven in headless Chromium by Playwright.

The browser is Debian's `chromium` (scripts/setup.sh installs it); Playwright never downloads
one here. Screenshots of every step go to tests/web/screenshots/ (git-ignored), or to
$SABIO_WEB_SCREENSHOTS.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import BrowserContext, Page, Playwright, sync_playwright

from api.app import create_app
from rag.keys import KeyStore
from rag.settings import GeneratorSettings, Settings

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path(os.environ.get("SABIO_WEB_SCREENSHOTS", REPO / "tests" / "web" / "screenshots"))
COLLECTION = "manuals"
SAMPLE = "manuals/samsung-smart-tv-remote.md"
# The app loads its models in the lifespan: the first start can take a while on 2 cores.
STARTUP_S = 300


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "web: the web page in a real browser")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/web" in str(item.fspath):
            item.add_marker(pytest.mark.web)
            item.add_marker(pytest.mark.integration)


@dataclass(frozen=True)
class Site:
    url: str
    editor_key: str
    reader_key: str
    keys: Path  # the key store, for tests that make or revoke their own keys


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The real app on a free port, over a one-document collection and two keys."""
    root = tmp_path_factory.mktemp("web")
    index_dir = root / "indexes"
    docs = root / "docs"
    docs.mkdir()
    shutil.copy2(REPO / "sample_docs" / SAMPLE, docs)
    # The real write path, as an operator runs it.
    env = {**os.environ, "SABIO_INDEX_DIR": str(index_dir)}
    run = subprocess.run(
        [str(BIN / "ingest"), "run", str(docs), "-c", COLLECTION],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    keys = KeyStore(index_dir / "keys.sqlite")
    _, editor = keys.create("Ana Editor", "editor", [COLLECTION])
    _, reader = keys.create("Rui Reader", "reader", [COLLECTION])
    keys.close()

    # The small packaged SLM keeps generation fast enough for a browser test.
    settings = Settings(
        index_dir=index_dir, generator=GeneratorSettings(model="smollm2-135m-instruct")
    )
    port = _free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="sabio-web-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_S
    while not server.started:
        assert thread.is_alive(), "the server stopped while starting (see the log above)"
        assert time.monotonic() < deadline, f"the server did not start in {STARTUP_S} s"
        time.sleep(0.1)
    try:
        yield Site(f"http://127.0.0.1:{port}", editor, reader, index_dir / "keys.sqlite")
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/setup.sh (it installs Debian's chromium)")
    with sync_playwright() as p:
        yield p


@pytest.fixture
def context(playwright: Playwright, tmp_path: Path) -> Iterator[BrowserContext]:
    """A fresh browser profile per test, so no key or collection is remembered between tests."""
    ctx = playwright.chromium.launch_persistent_context(
        tmp_path / "profile",
        executable_path=str(CHROMIUM),
        args=CHROMIUM_ARGS,
        headless=True,
        viewport={"width": 1360, "height": 900},
        color_scheme="light",
    )
    ctx.set_default_timeout(20_000)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    """The page; fails the test on any uncaught script error, which would otherwise pass by."""
    page = context.pages[0] if context.pages else context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    assert not errors, f"script errors on the page: {errors}"


Shoot = Callable[[Page, str], Path]


@pytest.fixture
def shoot(request: pytest.FixtureRequest) -> Shoot:
    """shoot(page, "step") saves <test>-<nn>-<step>.png under SHOTS and prints where."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    test = re.sub(r"\W+", "-", request.node.name).strip("-")
    for old in SHOTS.glob(f"{test}-*.png"):
        old.unlink()
    count = 0

    def take(page: Page, step: str) -> Path:
        nonlocal count
        count += 1
        path = SHOTS / f"{test}-{count:02d}-{step}.png"
        # Finished animations, so a card is not caught half faded in; an open dialog is modal
        # over the viewport, so it is shot as the reader sees it rather than as a whole page.
        modal = page.locator("dialog[open]").count() > 0
        page.screenshot(path=path, full_page=not modal, animations="disabled")
        print(f"screenshot: {path}")
        return path

    return take

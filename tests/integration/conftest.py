"""Integration tier: the real packaged embedder, real sample files, real subprocesses."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from rag.embedder import LazyEmbedder

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SAMPLES = REPO / "sample_docs"
SHARED = REPO.parent / "shared" / "data"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def embedder() -> LazyEmbedder:
    """One real MiniLM per test session (loaded on first embed)."""
    return LazyEmbedder("all-MiniLM-L6-v2")


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    path = tmp_path / "indexes"
    path.mkdir()
    return path


CLI = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli(index_dir: Path) -> CLI:
    """Run `ingest` or `rag` as a user would, against this test's index folder."""

    def run(
        *args: str, env: dict[str, str] | None = None, timeout: float = 600
    ) -> subprocess.CompletedProcess[str]:
        full_env = {**os.environ, "SABIO_INDEX_DIR": str(index_dir), **(env or {})}
        return subprocess.run(
            [str(BIN / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            env=full_env,
            timeout=timeout,
            cwd=REPO,
        )

    return run


def copy_samples(dest: Path, names: list[str]) -> list[Path]:
    """Copy sample documents (paths relative to sample_docs/) into `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    out = []
    for name in names:
        target = dest / Path(name).name
        shutil.copy2(SAMPLES / name, target)
        out.append(target)
    return out

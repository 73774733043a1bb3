"""Fixtures for the unit tier: fakes only, no models."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.fakes import FakeEmbedder

_RAM = Path("/dev/shm")


@pytest.fixture
def tmp_path(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A scratch folder in RAM where the machine has one.

    Every commit of a collection fsyncs its FAISS file and folder (~12 ms each on a disk here,
    ~0 on tmpfs); the store tests commit ~100 times, which would more than double the tier's
    run time. Elsewhere, pytest's own temporary folder.
    """
    if not (_RAM.is_dir() and os.access(_RAM, os.W_OK)):
        yield tmp_path_factory.mktemp("unit")
        return
    folder = Path(tempfile.mkdtemp(prefix="sabio-unit-", dir=_RAM))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def embedder() -> FakeEmbedder:
    return FakeEmbedder()

"""Slow tier: quality gates on ../shared/data, each protecting a figure quoted in an issue."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/slow" in str(item.fspath):
            item.add_marker(pytest.mark.slow)

"""API tier: the app with fake models (fast), plus one real server with real models."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.services import Services
from rag.catalog import Catalog
from rag.keys import KeyStore
from rag.settings import AnswerSettings, ApiSettings, Settings
from rag.store import Collection, Store
from tests.api.fakes import FakeGenerator
from tests.unit.conftest import tmp_path  # noqa: F401  (scratch folders in RAM)
from tests.unit.fakes import FakeEmbedder
from tests.unit.test_store import make_doc, write

PUBLIC = [
    "Priming the pump: fill the casing with water before the first start.",
    "Replace the impeller seal every 2000 operating hours.",
]
ALPHA = [
    "The alpha turbine vents coolant through valve seven.",
    "Alpha turbine blades are inspected every spring.",
]
BRAVO = [
    "The bravo reactor password is swordfish.",
    "Bravo reactor shutdown requires the swordfish password and two keys.",
]
SECRET = "swordfish"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/api" in str(item.fspath):
            item.add_marker(pytest.mark.api)


def set_groups(coll: Collection, source: str, groups: tuple[str, ...]) -> None:
    cat: Catalog = coll.catalog()
    try:
        cat.conn.execute("BEGIN IMMEDIATE")
        cat.set_labels(cat.stored_files()[source].rowid, groups, None)
        cat.conn.execute("COMMIT")
    finally:
        cat.conn.close()


@dataclass
class World:
    settings: Settings
    services: Services
    generator: FakeGenerator
    client: TestClient
    keys: dict[str, str]  # role name -> secret
    ids: dict[str, str]  # "public" | "alpha" | "bravo" -> document id

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[who]}"}


def build_collection(index_dir: Path, embedder: FakeEmbedder) -> dict[str, str]:
    coll = Store(index_dir).open_or_create("manuals", embedder.model_id, embedder.dim)
    docs = {
        "public": make_doc("/srv/docs/pump.txt", "Pump manual", PUBLIC),
        "alpha": make_doc("/srv/docs/alpha.txt", "Alpha turbine manual", ALPHA),
        "bravo": make_doc("/srv/docs/bravo.txt", "Bravo reactor manual", BRAVO),
    }
    write(coll, embedder, list(docs.values()))
    set_groups(coll, "/srv/docs/alpha.txt", ("team-a",))
    set_groups(coll, "/srv/docs/bravo.txt", ("team-b",))
    Store(index_dir).open_or_create("other", embedder.model_id, embedder.dim)
    return {k: d.document.id for k, d in docs.items()}


def make_keys(keys: KeyStore) -> dict[str, str]:
    specs = {
        "admin": ("admin", ["*"], []),
        "reader_a": ("reader", ["manuals"], ["team-a"]),
        "reader_b": ("reader", ["manuals"], ["team-b"]),
        "reader_none": ("reader", ["manuals"], []),
        "editor_a": ("editor", ["manuals"], ["team-a"]),
        "reader_other": ("reader", ["other"], ["team-a", "team-b"]),
    }
    return {name: keys.create(name, *spec)[1] for name, spec in specs.items()}


def test_settings(index_dir: Path, **api: object) -> Settings:
    return Settings(
        index_dir=index_dir,
        answer=AnswerSettings(min_relevance=0.05, min_support=0.5),
        api=ApiSettings(**api),  # type: ignore[arg-type]
    )


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:  # noqa: F811
    yield from make_world(tmp_path)


def make_world(scratch: Path, **api: object) -> Iterator[World]:
    index_dir = scratch / "indexes"
    embedder = FakeEmbedder()
    ids = build_collection(index_dir, embedder)
    settings = test_settings(index_dir, **api)
    generator = FakeGenerator()
    services = Services(settings, embedder, generator)
    keys = make_keys(services.keys)
    with TestClient(create_app(settings, services)) as client:
        yield World(settings, services, generator, client, keys, ids)

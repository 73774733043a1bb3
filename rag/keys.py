"""API keys: who may call the service, on which collections, with which role and groups.

Keys live in `<index_dir>/keys.sqlite`, stored as the sha256 of the key: a key is 256 random
bits, so a plain hash is as strong as a slow one and lets a request be checked with one
indexed lookup. The key itself is shown once, when it is created, and never stored.

Roles are ordered: a reader may search, ask and list; an editor may also upload and delete;
an admin may also manage keys, and uses every collection and sees every document whatever its
ACL groups.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from rag.errors import ConfigError, SabioError

KEY_PREFIX = "sabio_"
_GROUP = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")
_COLLECTION = re.compile(r"\*|[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")

SCHEMA = """
CREATE TABLE IF NOT EXISTS keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    collections TEXT NOT NULL,
    groups TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    created_at REAL NOT NULL,
    revoked_at REAL
);
"""


class KeyNotFound(SabioError):
    """No key with that id."""


class Role(StrEnum):
    READER = "reader"
    EDITOR = "editor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)


def check_groups(groups: Iterable[str]) -> tuple[str, ...]:
    """Group names, sorted and unique, or ConfigError naming the bad one."""
    out = sorted({g.strip() for g in groups if g.strip()})
    for g in out:
        if not _GROUP.fullmatch(g):
            raise ConfigError(
                f"Invalid group name {g!r}: use 1-64 letters, digits, '.', '_', '@' or '-', "
                "starting with a letter or digit."
            )
    return tuple(out)


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    name: str
    role: Role
    # Collection names, or ("*",) for all of them.
    collections: tuple[str, ...]
    groups: tuple[str, ...]
    created_at: float
    revoked_at: float | None = None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def may_use(self, collection: str) -> bool:
        return self.is_admin or "*" in self.collections or collection in self.collections

    def may_edit(self, collection: str) -> bool:
        return self.role.rank >= Role.EDITOR.rank and self.may_use(collection)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class KeyStore:
    """The keys file. Safe to share between threads; every lookup reads the file, so a key
    revoked from the command line stops working at once in a running server."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = not path.exists()
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.executescript(SCHEMA)
        if fresh:
            os.chmod(path, 0o600)  # hashes only, but nobody else needs to read them
        self._lock = threading.Lock()

    def create(
        self, name: str, role: str, collections: Iterable[str], groups: Iterable[str] = ()
    ) -> tuple[ApiKey, str]:
        """A new key and its secret (shown once, never stored)."""
        if not name.strip():
            raise ConfigError("Give the key a name (--name), e.g. the person or system using it.")
        try:
            parsed = Role(role)
        except ValueError:
            raise ConfigError(f"Unknown role {role!r}: use reader, editor or admin.") from None
        colls = tuple(sorted(set(collections)))
        if parsed is Role.ADMIN:
            if colls not in ((), ("*",)):
                raise ConfigError(
                    "An admin key uses every collection: leave out --collection, or create an "
                    "editor key limited to those collections."
                )
            colls = ("*",)
        if not colls:
            raise ConfigError("Name the collections the key may use (--collection, or '*').")
        for c in colls:
            if not _COLLECTION.fullmatch(c):
                raise ConfigError(f"Invalid collection name {c!r} (or '*' for all).")
        secret = KEY_PREFIX + secrets.token_urlsafe(32)
        key = ApiKey(
            "key_" + secrets.token_hex(6),
            name.strip(),
            parsed,
            ("*",) if "*" in colls else colls,
            check_groups(groups),
            time.time(),
        )
        with self._lock:
            self._conn.execute(
                "INSERT INTO keys(id, name, role, collections, groups, hash, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    key.id,
                    key.name,
                    key.role.value,
                    json.dumps(key.collections),
                    json.dumps(key.groups),
                    hash_key(secret),
                    key.created_at,
                ),
            )
        return key, secret

    def authenticate(self, secret: str) -> ApiKey | None:
        """The active key with this secret, or None (unknown or revoked)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT * FROM keys WHERE hash = ? AND revoked_at IS NULL", (hash_key(secret),)
            ).fetchone()
        return None if row is None else _key(row)

    def list(self) -> list[ApiKey]:
        with self._lock:
            rows = self._conn.execute("SELECT * FROM keys ORDER BY created_at").fetchall()
        return [_key(r) for r in rows]

    def revoke(self, key_id: str) -> ApiKey:
        with self._lock:
            cur = self._conn.execute(
                "UPDATE keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                (time.time(), key_id),
            )
            row = self._conn.execute("SELECT * FROM keys WHERE id = ?", (key_id,)).fetchone()
        if row is None:
            raise KeyNotFound(f"No key {key_id!r}; see: rag keys list")
        if cur.rowcount == 0:
            raise ConfigError(f"Key {key_id!r} was already revoked.")
        return _key(row)

    def close(self) -> None:
        self._conn.close()


def _key(r: sqlite3.Row) -> ApiKey:
    return ApiKey(
        r["id"],
        r["name"],
        Role(r["role"]),
        tuple(json.loads(r["collections"])),
        tuple(json.loads(r["groups"])),
        r["created_at"],
        r["revoked_at"],
    )

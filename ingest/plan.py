"""Incremental planning: what a run must add, update, delete and leave alone.

A file is unchanged when its size and mtime match the catalog (no read at all), or when they
differ but its sha256 does not (a `touch`, a copy that kept the content). A file is also
re-processed when the parser or chunker settings that produced its chunks have changed.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ingest.parse import SUPPORTED
from rag.catalog import StoredFile


@dataclass(frozen=True, slots=True)
class FileState:
    path: Path
    size: int
    mtime_ns: int

    @property
    def source(self) -> str:
        return str(self.path)


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file or path the run cannot take, with the reason."""

    source: str
    reason: str


@dataclass
class Plan:
    add: list[FileState] = field(default_factory=list)
    update: list[tuple[FileState, StoredFile]] = field(default_factory=list)
    # Content unchanged, only size/mtime to record.
    touch: list[tuple[FileState, StoredFile]] = field(default_factory=list)
    unchanged: list[FileState] = field(default_factory=list)
    delete: list[StoredFile] = field(default_factory=list)
    failed: list[Skipped] = field(default_factory=list)
    # sha256 computed while planning, reused when storing.
    hashes: dict[str, str] = field(default_factory=dict)
    # A new path whose content is a missing document's (a rename or a move) -> that document.
    # It is deleted only once the new one is stored, which keeps its groups and metadata and
    # reuses its vectors.
    moved: dict[str, StoredFile] = field(default_factory=dict)


def scan(
    paths: Sequence[Path], index_dir: Path | None = None
) -> tuple[list[FileState], list[Skipped], list[Path]]:
    """Files under `paths` (recursively; hidden files and folders are ignored, and so is
    `index_dir`, sabio's own files, when it lies under a path).

    Returns the files, the paths that cannot be read, and the roots that exist (only documents
    under an existing root may be deleted as missing: a mistyped or unmounted path must never
    empty a collection).
    """
    files: dict[str, FileState] = {}
    problems: list[Skipped] = []
    roots: list[Path] = []
    for given in paths:
        root = Path(os.path.abspath(given))
        if not root.exists():
            problems.append(Skipped(str(root), "no such file or folder"))
            continue
        roots.append(root)
        candidates: Iterable[Path] = [root] if root.is_file() else _walk(root, problems, index_dir)
        for path in candidates:
            if not _utf8(str(path)):
                shown = str(path).encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                problems.append(Skipped(shown, "the file name is not UTF-8: rename the file"))
                continue
            try:
                st = path.stat()
            except OSError as exc:
                problems.append(Skipped(str(path), f"cannot stat: {exc.strerror}"))
                continue
            files[str(path)] = FileState(path, st.st_size, st.st_mtime_ns)
    return sorted(files.values(), key=lambda f: f.source), problems, roots


def _utf8(name: str) -> bool:
    """A name the OS gave with bytes that are not UTF-8 (an old Latin-1 archive) holds
    surrogates: it cannot be stored, printed or put in JSON as it is."""
    try:
        name.encode()
    except UnicodeEncodeError:
        return False
    return True


def _walk(root: Path, problems: list[Skipped], index_dir: Path | None) -> Iterable[Path]:
    def on_error(exc: OSError) -> None:
        problems.append(Skipped(str(exc.filename), f"cannot list folder: {exc.strerror}"))

    # Links to folders are followed, as links to files are; each real folder once, so a link
    # back up the tree cannot loop.
    seen = {os.path.realpath(root)}
    if index_dir is not None:
        seen.add(os.path.realpath(index_dir))  # never index the index
    for folder, dirs, names in os.walk(root, onerror=on_error, followlinks=True):
        kept = []
        for d in sorted(d for d in dirs if not d.startswith(".")):
            real = os.path.realpath(os.path.join(folder, d))
            if real not in seen:
                seen.add(real)
                kept.append(d)
        dirs[:] = kept
        for name in sorted(names):
            if not name.startswith("."):
                yield Path(folder) / name


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def make_plan(
    files: Sequence[FileState],
    problems: Sequence[Skipped],
    roots: Sequence[Path],
    stored: dict[str, StoredFile],
    fingerprint: str,
    keep_missing: bool = False,
) -> Plan:
    plan = Plan(failed=list(problems))
    for f in files:
        if f.path.suffix.lower() not in SUPPORTED:
            kinds = ", ".join(sorted(SUPPORTED))
            plan.failed.append(Skipped(f.source, f"unsupported file type; sabio reads {kinds}"))
            continue
        old = stored.get(f.source)
        if old is None:
            plan.add.append(f)
            continue
        same_settings = old.fingerprint == fingerprint
        if same_settings and (old.size, old.mtime_ns) == (f.size, f.mtime_ns):
            plan.unchanged.append(f)
            continue
        try:
            digest = sha256_of(f.path)
        except OSError as exc:
            plan.failed.append(Skipped(f.source, f"cannot read the file: {exc.strerror}"))
            continue
        plan.hashes[f.source] = digest
        if digest == old.sha256 and same_settings:
            plan.touch.append((f, old))
        else:
            plan.update.append((f, old))
    if not keep_missing:
        present = {f.source for f in files}
        # What could not be listed or stat-ed may still exist: never delete it as missing.
        blind = [Path(p.source) for p in problems]
        # Nor what came from a folder that is now empty: more likely an unmounted drive or a
        # folder being restored than a deliberate deletion of everything in it.
        for root in roots:
            held = [s for s in stored if _under(s, root)]
            if root.is_dir() and held and not any(_under(s, root) for s in present):
                blind.append(root)
                plan.failed.append(
                    Skipped(
                        str(root),
                        f"the folder is empty, but {len(held)} document(s) of the collection "
                        "came from it: none deleted (is a drive unmounted?); remove them with "
                        "ingest rm",
                    )
                )
        for source, old in sorted(stored.items()):
            gone = source not in present and any(_under(source, r) for r in roots)
            if gone and not any(_under(source, b) for b in blind):
                plan.delete.append(old)
        _find_moves(plan)
    return plan


def _find_moves(plan: Plan) -> None:
    """Pair each new file with a missing document of the same content (same size, then same
    sha256): a rename or a move, not a new document. Without this, renaming a restricted file
    would make it public (a new document gets no groups) and re-embed all of it."""
    by_size: dict[int, list[StoredFile]] = {}
    for old in plan.delete:
        by_size.setdefault(old.size, []).append(old)
    for f in plan.add:
        candidates = by_size.get(f.size, [])
        if not candidates:
            continue
        try:
            digest = sha256_of(f.path)
        except OSError:
            continue  # the parser will say why it cannot be read
        plan.hashes[f.source] = digest
        match = next((old for old in candidates if old.sha256 == digest), None)
        if match is not None:
            candidates.remove(match)
            plan.delete.remove(match)
            plan.moved[f.source] = match


def _under(source: str, root: Path) -> bool:
    r = str(root)
    return source == r or source.startswith(r.rstrip(os.sep) + os.sep)

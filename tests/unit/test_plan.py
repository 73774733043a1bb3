"""ingest.plan: scan folders, compare with the catalog, decide what a run must do."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ingest import plan as plan_module
from ingest.plan import Plan, make_plan, scan, sha256_of
from rag.catalog import StoredFile

FP = "p1-cabc"


def write(path: Path, text: str, mtime_ns: int | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if mtime_ns is not None:
        os.utime(path, ns=(mtime_ns, mtime_ns))
    return path


def stored(
    path: Path,
    rowid: int = 1,
    *,
    sha256: str | None = None,
    size: int | None = None,
    mtime_ns: int | None = None,
    fingerprint: str = FP,
) -> StoredFile:
    """A catalog record for `path`; by default exactly what is on disk now."""
    st = path.stat() if path.exists() else None
    return StoredFile(
        rowid=rowid,
        doc_id=f"doc{rowid}",
        source=str(path),
        size=st.st_size if size is None and st else (size or 0),
        mtime_ns=st.st_mtime_ns if mtime_ns is None and st else (mtime_ns or 0),
        sha256=sha256 if sha256 is not None else (sha256_of(path) if st else "0" * 64),
        fingerprint=fingerprint,
        version=1,
    )


def plan_for(
    paths: list[Path], records: list[StoredFile], fingerprint: str = FP, keep_missing: bool = False
) -> Plan:
    files, problems, roots = scan(paths)
    return make_plan(
        files, problems, roots, {r.source: r for r in records}, fingerprint, keep_missing
    )


def sources(items: list) -> list[str]:  # type: ignore[type-arg]
    out = []
    for item in items:
        first = item[0] if isinstance(item, tuple) else item
        out.append(first.source)
    return out


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    write(root / "a.txt", "alpha", 1_000_000_000)
    write(root / "sub" / "b.md", "# beta", 2_000_000_000)
    return root


def test_new_files_are_added(docs: Path) -> None:
    p = plan_for([docs], [])
    assert sources(p.add) == [str(docs / "a.txt"), str(docs / "sub" / "b.md")]
    assert not (p.update or p.touch or p.unchanged or p.delete or p.failed)


def test_scan_returns_absolute_sorted_paths_and_existing_roots(docs: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(docs.parent)
    files, problems, roots = scan([Path("docs"), Path("docs/sub"), Path("docs/a.txt")])
    assert [f.source for f in files] == [str(docs / "a.txt"), str(docs / "sub" / "b.md")]
    assert files[0].size == 5 and files[0].mtime_ns == 1_000_000_000
    assert problems == []
    assert roots == [docs, docs / "sub", docs / "a.txt"]


def test_same_size_mtime_and_fingerprint_is_unchanged_without_reading(
    docs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = [stored(docs / "a.txt", 1), stored(docs / "sub" / "b.md", 2)]

    def no_reading(path: Path) -> str:
        raise AssertionError(f"{path} was read although size and mtime are unchanged")

    monkeypatch.setattr(plan_module, "sha256_of", no_reading)
    p = plan_for([docs], records)
    assert sources(p.unchanged) == [str(docs / "a.txt"), str(docs / "sub" / "b.md")]
    assert p.hashes == {}
    assert not (p.add or p.update or p.touch or p.delete or p.failed)


def test_touched_file_with_same_content_is_touch(docs: Path) -> None:
    record = stored(docs / "a.txt", 1)
    os.utime(docs / "a.txt", ns=(5_000_000_000, 5_000_000_000))
    p = plan_for([docs / "a.txt"], [record])
    assert sources(p.touch) == [str(docs / "a.txt")]
    state, old = p.touch[0]
    assert old == record and state.mtime_ns == 5_000_000_000
    assert p.hashes == {str(docs / "a.txt"): record.sha256}
    assert not (p.update or p.unchanged or p.add)


def test_changed_content_is_update(docs: Path) -> None:
    record = stored(docs / "a.txt", 1)
    write(docs / "a.txt", "alpha, revised", 3_000_000_000)
    p = plan_for([docs / "a.txt"], [record])
    assert sources(p.update) == [str(docs / "a.txt")]
    assert p.update[0][1] == record
    assert p.hashes[str(docs / "a.txt")] == sha256_of(docs / "a.txt") != record.sha256
    assert not (p.touch or p.unchanged or p.add)


def test_changed_content_with_same_size_and_mtime_is_not_noticed(docs: Path) -> None:
    """The documented trade-off: size + mtime unchanged means not read (rsync's quick check)."""
    record = stored(docs / "a.txt", 1)
    write(docs / "a.txt", "ALPHA", 1_000_000_000)
    assert sources(plan_for([docs / "a.txt"], [record]).unchanged) == [str(docs / "a.txt")]


def test_changed_fingerprint_is_update_even_when_the_file_is_unchanged(docs: Path) -> None:
    record = stored(docs / "a.txt", 1, fingerprint="p1-cold")
    p = plan_for([docs / "a.txt"], [record], fingerprint="p1-cnew")
    assert sources(p.update) == [str(docs / "a.txt")]
    assert not (p.touch or p.unchanged)


def test_missing_file_under_a_given_root_is_deleted(docs: Path) -> None:
    gone = stored(docs / "gone.txt", 3, size=10, mtime_ns=1)
    gone_deep = stored(docs / "sub" / "old" / "gone.md", 4, size=10, mtime_ns=1)
    elsewhere = stored(docs.parent / "other" / "x.txt", 5, size=10, mtime_ns=1)
    # A sibling folder whose name starts like the root is not under it.
    lookalike = stored(docs.parent / "docs2" / "y.txt", 6, size=10, mtime_ns=1)
    records = [
        stored(docs / "a.txt", 1),
        stored(docs / "sub" / "b.md", 2),
        gone,
        gone_deep,
        elsewhere,
        lookalike,
    ]
    p = plan_for([docs], records)
    assert sorted(sources(p.delete)) == sorted([gone.source, gone_deep.source])
    # Given only the sub folder, only what was under it may go.
    p = plan_for([docs / "sub"], records)
    assert sources(p.delete) == [gone_deep.source]


def test_a_file_given_by_name_that_vanished_is_not_deleted(docs: Path) -> None:
    record = stored(docs / "a.txt", 1)
    (docs / "a.txt").unlink()
    p = plan_for([docs / "a.txt"], [record])
    assert p.delete == []
    assert [s.source for s in p.failed] == [str(docs / "a.txt")]


def test_keep_missing_deletes_nothing(docs: Path) -> None:
    gone = stored(docs / "gone.txt", 3, size=10, mtime_ns=1)
    p = plan_for([docs], [stored(docs / "a.txt", 1), gone], keep_missing=True)
    assert p.delete == []
    assert sources(p.unchanged) == [str(docs / "a.txt")]


def test_missing_root_is_reported_and_nothing_under_it_is_deleted(
    tmp_path: Path, docs: Path
) -> None:
    mistyped = tmp_path / "unmounted"
    records = [
        stored(mistyped / "a.txt", 1, size=5, mtime_ns=1),
        stored(mistyped / "deep" / "b.txt", 2, size=5, mtime_ns=1),
        stored(docs / "gone.txt", 3, size=5, mtime_ns=1),
    ]
    p = plan_for([mistyped, docs], records)
    assert [(s.source, s.reason) for s in p.failed] == [(str(mistyped), "no such file or folder")]
    # The existing root still works normally.
    assert sources(p.delete) == [str(docs / "gone.txt")]
    assert len(p.add) == 2


def test_unlistable_folder_does_not_delete_its_documents(
    docs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder that cannot be listed (permissions, a flaky mount) is reported as failed; the
    documents indexed from it must stay, as for any file that cannot be read this run."""
    record = stored(docs / "sub" / "b.md", 2)
    real_scandir = os.scandir

    def scandir(path):  # type: ignore[no-untyped-def]
        if str(path) == str(docs / "sub"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    p = plan_for([docs], [stored(docs / "a.txt", 1), record])
    assert [s.source for s in p.failed] == [str(docs / "sub")]
    assert "cannot list folder" in p.failed[0].reason
    assert p.delete == [], "documents of an unreadable folder were planned for deletion"


def test_hidden_files_and_folders_are_ignored(docs: Path) -> None:
    write(docs / ".secret.txt", "hidden")
    write(docs / ".git" / "notes.md", "hidden")
    write(docs / "sub" / ".cache" / "c.txt", "hidden")
    p = plan_for([docs], [])
    assert sources(p.add) == [str(docs / "a.txt"), str(docs / "sub" / "b.md")]
    assert p.failed == []


def test_unsupported_extension_fails_with_a_reason(docs: Path) -> None:
    write(docs / "photo.PNG", "png")
    write(docs / "noext", "data")
    write(docs / "upper.TXT", "plain text in upper case")
    p = plan_for([docs], [])
    failed = {s.source: s.reason for s in p.failed}
    assert set(failed) == {str(docs / "photo.PNG"), str(docs / "noext")}
    for reason in failed.values():
        assert "unsupported" in reason and ".pdf" in reason and ".txt" in reason
    assert str(docs / "upper.TXT") in sources(p.add)


def test_a_stored_file_that_became_unsupported_is_not_deleted(docs: Path) -> None:
    write(docs / "old.xyz", "x")
    record = stored(docs / "old.xyz", 9)
    p = plan_for([docs], [record])
    assert p.delete == []
    assert [s.source for s in p.failed] == [str(docs / "old.xyz")]


def test_a_renamed_file_is_paired_with_the_document_of_the_same_content(docs: Path) -> None:
    """A rename is not a new document: it must keep the old one's ACL groups (a new document
    gets none) and reuse its vectors."""
    before = stored(docs / "old-name.txt", 3, sha256=sha256_of(docs / "a.txt"), size=5)
    other = stored(docs / "other.md", 4, sha256="f" * 64, size=6)  # the size of sub/b.md
    p = plan_for([docs], [before, other])
    assert p.moved == {str(docs / "a.txt"): before}
    assert sources(p.add) == [str(docs / "a.txt"), str(docs / "sub" / "b.md")]
    # Same size, other content: a new file and a deletion. The old document of a rename is
    # deleted once the new one is stored, not before.
    assert sources(p.delete) == [other.source]


def test_a_folder_that_became_empty_deletes_nothing_and_says_why(tmp_path: Path) -> None:
    mount = tmp_path / "mnt"
    mount.mkdir()
    records = [stored(mount / "a.txt", 1, size=5, mtime_ns=1), stored(mount / "b.txt", 2)]
    p = plan_for([mount], records)
    assert p.delete == []
    ((source, reason),) = [(s.source, s.reason) for s in p.failed]
    assert source == str(mount) and "2 document(s)" in reason and "ingest rm" in reason
    # One file left is a folder in use: what vanished from it is deleted as usual.
    write(mount / "c.txt", "gamma")
    assert sorted(sources(plan_for([mount], records).delete)) == [
        str(mount / "a.txt"),
        str(mount / "b.txt"),
    ]


def test_a_file_name_that_is_not_utf8_is_reported_not_crashed_on(docs: Path) -> None:
    latin1 = Path(os.fsdecode(os.fsencode(docs) + b"/caf\xe9.txt"))
    latin1.write_text("coffee")
    p = plan_for([docs], [])
    (problem,) = p.failed
    assert problem.source == str(docs / "caf\ufffd.txt") and "not UTF-8" in problem.reason
    problem.source.encode()  # printable, storable, JSON-able
    assert sources(p.add) == [str(docs / "a.txt"), str(docs / "sub" / "b.md")]


def test_links_to_folders_are_followed_once_and_cannot_loop(tmp_path: Path, docs: Path) -> None:
    elsewhere = write(tmp_path / "shared" / "c.txt", "gamma").parent
    (docs / "shared").symlink_to(elsewhere)
    (docs / "sub" / "up").symlink_to(docs)  # a loop
    files, problems, _ = scan([docs])
    assert [f.source for f in files] == [
        str(docs / "a.txt"),
        str(docs / "shared" / "c.txt"),
        str(docs / "sub" / "b.md"),
    ]
    assert problems == []


def test_the_index_folder_inside_a_given_folder_is_not_scanned(docs: Path) -> None:
    index = docs / "indexes"
    write(index / "manuals" / "catalog.sqlite", "not a document")
    files, problems, _ = scan([docs], index_dir=index)
    assert [f.source for f in files] == [str(docs / "a.txt"), str(docs / "sub" / "b.md")]
    assert problems == []

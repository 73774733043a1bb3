"""Uploads: checked in the request, before anything is kept.

Every file must have a plain name, a type we parse (by content, not only by name), fit the size
limit, and (a .docx) not unpack to far more than it weighs. The first bad file refuses the whole
request with a 4xx and removes what was staged, so a refused upload stores nothing.

Files are staged in a hidden folder of the collection (ingestion skips hidden folders) and moved
into `uploads/<acl folder>/` by the job. The acl folder is one per set of ACL groups (`public`,
`groups-legal`, ...): a file can only replace an earlier upload with the same groups, so an
upload never overwrites, nor reveals by "updated", a document its sender may not see.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from api.errors import ApiError, PayloadTooLarge, UnsupportedMediaType, upload_too_large
from ingest.parse import SUPPORTED, sniff
from rag.errors import ParseError

UPLOADS = "uploads"
# A .docx may unpack to max(its size x ratio, this) before it is taken for a zip bomb.
MIN_UNZIP_BYTES = 32 * 2**20


class BadUpload(ApiError):
    status = 400


@dataclass(frozen=True, slots=True)
class UploadLimits:
    max_bytes: int
    max_files: int
    unzip_ratio: float


@dataclass(frozen=True, slots=True)
class Incoming:
    """One uploaded file as the request hands it over."""

    name: str | None
    file: BinaryIO


def acl_folder(groups: tuple[str, ...]) -> str:
    if not groups:
        return "public"
    joined = "+".join(groups)
    if len(joined) <= 120:
        return f"groups-{joined}"
    return "groups-" + hashlib.sha256(joined.encode()).hexdigest()[:16]


def safe_name(raw: str | None) -> str:
    """The file name, or BadUpload for anything that could leave the upload folder."""
    name = "" if raw is None else raw
    plain = (
        name
        and name == os.path.basename(name)
        and "\\" not in name
        and not name.startswith(".")
        and len(name) <= 200
        and all(ord(ch) >= 32 for ch in name)
    )
    if not plain:
        raise BadUpload(
            f"Invalid file name {name[:200]!r}: send a plain file name, without folders."
        )
    return name


def stage(
    files: list[Incoming], collection_folder: Path, limits: UploadLimits
) -> tuple[Path, list[Path]]:
    """Write the files to a new staging folder and check them: (folder, staged files)."""
    if not files:
        raise BadUpload("Send at least one file in the `files` field.")
    if len(files) > limits.max_files:
        raise BadUpload(f"At most {limits.max_files} files per upload.")
    names = [safe_name(f.name) for f in files]
    if len(set(names)) != len(names):
        raise BadUpload("Two files of the upload have the same name.")
    folder = collection_folder / UPLOADS / ".incoming" / uuid.uuid4().hex
    folder.mkdir(parents=True)
    try:
        staged, total = [], 0
        for name, f in zip(names, files, strict=True):
            path = folder / name
            total += _copy(f.file, path, limits.max_bytes - total, limits.max_bytes)
            check_content(path, limits)
            staged.append(path)
        return folder, staged
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _copy(src: BinaryIO, dest: Path, budget: int, limit: int) -> int:
    size = 0
    with dest.open("wb") as out:
        while block := src.read(1 << 20):
            size += len(block)
            if size > budget:
                raise PayloadTooLarge(upload_too_large(limit))
            out.write(block)
    return size


def check_content(path: Path, limits: UploadLimits) -> None:
    """415 unless the content is of a type we parse and matches the file's extension."""
    name = path.name
    if path.suffix.lower() not in SUPPORTED:
        kinds = ", ".join(sorted(SUPPORTED))
        raise UnsupportedMediaType(f"{name}: unsupported file type; sabio reads {kinds}.")
    size = path.stat().st_size
    if size == 0:
        raise BadUpload(f"{name} is empty.")
    if path.suffix.lower() == ".docx" and zipfile.is_zipfile(path):
        _check_unzipped(path, max(size * limits.unzip_ratio, MIN_UNZIP_BYTES))
    try:
        sniff(path, limits.max_bytes)
    except ParseError as exc:
        raise UnsupportedMediaType(f"{name}: {exc}.") from None


def _check_unzipped(path: Path, limit: float) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            unzipped = sum(info.file_size for info in zf.infolist())
    except (zipfile.BadZipFile, OSError):
        return  # sniff says what is wrong with it
    if unzipped > limit:
        raise PayloadTooLarge(
            f"{path.name} unpacks to {unzipped / 2**20:.0f} MB, far more than it weighs "
            "(a zip bomb?); refused."
        )

"""Documents of a collection: upload (a background ingest job), list, describe, delete."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Response, UploadFile

from api.access import visible_ids
from api.deps import EditableCollection, KeyDep, ReadableCollection, ServicesDep
from api.errors import Forbidden, InvalidRequest, NotFound
from api.jobs import JobRecord
from api.schemas import DocumentInfo, Documents, JobResponse, UploadAccepted
from api.services import Services
from api.uploads import UPLOADS, Incoming, UploadLimits, acl_folder, stage
from ingest.pipeline import Labels
from rag.errors import DocumentNotFound
from rag.keys import ApiKey, check_groups
from rag.types import Document
from rag.writer import open_writer

router = APIRouter(prefix="/v1", tags=["documents"])

# How long a delete waits for another writer (an upload job, `ingest run`) of the collection.
DELETE_WAIT_S = 10.0


@router.post("/collections/{collection}/documents", status_code=202, response_model=UploadAccepted)
def upload(
    collection: EditableCollection,
    services: ServicesDep,
    key: KeyDep,
    files: Annotated[list[UploadFile], File(description="One or more documents.")],
    acl_groups: Annotated[
        str | None, Form(description="Comma-separated ACL groups; none: every reader sees them.")
    ] = None,
    metadata: Annotated[str | None, Form(description="A JSON object of strings.")] = None,
) -> UploadAccepted:
    labels = Labels(groups=_groups(key, acl_groups), metadata=_metadata(metadata))
    folder = services.store.require(collection).folder
    api = services.settings.api
    limits = UploadLimits(int(api.max_upload_mb * 2**20), api.max_files, api.max_unzip_ratio)
    _, staged = stage([Incoming(f.filename, f.file) for f in files], folder, limits)
    target = folder / UPLOADS / acl_folder(labels.groups or ())
    job = services.jobs.submit(collection, staged, [target / p.name for p in staged], labels)
    return UploadAccepted(job_id=job.id, files=[p.name for p in staged])


def _groups(key: ApiKey, raw: str | None) -> tuple[str, ...]:
    groups = check_groups((raw or "").split(","))
    if not key.is_admin and not set(groups) <= set(key.groups):
        # Otherwise an editor could hide a document from itself, or file it among documents
        # of a group it does not belong to.
        raise Forbidden("You can only give documents ACL groups that your key has.")
    return groups


def _metadata(raw: str | None) -> dict[str, str] | None:
    if raw is None or not raw.strip():
        return None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        data = None
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise InvalidRequest('`metadata` must be a JSON object of strings, e.g. {"team": "a"}.')
    return data


@router.get("/jobs/{job_id}", response_model=JobResponse)
def job(job_id: str, services: ServicesDep, key: KeyDep) -> JobResponse:
    found = services.jobs.get(job_id)
    if found is None or not _may_see_job(key, found):
        raise NotFound(f"No job {job_id!r}.")
    return JobResponse(
        id=found.id,
        collection=found.collection,
        status=found.status,
        files_total=found.files_total,
        files_done=found.files_done,
        results=found.results,
        counts=found.counts,
        error=found.error,
    )


def _may_see_job(key: ApiKey, job: JobRecord) -> bool:
    if not key.may_edit(job.collection):
        return False
    return key.is_admin or not job.groups or bool(set(job.groups) & set(key.groups))


@router.get("/collections/{collection}/documents", response_model=Documents)
def list_documents(collection: ReadableCollection, services: ServicesDep, key: KeyDep) -> Documents:
    return Documents(documents=_visible(services, key, collection))


@router.get("/collections/{collection}/documents/{document_id}", response_model=DocumentInfo)
def get_document(
    collection: ReadableCollection, document_id: str, services: ServicesDep, key: KeyDep
) -> DocumentInfo:
    for d in _visible(services, key, collection):
        if d.id == document_id:
            return d
    raise DocumentNotFound(f"No document {document_id!r} in collection {collection!r}.")


def _visible(services: Services, key: ApiKey, collection: str) -> list[DocumentInfo]:
    with services.collections.borrow(collection) as handle:
        allowed = visible_ids(handle, key)
        with handle.snapshot() as snap:
            docs = snap.catalog.documents(collection, allowed)
            groups = snap.catalog.acl_groups()
    return [_info(d, groups.get(d.id, ())) for d in docs]


def _info(d: Document, groups: tuple[str, ...]) -> DocumentInfo:
    return DocumentInfo(
        id=d.id,
        source=Path(d.source).name,
        title=d.title,
        format=d.format,
        pages=d.pages,
        chunks=d.n_chunks,
        version=d.version,
        acl_groups=list(groups),
        metadata=d.metadata,
        indexed_at=d.indexed_at,
    )


@router.delete("/collections/{collection}/documents/{document_id}", status_code=204)
def delete_document(
    collection: EditableCollection, document_id: str, services: ServicesDep, key: KeyDep
) -> Response:
    coll = services.store.require(collection)
    uploads = coll.folder / UPLOADS
    with open_writer(coll, DELETE_WAIT_S) as writer:
        rowid = writer.catalog.document_rowid(document_id)
        mine = rowid is not None and (
            key.is_admin or rowid in writer.catalog.visible_documents(key.groups)
        )
        stored = next((f for f in writer.catalog.stored_files().values() if f.rowid == rowid), None)
        if not mine or stored is None:
            raise DocumentNotFound(f"No document {document_id!r} in collection {collection!r}.")
        writer.delete(stored)
        writer.commit()
    source = Path(stored.source)
    if source.is_relative_to(uploads):  # an uploaded file: it must not come back
        source.unlink(missing_ok=True)
    return Response(status_code=204)

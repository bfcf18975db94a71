"""Import and export endpoints under ``/api/v1/orgs/{org_id}`` (HTTP only; rules in service).

``POST …/imports?kind=…`` takes a multipart ``file``; without ``apply=true`` it is a dry run.
A file of more than ``QM_IMPORT_INLINE_ROWS`` rows (or ``background=true``) answers 202 with
a job a worker runs; ``GET …/imports/{job_id}`` follows it.
``GET …/exports?kind=…&format=csv|json`` answers a file that imports back unchanged. The kind
is a query parameter, not a path segment: it names a layout, never a record.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, UploadFile, status
from fastapi.responses import JSONResponse, Response

from api.core.access import InventoryReader, ItemsManager
from api.core.db import DbSession
from api.core.errors import InvalidInput
from api.core.jobs import JobDispatcher, get_jobs
from api.transfer_io import codec, service
from api.transfer_io.schemas import FileFormat, ImportJobOut, ImportKind, ImportReport, Kind

router = APIRouter(prefix="/orgs/{org_id}", tags=["import-export"])

# Importing creates org items, so it needs ItemsManager (admins); exporting is reading.
_PROBLEMS: dict[int | str, dict[str, Any]] = {
    413: {"description": "The file is larger than an import accepts"},
    422: {"description": "Unreadable file, unknown column, or (apply) bad rows, all listed"},
}
_MEDIA = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


def _format_of(upload: UploadFile, given: FileFormat | None) -> str:
    if given is not None:
        return given
    name = (upload.filename or "").lower()
    for suffix in ("csv", "json"):
        if name.endswith("." + suffix) or suffix in (upload.content_type or ""):
            return suffix
    raise InvalidInput("Say format=csv or format=json (the file name does not)", field="format")


@router.post(
    "/imports",
    response_model=ImportReport,
    summary="Import a CSV or JSON file (dry run unless apply=true)",
    responses={
        202: {"model": ImportJobOut,
              "description": "A large file (or background=true): queued for a worker; "
                             "follow GET …/imports/{job_id} or the org socket"},
        **_PROBLEMS,
    },
)
def import_file(
    request: Request,
    kind: Annotated[ImportKind, Query(description="what the file holds")],
    access: ItemsManager,
    session: DbSession,
    file: Annotated[UploadFile, File(description="CSV (header row) or JSON array, UTF-8")],
    apply: Annotated[bool, Query(description="write the file; false: report only")] = False,
    format: Annotated[FileFormat | None, Query(description="default: from the file name")] = None,
    background: Annotated[bool, Query(
        description="run as a worker job (202) whatever the file's size")] = False,
) -> ImportReport | JSONResponse:
    """Validate every row and report what would change; with ``apply=true``, change it."""
    # One byte past the limit is enough to know the file is too large.
    data = file.file.read(codec.MAX_FILE_BYTES + 1)

    def jobs() -> JobDispatcher:
        return get_jobs(request, session)

    outcome = service.import_or_queue(
        session, org_id=access.org_id, actor_id=access.user.id, kind=kind,
        file_format=_format_of(file, format), data=data, apply=apply, background=background,
        inline_rows=request.app.state.settings.import_inline_rows, jobs=jobs,
    )
    if isinstance(outcome, ImportReport):
        return outcome
    return JSONResponse(
        outcome.model_dump(mode="json"), status_code=status.HTTP_202_ACCEPTED,
        headers={"Location": str(request.url_for("get_import_job", org_id=access.org_id,
                                                 job_id=outcome.id))},
    )


@router.get(
    "/imports/{job_id}",
    response_model=ImportJobOut,
    summary="A background import: status, progress and report",
    responses={404: {"description": "No such job in this org"}},
)
def get_import_job(job_id: uuid.UUID, access: ItemsManager, session: DbSession) -> ImportJobOut:
    """Where a background import has got to; once finished, its report."""
    return service.get_import_job(session, access.org_id, job_id)


@router.get(
    "/exports",
    summary="Export the org's records as CSV or JSON (the import layout)",
    responses={
        200: {
            "description": "The file (Content-Disposition: attachment)",
            "content": {
                "text/csv": {"schema": {"type": "string", "description": "header row first"}},
                "application/json": {
                    "schema": {"type": "array", "items": {"type": "object"}}
                },
            },
        },
        **_PROBLEMS,
    },
)
def export_file(
    kind: Annotated[Kind, Query(description="what to export")],
    access: InventoryReader,
    session: DbSession,
    format: Annotated[FileFormat, Query()] = "csv",
) -> Response:
    """The org's own items, locations, ships or stock, by name and path."""
    body = service.export_file(session, access.org_id, kind, format)
    return Response(
        body,
        media_type=_MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="{kind}.{format}"'},
    )

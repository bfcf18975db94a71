"""Import and export endpoints under ``/api/v1/orgs/{org_id}`` (HTTP only; rules in service).

``POST …/imports?kind=…`` takes a multipart ``file``; without ``apply=true`` it is a dry run.
``GET …/exports?kind=…&format=csv|json`` answers a file that imports back unchanged. The kind
is a query parameter, not a path segment: it names a layout, never a record.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, UploadFile
from fastapi.responses import Response

from api.core.db import DbSession
from api.core.deps import OrgAccess, org_member
from api.core.errors import InvalidInput
from api.core.permissions import Action
from api.transfer_io import codec, service
from api.transfer_io.schemas import FileFormat, ImportKind, ImportReport, Kind

router = APIRouter(prefix="/orgs/{org_id}", tags=["import-export"])

# Importing creates org items, which only admins may do; exporting is reading.
Importer = Annotated[OrgAccess, Depends(org_member(action=Action.ITEMS_MANAGE))]
Reader = Annotated[OrgAccess, Depends(org_member(action=Action.INVENTORY_READ))]

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
    responses=_PROBLEMS,
)
def import_file(
    kind: Annotated[ImportKind, Query(description="what the file holds")],
    access: Importer,
    session: DbSession,
    file: Annotated[UploadFile, File(description="CSV (header row) or JSON array, UTF-8")],
    apply: Annotated[bool, Query(description="write the file; false: report only")] = False,
    format: Annotated[FileFormat | None, Query(description="default: from the file name")] = None,
) -> ImportReport:
    """Validate every row and report what would change; with ``apply=true``, change it."""
    # One byte past the limit is enough to know the file is too large.
    data = file.file.read(codec.MAX_FILE_BYTES + 1)
    return service.run_import(
        session, org_id=access.org_id, actor_id=access.user.id, kind=kind,
        file_format=_format_of(file, format), data=data, apply=apply,
    )


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
    access: Reader,
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

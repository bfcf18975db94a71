"""HTTP routes for market listings: ``/orgs/{org_id}/sources`` and their votes."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from api.core.access import InventoryList, InventoryReader
from api.core.db import DbSession
from api.core.deps import OrgAccess, org_member
from api.core.pagination import Page
from api.core.permissions import Action
from api.sources import service
from api.sources.schemas import SourceFilters, SourceIn, SourceOut, VoteIn, VoteOut
from models.planning import ResourceSource

router = APIRouter(tags=["sources"])

Writer = Annotated[OrgAccess, Depends(org_member(action=Action.SOURCES_WRITE))]
Filters = Annotated[SourceFilters, Query()]


def _one(session: DbSession, src: ResourceSource) -> SourceOut:
    return service.describe(session, [src])[0]


@router.get("/orgs/{org_id}/sources", summary="Market listings the org can buy from")
def list_sources(read: InventoryList, filters: Filters) -> Page[SourceOut]:
    """The org's and shared listings, cheapest first, with derived reliability."""
    rows, total = service.list_sources(read.session, read.access.org_id, filters, read.page)
    return read.page.page(service.describe(read.session, rows), total)


@router.post("/orgs/{org_id}/sources", response_model=SourceOut,
             status_code=status.HTTP_201_CREATED, summary="Add a market listing")
def create_source(access: Writer, session: DbSession, body: SourceIn,
                  response: Response) -> SourceOut:
    """Add an org listing."""
    src = service.create_source(session, access.org_id, access.user.id, body)
    response.headers["Location"] = f"/api/v1/orgs/{access.org_id}/sources/{src.id}"
    return _one(session, src)


@router.get("/orgs/{org_id}/sources/{source_id}", response_model=SourceOut,
            summary="One listing")
def get_source(access: InventoryReader, session: DbSession, source_id: uuid.UUID) -> SourceOut:
    """A listing and its reliability."""
    return _one(session, service.get_source(session, access.org_id, source_id))


@router.put("/orgs/{org_id}/sources/{source_id}", response_model=SourceOut,
            summary="Replace a listing's figures")
def update_source(access: Writer, session: DbSession, source_id: uuid.UUID,
                  body: SourceIn) -> SourceOut:
    """Replace price, availability, lot size, quality, holder (org listings only)."""
    return _one(session, service.update_source(session, access.org_id, access.user.id,
                                               source_id, body))


@router.delete("/orgs/{org_id}/sources/{source_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Delete a listing")
def delete_source(access: Writer, session: DbSession, source_id: uuid.UUID) -> Response:
    """Delete an org listing."""
    service.delete_source(session, access.org_id, source_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/orgs/{org_id}/sources/{source_id}/votes", response_model=VoteOut,
             status_code=status.HTTP_201_CREATED,
             summary="Report a listing accurate or not (one per member per day)")
def vote(access: Writer, session: DbSession, source_id: uuid.UUID, body: VoteIn) -> VoteOut:
    """Record the vote; 409 on a second vote the same UTC day."""
    row = service.vote(session, access.org_id, access.user.id, source_id, body)
    rel = service.reliabilities(session, [source_id])[source_id][0]
    return VoteOut(id=row.id, source_id=source_id, accurate=row.was_accurate, day=row.day,
                   reliability=rel)

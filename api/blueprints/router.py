"""HTTP routes for blueprints: ``/orgs/{org_id}/blueprints`` and ``/refining-methods``."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from api.blueprints import schemas, service
from api.blueprints.schemas import BlueprintIn, BlueprintOut, RefiningIn, RefiningMethodOut
from api.core.access import InventoryList, InventoryReader
from api.core.db import DbSession
from api.core.deps import CurrentUser, OrgAccess, org_member
from api.core.pagination import Page
from api.core.permissions import Action
from api.core.routing import no_content
from models.planning import Blueprint

router = APIRouter(tags=["blueprints"])

Writer = Annotated[OrgAccess, Depends(org_member(action=Action.BLUEPRINTS_WRITE))]
Filters = Annotated[schemas.BlueprintFilters, Query()]


@router.get("/refining-methods", response_model=list[RefiningMethodOut],
            summary="Refining methods (yield, time and cost factors)")
def refining_methods(_: CurrentUser) -> list[RefiningMethodOut]:
    """The game's refining methods, usable with ``POST …/blueprints/refining``."""
    return [RefiningMethodOut(name=n, yield_=y, time=t, cost=c)
            for n, (y, t, c) in service.REFINING_METHODS.items()]


@router.get("/orgs/{org_id}/blueprints", summary="Blueprints the org can use (own, shared, public)")
def list_blueprints(read: InventoryList, filters: Filters) -> Page[BlueprintOut]:
    """List visible blueprints; several for one output item are alternatives."""
    rows, total = service.list_visible(read.session, read.access.org_id, filters, read.page)
    return read.page.page_of(rows, total, service.to_out)


def _created(response: Response, access: OrgAccess, bp: Blueprint) -> BlueprintOut:
    """The 201 answer of a new blueprint: where it lives (``Location``) and what it is."""
    response.headers["Location"] = f"/api/v1/orgs/{access.org_id}/blueprints/{bp.id}"
    return service.to_out(bp)


@router.post("/orgs/{org_id}/blueprints", response_model=BlueprintOut,
             status_code=status.HTTP_201_CREATED, summary="Create an org blueprint")
def create_blueprint(access: Writer, session: DbSession, body: BlueprintIn,
                     response: Response) -> BlueprintOut:
    """Create a blueprint; a bill-of-materials cycle is refused (422) with the cycle named."""
    return _created(response, access,
                    service.create_blueprint(session, access.org_id, access.user.id, body))


@router.post("/orgs/{org_id}/blueprints/refining", response_model=BlueprintOut,
             status_code=status.HTTP_201_CREATED,
             summary="Create a refining blueprint from a refining method")
def create_refining_blueprint(access: Writer, session: DbSession, body: RefiningIn,
                              response: Response) -> BlueprintOut:
    """Ore in, refined material out at the method's yield; time and cost scaled."""
    return _created(response, access, service.create_refining_blueprint(
        session, access.org_id, access.user.id, body))


@router.get("/orgs/{org_id}/blueprints/{blueprint_id}", response_model=BlueprintOut,
            summary="One blueprint")
def get_blueprint(
    access: InventoryReader, session: DbSession, blueprint_id: uuid.UUID
) -> BlueprintOut:
    """A visible blueprint (404 for other orgs' private ones)."""
    return service.to_out(service.get_blueprint(session, access.org_id, blueprint_id))


@router.put("/orgs/{org_id}/blueprints/{blueprint_id}", response_model=BlueprintOut,
            summary="Replace an org blueprint")
def update_blueprint(access: Writer, session: DbSession, blueprint_id: uuid.UUID,
                     body: BlueprintIn) -> BlueprintOut:
    """Replace the blueprint's fields and ingredients (same checks as create)."""
    return service.to_out(service.update_blueprint(session, access.org_id, blueprint_id, body))


@no_content(router.delete, "/orgs/{org_id}/blueprints/{blueprint_id}",
            summary="Delete an org blueprint")
def delete_blueprint(access: Writer, session: DbSession, blueprint_id: uuid.UUID) -> None:
    """Delete; 409 while crafts still use it."""
    service.delete_blueprint(session, access.org_id, blueprint_id)

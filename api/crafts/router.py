"""HTTP routes for crafts: create, list, read, start, complete (partially), cancel."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, Query, status

from api.core.access import InventoryReader
from api.core.db import DbSession
from api.core.deps import OrgAccess, org_member
from api.core.pagination import Page, Paging
from api.core.permissions import Action
from api.crafts import service
from api.crafts.schemas import CompleteIn, CraftIn, CraftOut, CraftPatch, CraftStatus

router = APIRouter(tags=["crafts"])

Writer = Annotated[OrgAccess, Depends(org_member(action=Action.CRAFTS_WRITE))]


@router.post("/orgs/{org_id}/crafts", response_model=CraftOut,
             status_code=status.HTTP_201_CREATED, summary="Plan a craft (N runs of a blueprint)")
def create_craft(access: Writer, session: DbSession, body: CraftIn) -> CraftOut:
    """A ``planned`` craft; nothing is reserved until it starts."""
    craft = service.create_craft(session, access.org_id, access.user.id, body)
    return service.describe(session, craft)


@router.get("/orgs/{org_id}/crafts", response_model=Page[CraftOut], summary="The org's crafts")
def list_crafts(
    access: InventoryReader, session: DbSession, page: Paging,
    status_: Annotated[CraftStatus | None, Query(alias="status")] = None,
    plan_id: uuid.UUID | None = None,
    crafter: Annotated[
        Literal["me"] | uuid.UUID | None,
        Query(description="`me` (your queue) or a member's user id"),
    ] = None,
) -> Page[CraftOut]:
    """Crafts by priority, newest first; filter by status, by the plan that made them or by
    crafter (``crafter=me``: your queue)."""
    crafter_id = access.user.id if crafter == "me" else crafter
    rows, total = service.list_crafts(session, access.org_id, status=status_, plan_id=plan_id,
                                      crafter_id=crafter_id, page=page)
    return page.page(service.describe_many(session, rows), total)


@router.patch("/orgs/{org_id}/crafts/{craft_id}", response_model=CraftOut,
              summary="Assign the crafter (an org member) or change the priority")
def update_craft(access: Writer, session: DbSession, craft_id: uuid.UUID,
                 body: CraftPatch) -> CraftOut:
    """``{"crafter_id": …}`` assigns (a non-member is a 422 naming it), ``null`` unassigns."""
    return service.describe(session, service.update_craft(session, access.org_id, craft_id,
                                                          body))


@router.get("/orgs/{org_id}/crafts/{craft_id}", response_model=CraftOut, summary="One craft")
def get_craft(access: InventoryReader, session: DbSession, craft_id: uuid.UUID) -> CraftOut:
    """The craft with its ingredients and reservations."""
    return service.describe(session, service.get_craft(session, access.org_id, craft_id))


@router.post("/orgs/{org_id}/crafts/{craft_id}/start", response_model=CraftOut,
             summary="Start: reserve every ingredient for all runs")
def start_craft(access: Writer, session: DbSession, craft_id: uuid.UUID) -> CraftOut:
    """409 ``insufficient-stock`` naming the item and shortfall when the location lacks it."""
    craft = service.start_craft(session, access.org_id, access.user.id, craft_id)
    return service.describe(session, craft)


@router.post("/orgs/{org_id}/crafts/{craft_id}/complete", response_model=CraftOut,
             summary="Complete runs: consume their reserved ingredients, add the output")
def complete_craft(access: Writer, session: DbSession, craft_id: uuid.UUID,
                   body: Annotated[CompleteIn | None, Body()] = None) -> CraftOut:
    """``{"runs": k}`` completes k runs; no body completes all remaining runs."""
    craft = service.complete_craft(session, access.org_id, access.user.id, craft_id,
                                   body.runs if body else None)
    return service.describe(session, craft)


@router.post("/orgs/{org_id}/crafts/{craft_id}/cancel", response_model=CraftOut,
             summary="Cancel: release what the craft still holds")
def cancel_craft(access: Writer, session: DbSession, craft_id: uuid.UUID) -> CraftOut:
    """Completed runs stay; reserved ingredients go back to available."""
    craft = service.cancel_craft(session, access.org_id, access.user.id, craft_id)
    return service.describe(session, craft)

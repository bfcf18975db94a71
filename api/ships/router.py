"""HTTP routes for org ships, personal ships and the ship-type catalogue."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from api.core.db import DbSession
from api.core.deps import CurrentUser, OrgAccess, org_member
from api.core.pagination import Page, PageParams, Paging
from api.core.permissions import Action
from api.locations.service import Owner
from api.ships import service
from api.ships.schemas import ShipCreate, ShipMove, ShipOut, ShipType, ShipUpdate

router = APIRouter(tags=["ships"])

OrgRead = Annotated[OrgAccess, Depends(org_member(action=Action.INVENTORY_READ))]
OrgWrite = Annotated[OrgAccess, Depends(org_member(action=Action.INVENTORY_WRITE))]


def _page(session: DbSession, owner: Owner, page: PageParams) -> Page[ShipOut]:
    ships, total = service.list_ships(session, owner, page)
    return page.page_of(ships, total, lambda s: service.to_out(session, s))


@router.get("/ship-types", summary="Known ship types and their default cargo capacity")
def list_ship_types(user: CurrentUser) -> list[ShipType]:
    """The small built-in catalogue (capacities are editable per ship)."""
    return list(service.ship_types())


# --- org ships -------------------------------------------------------------------------------


@router.get("/orgs/{org_id}/ships", summary="The org's ships")
def list_org_ships(
    session: DbSession, access: OrgRead, page: Paging
) -> Page[ShipOut]:
    """Paged, by name."""
    return _page(session, Owner.org(access.org_id), page)


@router.post("/orgs/{org_id}/ships", status_code=status.HTTP_201_CREATED, summary="Add a ship")
def create_org_ship(
    body: ShipCreate, session: DbSession, access: OrgWrite, response: Response
) -> ShipOut:
    """Creates the ship and its cargo grid (a ``ship_cargo`` location) together."""
    ship = service.create_ship(session, Owner.org(access.org_id), body)
    response.headers["Location"] = f"/api/v1/orgs/{access.org_id}/ships/{ship.id}"
    return service.to_out(session, ship)


@router.get("/orgs/{org_id}/ships/{ship_id}", summary="One org ship")
def get_org_ship(ship_id: uuid.UUID, session: DbSession, access: OrgRead) -> ShipOut:
    """A ship of the org."""
    return service.to_out(session, service.get_ship(session, Owner.org(access.org_id), ship_id))


@router.patch("/orgs/{org_id}/ships/{ship_id}", summary="Edit an org ship")
def update_org_ship(
    ship_id: uuid.UUID, body: ShipUpdate, session: DbSession, access: OrgWrite
) -> ShipOut:
    """Rename, correct the capacity, or move it by setting ``current_location_id``."""
    ship = service.update_ship(session, Owner.org(access.org_id), ship_id, body)
    return service.to_out(session, ship)


@router.post("/orgs/{org_id}/ships/{ship_id}/move", summary="Park an org ship elsewhere")
def move_org_ship(
    ship_id: uuid.UUID, body: ShipMove, session: DbSession, access: OrgWrite
) -> ShipOut:
    """Its cargo grid (and so all stock in it) moves along; stock rows are not touched."""
    ship = service.move_ship(session, Owner.org(access.org_id), ship_id, body.location_id)
    return service.to_out(session, ship)


@router.delete(
    "/orgs/{org_id}/ships/{ship_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an org ship with an empty grid",
)
def delete_org_ship(ship_id: uuid.UUID, session: DbSession, access: OrgWrite) -> Response:
    """409 while its cargo grid holds stock."""
    service.delete_ship(session, Owner.org(access.org_id), ship_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- personal ships --------------------------------------------------------------------------


@router.get("/users/me/ships", summary="Your personal ships")
def list_my_ships(
    session: DbSession, user: CurrentUser, page: Paging
) -> Page[ShipOut]:
    """Paged, by name."""
    return _page(session, Owner.user(user.id), page)


@router.post("/users/me/ships", status_code=status.HTTP_201_CREATED, summary="Add a personal ship")
def create_my_ship(
    body: ShipCreate, session: DbSession, user: CurrentUser, response: Response
) -> ShipOut:
    """Creates the ship and its cargo grid together."""
    ship = service.create_ship(session, Owner.user(user.id), body)
    response.headers["Location"] = f"/api/v1/users/me/ships/{ship.id}"
    return service.to_out(session, ship)


@router.get("/users/me/ships/{ship_id}", summary="One of your ships")
def get_my_ship(ship_id: uuid.UUID, session: DbSession, user: CurrentUser) -> ShipOut:
    """A personal ship."""
    return service.to_out(session, service.get_ship(session, Owner.user(user.id), ship_id))


@router.patch("/users/me/ships/{ship_id}", summary="Edit a personal ship")
def update_my_ship(
    ship_id: uuid.UUID, body: ShipUpdate, session: DbSession, user: CurrentUser
) -> ShipOut:
    """Rename, correct the capacity or move it."""
    return service.to_out(session, service.update_ship(session, Owner.user(user.id), ship_id, body))


@router.post("/users/me/ships/{ship_id}/move", summary="Park a personal ship elsewhere")
def move_my_ship(
    ship_id: uuid.UUID, body: ShipMove, session: DbSession, user: CurrentUser
) -> ShipOut:
    """Its cargo grid moves along."""
    ship = service.move_ship(session, Owner.user(user.id), ship_id, body.location_id)
    return service.to_out(session, ship)


@router.delete(
    "/users/me/ships/{ship_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a personal ship with an empty grid",
)
def delete_my_ship(ship_id: uuid.UUID, session: DbSession, user: CurrentUser) -> Response:
    """409 while its cargo grid holds stock."""
    service.delete_ship(session, Owner.user(user.id), ship_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

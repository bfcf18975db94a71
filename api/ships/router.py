"""HTTP routes for org ships, personal ships and the ship-type catalogue.

Org and personal ships are one set of routes (:func:`_ship_routes`) registered for both
owners (``api.core.owner_routes``). Not ``from __future__ import annotations``: the routes'
``Annotated`` dependencies are read from the builder's closure.
"""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from api.core.db import DbSession
from api.core.deps import CurrentUser
from api.core.owner_routes import OwnerRoutes, owner_routes
from api.core.pagination import Page, Paging
from api.core.permissions import Action
from api.core.tenancy import Owner
from api.ships import service
from api.ships.schemas import ShipCreate, ShipMove, ShipOut, ShipType, ShipUpdate

router = APIRouter(tags=["ships"])


@router.get("/ship-types", summary="Known ship types and their default cargo capacity")
def list_ship_types(user: CurrentUser) -> list[ShipType]:
    """The small built-in catalogue (capacities are editable per ship)."""
    return list(service.ship_types())


def _ship_routes(scope: OwnerRoutes) -> None:
    """The ship routes of one owner kind (org or personal)."""
    read = Annotated[Owner, Depends(scope.read)]
    write = Annotated[Owner, Depends(scope.write)]
    ships, one = f"{scope.prefix}/ships", f"{scope.prefix}/ships/{{ship_id}}"

    @router.get(ships, name=f"list_{scope.name}_ships",
                summary=scope.say("The org's ships", "Your personal ships"))
    def list_ships(session: DbSession, owner: read, page: Paging) -> Page[ShipOut]:
        """Paged, by name."""
        rows, total = service.list_ships(session, owner, page)
        return page.page_of(rows, total, lambda s: service.to_out(session, s))

    @router.post(ships, name=f"create_{scope.name}_ship", status_code=status.HTTP_201_CREATED,
                 summary=scope.say("Add a ship", "Add a personal ship"))
    def create_ship(
        body: ShipCreate, session: DbSession, owner: write, response: Response
    ) -> ShipOut:
        """Creates the ship and its cargo grid (a ``ship_cargo`` location) together."""
        ship = service.create_ship(session, owner, body)
        response.headers["Location"] = scope.url(owner, f"/ships/{ship.id}")
        return service.to_out(session, ship)

    @router.get(one, name=f"get_{scope.name}_ship",
                summary=scope.say("One org ship", "One of your ships"))
    def get_ship(ship_id: uuid.UUID, session: DbSession, owner: read) -> ShipOut:
        """A ship of the owner."""
        return service.to_out(session, service.get_ship(session, owner, ship_id))

    @router.patch(one, name=f"update_{scope.name}_ship",
                  summary=scope.say("Edit an org ship", "Edit a personal ship"))
    def update_ship(
        ship_id: uuid.UUID, body: ShipUpdate, session: DbSession, owner: write
    ) -> ShipOut:
        """Rename, correct the capacity, or move it by setting ``current_location_id``."""
        return service.to_out(session, service.update_ship(session, owner, ship_id, body))

    @router.post(f"{one}/move", name=f"move_{scope.name}_ship",
                 summary=scope.say("Park an org ship elsewhere", "Park a personal ship elsewhere"))
    def move_ship(
        ship_id: uuid.UUID, body: ShipMove, session: DbSession, owner: write
    ) -> ShipOut:
        """Its cargo grid (and so all stock in it) moves along; stock rows are not touched."""
        ship = service.move_ship(session, owner, ship_id, body.location_id)
        return service.to_out(session, ship)

    @router.delete(one, name=f"delete_{scope.name}_ship", status_code=status.HTTP_204_NO_CONTENT,
                   summary=scope.say("Delete an org ship with an empty grid",
                                     "Delete a personal ship with an empty grid"))
    def delete_ship(ship_id: uuid.UUID, session: DbSession, owner: write) -> Response:
        """409 while its cargo grid holds stock."""
        service.delete_ship(session, owner, ship_id)
        return Response(status_code=status.HTTP_204_NO_CONTENT)


for _scope in owner_routes(Action.INVENTORY_READ, Action.INVENTORY_WRITE):
    _ship_routes(_scope)

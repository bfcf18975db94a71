"""Ship rules: a cargo grid born with the ship, moves that re-parent the grid, guarded deletes.

A ship's grid is a ``ship_cargo`` location whose parent is where the ship is parked. Moving the
ship changes that one ``parent_id``: stock rows keep pointing at the grid, so a station's
subtree inventory includes the cargo of every ship parked there without touching stock.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import yaml
from sqlalchemy.orm import Session

from api.core.errors import Conflict, InvalidInput, NotFound
from api.core.outputs import columns_of
from api.core.pagination import PageParams
from api.core.tenancy import Owner
from api.locations import service as loc_service
from api.ships import repository as repo
from api.ships.schemas import ShipCreate, ShipOut, ShipType, ShipUpdate
from models.inventory import Location, Ship

SHIP_TYPES_FILE = Path(__file__).with_name("ship_types.yaml")
# A ship parks at a place, not inside another ship's grid or on a player.
_NOT_PARKABLE = frozenset({"ship_cargo", "player"})


@lru_cache(maxsize=1)
def ship_types() -> tuple[ShipType, ...]:
    """The known ship types from ``ship_types.yaml``."""
    doc = yaml.safe_load(SHIP_TYPES_FILE.read_text(encoding="utf-8"))
    return tuple(ShipType(**raw) for raw in doc["ship_types"])


def known_capacity(ship_type: str) -> Decimal | None:
    """Default cargo capacity of a known type (case-insensitive), else None."""
    wanted = ship_type.strip().lower()
    for known in ship_types():
        if known.name.lower() == wanted:
            return known.cargo_capacity_scu
    return None


def to_out(session: Session, ship: Ship) -> ShipOut:
    """The response body of one ship, with the path of where it is parked."""
    path = (
        loc_service.path_of(session, ship.current_location_id)
        if ship.current_location_id is not None
        else None
    )
    return ShipOut.model_validate({
        **columns_of(ship), "current_location_path": path,
        "owner": "org" if ship.organization_id is not None else "user",
    })


def _parking(session: Session, owner: Owner, location_id: uuid.UUID, field: str) -> Location:
    loc = loc_service.find_visible(session, owner, location_id)
    if loc is None:
        raise InvalidInput("Unknown location", field=field, record=f"location/{location_id}")
    if loc.kind in _NOT_PARKABLE:
        raise InvalidInput(
            f"A ship cannot be parked in a {loc.kind} location",
            field=field,
            record=f"location/{location_id}",
        )
    return loc


def get_ship(session: Session, owner: Owner, ship_id: uuid.UUID, lock: bool = False) -> Ship:
    """One of the owner's ships; 404 for unknown and other tenants' ids."""
    ship = repo.get_owned(session, owner, ship_id, lock=lock)
    if ship is None:
        raise NotFound("ship", ship_id)
    return ship


def create_ship(session: Session, owner: Owner, data: ShipCreate) -> Ship:
    """Create a ship and its cargo-grid location in the caller's transaction."""
    capacity = data.cargo_capacity_scu
    if capacity is None:
        capacity = known_capacity(data.ship_type)
        if capacity is None:
            raise InvalidInput(
                f"Unknown ship type {data.ship_type!r}: give cargo_capacity_scu",
                field="cargo_capacity_scu",
            )
    if data.current_location_id is not None:
        _parking(session, owner, data.current_location_id, "current_location_id")
    org_id = owner.id if owner.kind == "org" else None
    user_id = owner.id if owner.kind == "user" else None
    grid = Location(
        name=f"{data.name} cargo grid",
        kind="ship_cargo",
        parent_id=data.current_location_id,
        organization_id=org_id,
        owner_user_id=user_id,
        meta={},
    )
    session.add(grid)
    session.flush()
    ship = Ship(
        name=data.name,
        ship_type=data.ship_type,
        cargo_capacity_scu=capacity,
        organization_id=org_id,
        owner_user_id=user_id,
        cargo_location_id=grid.id,
        current_location_id=data.current_location_id,
    )
    session.add(ship)
    session.flush()
    grid.meta = {"ship_id": str(ship.id)}
    session.flush()
    return ship


def move_ship(
    session: Session,
    owner: Owner,
    ship_id: uuid.UUID,
    location_id: uuid.UUID | None,
    field: str = "location_id",
) -> Ship:
    """Park the ship at ``location_id`` (None: in flight): re-parent its grid, not its stock.

    ``field`` names the request field in errors (``current_location_id`` from an update).
    """
    ship = get_ship(session, owner, ship_id, lock=True)
    if location_id is not None:
        _parking(session, owner, location_id, field)
    grid = session.get(Location, ship.cargo_location_id)
    assert grid is not None  # FK RESTRICT keeps the grid while the ship exists
    ship.current_location_id = location_id
    grid.parent_id = location_id
    session.flush()
    return ship


def update_ship(session: Session, owner: Owner, ship_id: uuid.UUID, data: ShipUpdate) -> Ship:
    """Rename, retype, correct the capacity or move (via ``current_location_id``)."""
    fields = data.model_fields_set
    for name in ("name", "ship_type", "cargo_capacity_scu"):
        if name in fields and getattr(data, name) is None:
            raise InvalidInput(f"{name} cannot be null", field=name)
    ship = get_ship(session, owner, ship_id, lock=True)
    if "current_location_id" in fields:
        move_ship(session, owner, ship_id, data.current_location_id, "current_location_id")
    if data.name is not None:
        ship.name = data.name
        grid = session.get(Location, ship.cargo_location_id)
        if grid is not None:
            grid.name = f"{data.name} cargo grid"
    if data.ship_type is not None:
        ship.ship_type = data.ship_type
    if data.cargo_capacity_scu is not None:
        ship.cargo_capacity_scu = data.cargo_capacity_scu
    session.flush()
    return ship


def delete_ship(session: Session, owner: Owner, ship_id: uuid.UUID) -> None:
    """Delete a ship whose grid holds nothing; 409 while any stock is in it.

    A grid that held stock once keeps its (zero) stock rows and history, which point at it: it
    stays as an archived, parent-less location instead of breaking that history.
    """
    ship = get_ship(session, owner, ship_id, lock=True)
    held = repo.held_stock_rows(session, ship.cargo_location_id)
    if held:
        raise Conflict(
            "The ship's cargo grid still holds stock: move or remove it first",
            record=f"ship/{ship_id}",
            stock_rows=held,
        )
    grid = session.get(Location, ship.cargo_location_id)
    session.delete(ship)
    session.flush()
    if grid is None:
        return
    if loc_service.in_use(session, grid.id):
        grid.parent_id = None
        grid.meta = {**(grid.meta or {}), "archived": True, "ship_deleted": str(ship_id)}
    else:
        session.delete(grid)
    session.flush()


def list_ships(session: Session, owner: Owner, page: PageParams) -> tuple[list[Ship], int]:
    """A page of the owner's ships."""
    return repo.list_owned(session, owner, page)

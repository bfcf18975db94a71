"""Location rules: who may see and change what, tree integrity, deletion guards.

Services flush, never commit; the request (or the caller's unit of work) owns the transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from api.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from api.core.outputs import columns_of
from api.core.tenancy import Owner as Owner
from api.locations import repository as repo
from api.locations import scoping

# Re-exported (redundant aliases) so routers take them from here, never from the repository.
from api.locations.repository import MAX_DEPTH as MAX_DEPTH
from api.locations.repository import PATH_SEPARATOR as PATH_SEPARATOR
from api.locations.schemas import (
    LocationCreate,
    LocationNode,
    LocationOut,
    LocationUpdate,
    OwnerKind,
)
from models.inventory import Location

# Kinds a location may not hang under: a ship grid holds cargo, not buildings.
_NO_CHILDREN_KINDS = frozenset({"ship_cargo", "player"})


def owner_kind(organization_id: uuid.UUID | None, owner_user_id: uuid.UUID | None) -> OwnerKind:
    """``universe``, ``org`` or ``user`` from a location's two owner columns."""
    if organization_id is not None:
        return "org"
    if owner_user_id is not None:
        return "user"
    return "universe"


def owner_of(loc: Location) -> OwnerKind:
    """``universe``, ``org`` or ``user``."""
    return owner_kind(loc.organization_id, loc.owner_user_id)


def to_out(
    loc: Location | Mapping[str, Any], path: str | None = None, depth: int | None = None
) -> LocationOut:
    """The response body of one location: a record, or the column mapping of a list page
    (which carries its own ``path`` and ``depth``)."""
    columns = columns_of(loc) if isinstance(loc, Location) else {**loc}
    columns.setdefault("path", path)
    columns.setdefault("depth", depth)
    owner = owner_kind(columns["organization_id"], columns["owner_user_id"])
    return LocationOut.model_validate({**columns, "owner": owner,
                                       "meta": dict(columns["meta"] or {})})


def build_tree(rows: Sequence[tuple[Location, str, int]]) -> list[LocationNode]:
    """Nest a flat (location, path, depth) list; nodes whose parent is absent become roots."""
    nodes = {
        loc.id: LocationNode(**to_out(loc, path, depth).model_dump()) for loc, path, depth in rows
    }
    roots: list[LocationNode] = []
    for loc, _path, _depth in rows:
        node = nodes[loc.id]
        parent = nodes.get(loc.parent_id) if loc.parent_id else None
        (parent.children if parent else roots).append(node)
    return roots


def path_of(session: Session, location_id: uuid.UUID) -> str:
    """The readable path of a location, e.g. ``Stanton / ArcCorp / Area 18 / Org Hangar``."""
    return repo.PATH_SEPARATOR.join(loc.name for loc in repo.ancestors(session, location_id))


# (name, path) of many locations in one query, for the names shown next to ids.
paths_of = repo.paths_of


def find_visible(session: Session, owner: Owner, location_id: uuid.UUID) -> Location | None:
    """A location the owner may use (universe or own), or None: for callers that answer an
    unknown one in their own words (a 422 naming their field)."""
    return repo.get_visible(session, owner, location_id)


def in_use(session: Session, location_id: uuid.UUID) -> bool:
    """Whether anything (stock, history, ships, crafts, sub-locations) still points at it."""
    return repo.usage(session, location_id).in_use


def get_visible(session: Session, owner: Owner, location_id: uuid.UUID) -> Location:
    """A location the owner may use (universe or own); 404 otherwise, whoever owns it."""
    loc = repo.get_visible(session, owner, location_id)
    if loc is None:
        raise NotFound("location", location_id)
    return loc


def get_readable(session: Session, owner: Owner, location_id: uuid.UUID) -> Location:
    """A location the owner may read: visible ones, and (for an org) those holding stock the
    org sees; 404 otherwise."""
    loc = repo.get_readable(session, owner, location_id)
    if loc is None:
        raise NotFound("location", location_id)
    return loc


def get_owned(session: Session, owner: Owner, location_id: uuid.UUID) -> Location:
    """A location the owner may change: 403 for universe nodes and for a member's location
    the org may only read, 404 for others' ids."""
    loc = get_readable(session, owner, location_id)
    if owner_of(loc) == "universe":
        raise Forbidden("The shared universe is read-only", record=f"location/{location_id}")
    if owner_of(loc) != owner.kind:
        raise Forbidden("Another member's location is read-only for the organisation",
                        record=f"location/{location_id}")
    return loc


def _check_parent(
    session: Session, owner: Owner, parent_id: uuid.UUID, moving: uuid.UUID | None = None
) -> Location:
    parent = repo.get_visible(session, owner, parent_id)
    if parent is None:
        raise InvalidInput(
            "Unknown parent location", field="parent_id", record=f"location/{parent_id}"
        )
    if parent.kind in _NO_CHILDREN_KINDS:
        raise InvalidInput(
            f"A location cannot be placed inside a {parent.kind} location",
            field="parent_id",
            record=f"location/{parent_id}",
        )
    if moving is not None and repo.is_descendant(session, parent_id, moving):
        raise InvalidInput(
            "A location cannot be moved under itself or its own descendants",
            field="parent_id",
            record=f"location/{parent_id}",
        )
    return parent


def create_location(session: Session, owner: Owner, data: LocationCreate) -> Location:
    """Create an org or personal location under a visible parent."""
    _check_parent(session, owner, data.parent_id)
    loc = Location(
        name=data.name,
        kind=data.kind,
        parent_id=data.parent_id,
        trip_cost=data.trip_cost,
        organization_id=owner.id if owner.kind == "org" else None,
        owner_user_id=owner.id if owner.kind == "user" else None,
        meta={},
    )
    session.add(loc)
    session.flush()
    return loc


def update_location(
    session: Session, owner: Owner, location_id: uuid.UUID, data: LocationUpdate
) -> Location:
    """Rename, re-parent (no cycles) or change the trip cost of an owned location.

    A ship's cargo grid only takes a new trip cost or name here; it moves with its ship.
    """
    loc = get_owned(session, owner, location_id)
    fields = data.model_fields_set
    if loc.kind == "ship_cargo" and fields & {"kind", "parent_id"}:
        raise Conflict(
            "A ship's cargo grid moves with its ship: move the ship instead",
            record=f"location/{location_id}",
        )
    if "parent_id" in fields:
        if data.parent_id is None:
            raise InvalidInput("parent_id cannot be null", field="parent_id")
        _check_parent(session, owner, data.parent_id, moving=loc.id)
        loc.parent_id = data.parent_id
    if "name" in fields:
        if data.name is None:
            raise InvalidInput("name cannot be null", field="name")
        loc.name = data.name
    if "kind" in fields:
        if data.kind is None:
            raise InvalidInput("kind cannot be null", field="kind")
        loc.kind = data.kind
    if "trip_cost" in fields:
        loc.trip_cost = data.trip_cost
    session.flush()
    return loc


def delete_location(session: Session, owner: Owner, location_id: uuid.UUID) -> None:
    """Delete an owned location nothing points at; 409 naming what is still there."""
    loc = get_owned(session, owner, location_id)
    if loc.kind == "ship_cargo":
        raise Conflict(
            "A ship's cargo grid goes with its ship: delete the ship instead",
            record=f"location/{location_id}",
        )
    use = repo.usage(session, loc.id)
    if use.in_use:
        raise Conflict(
            "The location is in use: move or remove its stock, ships and sub-locations first",
            record=f"location/{location_id}",
            children=use.children,
            stock_rows=use.stock_rows,
            ships_parked=use.ships_parked,
            history_rows=use.history_rows,
            crafts=use.crafts,
        )
    session.delete(loc)
    session.flush()


def tree_rows(
    session: Session,
    owner: Owner | None,
    *,
    kinds: Sequence[str] = (),
) -> list[tuple[Location, str, int]]:
    """Every location with its path: the universe (``owner`` None) or the owner's view of the
    tree including the universe (the bounded tree format)."""
    scope = scoping.is_universe() if owner is None else scoping.visible_clause(owner)
    return repo.list_with_paths(session, scope, kinds=kinds)


# A page of locations with paths (column mappings): the universe (``owner`` None) or the
# owner's view of the tree, filtered.
list_locations = repo.page_with_paths

def subtree(
    session: Session, owner: Owner | None, location_id: uuid.UUID, max_depth: int
) -> list[tuple[Location, int]]:
    """A visible location and everything visible below it, with depths."""
    if owner is None:
        if repo.get_universe(session, location_id) is None:
            raise NotFound("location", location_id)
        return repo.subtree(session, location_id, scoping.is_universe(), max_depth)
    get_visible(session, owner, location_id)
    return repo.subtree(session, location_id, scoping.visible_clause(owner), max_depth)


def ancestors(session: Session, owner: Owner | None, location_id: uuid.UUID) -> list[Location]:
    """Root-first chain above (and including) a visible location."""
    if owner is None:
        if repo.get_universe(session, location_id) is None:
            raise NotFound("location", location_id)
    else:
        get_readable(session, owner, location_id)
    return repo.ancestors(session, location_id)


def trip_cost(session: Session, owner: Owner, location_id: uuid.UUID) -> Decimal | None:
    """The trip cost planning should use for a location: its own, else the nearest ancestor's."""
    for loc in reversed(ancestors(session, owner, location_id)):
        if loc.trip_cost is not None:
            return loc.trip_cost
    return None

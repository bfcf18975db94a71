"""Location queries: tenant scoping and the recursive CTEs (subtree, ancestors, paths).

Scoping lives in :mod:`api.locations.scoping` (:func:`visible_clause` / :func:`owned_clause`):
a caller sees the shared universe plus the locations its owner (an org, or a user for personal
locations) owns; it may change only the latter. Every query below goes through one of the two.

The tree is an adjacency list; the CTEs are portable SQL (``WITH RECURSIVE``) and run the same
on SQLite and PostgreSQL. ``MAX_DEPTH`` bounds every recursion so a corrupted parent chain can
never loop forever (the service also refuses moves that would make a cycle).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    Text,
    bindparam,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session

from api.core.kept import kept
from api.core.outputs import output_columns
from api.core.pagination import PagedQuery, PageParams, fetch_page, paged
from api.core.tenancy import Id
from api.core.tenancy import Owner as Owner
from api.locations.schemas import LocationFilters
from api.locations.scoping import OwnerKind, owned_by, visible_to

# Re-exported: callers that scope location queries of their own (transfer_io) import them here.
from api.locations.scoping import is_universe as is_universe
from api.locations.scoping import owned_clause as owned_clause
from api.locations.scoping import visible_clause as visible_clause
from models.inventory import ItemHistory, ItemStock, Location, Ship
from models.planning import Craft

MAX_DEPTH = 64
PATH_SEPARATOR = " / "


def readable_clause(owner: Owner) -> ColumnElement[bool]:
    """THE rule for reading one location: the visible ones, plus — for an org — any location
    holding a stock row the org sees (a member's shared stock in their personal hangar).
    Whoever may see a stock row may see the name and path of where it sits, read-only; it
    does not join the org's listings, nor become a parent or destination for its records."""
    if owner.kind != "org":
        return visible_clause(owner)
    holds_org_stock = exists().where(
        ItemStock.location_id == Location.id,
        or_(ItemStock.organization_id == owner.id, ItemStock.shared_with_org_id == owner.id),
    )
    return or_(visible_clause(owner), holds_org_stock)


def get_readable(session: Session, owner: Owner, location_id: uuid.UUID) -> Location | None:
    """A location the owner may read (see :func:`readable_clause`), or None."""
    return session.scalar(
        select(Location).where(Location.id == location_id, readable_clause(owner))
    )


def get_visible(session: Session, owner: Owner, location_id: uuid.UUID) -> Location | None:
    """A location the owner may see, or None (also for other tenants' ids)."""
    return session.scalar(select(Location).where(Location.id == location_id, visible_clause(owner)))


def get_owned(session: Session, owner: Owner, location_id: uuid.UUID) -> Location | None:
    """A location the owner owns, or None."""
    return session.scalar(select(Location).where(Location.id == location_id, owned_clause(owner)))


def get_universe(session: Session, location_id: uuid.UUID) -> Location | None:
    """A shared universe node, or None."""
    return session.scalar(select(Location).where(Location.id == location_id, is_universe()))


def _paths_cte(scope: ColumnElement[bool], *columns: Any) -> Select[Any]:
    """``columns`` (the entity by default) of every location in ``scope`` with its full path
    and depth, walking down from the roots.

    The recursive member only follows rows inside ``scope``, so another tenant's subtree is
    never visited. Paths are cast to TEXT on both sides (PostgreSQL insists the recursive and
    base column types agree).
    """
    base = select(
        Location.id.label("id"),
        cast(Location.name, Text).label("path"),
        literal(0).label("depth"),
    ).where(Location.parent_id.is_(None), scope)
    tree = base.cte("location_paths", recursive=True)
    child = select(
        Location.id,
        cast(tree.c.path + literal(PATH_SEPARATOR) + Location.name, Text),
        tree.c.depth + 1,
    ).where(Location.parent_id == tree.c.id, scope, tree.c.depth < MAX_DEPTH)
    tree = tree.union_all(child)
    return (select(*(columns or (Location,)), tree.c.path, tree.c.depth)
            .join(tree, tree.c.id == Location.id))


def _narrowed(
    stmt: Select[Any],
    kinds: Sequence[str] | BindParameter[Any],
    parent_id: Id | None,
    only: ColumnElement[bool] | None,
) -> Select[Any]:
    """``stmt`` narrowed after the walk (``kinds``: values, or an expanding parameter) and
    ordered by path."""
    if only is not None:
        stmt = stmt.where(only)
    if isinstance(kinds, BindParameter) or kinds:
        stmt = stmt.where(Location.kind.in_(kinds))
    if parent_id is not None:
        stmt = stmt.where(Location.parent_id == parent_id)
    return stmt.order_by(stmt.selected_columns.path, Location.id)


def list_with_paths(
    session: Session,
    scope: ColumnElement[bool],
    *,
    kinds: Sequence[str] = (),
    parent_id: uuid.UUID | None = None,
    only: ColumnElement[bool] | None = None,
) -> list[tuple[Location, str, int]]:
    """Every location in ``scope`` (ordered by path) with its path and depth (the bounded
    tree format).

    ``only`` narrows the result after the walk (e.g. to owned rows) while paths still run
    through every node of ``scope``.
    """
    stmt = _narrowed(_paths_cte(scope), kinds, parent_id, only)
    return [(row[0], str(row[1]), int(row[2])) for row in session.execute(stmt)]


@functools.cache
def _location_page(kind: OwnerKind | None, owned_only: bool, kinds: bool,
                   parent: bool) -> PagedQuery:
    """The flat location list for one shape of request, built once; the owner's id
    (``owner_id``), ``kinds`` and ``parent_id`` are bound."""
    owner_id: BindParameter[uuid.UUID] = bindparam("owner_id")
    scope = is_universe() if kind is None else visible_to(kind, owner_id)
    only = owned_by(kind, owner_id) if kind is not None and owned_only else None
    stmt = _narrowed(_paths_cte(scope, *output_columns(Location)),
                     bindparam("kinds", expanding=True) if kinds else (),
                     bindparam("parent_id") if parent else None, only)
    return paged(stmt)


def page_with_paths(
    session: Session, owner: Owner | None, page: PageParams, filters: LocationFilters
) -> tuple[list[dict[str, Any]], int]:
    """A page of the universe (``owner`` None) or of what the owner sees, ordered by path,
    and the total, as column mappings with ``path`` and ``depth`` (a hot read: a prebuilt
    statement, no ORM objects). ``owned_only`` keeps the owner's own locations, whose paths
    still run through the universe (the walk passes through universe nodes and filters them
    out afterwards)."""
    query = _location_page(None if owner is None else owner.kind, filters.owned_only,
                           bool(filters.kinds), filters.parent_id is not None)
    params = {"owner_id": None if owner is None else owner.id, "kinds": list(filters.kinds),
              "parent_id": filters.parent_id}
    rows, total = fetch_page(session.connection(), query, page, params)
    return [dict(row._mapping) for row in rows], total


def subtree(
    session: Session, root_id: uuid.UUID, scope: ColumnElement[bool], max_depth: int = MAX_DEPTH
) -> list[tuple[Location, int]]:
    """``root_id`` and its descendants inside ``scope`` with their depth below the root.

    Descendants outside ``scope`` (another org's hangar under a shared station) are pruned
    together with everything under them.
    """
    base = select(Location.id.label("id"), literal(0).label("depth")).where(Location.id == root_id)
    tree = base.cte("location_subtree", recursive=True)
    child = select(Location.id, tree.c.depth + 1).where(
        Location.parent_id == tree.c.id, scope, tree.c.depth < min(max_depth, MAX_DEPTH)
    )
    tree = tree.union_all(child)
    stmt = (
        select(Location, tree.c.depth)
        .join(tree, tree.c.id == Location.id)
        .order_by(tree.c.depth, Location.name, Location.id)
    )
    return [(loc, int(depth)) for loc, depth in session.execute(stmt)]


def subtree_ids_cte(
    root_ids: Sequence[uuid.UUID], scope: ColumnElement[bool]
) -> Select[tuple[uuid.UUID]]:
    """A SELECT of the ids of ``root_ids`` and their descendants in ``scope``.

    For other packages (stock: "inventory of a station, including the ships parked there"):
    use it as ``ItemStock.location_id.in_(subtree_ids_cte([root], visible_clause(owner)))``.
    """
    base = select(Location.id.label("id"), literal(0).label("depth")).where(
        Location.id.in_(root_ids)
    )
    tree = base.cte("location_subtree_ids", recursive=True)
    child = select(Location.id, tree.c.depth + 1).where(
        Location.parent_id == tree.c.id, scope, tree.c.depth < MAX_DEPTH
    )
    tree = tree.union_all(child)
    return select(tree.c.id)


def ancestors(session: Session, location_id: uuid.UUID) -> list[Location]:
    """The chain from the root down to ``location_id`` (inclusive), root first."""
    base = select(
        Location.id.label("id"), Location.parent_id.label("parent_id"), literal(0).label("depth")
    ).where(Location.id == location_id)
    chain = base.cte("location_ancestors", recursive=True)
    parent = select(Location.id, Location.parent_id, chain.c.depth + 1).where(
        Location.id == chain.c.parent_id, chain.c.depth < MAX_DEPTH
    )
    chain = chain.union_all(parent)
    stmt = select(Location).join(chain, chain.c.id == Location.id).order_by(chain.c.depth.desc())
    return list(session.scalars(stmt))


def _paths_up() -> Select[uuid.UUID, str, str]:
    """(start id, its name, its full path) for the ids bound as ``path_ids``.

    Walks up from every id at once (the chain :func:`ancestors` walks for one), prefixing
    each parent's name, and keeps the row that reached a root.
    """
    base = select(
        Location.id.label("start"),
        Location.parent_id.label("parent_id"),
        Location.name.label("name"),
        cast(Location.name, Text).label("path"),
        literal(0).label("depth"),
    ).where(Location.id.in_(bindparam("path_ids", expanding=True)))
    chain = base.cte("location_path_up", recursive=True)
    up = select(
        chain.c.start,
        Location.parent_id,
        chain.c.name,
        cast(Location.name + literal(PATH_SEPARATOR) + chain.c.path, Text),
        chain.c.depth + 1,
    ).where(Location.id == chain.c.parent_id, chain.c.depth < MAX_DEPTH)
    chain = chain.union_all(up)
    return select(chain.c.start, chain.c.name, chain.c.path).where(chain.c.parent_id.is_(None))


# Built once: pages of every list ask for it, and building a CTE costs more than running it.
_PATHS_UP = _paths_up()


def paths_of(session: Session, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, tuple[str, str]]:
    """(name, full path) of each location in ``ids``, in one recursive query.

    Scope-free on purpose: callers ask only for locations of records the caller may already
    see (a stock row in a member's personal hangar shows that hangar's name and path).
    """
    if not ids:
        return {}
    wanted = frozenset(ids)

    def look() -> dict[uuid.UUID, tuple[str, str]]:
        rows = session.execute(_PATHS_UP, {"path_ids": list(wanted)})
        return {start: (str(name), str(path)) for start, name, path in rows}

    # Kept while locations are unchanged: every stock page and change asks for paths.
    return kept(session, ("location-paths", wanted), look)


def is_descendant(session: Session, candidate_id: uuid.UUID, root_id: uuid.UUID) -> bool:
    """True when ``candidate_id`` is ``root_id`` or lies anywhere below it (cycle check)."""
    return any(loc.id == root_id for loc in ancestors(session, candidate_id))


@dataclass(frozen=True)
class Usage:
    """What still points at a location (and so keeps it from being deleted)."""

    children: int
    stock_rows: int
    ships_parked: int
    history_rows: int
    crafts: int

    @property
    def in_use(self) -> bool:
        """True when anything refers to the location."""
        return any(
            (self.children, self.stock_rows, self.ships_parked, self.history_rows, self.crafts)
        )


def usage(session: Session, location_id: uuid.UUID) -> Usage:
    """Count the references that block deleting a location."""

    def count(stmt: Select[Any]) -> int:
        return int(session.scalar(stmt) or 0)

    return Usage(
        children=count(select(func.count()).where(Location.parent_id == location_id)),
        stock_rows=count(select(func.count()).where(ItemStock.location_id == location_id)),
        ships_parked=count(select(func.count()).where(Ship.current_location_id == location_id)),
        history_rows=count(select(func.count()).where(ItemHistory.location_id == location_id)),
        crafts=count(select(func.count()).where(Craft.location_id == location_id)),
    )


def ship_for_cargo(session: Session, location_id: uuid.UUID) -> Ship | None:
    """The ship whose cargo grid is ``location_id``."""
    return session.scalar(select(Ship).where(Ship.cargo_location_id == location_id))

"""Item queries; tenant scoping in :func:`api.items.scoping.visible_clause` (shared catalogue
+ the org's own)."""

from __future__ import annotations

import functools
import uuid
from collections import defaultdict
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import String, Uuid, bindparam, func, or_, select
from sqlalchemy.orm import Session

from api.core.outputs import output_columns
from api.core.pagination import PagedQuery, PageParams, fetch_page, paged
from api.items.schemas import ItemQuery
from api.items.scoping import visible_clause as visible_clause
from models.inventory import Item, ItemAlias, ItemStock
from models.planning import Blueprint, BlueprintIngredient


def get_visible(session: Session, org_id: uuid.UUID | None, item_id: uuid.UUID) -> Item | None:
    """An item the org (or anyone, for shared) may see, or None."""
    return session.scalar(select(Item).where(Item.id == item_id, visible_clause(org_id)))


@functools.cache
def _item_page(shared_only: bool, scope: str, match: bool, q: bool, category: bool) -> PagedQuery:
    """The item list statement for one shape of filters, built once; every value is bound
    (``org_id``, ``needle``, ``pattern``, ``category``) so a request only executes it."""
    stmt = select(*output_columns(Item)).where(
        visible_clause(None if shared_only else bindparam("org_id", type_=Uuid)))
    if scope == "shared":
        stmt = stmt.where(Item.organization_id.is_(None))
    elif scope == "org":
        stmt = stmt.where(Item.organization_id == bindparam("org_id", type_=Uuid))
    if match:
        needle = bindparam("needle", type_=String)
        alias_hit = select(ItemAlias.item_id).where(func.lower(ItemAlias.alias) == needle)
        stmt = stmt.where(or_(func.lower(Item.name) == needle, Item.id.in_(alias_hit)))
    if q:
        stmt = stmt.where(func.lower(Item.name).like(bindparam("pattern", type_=String),
                                                     escape="\\"))
    if category:
        stmt = stmt.where(Item.category == bindparam("category", type_=String))
    return paged(stmt.order_by(Item.name, Item.id))


def list_items(
    session: Session,
    org_id: uuid.UUID | None,
    query: ItemQuery,
    page: PageParams,
    *,
    scope: str = "all",
) -> tuple[list[dict[str, Any]], int]:
    """A page of visible items by name, as column mappings (a hot read: a prebuilt statement
    and no ORM objects); ``match`` is a case-insensitive name-or-alias lookup."""
    match, q, category = query.match, query.q, query.category
    params: dict[str, Any] = {"org_id": org_id}
    if match:
        params["needle"] = match.strip().lower()
    if q:
        # LIKE wildcards in user input are escaped so "%" means a percent sign.
        escaped = q.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params["pattern"] = f"%{escaped}%"
    if category:
        params["category"] = category
    statement = _item_page(org_id is None, scope, bool(match), bool(q), bool(category))
    rows, total = fetch_page(session.connection(), statement, page, params)
    return [dict(row._mapping) for row in rows], total


_ALIASES_OF = (select(*output_columns(ItemAlias))
               .where(ItemAlias.item_id.in_(bindparam("item_ids", expanding=True)))
               .order_by(ItemAlias.alias))


def aliases_for(
    session: Session, item_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[dict[str, Any]]]:
    """Aliases of several items in one query, as column mappings."""
    out: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    if item_ids:
        for row in session.connection().execute(_ALIASES_OF, {"item_ids": list(item_ids)}):
            out[row.item_id].append(dict(row._mapping))
    return out


def name_taken(
    session: Session, org_id: uuid.UUID, name: str, exclude: uuid.UUID | None = None
) -> bool:
    """True when the org already has a private item with this name (case-insensitive)."""
    stmt = select(func.count()).where(
        Item.organization_id == org_id, func.lower(Item.name) == name.lower()
    )
    if exclude is not None:
        stmt = stmt.where(Item.id != exclude)
    return bool(session.scalar(stmt))


def get_alias(session: Session, item_id: uuid.UUID, alias_id: uuid.UUID) -> ItemAlias | None:
    """One alias of an item."""
    return session.scalar(
        select(ItemAlias).where(ItemAlias.id == alias_id, ItemAlias.item_id == item_id)
    )


def alias_exists(session: Session, item_id: uuid.UUID, alias: str) -> bool:
    """True when the item already has this alias (case-insensitive)."""
    stmt = select(func.count()).where(
        ItemAlias.item_id == item_id, func.lower(ItemAlias.alias) == alias.lower()
    )
    return bool(session.scalar(stmt))


def references(session: Session, item_id: uuid.UUID) -> int:
    """Stock rows and blueprint lines that use the item (these block deletion)."""
    counts = [
        session.scalar(select(func.count()).where(ItemStock.item_id == item_id)),
        session.scalar(select(func.count()).where(Blueprint.output_item_id == item_id)),
        session.scalar(select(func.count()).where(BlueprintIngredient.item_id == item_id)),
    ]
    return sum(int(c or 0) for c in counts)


def units_of(session: Session, item_ids: Collection[uuid.UUID]
             ) -> dict[uuid.UUID, tuple[str, str]]:
    """(name, unit) of each item, in one query."""
    if not item_ids:
        return {}
    stmt = select(Item.id, Item.name, Item.unit).where(Item.id.in_(item_ids))
    return {row[0]: (row[1], row[2]) for row in session.execute(stmt)}


def visible_ids(session: Session, org_id: uuid.UUID, ids: set[uuid.UUID]) -> set[uuid.UUID]:
    """The subset of ``ids`` naming items the org may use (see :func:`visible_clause`)."""
    if not ids:
        return set()
    return set(session.scalars(select(Item.id).where(Item.id.in_(ids), visible_clause(org_id))))

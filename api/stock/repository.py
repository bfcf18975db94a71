"""All stock queries. Tenant scoping lives in the ``readable_*`` statements at the top.

Quantities are only ever changed here, by single atomic ``UPDATE … WHERE <invariant>``
statements (0 rows = the invariant would break) or after :func:`lock_stocks` took row locks
in id order. The CHECK constraints on ``item_stocks`` back every one of these conditions.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Result,
    Select,
    and_,
    func,
    literal,
    or_,
    select,
    union,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from models.base import QUANTITY_SCALE, utc_now
from models.inventory import (
    Item,
    ItemHistory,
    ItemStock,
    Location,
    Ship,
    StockReservation,
)


@dataclass(frozen=True)
class StockOwner:
    """Exactly one of the two is set: the org owns the row, or a member (user) does."""

    organization_id: uuid.UUID | None = None
    owner_user_id: uuid.UUID | None = None


# --- tenant scoping: the readable statements ------------------------------------------------


def stock_visible(org_id: uuid.UUID, user_id: uuid.UUID) -> ColumnElement[bool]:
    """Stock the caller sees in ``org_id``: the org's own rows, members' rows shared with the
    org, and the caller's own personal rows (shared or not, only visible to the caller)."""
    return or_(
        ItemStock.organization_id == org_id,
        ItemStock.shared_with_org_id == org_id,
        ItemStock.owner_user_id == user_id,
    )


def readable_stock(org_id: uuid.UUID, user_id: uuid.UUID) -> Select[ItemStock]:
    """THE readable statement for stock rows (see :func:`stock_visible`)."""
    return select(ItemStock).where(stock_visible(org_id, user_id))


def readable_history(org_id: uuid.UUID, user_id: uuid.UUID) -> Select[ItemHistory]:
    """History rows written in the org's context, plus the caller's own personal stock rows.

    Changes to a member's *unshared* stock are written with ``organization_id`` NULL, so they
    never show up for the org.
    """
    return select(ItemHistory).where(
        or_(ItemHistory.organization_id == org_id, ItemHistory.owner_user_id == user_id)
    )


def readable_reservations(org_id: uuid.UUID) -> Select[StockReservation]:
    """Reservations serving ``org_id`` (on its own stock or members' shared stock)."""
    return select(StockReservation).where(StockReservation.organization_id == org_id)


def usable_location(org_id: uuid.UUID, user_id: uuid.UUID) -> ColumnElement[bool]:
    """Locations the caller may put stock at: shared universe, the org's, the caller's own."""
    return or_(
        and_(Location.organization_id.is_(None), Location.owner_user_id.is_(None)),
        Location.organization_id == org_id,
        Location.owner_user_id == user_id,
    )


def usable_item(org_id: uuid.UUID) -> ColumnElement[bool]:
    """Items of the shared catalogue or private to ``org_id``."""
    return or_(Item.organization_id.is_(None), Item.organization_id == org_id)


# --- lookups ---------------------------------------------------------------------------------


def location_exists(
    session: Session, org_id: uuid.UUID, user_id: uuid.UUID, location_id: uuid.UUID
) -> bool:
    """True when the location exists and the caller may use it."""
    found = session.scalar(
        select(Location.id).where(Location.id == location_id, usable_location(org_id, user_id))
    )
    return found is not None


def item_exists(session: Session, org_id: uuid.UUID, item_id: uuid.UUID) -> bool:
    """True when the item exists and is usable by ``org_id``."""
    found = session.scalar(select(Item.id).where(Item.id == item_id, usable_item(org_id)))
    return found is not None


def get_visible_stock(
    session: Session, org_id: uuid.UUID, user_id: uuid.UUID, stock_id: uuid.UUID
) -> ItemStock | None:
    """A stock row the caller may see, freshly loaded (never a stale identity-map copy)."""
    stmt = readable_stock(org_id, user_id).where(ItemStock.id == stock_id)
    return session.scalars(stmt.execution_options(populate_existing=True)).first()


def get_stock(session: Session, stock_id: uuid.UUID) -> ItemStock:
    """A stock row by id, refreshed from the database (for responses after atomic updates)."""
    stmt = select(ItemStock).where(ItemStock.id == stock_id)
    return session.scalars(stmt.execution_options(populate_existing=True)).one()


def _owner_clause(owner: StockOwner) -> ColumnElement[bool]:
    if owner.organization_id is not None:
        return ItemStock.organization_id == owner.organization_id
    return ItemStock.owner_user_id == owner.owner_user_id


def find_stock_id(
    session: Session, item_id: uuid.UUID, location_id: uuid.UUID, quality: int, owner: StockOwner
) -> uuid.UUID | None:
    """The id of the row for (item, location, quality, owner), if it exists."""
    return session.scalar(
        select(ItemStock.id).where(
            ItemStock.item_id == item_id,
            ItemStock.location_id == location_id,
            ItemStock.quality == quality,
            _owner_clause(owner),
        )
    )


def upsert_stock(
    session: Session,
    item_id: uuid.UUID,
    location_id: uuid.UUID,
    quality: int,
    owner: StockOwner,
    *,
    shared_with_org_id: uuid.UUID | None = None,
    actor_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """Make sure the row exists (``INSERT … ON CONFLICT DO NOTHING``) and return its id.

    Race-free on both backends: two requests creating the same row both end up with the one
    row the unique constraint allows; neither fails.
    """
    existing = find_stock_id(session, item_id, location_id, quality, owner)
    if existing is not None:
        return existing
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    conflict_cols = [
        "item_id",
        "location_id",
        "quality",
        "organization_id" if owner.organization_id is not None else "owner_user_id",
    ]
    now = utc_now()
    stmt = (
        insert(ItemStock)
        .values(
            id=uuid.uuid4(),
            item_id=item_id,
            location_id=location_id,
            quality=quality,
            organization_id=owner.organization_id,
            owner_user_id=owner.owner_user_id,
            shared_with_org_id=shared_with_org_id,
            quantity=Decimal(0),
            reserved=Decimal(0),
            version=0,
            updated_by=actor_id,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=conflict_cols)
    )
    session.execute(stmt)
    found = find_stock_id(session, item_id, location_id, quality, owner)
    assert found is not None  # inserted by us or by the request we raced with
    return found


def lock_stocks(session: Session, stock_ids: list[uuid.UUID]) -> dict[uuid.UUID, ItemStock]:
    """Lock rows ``FOR UPDATE`` in id order (the fixed order that prevents deadlocks).

    SQLite ignores ``FOR UPDATE``; it serialises writers on the database lock instead.
    """
    stmt = (
        select(ItemStock)
        .where(ItemStock.id.in_(stock_ids))
        .order_by(ItemStock.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {row.id: row for row in session.scalars(stmt)}


# --- atomic changes ----------------------------------------------------------------------------


def _one_row(result: Result[Any]) -> bool:
    # UPDATE results are CursorResults; rowcount says whether the WHERE (the invariant) held.
    return cast(CursorResult[Any], result).rowcount == 1


def _exact(expr: Any) -> Any:
    """Round a quantity expression to the column's scale.

    PostgreSQL's NUMERIC is exact and the rounding is a no-op there. SQLite stores NUMERIC as a
    binary float, so ``0.3 + 0.4 - 0.3`` would drift to 0.39999999999999997 and a later
    ``reserved >= 0.4`` would refuse a valid consume; rounding every written value and every
    computed comparand to the same scale keeps both sides on the same canonical double.
    """
    return func.round(expr, QUANTITY_SCALE)


def change_quantity(
    session: Session, stock_id: uuid.UUID, delta: Decimal, actor_id: uuid.UUID | None
) -> bool:
    """``quantity += delta`` unless that would drop below ``reserved``; False when refused."""
    stmt = (
        update(ItemStock)
        .where(ItemStock.id == stock_id, _exact(ItemStock.quantity + delta) >= ItemStock.reserved)
        .values(
            quantity=_exact(ItemStock.quantity + delta),
            version=ItemStock.version + 1,
            updated_by=actor_id,
            updated_at=utc_now(),
        )
        .execution_options(synchronize_session=False)
    )
    return _one_row(session.execute(stmt))


def add_reserved(
    session: Session,
    stock_id: uuid.UUID,
    quantity: Decimal,
    org_id: uuid.UUID,
    actor_id: uuid.UUID | None,
) -> bool:
    """``reserved += quantity`` if it fits and the row still serves ``org_id``.

    The scope is re-checked inside the UPDATE so a concurrent withdraw of shared member stock
    cannot slip between the visibility check and the reservation.
    """
    stmt = (
        update(ItemStock)
        .where(
            ItemStock.id == stock_id,
            ItemStock.quantity >= _exact(ItemStock.reserved + quantity),
            or_(ItemStock.organization_id == org_id, ItemStock.shared_with_org_id == org_id),
        )
        .values(
            reserved=_exact(ItemStock.reserved + quantity),
            version=ItemStock.version + 1,
            updated_by=actor_id,
            updated_at=utc_now(),
        )
        .execution_options(synchronize_session=False)
    )
    return _one_row(session.execute(stmt))


def take_back_reserved(
    session: Session,
    stock_id: uuid.UUID,
    quantity: Decimal,
    *,
    consume: bool,
    actor_id: uuid.UUID | None,
) -> bool:
    """``reserved -= quantity`` (and ``quantity -= quantity`` when consuming)."""
    values: dict[str, Any] = {
        "reserved": _exact(ItemStock.reserved - quantity),
        "version": ItemStock.version + 1,
        "updated_by": actor_id,
        "updated_at": utc_now(),
    }
    if consume:
        values["quantity"] = _exact(ItemStock.quantity - quantity)
    stmt = (
        update(ItemStock)
        .where(ItemStock.id == stock_id, ItemStock.reserved >= quantity)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return _one_row(session.execute(stmt))


def close_reservation(
    session: Session, reservation_id: uuid.UUID, *, consumed: bool, org_id: uuid.UUID | None
) -> bool:
    """Mark an open reservation released or consumed, exactly once (False if already closed)."""
    now = utc_now()
    conditions = [
        StockReservation.id == reservation_id,
        StockReservation.released_at.is_(None),
        StockReservation.consumed_at.is_(None),
    ]
    if org_id is not None:
        conditions.append(StockReservation.organization_id == org_id)
    values = {"consumed_at": now} if consumed else {"released_at": now}
    stmt = (
        update(StockReservation)
        .where(*conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return _one_row(session.execute(stmt))


def get_reservation(
    session: Session, reservation_id: uuid.UUID, org_id: uuid.UUID | None = None
) -> StockReservation | None:
    """A reservation (scoped to ``org_id`` when given), freshly loaded."""
    stmt = select(StockReservation).where(StockReservation.id == reservation_id)
    if org_id is not None:
        stmt = stmt.where(StockReservation.organization_id == org_id)
    return session.scalars(stmt.execution_options(populate_existing=True)).first()


def set_shared(
    session: Session,
    stock_id: uuid.UUID,
    user_id: uuid.UUID,
    org_id: uuid.UUID,
    *,
    share: bool,
) -> bool:
    """Share the caller's row with ``org_id`` or withdraw it (only when nothing is reserved).

    Withdrawal checks ``reserved = 0`` in the same UPDATE, so it cannot race a reservation.
    """
    conditions = [ItemStock.id == stock_id, ItemStock.owner_user_id == user_id]
    if share:
        # Moving a row to another org would strand that org's reservations.
        conditions.append(
            or_(ItemStock.shared_with_org_id.is_(None), ItemStock.shared_with_org_id == org_id,
                ItemStock.reserved == 0)
        )
        target: uuid.UUID | None = org_id
    else:
        conditions += [ItemStock.shared_with_org_id == org_id, ItemStock.reserved == 0]
        target = None
    stmt = (
        update(ItemStock)
        .where(*conditions)
        .values(shared_with_org_id=target, version=ItemStock.version + 1, updated_at=utc_now())
        .execution_options(synchronize_session=False)
    )
    return _one_row(session.execute(stmt))


def add_history(session: Session, **fields: Any) -> ItemHistory:
    """Append one history row (flushed with the change it records)."""
    row = ItemHistory(**fields)
    session.add(row)
    return row


# --- queries ---------------------------------------------------------------------------------


def subtree_location_ids(root_id: uuid.UUID) -> Select[uuid.UUID]:
    """Ids of ``root_id`` and everything under it, including cargo grids of ships parked
    anywhere in the subtree (and what is under those). ``UNION`` makes cycles terminate."""
    edges = union(
        select(Location.parent_id.label("parent"), Location.id.label("child")).where(
            Location.parent_id.is_not(None)
        ),
        select(
            Ship.current_location_id.label("parent"), Ship.cargo_location_id.label("child")
        ).where(Ship.current_location_id.is_not(None)),
    ).subquery("edges")
    tree = select(literal(root_id, Location.id.type).label("id")).cte("tree", recursive=True)
    tree = tree.union(select(edges.c.child).join(tree, edges.c.parent == tree.c.id))
    return select(tree.c.id)


def list_stock(
    session: Session,
    org_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    location_id: uuid.UUID | None,
    item_id: uuid.UUID | None,
    include_empty: bool,
    limit: int,
    offset: int,
) -> list[ItemStock]:
    """Visible stock rows, optionally under a location subtree; ``limit`` rows from ``offset``."""
    stmt = readable_stock(org_id, user_id)
    if location_id is not None:
        # Resolve the (small) subtree first: given a literal id list the planner picks the
        # location index instead of guessing the CTE's size and scanning all org rows.
        ids = list(session.scalars(subtree_location_ids(location_id)))
        stmt = stmt.where(ItemStock.location_id.in_(ids))
    if item_id is not None:
        stmt = stmt.where(ItemStock.item_id == item_id)
    if not include_empty:
        stmt = stmt.where(ItemStock.quantity > 0)
    stmt = stmt.order_by(
        ItemStock.location_id, ItemStock.item_id, ItemStock.quality, ItemStock.id
    )
    return list(session.scalars(stmt.limit(limit).offset(offset)))


def where_is(
    session: Session,
    org_id: uuid.UUID,
    user_id: uuid.UUID,
    item_id: uuid.UUID,
    *,
    limit: int,
    offset: int,
) -> list[Any]:
    """Totals of one item by location, quality and tier (org / member) across visible stock.

    The caller's own *unshared* rows are left out: "where is X" answers for the org.
    """
    is_org = ItemStock.organization_id.is_not(None)
    stmt = (
        select(
            ItemStock.location_id,
            ItemStock.quality,
            is_org.label("org_owned"),
            func.sum(ItemStock.quantity).label("quantity"),
            func.sum(ItemStock.reserved).label("reserved"),
            func.count().label("rows"),
        )
        .where(
            or_(ItemStock.organization_id == org_id, ItemStock.shared_with_org_id == org_id),
            ItemStock.item_id == item_id,
            ItemStock.quantity > 0,
        )
        .group_by(ItemStock.location_id, ItemStock.quality, is_org)
        .order_by(ItemStock.location_id, ItemStock.quality, is_org)
        .limit(limit)
        .offset(offset)
    )
    return list(session.execute(stmt))


def list_history(
    session: Session,
    org_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    item_id: uuid.UUID | None,
    location_id: uuid.UUID | None,
    stock_id: uuid.UUID | None,
    kind: str | None,
    actor_id: uuid.UUID | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    offset: int,
) -> list[ItemHistory]:
    """Visible history rows, newest first, filtered."""
    stmt = readable_history(org_id, user_id)
    if item_id is not None:
        stmt = stmt.where(ItemHistory.item_id == item_id)
    if location_id is not None:
        stmt = stmt.where(ItemHistory.location_id == location_id)
    if stock_id is not None:
        stmt = stmt.where(ItemHistory.stock_id == stock_id)
    if kind is not None:
        stmt = stmt.where(ItemHistory.kind == kind)
    if actor_id is not None:
        stmt = stmt.where(ItemHistory.actor_id == actor_id)
    if since is not None:
        stmt = stmt.where(ItemHistory.created_at >= since)
    if until is not None:
        stmt = stmt.where(ItemHistory.created_at < until)
    stmt = stmt.order_by(ItemHistory.created_at.desc(), ItemHistory.id.desc())
    return list(session.scalars(stmt.limit(limit).offset(offset)))


def list_reservations(
    session: Session,
    org_id: uuid.UUID,
    *,
    stock_id: uuid.UUID | None,
    craft_id: uuid.UUID | None,
    plan_id: uuid.UUID | None,
    active: bool | None,
    limit: int,
    offset: int,
) -> list[StockReservation]:
    """The org's reservations, newest first, filtered."""
    stmt = readable_reservations(org_id)
    if stock_id is not None:
        stmt = stmt.where(StockReservation.stock_id == stock_id)
    if craft_id is not None:
        stmt = stmt.where(StockReservation.craft_id == craft_id)
    if plan_id is not None:
        stmt = stmt.where(StockReservation.plan_id == plan_id)
    open_ = and_(StockReservation.released_at.is_(None), StockReservation.consumed_at.is_(None))
    if active is True:
        stmt = stmt.where(open_)
    elif active is False:
        stmt = stmt.where(~open_)
    stmt = stmt.order_by(StockReservation.created_at.desc(), StockReservation.id.desc())
    return list(session.scalars(stmt.limit(limit).offset(offset)))

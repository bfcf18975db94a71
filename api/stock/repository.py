"""All stock queries. Tenant scoping lives in the ``readable_*`` statements at the top.

Quantities are only ever changed here, by single atomic ``UPDATE … WHERE <invariant>``
statements (0 rows = the invariant would break) or after :func:`lock_stocks` took row locks
in id order. The CHECK constraints on ``item_stocks`` back every one of these conditions.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar, cast

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Connection,
    CursorResult,
    Integer,
    Result,
    Select,
    Table,
    and_,
    bindparam,
    exists,
    func,
    insert,
    inspect,
    literal,
    or_,
    select,
    union,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.dml import ReturningInsert, ReturningUpdate

from api.core.filters import where_given
from api.core.kept import kept
from api.core.pagination import PagedQuery, PageParams, fetch_page, paged
from api.core.tenancy import Id, Owner
from api.items.scoping import visible_clause as item_visible
from api.locations.repository import paths_of
from api.locations.scoping import org_visible_clause
from api.stock.schemas import HistoryFilters, ReservationFilters, StockFilters
from models.accounts import User
from models.base import QUANTITY_SCALE, Quantity, utc_now
from models.inventory import (
    Item,
    ItemHistory,
    ItemStock,
    Location,
    Ship,
    StockReservation,
)
from models.orgs import Organization

M = TypeVar("M")

# --- tenant scoping: the readable statements ------------------------------------------------


def stock_visible(org_id: Id, user_id: Id) -> ColumnElement[bool]:
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


def usable_location(org_id: Id, user_id: Id) -> ColumnElement[bool]:
    """Locations the caller may put stock at: shared universe, the org's, the caller's own."""
    return or_(org_visible_clause(org_id), Location.owner_user_id == user_id)


def usable_item(org_id: Id) -> ColumnElement[bool]:
    """Items of the shared catalogue or private to ``org_id``."""
    return item_visible(org_id)


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


# Hot-path statements are built once with bind parameters: building a SQLAlchemy statement
# and its cache key costs more Python time per request than executing it.
_ORG: BindParameter[uuid.UUID] = bindparam("org_id", type_=ItemStock.organization_id.type)
_ME: BindParameter[uuid.UUID] = bindparam("user_id", type_=ItemStock.owner_user_id.type)

_ITEM_USABLE = select(
    exists().where(Item.id == bindparam("item_id", type_=Item.id.type), usable_item(_ORG)))
_LOCATION_USABLE = select(exists().where(
    Location.id == bindparam("location_id", type_=Location.id.type), usable_location(_ORG, _ME)))


def item_and_location_usable(
    session: Session,
    org_id: uuid.UUID,
    user_id: uuid.UUID,
    item_id: uuid.UUID,
    location_id: uuid.UUID,
) -> tuple[bool, bool]:
    """(item usable by ``org_id``, location usable by the caller), each kept while items,
    respectively locations, are unchanged: every stock change asks both, and an org uses far
    fewer items and places than it has (item, place) pairs."""
    item_ok = kept(session, ("item-usable", org_id, item_id), lambda: bool(session.scalar(
        _ITEM_USABLE, {"org_id": org_id, "item_id": item_id})))
    location_ok = kept(session, ("location-usable", org_id, user_id, location_id),
                       lambda: bool(session.scalar(_LOCATION_USABLE, {
                           "org_id": org_id, "user_id": user_id, "location_id": location_id})))
    return item_ok, location_ok


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


def find_stock_id(
    session: Session, item_id: uuid.UUID, location_id: uuid.UUID, quality: int, owner: Owner
) -> uuid.UUID | None:
    """The id of the row for (item, location, quality, owner), if it exists."""
    stmt = _find_stock_id_statement(owner.organization_id is not None)
    return session.scalar(stmt, {**_key_params(item_id, location_id, owner), "quality": quality})


def upsert_destination(
    session: Session, source: ItemStock, location_id: uuid.UUID, actor_id: uuid.UUID | None
) -> uuid.UUID:
    """The id of the row for ``source``'s item, quality and owner at ``location_id`` (a
    transfer's destination), created empty when missing (``INSERT … ON CONFLICT DO NOTHING``).

    A created row is shared like ``source``: moved shared stock is still the same supply for
    the org. Race-free on both backends: two requests creating the same row both end up with
    the one row the unique constraint allows; neither fails.
    """
    item_id, quality = source.item_id, source.quality
    owner = Owner.of(source.organization_id, source.owner_user_id)
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
            shared_with_org_id=source.shared_with_org_id,
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


def _touched(actor: Any, now: Any = None, version: Any = ItemStock.version) -> dict[str, Any]:
    """What every change of a stock row also writes: the next version, who, and when
    (``version``: the table's column in a Core statement)."""
    return {"version": version + 1, "updated_by": actor,
            "updated_at": utc_now() if now is None else now}


def _update_row(session: Session, conditions: Sequence[Any], values: dict[str, Any]) -> bool:
    """One conditional UPDATE of a stock row: True when the row matched (the guard held)."""
    stmt = (update(ItemStock).where(*conditions).values(**values)
            .execution_options(synchronize_session=False))
    return _one_row(session.execute(stmt))


def change_quantity(
    session: Session, stock_id: uuid.UUID, delta: Decimal, actor_id: uuid.UUID | None
) -> bool:
    """``quantity += delta`` unless that would drop below ``reserved``; False when refused."""
    new_quantity = _exact(ItemStock.quantity + delta)
    return _update_row(session, [ItemStock.id == stock_id, new_quantity >= ItemStock.reserved],
                       {"quantity": new_quantity, **_touched(actor_id)})


# The adjustment's statement is Core, on the table: an ORM-enabled ``insert(ItemStock)`` goes
# through the ORM's bulk DML path, which rebuilds the statement on every execution and so
# computes its cache key anew -- measured, about as much CPU as the rest of an adjustment.
_STOCK = cast(Table, ItemStock.__table__)


@cache
def _adjust_statement(
    dialect: str, by_org: bool, grow: bool
) -> ReturningInsert[Any] | ReturningUpdate[Any]:
    """The one statement of an adjustment, built once per (dialect, owner kind, sign)."""
    c = _STOCK.c
    delta = bindparam("p_delta", type_=Quantity)
    now = bindparam("p_now", type_=c.updated_at.type)
    actor = bindparam("p_actor_id", type_=c.updated_by.type)
    new_quantity = _exact(c.quantity + delta)
    fits = new_quantity >= c.reserved
    changed = {"quantity": new_quantity, **_touched(actor, now, c.version)}
    owner_col = c.organization_id if by_org else c.owner_user_id
    if not grow:
        return (
            update(_STOCK)
            .where(
                c.item_id == bindparam("p_item_id"),
                c.location_id == bindparam("p_location_id"),
                c.quality == bindparam("p_quality"),
                owner_col == bindparam("p_owner_id"),
                fits,
            )
            .values(**changed)
            .returning(*c)
        )
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(_STOCK)
        .values(
            id=bindparam("p_id"),
            item_id=bindparam("p_item_id"),
            location_id=bindparam("p_location_id"),
            quality=bindparam("p_quality"),
            organization_id=bindparam("p_owner_id") if by_org else None,
            owner_user_id=None if by_org else bindparam("p_owner_id"),
            shared_with_org_id=None,
            quantity=_exact(delta),
            reserved=Decimal(0),
            version=1,
            updated_by=actor,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_update(
            index_elements=[
                "item_id", "location_id", "quality",
                "organization_id" if by_org else "owner_user_id",
            ],
            set_=changed,
            where=fits,
        )
        .returning(*c)
    )


def adjust_quantity(
    session: Session,
    item_id: uuid.UUID,
    location_id: uuid.UUID,
    quality: int,
    owner: Owner,
    delta: Decimal,
    actor_id: uuid.UUID | None,
) -> ItemStock | None:
    """``quantity += delta`` on the owner's (item, location, quality) row in ONE statement.

    Positive ``delta``: ``INSERT … ON CONFLICT DO UPDATE SET quantity = quantity + :delta
    WHERE quantity + :delta >= reserved RETURNING *`` (a missing row is created holding
    ``delta``; the unique constraint makes two racing creators update the one row). Negative:
    ``UPDATE … WHERE <key> AND quantity + :delta >= reserved RETURNING *``. Either way the
    invariant is checked by the statement that writes, under the row lock it takes. Returns
    the row as written (the session's object for it, refreshed), or None when nothing was
    changed (no row, or it would not fit).
    """
    by_org = owner.organization_id is not None
    stmt = _adjust_statement(session.get_bind().dialect.name, by_org, delta > 0)
    params = {
        "p_id": uuid.uuid4(),
        "p_item_id": item_id,
        "p_location_id": location_id,
        "p_quality": quality,
        "p_owner_id": owner.organization_id if by_org else owner.owner_user_id,
        "p_delta": delta,
        "p_actor_id": actor_id,
        "p_now": utc_now(),
    }
    row = _core(session).execute(stmt, params).one_or_none()
    return None if row is None else _persistent(session, ItemStock, row._mapping)


# Lookups of one row's key (a transfer's destination, an adjustment's 409 message), built once
# per owner kind with bound parameters: a statement built per call has its cache key computed
# per call, which cost more than running it.
@cache
def _row_key(by_org: bool) -> ColumnElement[bool]:
    owner_col = ItemStock.organization_id if by_org else ItemStock.owner_user_id
    return and_(ItemStock.item_id == bindparam("item_id", type_=ItemStock.item_id.type),
                ItemStock.location_id == bindparam("location_id",
                                                   type_=ItemStock.location_id.type),
                owner_col == bindparam("owner_id", type_=owner_col.type))


@cache
def _find_stock_statement(by_org: bool) -> Select[ItemStock]:
    return (select(ItemStock)
            .where(_row_key(by_org), ItemStock.quality == bindparam("quality", type_=Integer))
            .execution_options(populate_existing=True))


@cache
def _find_stock_id_statement(by_org: bool) -> Select[uuid.UUID]:
    return select(ItemStock.id).where(_row_key(by_org),
                                      ItemStock.quality == bindparam("quality", type_=Integer))


@cache
def _held_qualities_statement(by_org: bool) -> Select[int]:
    return (select(ItemStock.quality).where(_row_key(by_org), ItemStock.quantity > 0)
            .order_by(ItemStock.quality))


def _key_params(item_id: uuid.UUID, location_id: uuid.UUID, owner: Owner) -> dict[str, Any]:
    return {"item_id": item_id, "location_id": location_id,
            "owner_id": owner.organization_id if owner.organization_id is not None
            else owner.owner_user_id}


def find_stock(
    session: Session, item_id: uuid.UUID, location_id: uuid.UUID, quality: int, owner: Owner
) -> ItemStock | None:
    """The row for (item, location, quality, owner), freshly loaded, if it exists."""
    stmt = _find_stock_statement(owner.organization_id is not None)
    params = {**_key_params(item_id, location_id, owner), "quality": quality}
    return session.scalars(stmt, params).one_or_none()


def held_qualities(
    session: Session, item_id: uuid.UUID, location_id: uuid.UUID, owner: Owner
) -> list[int]:
    """The qualities at which ``owner`` holds units of the item at the location, ascending."""
    stmt = _held_qualities_statement(owner.organization_id is not None)
    return list(session.scalars(stmt, _key_params(item_id, location_id, owner)))


_ITEM_UNIT = select(Item.unit).where(Item.id == bindparam("item_id", type_=Item.id.type))


def item_unit(session: Session, item_id: uuid.UUID) -> str:
    """How the item is counted (``scu`` or ``piece``); ``scu`` for an unknown id."""
    return session.scalar(_ITEM_UNIT, {"item_id": item_id}) or "scu"


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
    new_reserved = _exact(ItemStock.reserved + quantity)
    return _update_row(session, [
        ItemStock.id == stock_id,
        ItemStock.quantity >= new_reserved,
        or_(ItemStock.organization_id == org_id, ItemStock.shared_with_org_id == org_id),
    ], {"reserved": new_reserved, **_touched(actor_id)})


def take_back_reserved(
    session: Session,
    stock_id: uuid.UUID,
    quantity: Decimal,
    *,
    consume: bool,
    actor_id: uuid.UUID | None,
) -> bool:
    """``reserved -= quantity`` (and ``quantity -= quantity`` when consuming)."""
    values: dict[str, Any] = {"reserved": _exact(ItemStock.reserved - quantity),
                              **_touched(actor_id)}
    if consume:
        values["quantity"] = _exact(ItemStock.quantity - quantity)
    return _update_row(session, [ItemStock.id == stock_id, ItemStock.reserved >= quantity],
                       values)


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
    # Sharing is the owner's act on their own row: updated_by (the last quantity change) stays.
    return _update_row(session, conditions, {"shared_with_org_id": target,
                                             "version": ItemStock.version + 1,
                                             "updated_at": utc_now()})


def lock_shared_of_member(
    session: Session, org_id: uuid.UUID, user_id: uuid.UUID
) -> list[ItemStock]:
    """Lock the member's rows shared with ``org_id`` ``FOR UPDATE`` in id order.

    The fixed order of :func:`lock_stocks`; a reservation racing a member's departure either
    commits first (and is then released) or waits and finds the row no longer shared.
    """
    stmt = (
        select(ItemStock)
        .where(ItemStock.owner_user_id == user_id, ItemStock.shared_with_org_id == org_id)
        .order_by(ItemStock.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(session.scalars(stmt))


def open_reservations_on(
    session: Session, org_id: uuid.UUID, stock_ids: list[uuid.UUID]
) -> list[StockReservation]:
    """The org's open reservations of these rows, oldest first."""
    if not stock_ids:
        return []
    stmt = readable_reservations(org_id).where(
        StockReservation.stock_id.in_(stock_ids),
        StockReservation.released_at.is_(None),
        StockReservation.consumed_at.is_(None),
    ).order_by(StockReservation.created_at, StockReservation.id)
    return list(session.scalars(stmt))


@dataclass(frozen=True)
class LockedLevel:
    """One of the org's stock rows as locked for a bulk change."""

    id: uuid.UUID
    quantity: Decimal
    reserved: Decimal


def lock_org_stock(
    session: Session, org_id: uuid.UUID
) -> dict[tuple[uuid.UUID, uuid.UUID, int], LockedLevel]:
    """Lock every stock row of the org (``FOR UPDATE``, in id order: the fixed order every
    multi-row change uses) and return (item, location, quality) -> the row as locked."""
    stmt = (
        select(ItemStock.id, ItemStock.item_id, ItemStock.location_id, ItemStock.quality,
               ItemStock.quantity, ItemStock.reserved)
        .where(ItemStock.organization_id == org_id)
        .order_by(ItemStock.id)
        .with_for_update()
    )
    return {(i, loc, q): LockedLevel(sid, qty, res)
            for sid, i, loc, q, qty, res in _core(session).execute(stmt)}


def bulk_set_quantities(session: Session, rows: list[dict[str, Any]]) -> None:
    """``UPDATE item_stocks SET quantity = :quantity … WHERE id = :id`` for many rows in one
    executemany (rows hold ``id``, ``quantity``, ``updated_by``); the caller holds the locks
    and passes chunks (a thousand rows). The CHECK constraints (quantity >= reserved, >= 0)
    judge every row.

    Not ``UPDATE … FROM (VALUES …)`` per chunk: measured on PostgreSQL
    (benchmarks/import_load.py) it wrote 10,000 updates as fast as this but 100,000 at only
    2,400 rows/s, slowing as the table grew (a join planned over ``item_stocks``, every org's
    rows, is the likely cause). Here psycopg pipelines the executemany (one round trip) and
    each row is a primary-key lookup, whatever the table's size.
    """
    if not rows:
        return
    table = ItemStock.__table__
    stmt = (
        update(table)  # type: ignore[arg-type]
        .where(table.c.id == bindparam("b_id"))
        .values(quantity=bindparam("b_quantity", type_=Quantity),
                updated_by=bindparam("b_updated_by"), version=table.c.version + 1,
                updated_at=utc_now())
    )
    _core(session).execute(stmt, [{"b_id": r["id"], "b_quantity": r["quantity"],
                                   "b_updated_by": r["updated_by"]} for r in rows])


def bulk_insert(session: Session, model: type[Any], rows: list[dict[str, Any]]) -> None:
    """Insert rows of ``model``'s table (no ORM objects): one executemany, which psycopg
    sends as a pipeline (every row's INSERT in one round trip, one prepared statement).

    Measured on PostgreSQL (benchmarks/import_load.py, 10,000 new stock rows): this wrote
    about 2x faster than the same chunk as ONE multi-row ``INSERT … VALUES (…), (…)`` (with
    ``RETURNING``, SQLAlchemy's insertmanyvalues), and 5x faster than a literal
    ``values(rows)`` statement, which is recompiled for every chunk.
    """
    if rows:
        _core(session).execute(insert(model.__table__), rows)


_HISTORY_INSERT = insert(cast(Table, ItemHistory.__table__))


def add_history(session: Session, **fields: Any) -> ItemHistory:
    """Append one history row now: one Core ``INSERT`` (after flushing what the session
    holds, so the stock row it records is written first); returns it as a persistent object."""
    values = {"id": uuid.uuid4(), "created_at": utc_now(), **fields}
    written = _core(session).execute(_HISTORY_INSERT, values)
    return _persistent(session, ItemHistory, cast(dict[str, Any], written.last_inserted_params()))


def _persistent(session: Session, model: type[M], values: Mapping[Any, Any]) -> M:
    """``model``'s object for a row a Core statement wrote: the session's own object for it,
    refreshed (as ``populate_existing`` would), else a new one, persistent and clean in the
    session -- without the SELECT a load would cost or the ORM's DML path."""
    mapper = inspect(model)
    key = mapper.identity_key_from_primary_key([values[c.key] for c in mapper.primary_key])
    obj = session.identity_map.get(key)
    new = obj is None
    if new:
        obj = mapper.class_manager.new_instance()
    for attr in mapper.column_attrs:
        set_committed_value(obj, attr.key, values.get(attr.columns[0].key))
    if new:
        make_transient_to_detached(obj)
        session.add(obj)
    return cast(M, obj)


# --- queries ---------------------------------------------------------------------------------


def subtree_location_ids(root_id: Id) -> Select[uuid.UUID]:
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
    root = root_id if isinstance(root_id, BindParameter) else literal(root_id, Location.id.type)
    tree = select(root.label("id")).cte("tree", recursive=True)
    tree = tree.union(select(edges.c.child).join(tree, edges.c.parent == tree.c.id))
    return select(tree.c.id)


def _core(session: Session) -> Connection:
    """The session's connection for Core reads: the same transaction, without the ORM result
    layer (which costs more than these queries). Flushes first, as the ORM's autoflush would."""
    session.flush()
    return session.connection()


_SUBTREE_IDS = subtree_location_ids(bindparam("root_id", type_=Location.id.type))


def subtree_ids(session: Session, root_id: uuid.UUID) -> list[uuid.UUID]:
    """Ids of ``root_id``'s subtree (see :func:`subtree_location_ids`), prebuilt statement."""
    return list(_core(session).execute(_SUBTREE_IDS, {"root_id": root_id}).scalars().all())


_STOCK_COLUMNS = tuple(ItemStock.__table__.c)
# Who holds a row, as the UI shows it: the org's name, else the member's display name.
_OWNER_NAME = func.coalesce(Organization.name, User.display_name, User.username)


def with_names(stmt: Select[Any]) -> Select[Any]:
    """``stmt`` over ``item_stocks`` plus ``item_name``, ``item_unit`` and ``owner_name``
    (joins in the same statement; the location path comes from one CTE query per page)."""
    return (
        stmt.add_columns(
            Item.name.label("item_name"), Item.unit.label("item_unit"),
            _OWNER_NAME.label("owner_name"),
        )
        .join(Item, Item.id == ItemStock.item_id)
        .outerjoin(Organization, Organization.id == ItemStock.organization_id)
        .outerjoin(User, User.id == ItemStock.owner_user_id)
    )


@cache
def _stock_page_statement(by_location: bool, by_item: bool, include_empty: bool) -> PagedQuery:
    """The inventory page: the readable statement's scope, as plain rows (no ORM objects)."""
    stmt = select(*_STOCK_COLUMNS).where(stock_visible(_ORG, _ME))
    if by_location:
        stmt = stmt.where(ItemStock.location_id.in_(bindparam("location_ids", expanding=True)))
    if by_item:
        stmt = stmt.where(ItemStock.item_id == bindparam("item_id"))
    if not include_empty:
        stmt = stmt.where(ItemStock.quantity > 0)
    ordered = with_names(stmt).order_by(
        ItemStock.location_id, ItemStock.item_id, ItemStock.quality, ItemStock.id
    )
    return paged(ordered, count_from=stmt)


def list_stock(
    session: Session,
    org_id: uuid.UUID,
    user_id: uuid.UUID,
    filters: StockFilters,
    page: PageParams,
) -> tuple[list[dict[str, Any]], int]:
    """A page of visible stock rows, optionally under a location subtree, and the total.

    Rows are dicts of the columns, the names of :func:`with_names`, the location's name and
    path and ``available``
    (read-only page: building ORM objects for it cost more than the query).
    """
    location_id, item_id = filters.location_id, filters.item_id
    params: dict[str, Any] = {"org_id": org_id, "user_id": user_id}
    if location_id is not None:
        # Resolve the (small) subtree first: given a literal id list the planner picks the
        # location index instead of guessing the CTE's size and scanning all org rows.
        params["location_ids"] = subtree_ids(session, location_id)
    if item_id is not None:
        params["item_id"] = item_id
    query = _stock_page_statement(
        location_id is not None, item_id is not None, filters.include_empty
    )
    # Core execution on the session's connection: same transaction, no ORM result layer.
    result, total = fetch_page(_core(session), query, page, params)
    rows = []
    for row in result:
        out = dict(row._mapping)
        out["available"] = out["quantity"] - out["reserved"]
        rows.append(out)
    return with_paths(session, rows), total


def with_paths(session: Session, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add ``location_name`` / ``location_path`` to row dicts (one CTE query for the page)."""
    places = paths_of(session, {r["location_id"] for r in rows})
    for row in rows:
        row["location_name"], row["location_path"] = places.get(row["location_id"], (None, None))
    return rows


def where_is(
    session: Session,
    org_id: uuid.UUID,
    user_id: uuid.UUID,
    item_id: uuid.UUID,
    *,
    page: PageParams,
) -> tuple[list[Any], int]:
    """Totals of one item by location, quality and tier (org / member) across visible stock,
    and the number of such totals.

    The caller's own *unshared* rows are left out: "where is X" answers for the org.
    """
    params = {"org_id": org_id, "item_id": item_id}
    return fetch_page(_core(session), _WHERE_IS, page, params)


_IS_ORG = ItemStock.organization_id.is_not(None)
_WHERE_IS = paged(
    select(
        ItemStock.location_id,
        ItemStock.quality,
        _IS_ORG.label("org_owned"),
        func.sum(ItemStock.quantity).label("quantity"),
        func.sum(ItemStock.reserved).label("reserved"),
        func.count().label("rows"),
    )
    .where(
        or_(ItemStock.organization_id == _ORG, ItemStock.shared_with_org_id == _ORG),
        ItemStock.item_id == bindparam("item_id", type_=ItemStock.item_id.type),
        ItemStock.quantity > 0,
    )
    .group_by(ItemStock.location_id, ItemStock.quality, _IS_ORG)
    .order_by(ItemStock.location_id, ItemStock.quality, _IS_ORG)
)


def list_history(
    session: Session,
    org_id: uuid.UUID,
    user_id: uuid.UUID,
    filters: HistoryFilters,
    page: PageParams,
) -> tuple[list[ItemHistory], int]:
    """A page of visible history rows, newest first, filtered, and the total."""
    stmt = where_given(readable_history(org_id, user_id),
                       (ItemHistory.item_id, filters.item_id),
                       (ItemHistory.location_id, filters.location_id),
                       (ItemHistory.stock_id, filters.stock_id),
                       (ItemHistory.kind, filters.kind), (ItemHistory.actor_id, filters.actor_id))
    if filters.since is not None:
        stmt = stmt.where(ItemHistory.created_at >= filters.since)
    if filters.until is not None:
        stmt = stmt.where(ItemHistory.created_at < filters.until)
    stmt = stmt.order_by(ItemHistory.created_at.desc(), ItemHistory.id.desc())
    return fetch_page(session, stmt, page, scalars=True)


def list_reservations(
    session: Session, org_id: uuid.UUID, filters: ReservationFilters, page: PageParams
) -> tuple[list[StockReservation], int]:
    """A page of the org's reservations, newest first, filtered, and the total."""
    stmt = where_given(readable_reservations(org_id),
                       (StockReservation.stock_id, filters.stock_id),
                       (StockReservation.craft_id, filters.craft_id),
                       (StockReservation.plan_id, filters.plan_id))
    open_ = and_(StockReservation.released_at.is_(None), StockReservation.consumed_at.is_(None))
    if filters.active is True:
        stmt = stmt.where(open_)
    elif filters.active is False:
        stmt = stmt.where(~open_)
    stmt = stmt.order_by(StockReservation.created_at.desc(), StockReservation.id.desc())
    return fetch_page(session, stmt, page, scalars=True)


def reservation_places(
    session: Session, stock_ids: set[uuid.UUID]
) -> dict[uuid.UUID, tuple[uuid.UUID, uuid.UUID, int]]:
    """(item, location, quality) of the stock rows reservations hold, in one query."""
    if not stock_ids:
        return {}
    stmt = select(
        ItemStock.id, ItemStock.item_id, ItemStock.location_id, ItemStock.quality
    ).where(ItemStock.id.in_(stock_ids))
    return {row[0]: (row[1], row[2], row[3]) for row in session.execute(stmt)}

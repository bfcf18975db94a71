"""Stock rules. Every function here is one step of the caller's transaction: it flushes,
never commits, and writes the history row(s) of every change it makes.

These are the functions other packages reuse (crafts, plan apply); see docs/inventory.md:

* :func:`adjust_stock` — add/remove units (upsert + one atomic UPDATE).
* :func:`add_output` — a craft's output (``craft_output`` history).
* :func:`transfer_stock` — move units between locations (row locks in id order).
* :func:`reserve_stock`, :func:`release_reservation`, :func:`consume_reservation`.
* :func:`share_stock`, :func:`withdraw_stock` — member stock shared with an org.
* :func:`return_member_stock` — a leaving member's shared stock goes back to them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from api.core.errors import Conflict, InsufficientStock, InvalidInput, NotFound
from api.core.outputs import columns_of
from api.core.pagination import PageParams
from api.core.tenancy import Owner
from api.items import service as items
from api.live.hub import announce
from api.names import service as names
from api.stock import repository as repo
from api.stock.schemas import HistoryOut, ReservationOut, StockOut, WhereIsRow
from engine.quantity import format_quantity
from models.inventory import ItemHistory, ItemStock, StockReservation
from models.planning import Craft, Plan

# Reads with no rule beyond tenant scoping, which the repository's statement owns: the
# router reaches them here, so it never imports the repository.
list_stock = repo.list_stock
list_history = repo.list_history
list_reservations = repo.list_reservations

MAX_QUANTITY = Decimal(1_000_000_000)


@dataclass
class StockChange:
    """A stock row after a change and the history rows written for it."""

    stock: ItemStock
    history: list[ItemHistory] = field(default_factory=list)


@dataclass
class Transfer:
    """Both rows after a transfer and its two history rows."""

    transfer_id: uuid.UUID
    source: ItemStock
    destination: ItemStock
    history: list[ItemHistory]


def _check_quantity(value: Decimal, name: str, *, allow_negative: bool = False) -> None:
    # Service callers (crafts, plan apply) skip the HTTP schemas, so the bounds hold here too.
    if value == 0:
        raise InvalidInput(f"{name} must not be zero", field=name)
    if abs(value) > MAX_QUANTITY or (value < 0 and not allow_negative):
        bounds = f"-{MAX_QUANTITY}..{MAX_QUANTITY}" if allow_negative else f"0..{MAX_QUANTITY}"
        raise InvalidInput(f"{name} must be within {bounds}", field=name)


def _history_org(stock: ItemStock, org_id: uuid.UUID) -> uuid.UUID | None:
    """The org a change is recorded for: none for a member's unshared stock (private)."""
    if stock.organization_id is not None:
        return stock.organization_id
    return org_id if stock.shared_with_org_id == org_id else None


def _record(
    session: Session,
    stock: ItemStock,
    org_id: uuid.UUID,
    *,
    kind: str,
    actor_id: uuid.UUID | None,
    delta: Decimal = Decimal(0),
    reserved_delta: Decimal = Decimal(0),
    **extra: object,
) -> ItemHistory:
    history_org = _history_org(stock, org_id)
    if history_org is not None:
        # Members watching the org's live feed see every change to stock the org can use;
        # a member's private stock is nobody else's business.
        announce(session, history_org, {
            "type": "stock.changed", "kind": kind, "stock_id": str(stock.id),
            "item_id": str(stock.item_id), "location_id": str(stock.location_id),
            "quality": stock.quality, "delta": str(delta), "reserved_delta": str(reserved_delta),
        })
    return repo.add_history(
        session,
        stock_id=stock.id,
        item_id=stock.item_id,
        location_id=stock.location_id,
        quality=stock.quality,
        delta=delta,
        reserved_delta=reserved_delta,
        kind=kind,
        actor_id=actor_id,
        organization_id=history_org,
        owner_user_id=stock.owner_user_id,
        **extra,
    )


def _insufficient(
    session: Session, stock: ItemStock, wanted: Decimal, what: str
) -> InsufficientStock:
    unit = repo.item_unit(session, stock.item_id)

    def qty(value: Decimal) -> str:
        return format_quantity(value, unit)

    return InsufficientStock(
        f"Not enough stock to {what} {qty(wanted)}: {qty(stock.quantity - stock.reserved)} "
        f"available ({qty(stock.quantity)} held, {qty(stock.reserved)} reserved)",
        stock_id=stock.id,
        requested=wanted,
        quantity=stock.quantity,
        reserved=stock.reserved,
        available=stock.quantity - stock.reserved,
    )


def _owner(org_id: uuid.UUID, owner_user_id: uuid.UUID | None) -> Owner:
    return Owner.of(org_id, owner_user_id)


def quality_meant(
    session: Session,
    *,
    item_id: uuid.UUID,
    location_id: uuid.UUID,
    owner: Owner,
    quality: int | None,
    location_field: str = "location_id",
) -> int | None:
    """The quality a request naming (item, location, owner) means when it may omit ``quality``.

    The one rule for every stock path addressed that way (adjust, transfer): a given quality
    is taken as it is; an omitted one means the only quality held there, None when nothing is
    held; when several are held the caller must choose (422 naming ``quality``, listing them),
    never a silent default.
    """
    if quality is not None:
        return quality
    held = repo.held_qualities(session, item_id, location_id, owner)
    if len(held) > 1:
        raise InvalidInput(
            f"quality is required: this item is held at {location_field} at qualities "
            f"{', '.join(map(str, held))}",
            field="quality",
            record=f"stock/{item_id}@{location_id}",
            held_qualities=held,
        )
    return held[0] if held else None


def _held_there(
    session: Session, item_id: uuid.UUID, location_id: uuid.UUID, owner: Owner
) -> tuple[list[int], str]:
    """The qualities held at (item, location, owner) and the words for them, for the
    message of a request that matched no row."""
    held = repo.held_qualities(session, item_id, location_id, owner)
    if not held:
        return held, "none of this item is held there"
    plural = "qualities" if len(held) > 1 else "quality"
    return held, f"it is held there at {plural} {', '.join(map(str, held))}"


def _require_item_and_location(
    session: Session,
    org_id: uuid.UUID,
    user_id: uuid.UUID | None,
    item_id: uuid.UUID,
    location_id: uuid.UUID,
    location_field: str = "location_id",
) -> None:
    # System callers (user_id None) may use universe and org locations only.
    item_ok, location_ok = repo.item_and_location_usable(
        session, org_id, user_id or uuid.UUID(int=0), item_id, location_id
    )
    if not item_ok:
        raise NotFound("item", item_id)
    if not location_ok:
        raise NotFound("location", location_id, detail=f"location not found ({location_field})")


def adjust_stock(
    session: Session,
    *,
    org_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    item_id: uuid.UUID,
    location_id: uuid.UUID,
    quality: int | None,
    delta: Decimal,
    owner_user_id: uuid.UUID | None = None,
    note: str | None = None,
    kind: str | None = None,
    craft_id: uuid.UUID | None = None,
    plan_id: uuid.UUID | None = None,
) -> StockChange:
    """Change the quantity of (item, location, quality, owner) by ``delta``.

    Owner: the org (``owner_user_id`` None) or that member's personal stock. The row is
    created when missing (only for positive deltas); the change is one atomic statement
    (``INSERT … ON CONFLICT DO UPDATE`` or ``UPDATE``, ``… WHERE quantity + delta >= reserved
    RETURNING``) and raises 409 ``insufficient-stock``
    (naming available and reserved) when it would not fit. Writes one history row of
    ``kind`` (default ``add``/``remove`` by sign). ``quality`` None follows
    :func:`quality_meant`; adding with nothing held there starts a quality-0 row.
    """
    _check_quantity(delta, "delta", allow_negative=True)
    items.require_whole_pieces(session, [(item_id, delta, "delta")])
    if quality is not None and not 0 <= quality <= 1000:
        raise InvalidInput("quality must be in 0..1000", field="quality")
    _require_item_and_location(
        session, org_id, actor_id if owner_user_id is None else owner_user_id, item_id, location_id
    )
    owner = _owner(org_id, owner_user_id)
    meant = quality_meant(
        session, item_id=item_id, location_id=location_id, owner=owner, quality=quality
    )
    if meant is None and delta > 0:
        meant = 0
    # One statement: upsert (positive delta) or conditional update (negative), RETURNING the row.
    stock = (
        None if meant is None
        else repo.adjust_quantity(session, item_id, location_id, meant, owner, delta, actor_id)
    )
    if stock is None:
        held = None if meant is None else repo.find_stock(
            session, item_id, location_id, meant, owner
        )
        if held is None:
            qualities, there = _held_there(session, item_id, location_id, owner)
            at = "" if meant is None else f" at quality {meant}"
            unit = repo.item_unit(session, item_id)
            raise InsufficientStock(
                f"Nothing held{at} to remove {format_quantity(-delta, unit)} from: {there}",
                requested=-delta,
                quantity=Decimal(0),
                reserved=Decimal(0),
                available=Decimal(0),
                held_qualities=qualities,
            )
        raise _insufficient(session, held, -delta, "remove")
    history = _record(
        session,
        stock,
        org_id,
        kind=kind or ("add" if delta > 0 else "remove"),
        actor_id=actor_id,
        delta=delta,
        note=note,
        craft_id=craft_id,
        plan_id=plan_id,
    )
    session.flush()
    return StockChange(stock, [history])


@dataclass(frozen=True)
class StockLevel:
    """A quantity the org's own stock of (item, location, quality) should hold."""

    item_id: uuid.UUID
    location_id: uuid.UUID
    quality: int
    quantity: Decimal


# Rows per chunk of a bulk change: three pipelined statements (updates, new rows, history)
# per thousand rows, and a progress report after each.
BULK_CHUNK = 1000
# Told (rows written, rows to write) after each chunk: an import job's progress.
BulkProgress = Callable[[int, int], None]


def set_org_stock_levels(
    session: Session,
    *,
    org_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    levels: list[StockLevel],
    note: str | None = None,
    progress: BulkProgress | None = None,
) -> int:
    """Bring many of the org's stock rows to the given quantities at once (an import).

    The org's rows are locked in id order, the changes measured against the locked values
    (so a change that landed since the caller validated is neither lost nor doubled), then
    written chunk by chunk (:data:`BULK_CHUNK` rows): one executemany each for the rows that
    exist (UPDATE by id), the new rows and their history rows (``add``/``remove`` by sign, the
    columns :func:`adjust_stock` writes), which psycopg sends pipelined. A level
    below what is reserved raises 409 before anything is written; the caller's transaction
    makes the whole call all-or-nothing. One ``stock.changed`` event goes to the org's live
    feed instead of one per row. Items and locations must already be checked visible to the
    org. Returns how many rows changed.
    """
    locked = repo.lock_org_stock(session, org_id)
    # (stock row to update or None, stock row to insert or None, its history row)
    changes: list[tuple[dict[str, Any] | None, dict[str, Any] | None, dict[str, Any]]] = []
    too_low: list[str] = []
    for level in levels:
        # A level of zero empties the row (a spreadsheet's "none left"): only bounds apply.
        if level.quantity != 0:
            _check_quantity(level.quantity, "quantity")
        key = (level.item_id, level.location_id, level.quality)
        held = locked.get(key)
        have = held.quantity if held else Decimal(0)
        delta = level.quantity - have
        if delta == 0:
            continue
        if held is not None and level.quantity < held.reserved:
            too_low.append(f"{level.item_id} @ {level.location_id} q{level.quality}")
            continue
        change: dict[str, Any] | None = None
        created: dict[str, Any] | None = None
        if held is None:
            stock_id = uuid.uuid4()
            created = {"id": stock_id, "item_id": level.item_id,
                       "location_id": level.location_id, "quality": level.quality,
                       "organization_id": org_id, "quantity": level.quantity,
                       "reserved": Decimal(0), "version": 1, "updated_by": actor_id}
        else:
            stock_id = held.id
            change = {"id": stock_id, "quantity": level.quantity, "updated_by": actor_id}
        changes.append((change, created, {
            "id": uuid.uuid4(), "stock_id": stock_id, "item_id": level.item_id,
            "location_id": level.location_id, "quality": level.quality, "delta": delta,
            "reserved_delta": Decimal(0), "kind": "add" if delta > 0 else "remove",
            "actor_id": actor_id, "organization_id": org_id, "owner_user_id": None,
            "note": note}))
    if too_low:
        raise Conflict(
            f"{len(too_low)} stock row(s) would drop below what is reserved; nothing changed",
            rows=too_low[:20],
        )
    for start in range(0, len(changes), BULK_CHUNK):
        chunk = changes[start : start + BULK_CHUNK]
        repo.bulk_set_quantities(session, [u for u, _, _ in chunk if u is not None])
        repo.bulk_insert(session, ItemStock, [c for _, c, _ in chunk if c is not None])
        repo.bulk_insert(session, ItemHistory, [h for _, _, h in chunk])
        if progress is not None:
            progress(start + len(chunk), len(changes))
    if changes:
        announce(session, org_id, {"type": "stock.changed", "kind": "import",
                                   "count": len(changes)})
    return len(changes)


def add_output(
    session: Session,
    *,
    org_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    item_id: uuid.UUID,
    location_id: uuid.UUID,
    quality: int,
    quantity: Decimal,
    craft_id: uuid.UUID | None = None,
    plan_id: uuid.UUID | None = None,
    note: str | None = None,
) -> StockChange:
    """Add a craft's output to the org's stock (history kind ``craft_output``)."""
    _check_quantity(quantity, "quantity")
    return adjust_stock(
        session,
        org_id=org_id,
        actor_id=actor_id,
        item_id=item_id,
        location_id=location_id,
        quality=quality,
        delta=quantity,
        note=note,
        kind="craft_output",
        craft_id=craft_id,
        plan_id=plan_id,
    )


def _writable(
    session: Session, org_id: uuid.UUID, actor_id: uuid.UUID, stock_id: uuid.UUID
) -> ItemStock:
    """A row the actor may adjust or move: the org's own, or the actor's personal stock.

    Other members' shared stock is visible (and reservable) but only its owner moves it.
    """
    stock = repo.get_visible_stock(session, org_id, actor_id, stock_id)
    if stock is None:
        raise NotFound("stock", stock_id)
    if stock.organization_id != org_id and stock.owner_user_id != actor_id:
        raise Conflict(
            "Only the owning member may change or move their shared stock", stock_id=stock_id
        )
    return stock


def transfer_stock(
    session: Session,
    *,
    org_id: uuid.UUID,
    actor_id: uuid.UUID,
    to_location_id: uuid.UUID,
    quantity: Decimal,
    stock_id: uuid.UUID | None = None,
    item_id: uuid.UUID | None = None,
    from_location_id: uuid.UUID | None = None,
    quality: int | None = None,
    owner_user_id: uuid.UUID | None = None,
    note: str | None = None,
) -> Transfer:
    """Move ``quantity`` from one stock row to the same item/quality/owner at another location.

    Both rows are locked ``FOR UPDATE`` in id order (opposite transfers cannot deadlock),
    then changed by conditional UPDATEs; totals are conserved and two history rows
    (``transfer_out``, ``transfer_in``) share one ``transfer_id``. Named by item and
    location, ``quality`` None follows :func:`quality_meant`.
    """
    _check_quantity(quantity, "quantity")
    if stock_id is None:
        if item_id is None or from_location_id is None:
            raise InvalidInput("give stock_id, or item_id and from_location_id", field="stock_id")
        owner = _owner(org_id, owner_user_id)
        meant = quality_meant(
            session, item_id=item_id, location_id=from_location_id, owner=owner,
            quality=quality, location_field="from_location_id",
        )
        found = None if meant is None else repo.find_stock_id(
            session, item_id, from_location_id, meant, owner
        )
        if found is None:
            qualities, there = _held_there(session, item_id, from_location_id, owner)
            at = "" if meant is None else f" at quality {meant}"
            raise NotFound(
                "stock",
                f"{item_id}@{from_location_id}" + ("" if meant is None else f"/q{meant}"),
                detail=f"No stock of this item{at} at from_location_id: {there}",
                held_qualities=qualities,
            )
        stock_id = found
    source = _writable(session, org_id, actor_id, stock_id)
    items.require_whole_pieces(session, [(source.item_id, quantity, "quantity")])
    if source.location_id == to_location_id:
        raise InvalidInput(
            "to_location_id is the stock's own location", field="to_location_id"
        )
    if not repo.location_exists(session, org_id, actor_id, to_location_id):
        raise NotFound("location", to_location_id)
    dest_id = repo.upsert_destination(session, source, to_location_id, actor_id)
    locked = repo.lock_stocks(session, [source.id, dest_id])
    if not repo.change_quantity(session, source.id, -quantity, actor_id):
        raise _insufficient(session, locked[source.id], quantity, "transfer")
    if not repo.change_quantity(session, dest_id, quantity, actor_id):  # pragma: no cover
        raise Conflict("destination row refused the transfer")
    source = repo.get_stock(session, source.id)
    dest = repo.get_stock(session, dest_id)
    transfer_id = uuid.uuid4()
    history = [
        _record(
            session, source, org_id, kind="transfer_out", actor_id=actor_id,
            delta=-quantity, transfer_id=transfer_id, note=note,
        ),
        _record(
            session, dest, org_id, kind="transfer_in", actor_id=actor_id,
            delta=quantity, transfer_id=transfer_id, note=note,
        ),
    ]
    session.flush()
    return Transfer(transfer_id, source, dest, history)


def reserve_stock(
    session: Session,
    *,
    org_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    stock_id: uuid.UUID,
    quantity: Decimal,
    reason: str | None = None,
    craft_id: uuid.UUID | None = None,
    plan_id: uuid.UUID | None = None,
) -> StockReservation:
    """Reserve ``quantity`` of a row owned by ``org_id`` or shared with it.

    One atomic ``UPDATE … SET reserved = reserved + q WHERE quantity >= reserved + q`` (and
    the row still serves the org); 409 ``insufficient-stock`` when it does not fit. Writes
    the reservation row and a ``reserve`` history row.
    """
    _check_quantity(quantity, "quantity")
    # A reservation may only serve the org's own craft or plan: another org's (or a missing)
    # id answers 404 like any other tenant's record, never a cross-tenant link.
    if craft_id is not None:
        craft = session.get(Craft, craft_id)
        if craft is None or craft.organization_id != org_id:
            raise NotFound("craft", craft_id)
    if plan_id is not None:
        plan = session.get(Plan, plan_id)
        if plan is None or plan.organization_id != org_id:
            raise NotFound("plan", plan_id)
    stock = repo.get_visible_stock(session, org_id, actor_id or uuid.UUID(int=0), stock_id)
    if stock is None:
        raise NotFound("stock", stock_id)
    if stock.organization_id != org_id and stock.shared_with_org_id != org_id:
        raise Conflict(
            "Personal stock must be shared with the organisation before it can be reserved",
            stock_id=stock_id,
        )
    items.require_whole_pieces(session, [(stock.item_id, quantity, "quantity")])
    if not repo.add_reserved(session, stock_id, quantity, org_id, actor_id):
        current = repo.get_stock(session, stock_id)
        if current.organization_id != org_id and current.shared_with_org_id != org_id:
            # Withdrawn, or its owner left the org, while we were deciding: gone for the org.
            raise NotFound("stock", stock_id)
        raise _insufficient(session, current, quantity, "reserve")
    reservation = StockReservation(
        stock_id=stock_id,
        organization_id=org_id,
        quantity=quantity,
        reason=reason,
        craft_id=craft_id,
        plan_id=plan_id,
        reserved_by=actor_id,
    )
    session.add(reservation)
    session.flush()
    stock = repo.get_stock(session, stock_id)
    _record(
        session, stock, org_id, kind="reserve", actor_id=actor_id,
        reserved_delta=quantity, reservation_id=reservation.id, craft_id=craft_id,
        plan_id=plan_id, note=reason,
    )
    session.flush()
    return reservation


def _close(
    session: Session,
    reservation_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    org_id: uuid.UUID | None,
    *,
    consume: bool,
    note: str | None = None,
) -> StockReservation:
    reservation = repo.get_reservation(session, reservation_id, org_id)
    if reservation is None:
        raise NotFound("reservation", reservation_id)
    # Marking the reservation closed is itself the "exactly once" guard: a concurrent second
    # release/consume finds no open row and changes nothing.
    if not repo.close_reservation(session, reservation_id, consumed=consume, org_id=org_id):
        state = "consumed" if reservation.consumed_at else "released"
        raise Conflict(
            f"Reservation already {state}", reservation_id=reservation_id, state=state
        )
    q = reservation.quantity
    if not repo.take_back_reserved(
        session, reservation.stock_id, q, consume=consume, actor_id=actor_id
    ):  # pragma: no cover - the CHECK constraints make this unreachable
        raise Conflict("Stock row no longer holds this reservation")
    stock = repo.get_stock(session, reservation.stock_id)
    assert reservation.organization_id is not None
    _record(
        session, stock, reservation.organization_id,
        kind="consume" if consume else "release", actor_id=actor_id,
        delta=-q if consume else Decimal(0), reserved_delta=-q,
        reservation_id=reservation.id, craft_id=reservation.craft_id, plan_id=reservation.plan_id,
        note=note,
    )
    session.flush()
    fresh = repo.get_reservation(session, reservation_id)
    assert fresh is not None
    return fresh


def release_reservation(
    session: Session,
    reservation_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    *,
    org_id: uuid.UUID | None = None,
) -> StockReservation:
    """Give exactly the reservation's quantity back to ``available``, once (409 the second
    time). ``org_id`` scopes the lookup (404 for other orgs' reservations)."""
    return _close(session, reservation_id, actor_id, org_id, consume=False)


def consume_reservation(
    session: Session,
    reservation_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    *,
    org_id: uuid.UUID | None = None,
) -> StockReservation:
    """Use up a reservation: quantity and reserved both drop by its quantity, ``consumed_at``
    is set, one ``consume`` history row; once only (409 the second time)."""
    return _close(session, reservation_id, actor_id, org_id, consume=True)


def share_stock(
    session: Session, *, org_id: uuid.UUID, user_id: uuid.UUID, stock_id: uuid.UUID
) -> StockChange:
    """Share the caller's personal row with ``org_id`` (member-tier supply for planning)."""
    stock = repo.get_visible_stock(session, org_id, user_id, stock_id)
    if stock is None or stock.owner_user_id != user_id:
        raise NotFound("stock", stock_id)
    if stock.shared_with_org_id == org_id:
        return StockChange(stock, [])
    if not repo.set_shared(session, stock_id, user_id, org_id, share=True):
        raise Conflict(
            "Stock is reserved by another organisation; withdraw it there first",
            stock_id=stock_id,
        )
    stock = repo.get_stock(session, stock_id)
    history = _record(session, stock, org_id, kind="share", actor_id=user_id)
    session.flush()
    return StockChange(stock, [history])


def withdraw_stock(
    session: Session, *, org_id: uuid.UUID, user_id: uuid.UUID, stock_id: uuid.UUID
) -> StockChange:
    """Stop sharing the caller's row with ``org_id``; refused (409) while the org holds
    reservations on it."""
    stock = repo.get_visible_stock(session, org_id, user_id, stock_id)
    if stock is None or stock.owner_user_id != user_id:
        raise NotFound("stock", stock_id)
    if stock.shared_with_org_id != org_id:
        raise Conflict("Stock is not shared with this organisation", stock_id=stock_id)
    if not repo.set_shared(session, stock_id, user_id, org_id, share=False):
        current = repo.get_stock(session, stock_id)
        reserved = format_quantity(current.reserved, repo.item_unit(session, current.item_id))
        raise Conflict(
            f"Stock is reserved by the organisation ({reserved}); release it first",
            stock_id=stock_id,
            reserved=current.reserved,
        )
    # ``stock`` still shows the row as shared (the UPDATE did not refresh it), so the history
    # row is recorded for the org: its members see the withdrawal.
    history = _record(session, stock, org_id, kind="unshare", actor_id=user_id)
    session.flush()
    return StockChange(repo.get_stock(session, stock_id), [history])


LEFT_NOTE = "owner left the organisation"


@dataclass(frozen=True)
class LostInput:
    """A reservation released because the stock's owner left: what the org lost."""

    reservation_id: uuid.UUID
    stock_id: uuid.UUID
    item_id: uuid.UUID
    quantity: Decimal
    craft_id: uuid.UUID | None
    plan_id: uuid.UUID | None


@dataclass(frozen=True)
class ReturnedStock:
    """What :func:`return_member_stock` did: rows unshared and reservations released."""

    stock_ids: list[uuid.UUID]
    lost: list[LostInput]


def return_member_stock(
    session: Session, *, org_id: uuid.UUID, user_id: uuid.UUID, actor_id: uuid.UUID | None
) -> ReturnedStock:
    """Give a leaving (or removed) member's shared stock back to them, in the caller's
    transaction: the org's open reservations of it are released, then every row is unshared.

    Rows are locked in id order first (the stock code's fixed order), so a concurrent
    reservation either committed before (and is released here) or finds the row unshared.
    History: one ``release`` row per reservation (with its craft/plan) and one ``unshare``
    row per stock row, recorded for the org and noted :data:`LEFT_NOTE`.
    """
    rows = repo.lock_shared_of_member(session, org_id, user_id)
    lost: list[LostInput] = []
    for res in repo.open_reservations_on(session, org_id, [r.id for r in rows]):
        stock = next(r for r in rows if r.id == res.stock_id)
        _close(session, res.id, actor_id, org_id, consume=False, note=LEFT_NOTE)
        lost.append(LostInput(res.id, res.stock_id, stock.item_id, res.quantity,
                              res.craft_id, res.plan_id))
    for stock in rows:
        if not repo.set_shared(session, stock.id, user_id, org_id, share=False):
            # pragma: no cover - reserved == Σ open reservations, all released just above
            raise Conflict("Shared stock still reserved after releasing", stock_id=stock.id)
        # ``stock`` still shows the row as shared, so the org's history records the return.
        _record(session, stock, org_id, kind="unshare", actor_id=actor_id, note=LEFT_NOTE)
    session.flush()
    return ReturnedStock([r.id for r in rows], lost)


def get_visible_stock(
    session: Session, org_id: uuid.UUID, user_id: uuid.UUID, stock_id: uuid.UUID
) -> ItemStock:
    """A stock row the caller may see in ``org_id``; 404 ``stock`` otherwise."""
    stock = repo.get_visible_stock(session, org_id, user_id, stock_id)
    if stock is None:
        raise NotFound("stock", stock_id)
    return stock


# --- reads with the names the UI shows next to the ids ----------------------------------------


def where_is(
    session: Session, org_id: uuid.UUID, user_id: uuid.UUID, item_id: uuid.UUID,
    page: PageParams,
) -> tuple[list[WhereIsRow], int]:
    """Totals of one item by location, quality and tier, with location names, and the total."""
    rows, total = repo.where_is(session, org_id, user_id, item_id, page=page)
    items = []
    for location, quality, org_owned, quantity, reserved, count, _total in rows:
        quantity, reserved = Decimal(quantity), Decimal(reserved)
        items.append({
            "location_id": location, "quality": quality,
            "tier": "org" if org_owned else "member",
            "quantity": quantity, "reserved": reserved, "available": quantity - reserved,
            "rows": count,
        })
    return [WhereIsRow.model_validate(r) for r in repo.with_paths(session, items)], total


def describe_stocks(session: Session, stocks: list[ItemStock]) -> list[StockOut]:
    """Response models of stock rows, with item, location and owner names (looked up by id,
    and kept while unchanged: a stock change names the same few things again and again)."""
    found = names.resolve(
        session, items=(s.item_id for s in stocks), locations=(s.location_id for s in stocks),
        orgs=(s.organization_id for s in stocks),
        people=(s.owner_user_id for s in stocks if s.organization_id is None),
    )
    return [StockOut.model_validate({
        **columns_of(s), "id": s.id, "available": s.quantity - s.reserved,
        "item_name": found.item(s.item_id), "item_unit": found.unit(s.item_id),
        "owner_name": found.owner(s.organization_id, s.owner_user_id),
        "location_name": found.location(s.location_id), "location_path": found.path(s.location_id),
    }) for s in stocks]


def describe_history(
    session: Session, rows: list[ItemHistory], known: names.Names | None = None
) -> list[HistoryOut]:
    """Response models of history rows with item, location and actor names."""
    found = known or names.resolve(
        session,
        items=(r.item_id for r in rows),
        locations=(r.location_id for r in rows),
        people=(r.actor_id for r in rows),
    )
    return [
        HistoryOut.model_validate({
            **columns_of(r), "item_name": found.item(r.item_id), "item_unit": found.unit(r.item_id),
            "location_name": found.location(r.location_id),
            "location_path": found.path(r.location_id), "actor_name": found.person(r.actor_id),
        })
        for r in rows
    ]


def describe_reservations(
    session: Session, rows: list[StockReservation]
) -> list[ReservationOut]:
    """Response models of reservations with the reserved row's item and location names."""
    places = repo.reservation_places(session, {r.stock_id for r in rows})
    found = names.resolve(
        session,
        items=(p[0] for p in places.values()),
        locations=(p[1] for p in places.values()),
        people=(r.reserved_by for r in rows),
    )
    out = []
    for r in rows:
        item_id, location_id, quality = places.get(r.stock_id, (None, None, None))
        out.append(ReservationOut.model_validate({
            **columns_of(r), "active": r.released_at is None and r.consumed_at is None,
            "item_id": item_id, "location_id": location_id, "quality": quality,
            "item_name": found.item(item_id), "item_unit": found.unit(item_id),
            "location_name": found.location(location_id), "location_path": found.path(location_id),
            "reserved_by_name": found.person(r.reserved_by),
        }))
    return out


def describe_change(
    session: Session, stocks: list[ItemStock], history: list[ItemHistory],
    actor_id: uuid.UUID, actor_name: str,
) -> tuple[list[StockOut], list[HistoryOut]]:
    """Response models of a change's rows and history; the history names come from the rows
    (same items and locations) and the caller (the actor), so no further query."""
    outs = describe_stocks(session, stocks)
    known = names.Names(
        items={o.item_id: (o.item_name, o.item_unit) for o in outs if o.item_name and o.item_unit},
        locations={
            o.location_id: (o.location_name, o.location_path)
            for o in outs if o.location_name and o.location_path
        },
        people={actor_id: actor_name},
    )
    return outs, describe_history(session, history, known)

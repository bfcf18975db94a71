"""Stock HTTP endpoints under ``/api/v1/orgs/{org_id}/stock`` (HTTP only; rules in service)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from api.core.db import DbSession
from api.core.deps import OrgAccess, org_member
from api.core.fields import UtcDateTime
from api.core.idempotency import OncePost
from api.core.pagination import Page, Paging
from api.core.permissions import Action
from api.stock import service
from api.stock.schemas import (
    AdjustIn,
    HistoryKind,
    HistoryOut,
    ReservationOut,
    ReserveIn,
    StockChangeOut,
    StockOut,
    TransferIn,
    TransferOut,
    WhereIsRow,
)

router = APIRouter(prefix="/orgs/{org_id}/stock", tags=["stock"])

Reader = Annotated[OrgAccess, Depends(org_member(action=Action.INVENTORY_READ))]
Writer = Annotated[OrgAccess, Depends(org_member(action=Action.INVENTORY_WRITE))]

_PROBLEMS: dict[int | str, dict[str, Any]] = {
    404: {"description": "Unknown id, or another organisation's record"},
    409: {"description": "Insufficient stock, or a conflicting state"},
    422: {"description": "Invalid input (the field is named)"},
}


def _actor(access: OrgAccess) -> tuple[uuid.UUID, str]:
    user = access.user
    return user.id, user.display_name or user.username


def change_out(
    session: DbSession, access: OrgAccess, change: service.StockChange
) -> StockChangeOut:
    """Response model of a stock change: the row after it and the history rows it wrote."""
    stocks, history = service.describe_change(
        session, [change.stock], change.history, *_actor(access)
    )
    return StockChangeOut(stock=stocks[0], history=history)


@router.post(
    "/adjust",
    response_model=StockChangeOut,
    summary="Add or remove units (one atomic update + history row)",
    responses=_PROBLEMS,
)
def adjust(
    body: AdjustIn,
    access: Writer,
    session: DbSession,
    once: OncePost,
) -> JSONResponse:
    """Change the quantity of (item, location, quality, owner) by ``delta``."""
    user, _ = access

    def call() -> StockChangeOut:
        change = service.adjust_stock(
            session,
            org_id=access.org_id,
            actor_id=user.id,
            item_id=body.item_id,
            location_id=body.location_id,
            quality=body.quality,
            delta=body.delta,
            owner_user_id=user.id if body.owner == "me" else None,
            note=body.note,
        )
        return change_out(session, access, change)

    return once(user.id, call, payload=body)


@router.post(
    "/transfer",
    response_model=TransferOut,
    summary="Move units between two locations atomically",
    responses=_PROBLEMS,
)
def transfer(
    body: TransferIn,
    access: Writer,
    session: DbSession,
    once: OncePost,
) -> JSONResponse:
    """Move ``quantity`` of one stock row to ``to_location_id`` (same item/quality/owner)."""
    user, _ = access

    def call() -> TransferOut:
        result = service.transfer_stock(
            session,
            org_id=access.org_id,
            actor_id=user.id,
            to_location_id=body.to_location_id,
            quantity=body.quantity,
            stock_id=body.stock_id,
            item_id=body.item_id,
            from_location_id=body.from_location_id,
            quality=body.quality,
            owner_user_id=user.id if body.owner == "me" else None,
            note=body.note,
        )
        (source, destination), history = service.describe_change(
            session, [result.source, result.destination], result.history, *_actor(access)
        )
        return TransferOut(
            transfer_id=result.transfer_id, source=source, destination=destination,
            history=history,
        )

    return once(user.id, call, payload=body)


@router.post(
    "/reservations",
    response_model=ReservationOut,
    status_code=201,
    summary="Reserve units of the org's stock or of members' shared stock",
    responses=_PROBLEMS,
)
def reserve(
    body: ReserveIn,
    access: Writer,
    session: DbSession,
    once: OncePost,
) -> JSONResponse:
    """Hold ``quantity`` of a stock row; 409 ``insufficient-stock`` when it does not fit."""
    user, _ = access

    def call() -> ReservationOut:
        res = service.reserve_stock(
            session,
            org_id=access.org_id,
            actor_id=user.id,
            stock_id=body.stock_id,
            quantity=body.quantity,
            reason=body.reason,
            craft_id=body.craft_id,
            plan_id=body.plan_id,
        )
        return service.describe_reservations(session, [res])[0]

    return once(user.id, call, payload=body, status=201)


@router.post("/reservations/{reservation_id}/release", response_model=ReservationOut,
             summary="Release a reservation (exactly once; a second release is a 409)",
             responses=_PROBLEMS)
def release(
    reservation_id: uuid.UUID, access: Writer, session: DbSession, once: OncePost
) -> JSONResponse:
    """Give the reservation's quantity back to ``available``."""
    return once(access.user.id, lambda: service.describe_reservations(session, [
        service.release_reservation(session, reservation_id, access.user.id,
                                    org_id=access.org_id)])[0])


@router.post("/{stock_id}/share", response_model=StockChangeOut,
             summary="Share your personal stock row with the organisation (member-tier supply)",
             responses=_PROBLEMS)
def share(stock_id: uuid.UUID, access: Writer, session: DbSession, once: OncePost) -> JSONResponse:
    """Make one of your personal stock rows visible and reservable for the org."""
    return once(access.user.id, lambda: change_out(session, access, service.share_stock(
        session, org_id=access.org_id, user_id=access.user.id, stock_id=stock_id)))


@router.post("/{stock_id}/withdraw", response_model=StockChangeOut,
             summary="Stop sharing your stock row (refused while the org has it reserved)",
             responses=_PROBLEMS)
def withdraw(
    stock_id: uuid.UUID, access: Writer, session: DbSession, once: OncePost
) -> JSONResponse:
    """Withdraw a shared personal stock row from the org."""
    return once(access.user.id, lambda: change_out(session, access, service.withdraw_stock(
        session, org_id=access.org_id, user_id=access.user.id, stock_id=stock_id)))


@router.get(
    "",
    response_model=Page[StockOut],
    summary="Inventory: visible stock rows, optionally of a location subtree (with ship grids)",
)
def inventory(
    access: Reader,
    session: DbSession,
    page: Paging,
    location_id: uuid.UUID | None = None,
    item_id: uuid.UUID | None = None,
    include_empty: bool = False,
) -> dict[str, Any]:
    """Stock rows of the org, members' shared stock and your own, under ``location_id``."""
    user, _ = access
    rows, total = service.list_stock(
        session, access.org_id, user.id, location_id=location_id, item_id=item_id,
        include_empty=include_empty, page=page,
    )
    # Plain row dicts: the response model validates and serialises them once.
    return page.envelope(rows, total)


@router.get(
    "/where",
    response_model=Page[WhereIsRow],
    summary="Where is item X: totals by location, quality and tier (org / shared member)",
)
def where(
    access: Reader,
    session: DbSession,
    page: Paging,
    item_id: uuid.UUID,
) -> Page[WhereIsRow]:
    """Totals of one item across the org's stock and members' shared stock."""
    user, _ = access
    rows, total = service.where_is(session, access.org_id, user.id, item_id, page)
    return page.page(rows, total)


@router.get("/history", response_model=Page[HistoryOut], summary="Stock history, filtered")
def history(
    access: Reader,
    session: DbSession,
    page: Paging,
    item_id: uuid.UUID | None = None,
    location_id: uuid.UUID | None = None,
    stock_id: uuid.UUID | None = None,
    kind: HistoryKind | None = None,
    actor_id: uuid.UUID | None = None,
    since: UtcDateTime | None = None,
    until: UtcDateTime | None = None,
) -> Page[HistoryOut]:
    """History rows of the org's stock and of your own, newest first."""
    user, _ = access
    rows, total = service.list_history(
        session, access.org_id, user.id, item_id=item_id, location_id=location_id,
        stock_id=stock_id, kind=kind, actor_id=actor_id, since=since, until=until, page=page,
    )
    return page.page(service.describe_history(session, rows), total)


@router.get(
    "/reservations", response_model=Page[ReservationOut], summary="The org's reservations"
)
def reservations(
    access: Reader,
    session: DbSession,
    page: Paging,
    stock_id: uuid.UUID | None = None,
    craft_id: uuid.UUID | None = None,
    plan_id: uuid.UUID | None = None,
    active: bool | None = None,
) -> Page[ReservationOut]:
    """Reservations serving the org; ``active=true`` for open ones only."""
    rows, total = service.list_reservations(
        session, access.org_id, stock_id=stock_id, craft_id=craft_id, plan_id=plan_id,
        active=active, page=page,
    )
    return page.page(service.describe_reservations(session, rows), total)


@router.get("/{stock_id}", response_model=StockOut, summary="One stock row", responses=_PROBLEMS)
def get_stock(stock_id: uuid.UUID, access: Reader, session: DbSession) -> StockOut:
    """A stock row you can see (404 otherwise)."""
    user, _ = access
    stock = service.get_visible_stock(session, access.org_id, user.id, stock_id)
    return service.describe_stocks(session, [stock])[0]

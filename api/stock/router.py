"""Stock HTTP endpoints under ``/api/v1/orgs/{org_id}/stock`` (HTTP only; rules in service)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from api.core.access import InventoryReader, StockWriter
from api.core.db import DbSession, commit_here
from api.core.deps import OrgAccess
from api.core.idempotency import IdempotencyKeyHeader, IdempotentPost
from api.core.pagination import Page, Paging
from api.core.readcache import cached_answer
from api.core.routing import RouteDecorator
from api.stock import service
from api.stock.schemas import (
    AdjustIn,
    HistoryFilters,
    HistoryOut,
    ReservationFilters,
    ReservationOut,
    ReserveIn,
    StockChangeOut,
    StockFilters,
    StockOut,
    TransferIn,
    TransferOut,
    WhereIsRow,
)

router = APIRouter(prefix="/orgs/{org_id}/stock", tags=["stock"])

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


@dataclass(frozen=True)
class StockCaller:
    """The caller of a stock route and the request's session, gathered by one dependency."""

    access: OrgAccess
    session: Session
    org_id: uuid.UUID
    # Whose personal stock the caller sees, and the actor of the history rows they write.
    user_id: uuid.UUID


@dataclass(frozen=True)
class StockWrite(StockCaller):
    """A stock-changing ``POST``: its caller may write, and the request's
    ``Idempotency-Key`` makes a retried write apply once."""

    post: IdempotentPost

    def owner(self, owner: Literal["org", "me"]) -> uuid.UUID | None:
        """The ``owner_user_id`` a body's ``owner`` names: the writer for ``me``, else None
        (the org's stock)."""
        return self.user_id if owner == "me" else None

    def once(self, call: Callable[[], BaseModel], payload: BaseModel | None = None,
             status: int = 200) -> Response:
        """Answer ``call()`` once per idempotency key of the writer, committed in this
        thread (:func:`api.core.db.commit_here`)."""
        answer = self.post(self.user_id, call, payload=payload, status=status)
        commit_here(self.session)
        return answer

    def change(self, change: service.StockChange) -> StockChangeOut:
        """The response of a one-row stock change (:func:`change_out`)."""
        return change_out(self.session, self.access, change)


async def stock_reader(access: InventoryReader, session: DbSession) -> StockCaller:
    """Dependency: the :class:`StockCaller` of a reading route (``async``: it only gathers,
    and a sync dependency would cost a threadpool hop on every stock read)."""
    return StockCaller(access, session, access.org_id, access.user.id)


async def stock_write(request: Request, access: StockWriter, session: DbSession,
                      idempotency_key: IdempotencyKeyHeader = None) -> StockWrite:
    """Dependency: the :class:`StockWrite` of a writing route (``async``: it only gathers;
    one dependency, not two: each costs FastAPI's resolution on every write)."""
    return StockWrite(access, session, access.org_id, access.user.id,
                      IdempotentPost.of(request, session, idempotency_key))


Read = Annotated[StockCaller, Depends(stock_reader)]
Write = Annotated[StockWrite, Depends(stock_write)]


def _write_post(
    path: str, model: type[BaseModel], summary: str, status: int = 200
) -> RouteDecorator:
    """Register a stock-changing ``POST`` route: every one answers ``model`` (the stored
    response on a replay) and may fail with the stock problems."""
    return router.post(path, response_model=model, status_code=status, summary=summary,
                       responses=_PROBLEMS)


@_write_post("/adjust", StockChangeOut, "Add or remove units (one atomic update + history row)")
def adjust(body: AdjustIn, write: Write) -> Response:
    """Change the quantity of (item, location, quality, owner) by ``delta``."""
    return write.once(lambda: write.change(service.adjust_stock(
        write.session, org_id=write.org_id, actor_id=write.user_id,
        item_id=body.item_id, location_id=body.location_id, quality=body.quality,
        delta=body.delta, owner_user_id=write.owner(body.owner), note=body.note,
    )), payload=body)


@_write_post("/transfer", TransferOut, "Move units between two locations atomically")
def transfer(body: TransferIn, write: Write) -> Response:
    """Move ``quantity`` of one stock row to ``to_location_id`` (same item/quality/owner)."""

    def call() -> TransferOut:
        result = service.transfer_stock(
            write.session, org_id=write.org_id, actor_id=write.user_id,
            to_location_id=body.to_location_id, quantity=body.quantity,
            stock_id=body.stock_id, item_id=body.item_id, from_location_id=body.from_location_id,
            quality=body.quality, owner_user_id=write.owner(body.owner), note=body.note,
        )
        (source, destination), history = service.describe_change(
            write.session, [result.source, result.destination], result.history,
            *_actor(write.access),
        )
        return TransferOut(
            transfer_id=result.transfer_id, source=source, destination=destination,
            history=history,
        )

    return write.once(call, payload=body)


@_write_post("/reservations", ReservationOut,
             "Reserve units of the org's stock or of members' shared stock", status=201)
def reserve(body: ReserveIn, write: Write) -> Response:
    """Hold ``quantity`` of a stock row; 409 ``insufficient-stock`` when it does not fit."""
    return write.once(lambda: service.describe_reservations(write.session, [service.reserve_stock(
        write.session, org_id=write.org_id, actor_id=write.user_id,
        stock_id=body.stock_id, quantity=body.quantity, reason=body.reason,
        craft_id=body.craft_id, plan_id=body.plan_id,
    )])[0], payload=body, status=201)


@_write_post("/reservations/{reservation_id}/release", ReservationOut,
             "Release a reservation (exactly once; a second release is a 409)")
def release(reservation_id: uuid.UUID, write: Write) -> Response:
    """Give the reservation's quantity back to ``available``."""
    return write.once(lambda: service.describe_reservations(write.session, [
        service.release_reservation(write.session, reservation_id, write.user_id,
                                    org_id=write.org_id)])[0])


@_write_post("/{stock_id}/share", StockChangeOut,
             "Share your personal stock row with the organisation (member-tier supply)")
def share(stock_id: uuid.UUID, write: Write) -> Response:
    """Make one of your personal stock rows visible and reservable for the org."""
    return write.once(lambda: write.change(service.share_stock(
        write.session, org_id=write.org_id, user_id=write.user_id, stock_id=stock_id)))


@_write_post("/{stock_id}/withdraw", StockChangeOut,
             "Stop sharing your stock row (refused while the org has it reserved)")
def withdraw(stock_id: uuid.UUID, write: Write) -> Response:
    """Withdraw a shared personal stock row from the org."""
    return write.once(lambda: write.change(service.withdraw_stock(
        write.session, org_id=write.org_id, user_id=write.user_id, stock_id=stock_id)))


@router.get(
    "",
    response_model=Page[StockOut],
    summary="Inventory: visible stock rows, optionally of a location subtree (with ship grids)",
)
def inventory(
    request: Request, read: Read, page: Paging, filters: Annotated[StockFilters, Query()]
) -> Response:
    """Stock rows of the org, members' shared stock and your own, under ``location_id``."""
    def build() -> Page[StockOut]:
        rows, total = service.list_stock(read.session, read.org_id, read.user_id, filters, page)
        # Plain row dicts, validated once here.
        return Page[StockOut].model_validate(page.envelope(rows, total))

    # Your own stock is in it: an answer per caller.
    return cached_answer(request, read.user_id, build)


@router.get(
    "/where",
    response_model=Page[WhereIsRow],
    summary="Where is item X: totals by location, quality and tier (org / shared member)",
)
def where(request: Request, read: Read, page: Paging, item_id: uuid.UUID) -> Response:
    """Totals of one item across the org's stock and members' shared stock."""
    def build() -> Page[WhereIsRow]:
        rows, total = service.where_is(read.session, read.org_id, read.user_id, item_id, page)
        return page.page(rows, total)

    # The same answer for every member (nobody's unshared rows are in it): one per org.
    return cached_answer(request, read.org_id, build)


@router.get("/history", response_model=Page[HistoryOut], summary="Stock history, filtered")
def history(
    read: Read, page: Paging, filters: Annotated[HistoryFilters, Query()]
) -> Page[HistoryOut]:
    """History rows of the org's stock and of your own, newest first."""
    rows, total = service.list_history(read.session, read.org_id, read.user_id, filters, page)
    return page.page(service.describe_history(read.session, rows), total)


@router.get(
    "/reservations", response_model=Page[ReservationOut], summary="The org's reservations"
)
def reservations(
    read: Read, page: Paging, filters: Annotated[ReservationFilters, Query()]
) -> Page[ReservationOut]:
    """Reservations serving the org; ``active=true`` for open ones only."""
    rows, total = service.list_reservations(read.session, read.org_id, filters, page)
    return page.page(service.describe_reservations(read.session, rows), total)


@router.get("/{stock_id}", response_model=StockOut, summary="One stock row", responses=_PROBLEMS)
def get_stock(stock_id: uuid.UUID, read: Read) -> StockOut:
    """A stock row you can see (404 otherwise)."""
    stock = service.get_visible_stock(read.session, read.org_id, read.user_id, stock_id)
    return service.describe_stocks(read.session, [stock])[0]

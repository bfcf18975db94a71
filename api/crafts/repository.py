"""Craft queries; tenant scoping in :func:`scoped` (the readable statement)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Select, or_, select, update
from sqlalchemy.orm import Session

from api.core.filters import where_given
from api.core.pagination import PageParams, fetch_page
from api.locations.scoping import org_visible_clause as location_visible
from api.stock.repository import subtree_location_ids
from models.inventory import ItemStock, Location, StockReservation
from models.planning import Craft


def scoped(org_id: uuid.UUID) -> Select[Craft]:
    """THE readable statement: the org's crafts."""
    return select(Craft).where(Craft.organization_id == org_id)


def get(session: Session, org_id: uuid.UUID, craft_id: uuid.UUID) -> Craft | None:
    """One of the org's crafts (freshly loaded), or None."""
    stmt = scoped(org_id).where(Craft.id == craft_id)
    return session.scalars(stmt.execution_options(populate_existing=True)).first()


def list_crafts(session: Session, org_id: uuid.UUID, *, status: str | None,
                plan_id: uuid.UUID | None, crafter_id: uuid.UUID | None = None,
                page: PageParams) -> tuple[list[Craft], int]:
    """A page of the org's crafts, by priority then newest first, and the total."""
    stmt = where_given(scoped(org_id), (Craft.crafter_id, crafter_id), (Craft.status, status),
                       (Craft.plan_id, plan_id))
    stmt = stmt.order_by(Craft.priority.desc(), Craft.created_at.desc(), Craft.id)
    return fetch_page(session, stmt, page, scalars=True)


def craft_location(session: Session, org_id: uuid.UUID,
                   location_id: uuid.UUID) -> Location | None:
    """A location an org craft may use: shared universe or the org's own (incl. its ship
    cargo grids); members' personal locations and other orgs' are not."""
    return session.scalar(select(Location).where(
        Location.id == location_id,
        location_visible(org_id)))


def set_status(session: Session, craft_id: uuid.UUID, *, expected: Sequence[str],
               **values: Any) -> bool:
    """Move a craft out of one of ``expected`` states; False when it was not in them.

    The conditional UPDATE is the guard against two parallel starts/cancels of one craft.
    """
    result = session.execute(
        update(Craft).where(Craft.id == craft_id, Craft.status.in_(expected))
        .values(updated_at=datetime.now(UTC), **values)
        .execution_options(synchronize_session=False))
    return cast(CursorResult[Any], result).rowcount == 1


def add_completed_runs(session: Session, craft_id: uuid.UUID, runs: int) -> bool:
    """``runs_completed += runs`` while in progress and within ``runs``; False otherwise."""
    result = session.execute(
        update(Craft).where(Craft.id == craft_id, Craft.status == "in_progress",
                            Craft.runs_completed + runs <= Craft.runs)
        .values(runs_completed=Craft.runs_completed + runs, updated_at=datetime.now(UTC))
        .execution_options(synchronize_session=False))
    return cast(CursorResult[Any], result).rowcount == 1


def candidate_stock(session: Session, org_id: uuid.UUID, location_id: uuid.UUID,
                    item_ids: set[uuid.UUID]) -> Sequence[ItemStock]:
    """Stock rows that may feed a craft: the org's own or members' shared with it, at or
    under the craft's location (incl. ships parked there), of the wanted items."""
    if not item_ids:
        return []
    subtree = list(session.scalars(subtree_location_ids(location_id)))
    return session.scalars(select(ItemStock).where(
        ItemStock.item_id.in_(item_ids), ItemStock.location_id.in_(subtree),
        or_(ItemStock.organization_id == org_id, ItemStock.shared_with_org_id == org_id),
        ItemStock.quantity > ItemStock.reserved,
    ).order_by(ItemStock.id)).all()


def reservations(session: Session, org_id: uuid.UUID, craft_id: uuid.UUID, *,
                 active: bool | None = None) -> Sequence[tuple[StockReservation, ItemStock]]:
    """The craft's reservations with their stock rows, in a fixed order (quality, id)."""
    stmt = (select(StockReservation, ItemStock)
            .join(ItemStock, ItemStock.id == StockReservation.stock_id)
            .where(StockReservation.organization_id == org_id,
                   StockReservation.craft_id == craft_id))
    if active is True:
        stmt = stmt.where(StockReservation.released_at.is_(None),
                          StockReservation.consumed_at.is_(None))
    stmt = stmt.order_by(ItemStock.quality, StockReservation.created_at, StockReservation.id)
    rows = session.execute(stmt.execution_options(populate_existing=True))
    return [(r, s) for r, s in rows]

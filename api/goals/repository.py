"""Goal queries; tenant scoping in :func:`scoped`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from api.core.pagination import PageParams, fetch_page
from models.inventory import ItemStock, StockReservation
from models.planning import Blueprint, Craft, Goal, Plan


def scoped(org_id: uuid.UUID) -> Select[Goal]:
    """The org's goals."""
    return select(Goal).where(Goal.organization_id == org_id)


def get(session: Session, org_id: uuid.UUID, goal_id: uuid.UUID) -> Goal | None:
    """One of the org's goals, or None."""
    return session.scalar(scoped(org_id).where(Goal.id == goal_id))


def _listed(org_id: uuid.UUID, status: str | None) -> Select[Goal]:
    stmt = scoped(org_id)
    if status is not None:
        stmt = stmt.where(Goal.status == status)
    return stmt.order_by(Goal.created_at.desc(), Goal.id)


def list_goals(session: Session, org_id: uuid.UUID, *, status: str | None,
               page: PageParams) -> tuple[list[Goal], int]:
    """A page of the org's goals, newest first, and the total."""
    return fetch_page(session, _listed(org_id, status), page, scalars=True)


def active_goals(session: Session, org_id: uuid.UUID) -> Sequence[Goal]:
    """Every active goal of the org (to complete the met ones after a change)."""
    return session.scalars(_listed(org_id, "active")).all()


def get_many(session: Session, org_id: uuid.UUID, ids: set[uuid.UUID]) -> Sequence[Goal]:
    """The org's goals among ``ids``."""
    return session.scalars(scoped(org_id).where(Goal.id.in_(ids))).all()


def stock_by_quality(session: Session, org_id: uuid.UUID,
                     item_ids: set[uuid.UUID]) -> dict[uuid.UUID, list[tuple[int, Decimal]]]:
    """Usable (unreserved) org-owned stock per item, as (quality, quantity) pairs."""
    rows = session.execute(
        select(ItemStock.item_id, ItemStock.quality,
               func.sum(ItemStock.quantity - ItemStock.reserved))
        .where(ItemStock.organization_id == org_id, ItemStock.item_id.in_(item_ids))
        .group_by(ItemStock.item_id, ItemStock.quality)
    )
    out: dict[uuid.UUID, list[tuple[int, Decimal]]] = {}
    for item_id, quality, qty in rows:
        out.setdefault(item_id, []).append((quality, Decimal(qty or 0)))
    return out


def craft_output(session: Session, org_id: uuid.UUID,
                 item_ids: set[uuid.UUID]) -> dict[tuple[uuid.UUID, str], Decimal]:
    """Output still to come from the org's planned and in-progress crafts, per (item, status)."""
    rows = session.execute(
        select(Blueprint.output_item_id, Craft.status,
               func.sum((Craft.runs - Craft.runs_completed) * Blueprint.output_quantity))
        .select_from(Craft)
        .join(Blueprint, Blueprint.id == Craft.blueprint_id)
        .where(Craft.organization_id == org_id, Craft.status.in_(("planned", "in_progress")),
               Blueprint.output_item_id.in_(item_ids))
        .group_by(Blueprint.output_item_id, Craft.status)
    )
    return {(item_id, status): Decimal(qty or 0) for item_id, status, qty in rows}


def held_for_plans(
    session: Session, org_id: uuid.UUID, item_ids: set[uuid.UUID]
) -> list[tuple[list[str], uuid.UUID, int, Decimal]]:
    """Open reservations a plan holds for delivery (not for a craft's ingredients), as
    (goal ids the plan was made for, item, quality, quantity)."""
    rows = session.execute(
        select(Plan.request, ItemStock.item_id, ItemStock.quality, StockReservation.quantity)
        .select_from(StockReservation)
        .join(ItemStock, ItemStock.id == StockReservation.stock_id)
        .join(Plan, Plan.id == StockReservation.plan_id)
        .where(StockReservation.organization_id == org_id,
               StockReservation.craft_id.is_(None),
               StockReservation.released_at.is_(None), StockReservation.consumed_at.is_(None),
               ItemStock.item_id.in_(item_ids))
    )
    return [([str(g) for g in (request or {}).get("goal_ids") or []], item_id, quality,
             Decimal(qty)) for request, item_id, quality, qty in rows]

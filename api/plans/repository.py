"""Plan queries and the reads behind the problem snapshot; tenant scoping in :func:`scoped`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import CursorResult, Select, func, or_, select, update
from sqlalchemy.orm import Session

from api.core.pagination import PageParams, fetch_page
from api.items.scoping import visible_clause as item_visible
from api.locations.scoping import org_visible_clause as location_visible
from models.accounts import User
from models.inventory import Item, ItemStock, Location, Ship
from models.orgs import Organization, OrganizationMember
from models.planning import JobStatus, Plan, PlanVariant, ResourceSource


def scoped(org_id: uuid.UUID) -> Select[Plan]:
    """The org's plans."""
    return select(Plan).where(Plan.organization_id == org_id)


def get(session: Session, org_id: uuid.UUID, plan_id: uuid.UUID) -> Plan | None:
    """One of the org's plans or None."""
    return session.scalar(scoped(org_id).where(Plan.id == plan_id))


def list_plans(session: Session, org_id: uuid.UUID, *,
               page: PageParams) -> tuple[list[Plan], int]:
    """A page of the org's plans, newest first, and the total."""
    stmt = scoped(org_id).order_by(Plan.created_at.desc(), Plan.id)
    return fetch_page(session, stmt, page, scalars=True)


ACTIVE_STATUSES = (JobStatus.QUEUED, JobStatus.SOLVING)


def lock_org_for_jobs(session: Session, org_id: uuid.UUID) -> None:
    """Serialise job admission of one org until the transaction ends, so two concurrent
    requests cannot both pass a per-org cap (PostgreSQL row lock; NO KEY UPDATE so inserts
    referencing the org are not blocked; SQLite serialises writers itself)."""
    session.execute(select(Organization.id).where(Organization.id == org_id)
                    .with_for_update(key_share=True))


def count_active_plans(session: Session, org_id: uuid.UUID) -> int:
    """The org's plans queued or solving."""
    return session.scalar(select(func.count(Plan.id)).where(
        Plan.organization_id == org_id, Plan.status.in_(ACTIVE_STATUSES))) or 0


def count_active_variants(session: Session, org_id: uuid.UUID) -> int:
    """The org's what-if variants queued or solving (over all its plans)."""
    return session.scalar(select(func.count(PlanVariant.id))
                          .join(Plan, Plan.id == PlanVariant.plan_id)
                          .where(Plan.organization_id == org_id,
                                 PlanVariant.status.in_(ACTIVE_STATUSES))) or 0


def visible_location(session: Session, org_id: uuid.UUID,
                     location_id: uuid.UUID) -> Location | None:
    """A shared-universe or org-owned location."""
    return session.scalar(select(Location).where(
        Location.id == location_id,
        location_visible(org_id)))


def usable_ship(session: Session, org_id: uuid.UUID, user_id: uuid.UUID,
                ship_id: uuid.UUID) -> Ship | None:
    """The org's ship or the caller's own ship."""
    return session.scalar(select(Ship).where(
        Ship.id == ship_id, or_(Ship.organization_id == org_id, Ship.owner_user_id == user_id)))


def items(session: Session, org_id: uuid.UUID, ids: set[uuid.UUID]) -> Sequence[Item]:
    """Visible items among ``ids``."""
    if not ids:
        return []
    return session.scalars(select(Item).where(
        Item.id.in_(ids), item_visible(org_id)
    ).order_by(Item.id)).all()


def locations_with_ancestors(session: Session, ids: set[uuid.UUID]) -> Sequence[Location]:
    """Locations by id (already known to be reachable by the org's data) and every ancestor.

    The problem needs the whole ``parent`` chain up to the root (universe nodes included) so
    what-if ``close_location`` on a station or planet reaches everything below it. ``UNION``
    (not ``UNION ALL``) drops chains already walked, so shared ancestors are read once and a
    corrupted cycle ends instead of looping.
    """
    if not ids:
        return []
    base = select(Location.id.label("id"), Location.parent_id.label("parent_id")) \
        .where(Location.id.in_(ids))
    chain = base.cte("plan_location_chain", recursive=True)
    chain = chain.union(select(Location.id, Location.parent_id)
                        .where(Location.id == chain.c.parent_id))
    return session.scalars(select(Location).where(Location.id.in_(select(chain.c.id)))
                           .order_by(Location.id)).all()


def own_stock(session: Session, org_id: uuid.UUID) -> Sequence[ItemStock]:
    """The org's stock rows with unreserved quantity."""
    return session.scalars(select(ItemStock).where(
        ItemStock.organization_id == org_id, ItemStock.quantity > ItemStock.reserved
    ).order_by(ItemStock.id)).all()


def reserved_by_item(session: Session, org_id: uuid.UUID,
                     item_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Decimal]:
    """Reserved quantity per item over the stock a plan of the org could draw on (its own
    rows and rows shared with it); items with nothing reserved are left out."""
    rows = session.execute(
        select(ItemStock.item_id, func.sum(ItemStock.reserved))
        .where(ItemStock.item_id.in_(item_ids), ItemStock.reserved > 0,
               or_(ItemStock.organization_id == org_id, ItemStock.shared_with_org_id == org_id))
        .group_by(ItemStock.item_id))
    return {item_id: Decimal(total) for item_id, total in rows}


def shared_member_stock(
        session: Session, org_id: uuid.UUID) -> Sequence[tuple[ItemStock, str, Decimal]]:
    """Members' stock shared with the org, with the holder's username and the reliability of
    their stock (their own figure, else the org's ``member_stock_reliability``)."""
    reliability = func.coalesce(OrganizationMember.stock_reliability,
                                Organization.member_stock_reliability)
    rows = session.execute(
        select(ItemStock, User.username, reliability)
        .join(User, User.id == ItemStock.owner_user_id)
        # Only while the holder is still a member: leaving the org withdraws the supply.
        .join(OrganizationMember, (OrganizationMember.user_id == User.id)
              & (OrganizationMember.organization_id == org_id))
        .join(Organization, Organization.id == OrganizationMember.organization_id)
        .where(ItemStock.shared_with_org_id == org_id, ItemStock.quantity > ItemStock.reserved)
        .order_by(ItemStock.id)
    )
    return [(stock, name, Decimal(trust)) for stock, name, trust in rows]


def mark_applied(session: Session, org_id: uuid.UUID, plan_id: uuid.UUID,
                 user_id: uuid.UUID) -> bool:
    """Set ``applied_at`` once, only on a done plan; False when already applied or not done.

    The conditional UPDATE is the exactly-once guard: a parallel second apply of the same
    plan waits on the row lock and then matches nothing.
    """
    result = session.execute(
        update(Plan).where(Plan.id == plan_id, Plan.organization_id == org_id,
                           Plan.status == JobStatus.DONE, Plan.applied_at.is_(None))
        .values(applied_at=datetime.now(UTC), applied_by=user_id)
        .execution_options(synchronize_session=False))
    return cast(CursorResult[Any], result).rowcount == 1


def listings(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, ResourceSource]:
    """Market listings by id (ids come from the org's own stored problem)."""
    if not ids:
        return {}
    rows = session.scalars(select(ResourceSource).where(ResourceSource.id.in_(ids)))
    return {r.id: r for r in rows}


def variants(session: Session, org_id: uuid.UUID, plan_id: uuid.UUID) -> Sequence[PlanVariant]:
    """The what-if variants of one of the org's plans, oldest first."""
    return session.scalars(
        select(PlanVariant).join(Plan, Plan.id == PlanVariant.plan_id)
        .where(Plan.organization_id == org_id, PlanVariant.plan_id == plan_id)
        .order_by(PlanVariant.created_at, PlanVariant.name)
        .execution_options(populate_existing=True)).all()

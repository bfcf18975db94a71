"""Listing queries; visibility in :func:`visible` (the org's own and shared listings)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from api.core.filters import where_given
from api.core.pagination import PageParams, fetch_page
from api.items.scoping import visible_clause as item_visible
from api.locations.scoping import org_visible_clause
from api.sources.schemas import SourceFilters
from models.inventory import Item, Location
from models.planning import ResourceSource, SourceVerification


def visible(org_id: uuid.UUID) -> Select[ResourceSource]:
    """Listings an org reads and plans with: its own and the shared ones."""
    return select(ResourceSource).where(
        or_(ResourceSource.organization_id == org_id, ResourceSource.organization_id.is_(None))
    )


def get(session: Session, org_id: uuid.UUID, source_id: uuid.UUID) -> ResourceSource | None:
    """One visible listing or None."""
    return session.scalar(visible(org_id).where(ResourceSource.id == source_id))


def list_sources(session: Session, org_id: uuid.UUID, filters: SourceFilters,
                 page: PageParams) -> tuple[list[ResourceSource], int]:
    """A page of visible listings, cheapest first, and the total."""
    stmt = where_given(visible(org_id), (ResourceSource.item_id, filters.item_id),
                       (ResourceSource.location_id, filters.location_id))
    stmt = stmt.order_by(ResourceSource.price, ResourceSource.id)
    return fetch_page(session, stmt, page, scalars=True)


def all_sources(session: Session, org_id: uuid.UUID) -> Sequence[ResourceSource]:
    """Every visible listing, cheapest first (the planner's market snapshot)."""
    return session.scalars(
        visible(org_id).order_by(ResourceSource.price, ResourceSource.id)
    ).all()


def votes_since(session: Session, source_ids: set[uuid.UUID],
                since: datetime) -> Sequence[tuple[uuid.UUID, bool, datetime]]:
    """(source, accurate, when) of the votes on these listings since ``since``."""
    if not source_ids:
        return []
    rows = session.execute(
        select(SourceVerification.source_id, SourceVerification.was_accurate,
               SourceVerification.created_at)
        .where(SourceVerification.source_id.in_(source_ids),
               SourceVerification.created_at >= since)
    )
    return [(s, a, c) for s, a, c in rows]


def visible_item_unit(session: Session, org_id: uuid.UUID, item_id: uuid.UUID) -> str | None:
    """The unit (``scu``/``piece``) of an item the org may use, or None."""
    return session.scalar(select(Item.unit).where(
        Item.id == item_id,
        item_visible(org_id)))


def location_visible(session: Session, org_id: uuid.UUID, location_id: uuid.UUID) -> bool:
    """Whether the location is shared universe or the org's own."""
    return session.scalar(select(Location.id).where(
        Location.id == location_id,
        org_visible_clause(org_id))) is not None

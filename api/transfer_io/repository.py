"""Reads for import and export; tenant scoping reuses each owning domain's readable clause."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from api.items.repository import visible_clause as item_visible
from api.locations.repository import Owner, list_with_paths
from api.locations.repository import visible_clause as location_visible
from models.inventory import Item, ItemAlias, ItemStock, Location, Ship
from models.orgs import Organization
from models.planning import Blueprint, ResourceSource


@dataclass(frozen=True)
class LocationRow:
    """A location the org may use with its path segments (root first)."""

    location: Location
    segments: tuple[str, ...]


def visible_items(session: Session, org_id: uuid.UUID) -> list[Item]:
    """Shared catalogue items plus the org's private ones, by name."""
    return list(session.scalars(select(Item).where(item_visible(org_id)).order_by(Item.name)))


def aliases(session: Session, item_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    """Aliases of the given items, in a stable order."""
    found: dict[uuid.UUID, list[str]] = defaultdict(list)
    # Chunked: PostgreSQL and SQLite cap the number of bound parameters in one IN list.
    for start in range(0, len(item_ids), 5000):
        chunk = item_ids[start : start + 5000]
        stmt = (
            select(ItemAlias.item_id, ItemAlias.alias)
            .where(ItemAlias.item_id.in_(chunk))
            .order_by(ItemAlias.alias)
        )
        for item_id, alias in session.execute(stmt):
            found[item_id].append(alias)
    return found


def visible_locations(session: Session, org_id: uuid.UUID, separator: str) -> list[LocationRow]:
    """The universe plus the org's locations, each with its path split into names."""
    rows = list_with_paths(session, location_visible(Owner.org(org_id)))
    return [LocationRow(loc, tuple(path.split(separator))) for loc, path, _ in rows]


def org_ships(session: Session, org_id: uuid.UUID) -> list[Ship]:
    """The org's ships by name."""
    return list(
        session.scalars(
            select(Ship).where(Ship.organization_id == org_id).order_by(Ship.name, Ship.id)
        )
    )


def org_stock(session: Session, org_id: uuid.UUID) -> list[ItemStock]:
    """The org's own stock rows (not members' personal or shared stock)."""
    return list(
        session.scalars(select(ItemStock).where(ItemStock.organization_id == org_id))
    )


def org_stock_quantities(
    session: Session, org_id: uuid.UUID
) -> dict[tuple[uuid.UUID, uuid.UUID, int], tuple[Decimal, Decimal]]:
    """(item, location, quality) -> (quantity, reserved) of the org's own stock."""
    stmt = select(
        ItemStock.item_id, ItemStock.location_id, ItemStock.quality,
        ItemStock.quantity, ItemStock.reserved,
    ).where(ItemStock.organization_id == org_id)
    return {(i, loc, q): (qty, res) for i, loc, q, qty, res in session.execute(stmt)}


def org_id_by_ref(session: Session, ref: str) -> uuid.UUID | None:
    """The id of the org named ``ref`` (or whose id it is), for admin commands."""
    try:
        by_id: uuid.UUID | None = uuid.UUID(ref)
    except ValueError:
        by_id = None
    clause = Organization.name == ref if by_id is None else Organization.id == by_id
    return session.scalar(select(Organization.id).where(clause))


def org_listings(session: Session, org_id: uuid.UUID) -> list[ResourceSource]:
    """The org's own market listings (shared ones are not the org's to change)."""
    return list(session.scalars(
        select(ResourceSource).where(ResourceSource.organization_id == org_id)
    ))


def org_blueprints(session: Session, org_id: uuid.UUID) -> list[Blueprint]:
    """The org's own blueprints (ingredients with them), in name order."""
    stmt = (select(Blueprint).where(Blueprint.organization_id == org_id)
            .options(selectinload(Blueprint.ingredients))
            .order_by(Blueprint.name, Blueprint.id))
    return list(session.scalars(stmt).all())

"""Arrange helpers for the planning tests: items, locations and stock written via the session."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy.orm import Session

from models.inventory import Item, ItemStock, Location


def make_item(session: Session, name: str | None = None, *, unit: str = "scu",
              volume: float | None = None, org_id: uuid.UUID | None = None) -> Item:
    """A catalogue item (shared unless ``org_id``)."""
    item = Item(name=name or f"item-{uuid.uuid4().hex[:8]}", unit=unit,
                volume_scu=Decimal(str(volume)) if volume is not None else None,
                organization_id=org_id)
    session.add(item)
    session.flush()
    return item


def make_location(session: Session, name: str | None = None, *, kind: str = "station",
                  parent: Location | None = None, org_id: uuid.UUID | None = None,
                  trip_cost: float | None = None) -> Location:
    """A location (shared universe unless ``org_id``)."""
    loc = Location(name=name or f"loc-{uuid.uuid4().hex[:8]}", kind=kind,
                   parent_id=parent.id if parent else None, organization_id=org_id,
                   trip_cost=Decimal(str(trip_cost)) if trip_cost is not None else None)
    session.add(loc)
    session.flush()
    return loc


def make_stock(session: Session, item: Item, location: Location, quantity: float, *,
               org_id: uuid.UUID | None = None, user_id: uuid.UUID | None = None,
               shared_with: uuid.UUID | None = None, quality: int = 0,
               reserved: float = 0) -> ItemStock:
    """A stock row owned by an org or a user (arrange only; the API writes history)."""
    row = ItemStock(item_id=item.id, location_id=location.id, quality=quality,
                    organization_id=org_id, owner_user_id=user_id,
                    shared_with_org_id=shared_with, quantity=Decimal(str(quantity)),
                    reserved=Decimal(str(reserved)))
    session.add(row)
    session.flush()
    return row

"""Ship queries; tenant scoping in :func:`owned_clause` (ships are never shared)."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from api.core.pagination import PageParams, fetch_page
from api.core.tenancy import Owner
from models.inventory import ItemStock, Ship


def owned_clause(owner: Owner) -> ColumnElement[bool]:
    """The one tenant rule: an org sees its ships, a user their personal ships."""
    if owner.kind == "org":
        return Ship.organization_id == owner.id
    return Ship.owner_user_id == owner.id


def get_owned(
    session: Session, owner: Owner, ship_id: uuid.UUID, lock: bool = False
) -> Ship | None:
    """One of the owner's ships (optionally row-locked for a move), or None."""
    stmt = select(Ship).where(Ship.id == ship_id, owned_clause(owner))
    if lock:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def list_owned(session: Session, owner: Owner, page: PageParams) -> tuple[list[Ship], int]:
    """A page of the owner's ships by name, and the total."""
    stmt = select(Ship).where(owned_clause(owner)).order_by(Ship.name, Ship.id)
    return fetch_page(session, stmt, page, scalars=True)


def held_stock_rows(session: Session, location_id: uuid.UUID) -> int:
    """Stock rows in a grid that still hold (or reserve) something."""
    stmt = select(func.count()).where(
        ItemStock.location_id == location_id, or_(ItemStock.quantity > 0, ItemStock.reserved > 0)
    )
    return int(session.scalar(stmt) or 0)

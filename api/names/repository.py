"""Display-name lookups by id, one query per kind (never one per row).

Scope-free: callers pass ids of records the caller may already see, and only names (never
other data) come back.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.accounts import User
from models.inventory import Item
from models.orgs import Organization
from models.planning import ResourceSource

# A person as others see them: the display name, else the username.
PERSON_NAME = func.coalesce(User.display_name, User.username)


def person_names(session: Session, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Display name (or username) of each user."""
    if not ids:
        return {}
    stmt = select(User.id, PERSON_NAME).where(User.id.in_(set(ids)))
    return {row[0]: row[1] for row in session.execute(stmt)}


def org_names(session: Session, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Name of each organisation."""
    if not ids:
        return {}
    stmt = select(Organization.id, Organization.name).where(Organization.id.in_(set(ids)))
    return {row[0]: row[1] for row in session.execute(stmt)}


def source_names(session: Session, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, str]:
    """A readable name of each market listing: its holder (terminal), else the item's name."""
    if not ids:
        return {}
    stmt = (
        select(ResourceSource.id, func.coalesce(ResourceSource.holder_name, Item.name))
        .join(Item, Item.id == ResourceSource.item_id)
        .where(ResourceSource.id.in_(set(ids)))
    )
    return {row[0]: row[1] for row in session.execute(stmt)}

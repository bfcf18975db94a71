"""The location tenant rules, written once; every domain that scopes by location imports them.

A caller sees the shared universe (no owner) plus the locations its owner (an org, or a user
for personal locations) owns, and may change only the latter. These are predicates, not
queries: repositories put them into their readable statements.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import ColumnElement, and_, or_

from api.core.tenancy import Id, Owner
from models.inventory import Location

OwnerKind = Literal["org", "user"]


def is_universe() -> ColumnElement[bool]:
    """Shared universe nodes have neither owner column set."""
    return and_(Location.organization_id.is_(None), Location.owner_user_id.is_(None))


def owned_by(kind: OwnerKind, owner_id: Id) -> ColumnElement[bool]:
    """Locations an owner of ``kind`` with ``owner_id`` (a value or a bound parameter) may
    change."""
    if kind == "org":
        return Location.organization_id == owner_id
    return Location.owner_user_id == owner_id


def owned_clause(owner: Owner) -> ColumnElement[bool]:
    """Locations the owner may change."""
    return owned_by(owner.kind, owner.id)


def visible_to(kind: OwnerKind, owner_id: Id) -> ColumnElement[bool]:
    """The one tenant rule for reads: the shared universe plus the owner's own locations."""
    return or_(is_universe(), owned_by(kind, owner_id))


def visible_clause(owner: Owner) -> ColumnElement[bool]:
    """:func:`visible_to` of an owner."""
    return visible_to(owner.kind, owner.id)


def org_visible_clause(org_id: Id) -> ColumnElement[bool]:
    """:func:`visible_clause` of an org, for statements built once with a bound ``org_id``:
    the shared universe or the org's own locations (members' personal ones are not)."""
    return or_(is_universe(), Location.organization_id == org_id)

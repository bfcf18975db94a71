"""The location tenant rules, written once; every domain that scopes by location imports them.

A caller sees the shared universe (no owner) plus the locations its owner (an org, or a user
for personal locations) owns, and may change only the latter. These are predicates, not
queries: repositories put them into their readable statements.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, or_

from api.core.tenancy import Id, Owner
from models.inventory import Location


def is_universe() -> ColumnElement[bool]:
    """Shared universe nodes have neither owner column set."""
    return and_(Location.organization_id.is_(None), Location.owner_user_id.is_(None))


def owned_clause(owner: Owner) -> ColumnElement[bool]:
    """Locations the owner may change."""
    if owner.kind == "org":
        return Location.organization_id == owner.id
    return Location.owner_user_id == owner.id


def visible_clause(owner: Owner) -> ColumnElement[bool]:
    """The one tenant rule for reads: the shared universe plus the owner's own locations."""
    return or_(is_universe(), owned_clause(owner))


def org_visible_clause(org_id: Id) -> ColumnElement[bool]:
    """:func:`visible_clause` of an org, for statements built once with a bound ``org_id``:
    the shared universe or the org's own locations (members' personal ones are not)."""
    return or_(is_universe(), Location.organization_id == org_id)

"""The item tenant rule, written once; every domain that names items imports it.

An org sees the shared catalogue plus its own private items; without an org, only the shared
catalogue. A predicate, not a query: repositories put it into their readable statements.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_

from api.core.tenancy import Id
from models.inventory import Item


def visible_clause(org_id: Id | None) -> ColumnElement[bool]:
    """The one item rule: shared items, plus the org's private ones when an org is given."""
    if org_id is None:
        return Item.organization_id.is_(None)
    return or_(Item.organization_id.is_(None), Item.organization_id == org_id)

"""Blueprint queries. Visibility to an org is decided here, in :func:`visible`, only."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from api.blueprints.schemas import BlueprintFilters
from api.commons.repository import public_blueprint_clause
from api.core.filters import where_given
from api.core.pagination import PageParams, fetch_page
from models.planning import Blueprint


def visible(org_id: uuid.UUID) -> Select[Blueprint]:
    """Blueprints an org may read and plan with: its own and the public (commons) ones it has
    not hidden. Another org's blueprint never, whatever its flags (issue 9)."""
    return select(Blueprint).where(
        or_(Blueprint.organization_id == org_id, public_blueprint_clause(org_id))
    )


def own(session: Session, org_id: uuid.UUID) -> Sequence[Blueprint]:
    """The org's own blueprints (its data wins over public ones in BOM checks)."""
    return session.scalars(
        select(Blueprint).where(Blueprint.organization_id == org_id).order_by(Blueprint.id)
    ).all()


def get_visible(session: Session, org_id: uuid.UUID, blueprint_id: uuid.UUID) -> Blueprint | None:
    """One visible blueprint, or None (unknown or another org's private one)."""
    return session.scalar(visible(org_id).where(Blueprint.id == blueprint_id))


def list_visible(
    session: Session, org_id: uuid.UUID, filters: BlueprintFilters, page: PageParams
) -> tuple[list[Blueprint], int]:
    """A page of visible blueprints, filtered, in name order, and the total."""
    stmt = where_given(visible(org_id), (Blueprint.output_item_id, filters.output_item_id),
                       (Blueprint.kind, filters.kind))
    return fetch_page(session, stmt.order_by(Blueprint.name, Blueprint.id), page, scalars=True)


def all_visible(session: Session, org_id: uuid.UUID) -> Sequence[Blueprint]:
    """Every visible blueprint (for the BOM check and the plan snapshot)."""
    return session.scalars(visible(org_id).order_by(Blueprint.id)).all()

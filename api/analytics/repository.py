"""Analytics queries: consent records, usage events, and the org records the dashboard reads.

Tenant scoping: usage events are read per user (:func:`user_events`) or per org
(:func:`org_event_rows`); crafts, goals and plans by their ``organization_id``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, select, update
from sqlalchemy.orm import Session

from models.accounts import User
from models.analytics import AnalyticsConsent, UsageEvent
from models.planning import Blueprint, Craft, Goal, Plan


def lock_consent_flag(session: Session, user_id: uuid.UUID) -> bool | None:
    """The user's current consent flag, row-locked (shared) so a concurrent revocation waits
    for this transaction, then deletes what it wrote; None for an unknown user."""
    stmt = (select(User.consent_data_collection).where(User.id == user_id)
            .with_for_update(read=True))
    return session.scalar(stmt)


def set_consent_flag(session: Session, user_id: uuid.UUID, granted: bool) -> None:
    """Set the per-request flag (taking the user row's write lock first)."""
    session.execute(update(User).where(User.id == user_id)
                    .values(consent_data_collection=granted)
                    .execution_options(synchronize_session=False))


def consent_history(session: Session, user_id: uuid.UUID) -> list[AnalyticsConsent]:
    """Every consent decision of the user, oldest first."""
    stmt = (select(AnalyticsConsent).where(AnalyticsConsent.user_id == user_id)
            .order_by(AnalyticsConsent.recorded_at, AnalyticsConsent.id))
    return list(session.scalars(stmt).all())


def user_events(session: Session, user_id: uuid.UUID) -> list[UsageEvent]:
    """The user's usage events, oldest first."""
    stmt = (select(UsageEvent).where(UsageEvent.user_id == user_id)
            .order_by(UsageEvent.occurred_at, UsageEvent.id))
    return list(session.scalars(stmt).all())


def delete_user_events(session: Session, user_id: uuid.UUID,
                       before: datetime | None = None) -> int:
    """Delete the user's usage events (all, or those older than ``before``); how many."""
    stmt = delete(UsageEvent).where(UsageEvent.user_id == user_id)
    if before is not None:
        stmt = stmt.where(UsageEvent.occurred_at < before)
    return int(getattr(session.execute(stmt), "rowcount", 0) or 0)


def delete_user_consents(session: Session, user_id: uuid.UUID) -> None:
    """Delete the user's consent records (account erasure: nothing is left to prove)."""
    session.execute(delete(AnalyticsConsent).where(AnalyticsConsent.user_id == user_id))


def delete_events_before(session: Session, before: datetime) -> int:
    """Delete every usage event older than ``before`` (retention); how many."""
    result = session.execute(delete(UsageEvent).where(UsageEvent.occurred_at < before))
    return int(getattr(result, "rowcount", 0) or 0)


def org_event_rows(session: Session, org_id: uuid.UUID,
                   since: datetime) -> list[Row[datetime, str, uuid.UUID]]:
    """(occurred_at, kind, user_id) of the org's usage events since ``since``."""
    stmt = (select(UsageEvent.occurred_at, UsageEvent.kind, UsageEvent.user_id)
            .where(UsageEvent.organization_id == org_id, UsageEvent.occurred_at >= since))
    return list(session.execute(stmt).all())


CraftRow = Row[uuid.UUID, str, str, int, int, datetime | None, datetime | None, datetime]
GoalRow = Row[str, datetime, datetime | None, datetime | None]


def org_craft_rows(session: Session, org_id: uuid.UUID) -> list[CraftRow]:
    """(blueprint id, blueprint name, status, runs, runs_completed, started_at, completed_at,
    created_at) of every craft of the org."""
    stmt = (select(Craft.blueprint_id, Blueprint.name, Craft.status, Craft.runs,
                   Craft.runs_completed, Craft.started_at, Craft.completed_at, Craft.created_at)
            .join(Blueprint, Blueprint.id == Craft.blueprint_id)
            .where(Craft.organization_id == org_id))
    return list(session.execute(stmt).all())


def org_goal_rows(session: Session, org_id: uuid.UUID) -> list[GoalRow]:
    """(status, created_at, completed_at, due_at) of every goal of the org."""
    stmt = (select(Goal.status, Goal.created_at, Goal.completed_at, Goal.due_at)
            .where(Goal.organization_id == org_id))
    return list(session.execute(stmt).all())


def org_finished_plans(session: Session, org_id: uuid.UUID,
                       since: datetime) -> list[Row[datetime | None, Any, datetime | None]]:
    """(finished_at, plan document, applied_at) of the org's plans solved since ``since``."""
    stmt = (select(Plan.finished_at, Plan.plan, Plan.applied_at)
            .where(Plan.organization_id == org_id, Plan.status == "done",
                   Plan.finished_at.is_not(None), Plan.finished_at >= since))
    return list(session.execute(stmt).all())

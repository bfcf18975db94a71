"""Notification queries; a user's own rows only, scoped in :func:`scoped`."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from api.core.pagination import PageParams, fetch_page
from models.notifications import Notification, NotificationPreference


def scoped(user_id: uuid.UUID) -> Select[Notification]:
    """The user's notifications (nobody reads another user's)."""
    return select(Notification).where(Notification.user_id == user_id)


def get(session: Session, user_id: uuid.UUID, notification_id: uuid.UUID) -> Notification | None:
    """One of the user's notifications, or None."""
    return session.scalar(scoped(user_id).where(Notification.id == notification_id))


def list_page(session: Session, user_id: uuid.UUID, *, unread: bool,
              page: PageParams) -> tuple[list[Notification], int]:
    """A page of the user's notifications, newest first, and the total."""
    stmt = scoped(user_id)
    if unread:
        stmt = stmt.where(Notification.read_at.is_(None))
    stmt = stmt.order_by(Notification.created_at.desc(), Notification.id)
    return fetch_page(session, stmt, page, scalars=True)


def unread_count(session: Session, user_id: uuid.UUID) -> int:
    """How many of the user's notifications are unread."""
    stmt = select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))
    return int(session.scalar(stmt) or 0)


def mark_all_read(session: Session, user_id: uuid.UUID, at: datetime) -> int:
    """Mark every unread notification of the user read; how many changed."""
    result = session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=at)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def preferences(session: Session, user_id: uuid.UUID) -> dict[str, NotificationPreference]:
    """The user's stored preferences by kind (kinds without a row use the default)."""
    rows = session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id == user_id))
    return {p.kind: p for p in rows}


def disabled_users(session: Session, user_ids: set[uuid.UUID], kind: str) -> set[uuid.UUID]:
    """Those of ``user_ids`` who turned ``kind`` off in-app."""
    if not user_ids:
        return set()
    stmt = select(NotificationPreference.user_id).where(
        NotificationPreference.user_id.in_(user_ids), NotificationPreference.kind == kind,
        NotificationPreference.in_app.is_(False))
    return set(session.scalars(stmt))

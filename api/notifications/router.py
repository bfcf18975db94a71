"""HTTP routes of the notification centre: ``/users/me/notifications``.

Only the caller's own notifications exist for them: another user's id answers 404.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from api.core.db import DbSession
from api.core.deps import CurrentUser
from api.core.pagination import Page, Paging
from api.notifications import service
from api.notifications.schemas import (
    MarkedRead,
    NotificationOut,
    PreferenceOut,
    PreferencesIn,
    UnreadCount,
)

router = APIRouter(tags=["notifications"])


@router.get("/users/me/notifications", response_model=Page[NotificationOut],
            summary="My notifications")
def list_notifications(
    user: CurrentUser, session: DbSession, page: Paging,
    unread: Annotated[bool, Query(description="Only unread ones")] = False,
) -> Page[NotificationOut]:
    """The caller's notifications, newest first."""
    rows, total = service.list_notifications(session, user.id, unread=unread, page=page)
    return page.page_of(rows, total, NotificationOut.model_validate)


@router.get("/users/me/notifications/unread-count", response_model=UnreadCount,
            summary="How many of my notifications are unread")
def unread_count(user: CurrentUser, session: DbSession) -> UnreadCount:
    """The bell's number."""
    return UnreadCount(unread=service.unread_count(session, user.id))


@router.post("/users/me/notifications/read-all", response_model=MarkedRead,
             summary="Mark all my notifications read")
def mark_all_read(user: CurrentUser, session: DbSession) -> MarkedRead:
    """Mark every unread notification of the caller read."""
    return MarkedRead(marked=service.mark_all_read(session, user.id))


@router.post("/users/me/notifications/{notification_id}/read", response_model=NotificationOut,
             summary="Mark one notification read")
def mark_read(user: CurrentUser, session: DbSession,
              notification_id: uuid.UUID) -> NotificationOut:
    """Mark one of the caller's notifications read (idempotent)."""
    return NotificationOut.model_validate(service.mark_read(session, user.id, notification_id))


@router.get("/users/me/notification-preferences", response_model=list[PreferenceOut],
            summary="My notification preferences")
def get_preferences(user: CurrentUser, session: DbSession) -> list[PreferenceOut]:
    """Every kind with whether the caller receives it in-app."""
    return service.preferences(session, user.id)


@router.put("/users/me/notification-preferences", response_model=list[PreferenceOut],
            summary="Change my notification preferences")
def set_preferences(user: CurrentUser, session: DbSession,
                    body: PreferencesIn) -> list[PreferenceOut]:
    """Turn kinds on or off; kinds not sent keep their setting."""
    return service.set_preferences(session, user.id, body.preferences)

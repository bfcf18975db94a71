"""HTTP routes of the notification centre: ``/users/me/notifications``.

Only the caller's own notifications exist for them: another user's id answers 404.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from api.core.db import DbSession
from api.core.deps import CurrentUser, OrgAccess, org_member
from api.core.pagination import Page, Paging
from api.core.permissions import Action
from api.notifications import service
from api.notifications.schemas import (
    MarkedRead,
    NotificationOut,
    PreferenceOut,
    PreferencesIn,
    UnreadCount,
    WatchIn,
    WatchOut,
    WatchUpdate,
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


# -- stock watches: /orgs/{org_id}/stock-watches -----------------------------------------------

WatchReader = Annotated[OrgAccess, Depends(org_member(action=Action.INVENTORY_READ))]
WatchWriter = Annotated[OrgAccess, Depends(org_member(action=Action.ITEMS_MANAGE))]


@router.get("/orgs/{org_id}/stock-watches", response_model=Page[WatchOut],
            summary="The org's stock watches, with what it holds now")
def list_watches(access: WatchReader, session: DbSession, page: Paging) -> Page[WatchOut]:
    """Items the org watches and the thresholds below which its members are told."""
    watches, total = service.list_watches(session, access.org_id, page)
    return page.page(service.describe_watches(session, access.org_id, watches), total)


@router.post("/orgs/{org_id}/stock-watches", response_model=WatchOut,
             status_code=status.HTTP_201_CREATED, summary="Watch an item's stock")
def create_watch(access: WatchWriter, session: DbSession, body: WatchIn,
                 response: Response) -> WatchOut:
    """Members are told (``stock.low``) once when the holding falls below the threshold, and
    again only after it was back up; already below, they are told now. 409 when the item is
    already watched."""
    watch = service.create_watch(session, access.org_id, access.user.id, body)
    response.headers["Location"] = f"/api/v1/orgs/{access.org_id}/stock-watches/{watch.id}"
    return service.describe_watches(session, access.org_id, [watch])[0]


@router.patch("/orgs/{org_id}/stock-watches/{watch_id}", response_model=WatchOut,
              summary="Change a watch's threshold")
def update_watch(access: WatchWriter, session: DbSession, watch_id: uuid.UUID,
                 body: WatchUpdate) -> WatchOut:
    """The watch is armed again and checked at once against the new threshold."""
    watch = service.update_watch(session, access.org_id, watch_id, body)
    return service.describe_watches(session, access.org_id, [watch])[0]


@router.delete("/orgs/{org_id}/stock-watches/{watch_id}",
               status_code=status.HTTP_204_NO_CONTENT, summary="Stop watching an item")
def delete_watch(access: WatchWriter, session: DbSession, watch_id: uuid.UUID) -> Response:
    """404 for an unknown id and for another org's watch."""
    service.delete_watch(session, access.org_id, watch_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

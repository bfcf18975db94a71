"""Notification rules: who is told what about which org event, read state, preferences.

:func:`on_org_event` is registered with ``api.live.hub.listen`` and runs inside the
announcing transaction, so a notification exists exactly when the change it reports commits
(a rolled-back craft completion notifies nobody).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from api.core.errors import NotFound
from api.core.pagination import PageParams
from api.live.hub import listen
from api.notifications import repository
from api.notifications.schemas import PreferenceOut
from models.notifications import NOTIFICATION_KINDS, Notification, NotificationPreference
from models.planning import Craft, Goal, Plan


def notify(session: Session, user_ids: Iterable[uuid.UUID | None], kind: str, title: str, *,
           org_id: uuid.UUID | str | None = None,
           data: dict[str, Any] | None = None) -> list[Notification]:
    """Add a notification for each user who has not turned ``kind`` off (flush, no commit)."""
    targets = {u for u in user_ids if u is not None}
    targets -= repository.disabled_users(session, targets, kind)
    rows = [
        Notification(id=uuid.uuid4(), user_id=user_id, kind=kind, title=title,
                     organization_id=uuid.UUID(str(org_id)) if org_id else None,
                     data=data or {})
        for user_id in sorted(targets)
    ]
    session.add_all(rows)
    session.flush()
    return rows


_Row = TypeVar("_Row", Craft, Plan, Goal)


def _referenced(session: Session, model: type[_Row], event: dict[str, Any],
                key: str) -> _Row | None:
    """The record ``event[key]`` names, or None when it names none (a missing or malformed id
    must not fail the change that announced the event: notifications are a side effect)."""
    try:
        record_id = uuid.UUID(str(event[key]))
    except (KeyError, ValueError):
        return None
    return session.get(model, record_id)


def _craft_done(session: Session, org_id: uuid.UUID | str, event: dict[str, Any]) -> None:
    craft = _referenced(session, Craft, event, "craft_id")
    if craft is None:
        return
    notify(session, [craft.crafter_id], "craft.done",
           f"Craft of {craft.runs} run(s) is done", org_id=org_id,
           data={"craft_id": event["craft_id"]})


def _plan_finished(session: Session, org_id: uuid.UUID | str, event: dict[str, Any]) -> None:
    plan = _referenced(session, Plan, event, "plan_id")
    if plan is None:
        return
    done = event["status"] == "done"
    notify(session, [plan.created_by], "plan.done" if done else "plan.failed",
           "Plan solved" if done else "Plan failed", org_id=org_id,
           data={"plan_id": event["plan_id"]})


def _goal_completed(session: Session, org_id: uuid.UUID | str, event: dict[str, Any]) -> None:
    goal = _referenced(session, Goal, event, "goal_id")
    if goal is None:
        return
    notify(session, [goal.created_by], "goal.completed", f"Goal {goal.name!r} is completed",
           org_id=org_id, data={"goal_id": event["goal_id"]})


@listen
def on_org_event(session: Session, org_id: uuid.UUID | str, event: dict[str, Any]) -> None:
    """Turn the org events users care about into notifications (inside their transaction)."""
    kind, status = event.get("type"), event.get("status")
    if kind == "craft.status" and status == "completed":
        _craft_done(session, org_id, event)
    elif kind == "plan.status" and status in ("done", "failed"):
        _plan_finished(session, org_id, event)
    elif kind == "goal.completed":
        _goal_completed(session, org_id, event)


def list_notifications(session: Session, user_id: uuid.UUID, *, unread: bool,
                       page: PageParams) -> tuple[list[Notification], int]:
    """A page of the user's notifications, newest first."""
    return repository.list_page(session, user_id, unread=unread, page=page)


def unread_count(session: Session, user_id: uuid.UUID) -> int:
    """The number of the user's unread notifications."""
    return repository.unread_count(session, user_id)


def mark_read(session: Session, user_id: uuid.UUID, notification_id: uuid.UUID) -> Notification:
    """Mark one of the user's notifications read (idempotent); another user's is 404."""
    row = repository.get(session, user_id, notification_id)
    if row is None:
        raise NotFound("notification", notification_id)
    if row.read_at is None:
        row.read_at = datetime.now(UTC)
        session.flush()
    return row


def mark_all_read(session: Session, user_id: uuid.UUID) -> int:
    """Mark all the user's notifications read; how many changed."""
    return repository.mark_all_read(session, user_id, datetime.now(UTC))


def preferences(session: Session, user_id: uuid.UUID) -> list[PreferenceOut]:
    """Every kind with the user's setting (default: on)."""
    stored = repository.preferences(session, user_id)
    return [PreferenceOut.model_validate({"kind": k, "in_app": stored[k].in_app if k in stored
                                          else True}) for k in NOTIFICATION_KINDS]


def set_preferences(session: Session, user_id: uuid.UUID,
                    changes: Iterable[PreferenceOut]) -> list[PreferenceOut]:
    """Store the given kinds' settings; the others keep theirs."""
    stored = repository.preferences(session, user_id)
    for change in changes:
        row = stored.get(change.kind)
        if row is None:
            row = NotificationPreference(user_id=user_id, kind=change.kind)
            session.add(row)
            stored[change.kind] = row
        row.in_app = change.in_app
    session.flush()
    return preferences(session, user_id)

"""Notification rules: who is told what about which org event, read state, preferences.

:func:`on_org_event` is registered with ``api.live.hub.listen`` and runs inside the
announcing transaction, so a notification exists exactly when the change it reports commits
(a rolled-back craft completion notifies nobody).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from api.core.errors import Conflict, InvalidInput, NotFound
from api.core.kept import detached_copy, kept
from api.core.pagination import PageParams
from api.items.service import visible_ids
from api.live.hub import announce_notifications, listen
from api.notifications import repository
from api.notifications.mail import mail_after_commit, session_mailer
from api.notifications.schemas import PreferenceIn, PreferenceOut, WatchIn, WatchOut, WatchUpdate
from models.notifications import (
    NOTIFICATION_KINDS,
    Notification,
    NotificationPreference,
    StockWatch,
)
from models.planning import Craft, Goal, Plan


def notify(session: Session, user_ids: Iterable[uuid.UUID | None], kind: str, title: str, *,
           org_id: uuid.UUID | str | None = None,
           data: dict[str, Any] | None = None) -> list[Notification]:
    """Add a notification for each user who has not turned ``kind`` off (flush, no commit),
    and email those who opted into ``kind`` by email, once the transaction commits."""
    targets = {u for u in user_ids if u is not None}
    _email(session, targets, kind, title)
    targets -= repository.disabled_users(session, targets, kind)
    rows = [
        Notification(id=uuid.uuid4(), user_id=user_id, kind=kind, title=title,
                     organization_id=uuid.UUID(str(org_id)) if org_id else None,
                     data=data or {})
        for user_id in sorted(targets)
    ]
    session.add_all(rows)
    session.flush()
    announce_notifications(session, [r.user_id for r in rows])
    return rows


def _email(session: Session, user_ids: set[uuid.UUID], kind: str, title: str) -> None:
    """Queue the email of one notification to those who want ``kind`` by email: after the
    commit (a rolled-back change mails nobody), only where the server sends email."""
    mailer = session_mailer(session)
    if mailer is None:
        return
    link = f"{mailer.settings.public_url.rstrip('/')}/notifications"
    body = (f"{title}\n\nOpen Quartermaster: {link}\n\n"
            f"You get this email because you asked for '{kind}' notifications by email; "
            f"turn it off on the same page.\n")
    verified_only = mailer.settings.require_verified_email
    for address in repository.email_recipients(session, user_ids, kind,
                                               verified_only=verified_only):
        mail_after_commit(session, mailer, mailer.settings, address,
                          f"[Quartermaster] {title}", body)


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


def tell_goals_due_soon(session: Session, now: datetime, within_hours: float) -> int:
    """Tell each active goal's creator once that it is due within ``within_hours``
    (``goal.due_soon``); how many goals were told about. Run periodically by the workers."""
    due = repository.claim_goals_due_soon(session, now, now + timedelta(hours=within_hours))
    for goal_id, org_id, name, creator, due_at in due:
        notify(session, [creator], "goal.due_soon",
               f"Goal {name!r} is due {due_at:%Y-%m-%d %H:%M} UTC", org_id=org_id,
               data={"goal_id": str(goal_id), "due_at": due_at.isoformat()})
    return len(due)


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
    elif kind == "stock.changed":
        _check_watches(session, uuid.UUID(str(org_id)), event)


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
    """Every kind with the user's setting (default: in-app on, email off) and whether this
    server sends email at all."""
    stored = repository.preferences(session, user_id)
    available = session_mailer(session) is not None
    return [PreferenceOut.model_validate({
        "kind": k, "in_app": stored[k].in_app if k in stored else True,
        "email": stored[k].email if k in stored else False, "email_available": available,
    }) for k in NOTIFICATION_KINDS]


def set_preferences(session: Session, user_id: uuid.UUID,
                    changes: Iterable[PreferenceIn]) -> list[PreferenceOut]:
    """Store the given kinds' settings (only the fields sent); the others keep theirs."""
    stored = repository.preferences(session, user_id)
    for change in changes:
        row = stored.get(change.kind)
        if row is None:
            row = NotificationPreference(user_id=user_id, kind=change.kind, in_app=True,
                                         email=False)
            session.add(row)
            stored[change.kind] = row
        if change.in_app is not None:
            row.in_app = change.in_app
        if change.email is not None:
            row.email = change.email
    session.flush()
    return preferences(session, user_id)


# -- stock watches -------------------------------------------------------------------------------

def _check_watches(session: Session, org_id: uuid.UUID, event: dict[str, Any]) -> None:
    """After a stock change: notify once when a watched item's holding falls below its
    threshold, re-arm when it is back. A change naming one item checks that item's watch; a
    bulk change (an import) names none and checks every watch of the org."""
    item_id = event.get("item_id")
    try:
        items = None if item_id is None else {uuid.UUID(str(item_id))}
    except ValueError:
        return
    # Kept while the org's watches are unchanged: most stock changes touch unwatched items.
    watching = kept(session, ("stock-watches", org_id, None if items is None else frozenset(items)),
                    lambda: tuple(detached_copy(w)
                                  for w in repository.watches_on(session, org_id, items)))
    evaluate(session, org_id, watching)


def evaluate(session: Session, org_id: uuid.UUID, watches: Sequence[StockWatch]) -> None:
    """Compare each watch with the org's holding now: the first change below the threshold
    disarms it and notifies the org's members (those who keep ``stock.low`` on); a holding
    back at the threshold or above re-arms it."""
    if not watches:
        return
    held = repository.holdings(session, org_id, {w.item_id for w in watches})
    names = repository.item_names(session, {w.item_id for w in watches})
    for watch in watches:
        quantity = held[watch.item_id]
        if quantity >= watch.threshold:
            repository.set_armed(session, watch.id, True)
        elif repository.set_armed(session, watch.id, False):
            name = names.get(watch.item_id, "An item")
            notify(session, repository.member_ids(session, org_id), "stock.low",
                   f"{name} is low: {quantity.normalize():f} left, below "
                   f"{watch.threshold.normalize():f}", org_id=org_id,
                   data={"watch_id": str(watch.id), "item_id": str(watch.item_id),
                         "quantity": str(quantity), "threshold": str(watch.threshold)})


def describe_watches(session: Session, org_id: uuid.UUID,
                     watches: list[StockWatch]) -> list[WatchOut]:
    """Response bodies: each watch with its item's name and the holding now."""
    held = repository.holdings(session, org_id, {w.item_id for w in watches})
    names = repository.item_names(session, {w.item_id for w in watches})
    return [WatchOut(id=w.id, item_id=w.item_id, item_name=names.get(w.item_id, ""),
                     threshold=w.threshold, holding=held[w.item_id],
                     low=held[w.item_id] < w.threshold, armed=w.armed, created_at=w.created_at)
            for w in watches]


def list_watches(session: Session, org_id: uuid.UUID,
                 page: PageParams) -> tuple[list[StockWatch], int]:
    """A page of the org's watches."""
    return repository.list_watches(session, org_id, page)


def get_watch(session: Session, org_id: uuid.UUID, watch_id: uuid.UUID) -> StockWatch:
    """One of the org's watches; 404 for unknown ids and other orgs' watches."""
    watch = repository.get_watch(session, org_id, watch_id)
    if watch is None:
        raise NotFound("stock watch", watch_id)
    return watch


def create_watch(session: Session, org_id: uuid.UUID, user_id: uuid.UUID,
                 body: WatchIn) -> StockWatch:
    """Watch an item the org can see (422 otherwise, 409 when already watched); a holding
    already below the threshold notifies at once."""
    if not visible_ids(session, org_id, {body.item_id}):
        raise InvalidInput("Unknown item", field="item_id", record=f"item/{body.item_id}")
    if repository.watched(session, org_id, body.item_id):
        raise Conflict("The org already watches this item; change its threshold instead",
                       field="item_id", record=f"item/{body.item_id}")
    watch = StockWatch(id=uuid.uuid4(), organization_id=org_id, item_id=body.item_id,
                       threshold=Decimal(str(body.threshold)), armed=True, created_by=user_id)
    session.add(watch)
    session.flush()
    evaluate(session, org_id, [watch])
    session.refresh(watch)
    return watch


def update_watch(session: Session, org_id: uuid.UUID, watch_id: uuid.UUID,
                 body: WatchUpdate) -> StockWatch:
    """A new threshold, armed again and checked at once."""
    watch = get_watch(session, org_id, watch_id)
    watch.threshold, watch.armed = Decimal(str(body.threshold)), True
    session.flush()
    evaluate(session, org_id, [watch])
    session.refresh(watch)
    return watch


def delete_watch(session: Session, org_id: uuid.UUID, watch_id: uuid.UUID) -> None:
    """Stop watching."""
    session.delete(get_watch(session, org_id, watch_id))
    session.flush()

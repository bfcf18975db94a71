"""Notification queries; a user's own rows only, scoped in :func:`scoped`."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Select, delete, func, or_, select, update
from sqlalchemy.orm import Session

from api.core.pagination import PageParams, fetch_page
from api.core.queries import OrgRecords, stamp_unset
from models.accounts import User
from models.inventory import Item, ItemStock
from models.jobs import OutboundEmail
from models.notifications import Notification, NotificationPreference, StockWatch
from models.orgs import OrganizationMember
from models.planning import Goal


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
    return stamp_unset(session, Notification.read_at, at, Notification.user_id == user_id)


def preferences(session: Session, user_id: uuid.UUID) -> dict[str, NotificationPreference]:
    """The user's stored preferences by kind (kinds without a row use the default)."""
    rows = session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id == user_id))
    return {p.kind: p for p in rows}


def email_recipients(session: Session, user_ids: set[uuid.UUID], kind: str, *,
                     verified_only: bool = False) -> list[str]:
    """The addresses of those of ``user_ids`` who asked for ``kind`` by email (active
    accounts with an address; with ``verified_only``, a verified one)."""
    if not user_ids:
        return []
    stmt = (select(User.email).join(NotificationPreference,
                                    NotificationPreference.user_id == User.id)
            .where(NotificationPreference.user_id.in_(user_ids),
                   NotificationPreference.kind == kind, NotificationPreference.email.is_(True),
                   User.is_active.is_(True), User.email.is_not(None),
                   *([User.email_verified_at.is_not(None)] if verified_only else []))
            .order_by(User.email))
    return [e for e in session.scalars(stmt) if e]


def claim_goals_due_soon(session: Session, now: datetime,
                         horizon: datetime) -> list[tuple[uuid.UUID, uuid.UUID, str,
                                                          uuid.UUID | None, datetime]]:
    """Mark the active goals due between ``now`` and ``horizon`` that were not yet told, and
    return them (id, org, name, creator, due): one conditional UPDATE, so of two workers
    looking at once each goal goes to exactly one.

    A read comes first and the UPDATE runs only when it finds a goal: the workers look every
    few seconds, and on SQLite a write takes the database's one write lock (a reader that
    then writes elsewhere would be told "database is locked").
    """
    due = (Goal.status == "active", Goal.due_at.is_not(None), Goal.due_at > now,
           Goal.due_at <= horizon, Goal.due_soon_notified_at.is_(None))
    if session.scalar(select(Goal.id).where(*due).limit(1)) is None:
        return []
    stmt = (update(Goal)
            .where(*due)
            .values(due_soon_notified_at=now)
            .returning(Goal.id, Goal.organization_id, Goal.name, Goal.created_by, Goal.due_at))
    return [tuple(row) for row in session.execute(  # type: ignore[misc]
        stmt, execution_options={"synchronize_session": False})]


def disabled_users(session: Session, user_ids: set[uuid.UUID], kind: str) -> set[uuid.UUID]:
    """Those of ``user_ids`` who turned ``kind`` off in-app."""
    if not user_ids:
        return set()
    stmt = select(NotificationPreference.user_id).where(
        NotificationPreference.user_id.in_(user_ids), NotificationPreference.kind == kind,
        NotificationPreference.in_app.is_(False))
    return set(session.scalars(stmt))


# -- stock watches (org-scoped: the org's own watches only, in watches_of) --------------------

def watches_of(org_id: uuid.UUID) -> Select[StockWatch]:
    """The readable statement of stock watches: the org's own."""
    return select(StockWatch).where(StockWatch.organization_id == org_id)


_watches = OrgRecords(watches_of, StockWatch.id, StockWatch.created_at)
# One of the org's watches, or None (also for another org's id).
get_watch = _watches.get
# A page of the org's watches, by creation.
list_watches = _watches.page


def watches_on(session: Session, org_id: uuid.UUID,
               item_ids: Collection[uuid.UUID] | None) -> list[StockWatch]:
    """The org's watches on these items (every one when ``item_ids`` is None)."""
    stmt = watches_of(org_id).order_by(StockWatch.id)
    if item_ids is not None:
        stmt = stmt.where(StockWatch.item_id.in_(item_ids))
    return list(session.scalars(stmt))


def watched(session: Session, org_id: uuid.UUID, item_id: uuid.UUID) -> bool:
    """True when the org already watches the item."""
    return session.scalar(watches_of(org_id).where(StockWatch.item_id == item_id)) is not None


def holdings(session: Session, org_id: uuid.UUID,
             item_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Decimal]:
    """What the org holds of each item: its own rows plus members' rows shared with it."""
    if not item_ids:
        return {}
    stmt = (select(ItemStock.item_id, func.sum(ItemStock.quantity))
            .where(ItemStock.item_id.in_(item_ids),
                   or_(ItemStock.organization_id == org_id,
                       ItemStock.shared_with_org_id == org_id))
            .group_by(ItemStock.item_id))
    found = {item_id: Decimal(total) for item_id, total in session.execute(stmt)}
    return {i: found.get(i, Decimal(0)) for i in item_ids}


def item_names(session: Session, item_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Names of items by id."""
    if not item_ids:
        return {}
    return dict(session.execute(select(Item.id, Item.name).where(Item.id.in_(item_ids))).all())


def set_armed(session: Session, watch_id: uuid.UUID, armed: bool) -> bool:
    """Arm or disarm a watch when it is not already so; True when this call changed it (one
    conditional UPDATE: of two concurrent stock changes, one disarms and notifies)."""
    result = session.execute(update(StockWatch)
                             .where(StockWatch.id == watch_id, StockWatch.armed == (not armed))
                             .values(armed=armed)
                             .execution_options(synchronize_session="fetch"))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def member_ids(session: Session, org_id: uuid.UUID) -> list[uuid.UUID]:
    """The org's members."""
    return list(session.scalars(select(OrganizationMember.user_id)
                                .where(OrganizationMember.organization_id == org_id)))


def keep_email(session: Session, recipient: str, subject: str, body: str) -> uuid.UUID:
    """Store one email to send in the caller's transaction; its id."""
    email = OutboundEmail(id=uuid.uuid4(), recipient=recipient, subject=subject, body=body)
    session.add(email)
    return email.id


def claim_email(session: Session, email_id: uuid.UUID) -> OutboundEmail | None:
    """The stored email, locked for this sender (PostgreSQL); None when it is sent already
    or another sender holds it."""
    return session.scalar(select(OutboundEmail).where(OutboundEmail.id == email_id)
                          .with_for_update(skip_locked=True))


def forget_email(session: Session, email: OutboundEmail) -> None:
    """Drop an email the SMTP relay has accepted."""
    session.delete(email)


def forget_emails_to(session: Session, recipient: str) -> int:
    """Drop every unsent email to ``recipient`` (an erased account); how many."""
    result = session.execute(delete(OutboundEmail).where(OutboundEmail.recipient == recipient)
                             .execution_options(synchronize_session=False))
    return int(result.rowcount)  # type: ignore[attr-defined]

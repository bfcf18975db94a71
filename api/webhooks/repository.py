"""Webhook queries; tenant scoping in :func:`scoped` (endpoints) and :func:`deliveries_of`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from api.core.pagination import PageParams, fetch_page
from api.core.queries import OrgRecords
from models.integrations import Integration, IntegrationLog, WebhookDelivery

WEBHOOK = "webhook"


def scoped(org_id: uuid.UUID) -> Select[Integration]:
    """The org's webhook endpoints."""
    return select(Integration).where(Integration.organization_id == org_id,
                                     Integration.kind == WEBHOOK)


_endpoints = OrgRecords(scoped, Integration.id, Integration.created_at)
# One of the org's endpoints, or None (also for another org's id).
get = _endpoints.get
# A page of the org's endpoints, oldest first, and the total.
list_endpoints = _endpoints.page


def count(session: Session, org_id: uuid.UUID) -> int:
    """How many endpoints the org has."""
    return int(session.scalar(select(func.count()).select_from(scoped(org_id).subquery())) or 0)


def active_endpoints(session: Session, org_id: uuid.UUID) -> Sequence[Integration]:
    """The org's enabled endpoints (event filtering is the service's)."""
    return session.scalars(scoped(org_id).where(Integration.is_active.is_(True))).all()


def deliveries_of(org_id: uuid.UUID, webhook_id: uuid.UUID) -> Select[WebhookDelivery]:
    """The deliveries of one of the org's endpoints."""
    return (select(WebhookDelivery)
            .join(Integration, Integration.id == WebhookDelivery.integration_id)
            .where(Integration.organization_id == org_id, Integration.kind == WEBHOOK,
                   WebhookDelivery.integration_id == webhook_id))


def list_deliveries(session: Session, org_id: uuid.UUID, webhook_id: uuid.UUID,
                    status: str | None, page: PageParams) -> tuple[list[WebhookDelivery], int]:
    """A page of an endpoint's deliveries, newest first, and the total."""
    stmt = deliveries_of(org_id, webhook_id)
    if status is not None:
        stmt = stmt.where(WebhookDelivery.status == status)
    stmt = stmt.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id)
    return fetch_page(session, stmt, page, scalars=True)


def get_delivery(session: Session, org_id: uuid.UUID, webhook_id: uuid.UUID,
                 delivery_id: uuid.UUID) -> WebhookDelivery | None:
    """One delivery of one of the org's endpoints, or None."""
    return session.scalar(deliveries_of(org_id, webhook_id)
                          .where(WebhookDelivery.id == delivery_id))


def attempts(session: Session, delivery_id: uuid.UUID) -> Sequence[IntegrationLog]:
    """A delivery's attempts, oldest first."""
    return session.scalars(select(IntegrationLog)
                           .where(IntegrationLog.delivery_id == delivery_id)
                           .order_by(IntegrationLog.created_at, IntegrationLog.attempt)).all()


# --- used by the delivery actor (no org in hand: the delivery id names everything) ---------


def claim(session: Session, delivery_id: uuid.UUID, now: datetime, lease_until: datetime) -> bool:
    """Take a due delivery for one attempt: moves its due time to ``lease_until``, so another
    worker holding a message for it finds it not due and leaves it alone."""
    result = session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == "pending",
               (WebhookDelivery.next_attempt_at.is_(None))
               | (WebhookDelivery.next_attempt_at <= now))
        .values(next_attempt_at=lease_until)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def count_attempt(session: Session, delivery_id: uuid.UUID) -> None:
    """One more attempt on the delivery; a write first, so on SQLite the transaction takes
    the write lock at once (waiting its turn) instead of failing to upgrade a read later."""
    session.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery_id)
                    .values(attempts=WebhookDelivery.attempts + 1)
                    .execution_options(synchronize_session=False))


def delivery_with_endpoint(session: Session, delivery_id: uuid.UUID
                           ) -> tuple[WebhookDelivery, Integration] | None:
    """A delivery and its endpoint, or None."""
    row = session.execute(
        select(WebhookDelivery, Integration)
        .join(Integration, Integration.id == WebhookDelivery.integration_id)
        .where(WebhookDelivery.id == delivery_id)
    ).first()
    return (row[0], row[1]) if row is not None else None


def add_failure(session: Session, endpoint_id: uuid.UUID) -> int:
    """Count one more failure in a row (atomically); the new count."""
    session.execute(update(Integration).where(Integration.id == endpoint_id)
                    .values(consecutive_failures=Integration.consecutive_failures + 1)
                    .execution_options(synchronize_session=False))
    return int(session.scalar(select(Integration.consecutive_failures)
                              .where(Integration.id == endpoint_id)) or 0)


def reset_failures(session: Session, endpoint_id: uuid.UUID) -> None:
    """A success ends the failure run."""
    session.execute(update(Integration)
                    .where(Integration.id == endpoint_id, Integration.consecutive_failures != 0)
                    .values(consecutive_failures=0)
                    .execution_options(synchronize_session=False))


def disable(session: Session, endpoint_id: uuid.UUID, now: datetime, reason: str) -> bool:
    """Switch an enabled endpoint off; False when it already was (only one disabler tells)."""
    result = session.execute(
        update(Integration).where(Integration.id == endpoint_id, Integration.is_active.is_(True))
        .values(is_active=False, disabled_at=now, disabled_reason=reason)
        .execution_options(synchronize_session=False))
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def overdue(session: Session, before: datetime, limit: int = 500) -> list[uuid.UUID]:
    """Pending deliveries due before ``before`` (their message was lost), oldest first."""
    return list(session.scalars(
        select(WebhookDelivery.id)
        .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at < before)
        .order_by(WebhookDelivery.next_attempt_at).limit(limit)))

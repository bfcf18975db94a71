"""External integrations (API clients, outgoing webhooks, imports), their logs and deliveries.

An outbound webhook endpoint is an :class:`Integration` of kind ``webhook``: its URL and
subscribed event types live in ``configuration``, its Standard Webhooks secret (encrypted at
rest, see api/webhooks/signing.py) in ``secret``. Each event for it is a
:class:`WebhookDelivery`; each HTTP attempt of a delivery is an :class:`IntegrationLog` row.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, CreatedAt, JSONType, Timestamps, UTCDateTime, UUIDPrimaryKey, check_in

INTEGRATION_KINDS = ("api", "webhook", "import")
LOG_STATUSES = ("success", "failure", "pending")
DELIVERY_STATUSES = ("pending", "delivered", "failed")


class Integration(UUIDPrimaryKey, Timestamps, Base):
    """A configured integration owned by an org or a user."""

    __tablename__ = "integrations"
    __table_args__ = (
        check_in("kind", INTEGRATION_KINDS),
        CheckConstraint("organization_id IS NULL OR user_id IS NULL", name="one_owner"),
        Index("ix_integrations_org", "organization_id"),
        Index("ix_integrations_user", "user_id"),
        CheckConstraint("consecutive_failures >= 0", name="failures_nonneg"),
    )

    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    # Non-secret settings (endpoint URL, event filter). Secrets are stored hashed or not at all.
    configuration: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # HMAC key for signing outgoing webhooks: signing needs the key itself, so it cannot be
    # hashed. Stored encrypted (Fernet token); never returned by the API after creation.
    secret: Mapped[str | None] = mapped_column(Text)
    # Secret rotation: the replaced secret keeps signing (next to the new one) until then, so
    # receivers can switch over without dropping deliveries.
    previous_secret: Mapped[str | None] = mapped_column(Text)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Failed delivery attempts in a row (reset by a success); at the configured limit the
    # endpoint is switched off (is_active false) with the reason below.
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0,
                                                      server_default=text("0"))
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class IntegrationLog(UUIDPrimaryKey, CreatedAt, Base):
    """One event handled by an integration; for webhooks, one HTTP attempt of a delivery."""

    __tablename__ = "integration_logs"
    __table_args__ = (
        check_in("status", LOG_STATUSES),
        Index("ix_integration_logs_integration_created", "integration_id", "created_at"),
        Index("ix_integration_logs_delivery", "delivery_id", "created_at"),
    )

    integration_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("integrations.id", ondelete="CASCADE")
    )
    event_type: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    request_data: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    response_data: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    error_message: Mapped[str | None] = mapped_column(Text)
    # Webhook attempts: which delivery, its attempt number, the receiver's answer (HTTP status,
    # time to answer, the start of the body) or the transport error in error_message.
    delivery_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE")
    )
    attempt: Mapped[int | None] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    response_excerpt: Mapped[str | None] = mapped_column(Text)


class WebhookDelivery(UUIDPrimaryKey, CreatedAt, Base):
    """An outgoing webhook call, retried with back-off until delivered or given up."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        check_in("status", DELIVERY_STATUSES),
        CheckConstraint("attempts >= 0", name="attempts_nonneg"),
        Index("ix_webhook_deliveries_status_next", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_integration", "integration_id"),
    )

    integration_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("integrations.id", ondelete="CASCADE")
    )
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

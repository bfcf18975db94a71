"""Consented usage analytics (docs/analytics.md).

Nothing here is written for a user who has not consented. ``analytics_consents`` keeps every
decision (grant or revoke, with its time) as proof of consent; ``usage_events`` are deleted
when consent is revoked, when the account is deleted, and after the retention period.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UUIDPrimaryKey, check_in, utc_now

USAGE_KINDS = ("view", "search", "create", "update", "delete")


class AnalyticsConsent(UUIDPrimaryKey, Base):
    """One consent decision of a user: granted or revoked at ``recorded_at``.

    The latest row is the user's current choice (mirrored in ``users.consent_data_collection``
    for the per-request check); the earlier ones are the record an auditor asks for.
    """

    __tablename__ = "analytics_consents"
    __table_args__ = (Index("ix_analytics_consents_user", "user_id", "recorded_at"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    granted: Mapped[bool] = mapped_column(Boolean)
    recorded_at: Mapped[datetime] = mapped_column(default=utc_now)
    # The wording the user agreed to (docs/analytics.md names the versions).
    policy_version: Mapped[str] = mapped_column(String(32))


class UsageEvent(UUIDPrimaryKey, Base):
    """One consented API action: what kind, on which route template, in which org, when.

    Never the raw path, query or body, never a raw address: ``ip_hash`` is an HMAC of the
    client address under a secret salt, enough to count distinct clients and nothing more.
    """

    __tablename__ = "usage_events"
    __table_args__ = (
        check_in("kind", USAGE_KINDS),
        Index("ix_usage_events_user", "user_id", "occurred_at"),
        Index("ix_usage_events_org", "organization_id", "occurred_at"),
        Index("ix_usage_events_occurred", "occurred_at"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(16))
    route: Mapped[str] = mapped_column(String(200))
    ip_hash: Mapped[str | None] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(default=utc_now)

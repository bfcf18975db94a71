"""In-app notifications and each user's notification preferences."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import (
    Base,
    CreatedAt,
    JSONType,
    Quantity,
    Timestamps,
    UTCDateTime,
    UUIDPrimaryKey,
    check_in,
)

NOTIFICATION_KINDS = (
    "craft.done", "plan.done", "plan.failed", "goal.completed", "commons.decision", "stock.low",
    "goal.due_soon",
)


class Notification(UUIDPrimaryKey, CreatedAt, Base):
    """One message for one user, written in the transaction of the event it reports."""

    __tablename__ = "notifications"
    __table_args__ = (
        check_in("kind", NOTIFICATION_KINDS),
        # The centre lists a user's newest first and counts the unread ones.
        Index("ix_notifications_user_created", "user_id", "created_at"),
        Index("ix_notifications_user_read", "user_id", "read_at"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(Text)
    # The record it is about (``{"craft_id": ...}``) so the UI can link to it.
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NotificationPreference(Base):
    """Whether a user wants one kind of notification in-app and by email; no row means in-app
    only."""

    __tablename__ = "notification_preferences"
    __table_args__ = (check_in("kind", NOTIFICATION_KINDS),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    in_app: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Also by email (off unless the user opts in; only where the server sends email).
    email: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class StockWatch(UUIDPrimaryKey, Timestamps, Base):
    """"Tell us when the org's stock of this item falls below this much": one per org and item.

    ``armed`` is what makes it once per crossing: the change that takes the stock below the
    threshold disarms it (one conditional UPDATE, so two concurrent changes notify once) and
    notifies; a change that brings the stock back to the threshold or above re-arms it.
    """

    __tablename__ = "stock_watches"
    __table_args__ = (
        UniqueConstraint("organization_id", "item_id"),
        CheckConstraint("threshold > 0", name="threshold_positive"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    threshold: Mapped[Decimal] = mapped_column(Quantity)
    armed: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

"""Organisations and their members."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import SERVER_NOW, Base, Timestamps, UTCDateTime, UUIDPrimaryKey, check_in, utc_now

# Highest first; the permission matrix lives in api/core/permissions.py.
ROLES = ("owner", "admin", "member", "viewer")


class Organization(UUIDPrimaryKey, Timestamps, Base):
    """A Star Citizen organisation: the tenant every org-scoped record belongs to."""

    __tablename__ = "organizations"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class OrganizationMember(UUIDPrimaryKey, Base):
    """A user's membership and role in an organisation."""

    __tablename__ = "organization_members"
    __table_args__ = (
        UniqueConstraint("organization_id", "user_id"),
        check_in("role", ROLES),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    joined_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utc_now, server_default=SERVER_NOW
    )

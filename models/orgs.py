"""Organisations and their members."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import (
    SERVER_NOW,
    Base,
    CreatedAt,
    Timestamps,
    UTCDateTime,
    UUIDPrimaryKey,
    check_in,
    utc_now,
)

# Highest first; the permission matrix lives in api/core/permissions.py.
ROLES = ("owner", "admin", "member", "viewer")
# A member's shared stock is not always there when the hauler arrives (they log off, sell it,
# move it): the planner weighs it at this reliability unless the member has their own figure.
DEFAULT_MEMBER_STOCK_RELIABILITY = Decimal("0.9")
Reliability = Numeric(5, 4)
# An invitation never makes anyone owner: ownership is handed over to an existing member.
INVITATION_ROLES = ("admin", "member", "viewer")


class Organization(UUIDPrimaryKey, Timestamps, Base):
    """A Star Citizen organisation: the tenant every org-scoped record belongs to."""

    __tablename__ = "organizations"
    __table_args__ = (
        CheckConstraint("member_stock_reliability > 0 AND member_stock_reliability <= 1",
                        name="member_stock_reliability_range"),
    )

    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    # Default reliability of members' shared stock in plans (planning-problem `reliability`).
    member_stock_reliability: Mapped[Decimal] = mapped_column(
        Reliability, default=DEFAULT_MEMBER_STOCK_RELIABILITY,
        server_default=text(str(DEFAULT_MEMBER_STOCK_RELIABILITY)),
    )


class OrganizationMember(UUIDPrimaryKey, Base):
    """A user's membership and role in an organisation."""

    __tablename__ = "organization_members"
    __table_args__ = (
        UniqueConstraint("organization_id", "user_id"),
        check_in("role", ROLES),
        CheckConstraint("stock_reliability IS NULL OR "
                        "(stock_reliability > 0 AND stock_reliability <= 1)",
                        name="stock_reliability_range"),
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
    # This member's stock reliability in plans; NULL = the org's member_stock_reliability.
    stock_reliability: Mapped[Decimal | None] = mapped_column(Reliability)


class OrganizationInvitation(UUIDPrimaryKey, CreatedAt, Base):
    """An invitation to join an org, addressed to a username or an email address.

    The only way into an org besides creating it: the invitee accepts (or declines) it
    themselves. The address is stored as typed (lower-cased) and matched against the caller's
    account when they list or accept, so creating one never looks up whether the account
    exists. At most one outcome: accepted, declined or revoked; pending until ``expires_at``.
    """

    __tablename__ = "organization_invitations"
    __table_args__ = (
        check_in("role", INVITATION_ROLES),
        CheckConstraint(
            "(invitee_username IS NULL) <> (invitee_email IS NULL)", name="one_invitee"
        ),
        CheckConstraint(
            "(CASE WHEN accepted_at IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN declined_at IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN revoked_at IS NULL THEN 0 ELSE 1 END) <= 1",
            name="one_outcome",
        ),
        Index("ix_organization_invitations_org", "organization_id", "created_at"),
        Index("ix_organization_invitations_username", "invitee_username"),
        Index("ix_organization_invitations_email", "invitee_email"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    invitee_username: Mapped[str | None] = mapped_column(String(64))
    invitee_email: Mapped[str | None] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(16))
    invited_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

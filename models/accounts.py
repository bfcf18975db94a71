"""Users and their credentials: refresh tokens (rotating families) and personal access tokens."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, false, true
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, CreatedAt, JSONType, Timestamps, UTCDateTime, UUIDPrimaryKey


class User(UUIDPrimaryKey, Timestamps, Base):
    """An account. Deleting an account anonymises the row so org history keeps an actor id
    that no longer identifies anyone (GDPR), instead of deleting it."""

    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(64), unique=True)
    # Stored lower-cased by the service; NULL once the account is anonymised.
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    # Set when the user opened a verification link sent to ``email``; a new email clears it.
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    display_name: Mapped[str | None] = mapped_column(String(100))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    consent_data_collection: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Tokens issued before this instant are refused (password change, logout everywhere).
    tokens_valid_after: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RefreshToken(UUIDPrimaryKey, CreatedAt, Base):
    """One refresh token; rotation links it to its successor in the same family.

    Presenting a token that was already rotated (``replaced_by_id`` set) or revoked is a
    replay: the service revokes every token of ``family_id``.
    """

    __tablename__ = "refresh_tokens"
    __table_args__ = (Index("ix_refresh_tokens_family", "family_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    family_id: Mapped[uuid.UUID]
    # SHA-256 hex of the opaque token; the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    replaced_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("refresh_tokens.id", ondelete="SET NULL")
    )
    user_agent: Mapped[str | None] = mapped_column(String(300))


class PersonalAccessToken(UUIDPrimaryKey, CreatedAt, Base):
    """A long-lived token for scripts and integrations: hashed at rest, scoped, revocable."""

    __tablename__ = "personal_access_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    # First characters of the token, shown in listings so users can tell tokens apart.
    token_prefix: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PasswordResetToken(UUIDPrimaryKey, CreatedAt, Base):
    """A single-use password reset link: only its SHA-256 is stored, it expires, and using it
    sets ``used_at`` in one conditional UPDATE so two uses cannot both succeed."""

    __tablename__ = "password_reset_tokens"
    __table_args__ = (Index("ix_password_reset_tokens_user", "user_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class EmailVerificationToken(UUIDPrimaryKey, CreatedAt, Base):
    """A single-use link proving the user reads ``email``: only its SHA-256 is stored, it
    expires, and it verifies only the address it was sent to (a changed email voids it)."""

    __tablename__ = "email_verification_tokens"
    __table_args__ = (Index("ix_email_verification_tokens_user", "user_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

"""Request and response bodies of the auth and users routes."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from api.core.scopes import SCOPES

USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{2,31}$"
# Deliberately loose (one @, a dot in the domain, no spaces): real validation is a mail sent.
_EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
PASSWORD_MIN = 10
# Argon2 hashes any length, but megabyte passwords are a cheap denial of service.
PASSWORD_MAX = 128


def _email(value: str) -> str:
    value = value.strip().lower()
    if not _EMAIL_RE.match(value):
        raise ValueError("not a valid email address")
    return value


def _scope(value: str) -> str:
    if value not in SCOPES:
        raise ValueError(f"unknown scope; use one of: {', '.join(SCOPES)}")
    return value


Username = Annotated[str, StringConstraints(pattern=USERNAME_PATTERN, max_length=32)]
Email = Annotated[str, StringConstraints(max_length=254), AfterValidator(_email)]
Password = Annotated[str, StringConstraints(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)]
Scope = Annotated[str, StringConstraints(max_length=32), AfterValidator(_scope)]
RefreshTokenStr = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class RegisterIn(BaseModel):
    """A new account."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "username": "cmdr_vex",
                    "email": "vex@example.org",
                    "password": "quantum drive spool 42",
                    "display_name": "Cmdr Vex",
                    "consent_data_collection": False,
                }
            ]
        },
    )

    username: Username = Field(description="3-32 letters, digits, '_', '.', '-'")
    email: Email
    password: Password = Field(
        description=f"{PASSWORD_MIN}-{PASSWORD_MAX} characters, not containing the username"
    )
    display_name: str | None = Field(default=None, max_length=100)
    consent_data_collection: bool = False


class UserOut(BaseModel):
    """The caller's account."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "0b6f1f5e-8d5e-4f43-9d1c-5b0f5c1e2a10",
                    "username": "cmdr_vex",
                    "email": "vex@example.org",
                    "display_name": "Cmdr Vex",
                    "consent_data_collection": False,
                    "created_at": "2026-11-26T10:00:00Z",
                }
            ]
        },
    )

    id: uuid.UUID
    username: str
    email: str | None
    display_name: str | None
    consent_data_collection: bool
    created_at: datetime
    email_verified_at: datetime | None = Field(
        default=None, description="When the current email was verified; null: not verified")


class VerifyEmailIn(BaseModel):
    """The token from an emailed verification link."""

    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=10, max_length=200)


class VerificationSentOut(BaseModel):
    """A verification link was queued (when the server sends email)."""

    detail: str
    email_enabled: bool = Field(description="False when this server sends no email at all")


class UserPatch(BaseModel):
    """Fields of the caller's account that may change (omitted fields stay as they are)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"consent_data_collection": True}]},
    )

    email: Email | None = None
    display_name: str | None = Field(default=None, max_length=100)
    consent_data_collection: bool | None = None


class TokenPair(BaseModel):
    """An access token (JWT, short-lived) and a single-use refresh token."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9…",
                    "token_type": "bearer",
                    "expires_in": 900,
                    "refresh_token": "qm_rt_3q2-7wEvhp…",
                    "refresh_expires_in": 2592000,
                }
            ]
        }
    )

    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires")
    refresh_token: str
    refresh_expires_in: int = Field(description="Seconds until the refresh token expires")


class RefreshIn(BaseModel):
    """A refresh token to rotate."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"refresh_token": "qm_rt_3q2-7wEvhp…"}]}
    )

    refresh_token: RefreshTokenStr


class LogoutIn(BaseModel):
    """End the session of ``refresh_token``; ``all_sessions`` ends every session of the user."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"refresh_token": "qm_rt_3q2-7wEvhp…", "all_sessions": False}]
        },
    )

    refresh_token: RefreshTokenStr
    all_sessions: bool = False


class PasswordChangeIn(BaseModel):
    """The current password and the new one."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "current_password": "quantum drive spool 42",
                    "new_password": "hydrogen fuel scoop 7",
                }
            ]
        },
    )

    current_password: str = Field(min_length=1, max_length=PASSWORD_MAX)
    new_password: Password


class DeleteAccountIn(BaseModel):
    """Deleting an account needs the password again."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"password": "quantum drive spool 42"}]}
    )

    password: str = Field(min_length=1, max_length=PASSWORD_MAX)


class PatCreateIn(BaseModel):
    """A new personal access token."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "inventory sync script",
                    "scopes": ["inventory:read", "inventory:write"],
                    "expires_in_days": 90,
                }
            ]
        },
    )

    name: str = Field(min_length=1, max_length=100)
    scopes: list[Scope] = Field(min_length=1, max_length=len(SCOPES))
    expires_in_days: int | None = Field(
        default=None, ge=1, le=3650, description="Omit for a token that never expires"
    )


class PatOut(BaseModel):
    """A personal access token as listed: never the token itself."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "5d1c2b8e-9a47-4c0e-a3a1-0f1f7f0d9b21",
                    "name": "inventory sync script",
                    "token_prefix": "qm_pat_Xy3k",
                    "scopes": ["inventory:read"],
                    "created_at": "2026-11-26T10:00:00Z",
                    "expires_at": None,
                    "last_used_at": None,
                    "revoked_at": None,
                }
            ]
        },
    )

    id: uuid.UUID
    name: str
    token_prefix: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class PatCreatedOut(PatOut):
    """A freshly created token: ``token`` is shown this once and cannot be retrieved again."""

    token: str


class ScopeOut(BaseModel):
    """A personal access token scope."""

    name: str
    description: str


class ResetRequestIn(BaseModel):
    """Ask for a password reset link by email."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=254)


class ResetRequestedOut(BaseModel):
    """Always the same answer, whether or not the address has an account."""

    detail: str
    email_enabled: bool = Field(description="False when this server sends no email at all")


class ResetIn(BaseModel):
    """Set a new password with the token from the emailed link."""

    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=10, max_length=200)
    new_password: str = Field(min_length=10, max_length=128)


class AccountExport(BaseModel):
    """Everything held about the user (GDPR access). Personal records come as one list of
    column objects per kind (``locations``, ``ships``, ``stock``, ``stock_history``...), so
    the document is open beyond the fields below; credentials are never in it."""

    model_config = ConfigDict(extra="allow")

    format: str = Field(description="quartermaster-account-export/1")
    exported_at: datetime
    account: dict[str, Any]
    analytics: dict[str, Any]

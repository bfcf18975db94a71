"""Request and response bodies of the organisation routes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from api.auth.schemas import Email
from api.core.fields import Number

RoleName = Literal["owner", "admin", "member", "viewer"]
# Never "owner": ownership is handed over to someone who already accepted membership.
InvitationRole = Literal["admin", "member", "viewer"]
InvitationStatus = Literal["pending", "accepted", "declined", "revoked", "expired"]
OrgName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=100)]
Description = Annotated[str, StringConstraints(max_length=2000)]
# Chance that stock is really there when the hauler arrives (planning-problem `reliability`).
# At least 0.0001: the column keeps four decimals, so less would round to 0 (a CHECK, 409).
Reliability = Annotated[Number, Field(ge=0.0001, le=1)]


class OrgCreate(BaseModel):
    """A new organisation; the creator becomes its owner."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"name": "Hurston Haulers", "description": "Cargo and mining crew"}]
        },
    )

    name: OrgName
    description: Description | None = None


class OrgPatch(BaseModel):
    """Fields to change (omitted fields stay as they are)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"description": "Now also salvage"}]}
    )

    name: OrgName | None = None
    description: Description | None = None
    member_stock_reliability: Reliability | None = Field(
        default=None, description="How reliable members' shared stock is in plans, unless a "
        "member has their own figure (default 0.9)")


class OrgOut(BaseModel):
    """An organisation with the caller's role in it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "3f0e8a52-5c1b-4c36-9e55-1e6c1b2f9a77",
                    "name": "Hurston Haulers",
                    "description": "Cargo and mining crew",
                    "created_at": "2026-11-26T10:00:00Z",
                    "role": "owner",
                    "member_count": 12,
                }
            ]
        }
    )

    id: uuid.UUID
    name: str
    description: str | None
    created_at: datetime
    role: RoleName
    member_count: int
    member_stock_reliability: float


class InvitationCreate(BaseModel):
    """Invite someone by username or by email address (exactly one)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"username": "cmdr_vex", "role": "member"},
                                        {"email": "vex@example.org", "role": "viewer"}]},
    )

    username: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                               max_length=64)] | None = None
    email: Email | None = None
    role: InvitationRole = "member"

    @model_validator(mode="after")
    def _one_address(self) -> InvitationCreate:
        if (self.username is None) == (self.email is None):
            raise ValueError("give exactly one of username or email")
        return self


class InvitationOut(BaseModel):
    """An invitation as the org's admins see it (the address as typed, never an account)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "6a1e1c9e-3b0e-4a59-9a77-0f1c2d3e4f50",
                    "organization_id": "3f0e8a52-5c1b-4c36-9e55-1e6c1b2f9a77",
                    "username": "cmdr_vex",
                    "email": None,
                    "role": "member",
                    "status": "pending",
                    "invited_by": "0b6f1f5e-8d5e-4f43-9d1c-5b0f5c1e2a10",
                    "created_at": "2026-12-02T10:00:00Z",
                    "expires_at": "2026-12-09T10:00:00Z",
                }
            ]
        }
    )

    id: uuid.UUID
    organization_id: uuid.UUID
    username: str | None
    email: str | None
    role: InvitationRole
    status: InvitationStatus
    invited_by: uuid.UUID | None
    created_at: datetime
    expires_at: datetime


class MyInvitationOut(BaseModel):
    """A pending invitation addressed to the caller."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "6a1e1c9e-3b0e-4a59-9a77-0f1c2d3e4f50",
                    "organization_id": "3f0e8a52-5c1b-4c36-9e55-1e6c1b2f9a77",
                    "organization_name": "Hurston Haulers",
                    "role": "member",
                    "invited_by": "demo",
                    "created_at": "2026-12-02T10:00:00Z",
                    "expires_at": "2026-12-09T10:00:00Z",
                }
            ]
        }
    )

    id: uuid.UUID
    organization_id: uuid.UUID
    organization_name: str
    role: InvitationRole
    invited_by: str | None
    created_at: datetime
    expires_at: datetime


class MemberPatch(BaseModel):
    """A member's new role and/or stock reliability (omitted fields stay as they are)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"role": "admin"}]})

    role: RoleName | None = None
    stock_reliability: Reliability | None = Field(
        default=None, description="How reliable this member's shared stock is in plans; null "
        "= the org's member_stock_reliability")


class MemberOut(BaseModel):
    """A member and their role."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "user_id": "0b6f1f5e-8d5e-4f43-9d1c-5b0f5c1e2a10",
                    "username": "cmdr_vex",
                    "display_name": "Cmdr Vex",
                    "role": "member",
                    "joined_at": "2026-11-26T10:00:00Z",
                }
            ]
        }
    )

    user_id: uuid.UUID
    username: str
    display_name: str | None
    role: RoleName
    joined_at: datetime
    stock_reliability: float | None = None

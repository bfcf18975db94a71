"""Pydantic I/O of the notification centre."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Kind = Literal["craft.done", "plan.done", "plan.failed", "goal.completed", "commons.decision"]


class NotificationOut(BaseModel):
    """One notification."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: Kind
    title: str
    organization_id: uuid.UUID | None
    data: dict[str, Any]
    read_at: datetime | None
    created_at: datetime


class UnreadCount(BaseModel):
    """The bell's number."""

    unread: int


class MarkedRead(BaseModel):
    """How many notifications a mark-all-read changed."""

    marked: int


class PreferenceOut(BaseModel):
    """Whether the user receives one kind of notification."""

    kind: Kind
    in_app: bool


class PreferencesIn(BaseModel):
    """Kinds to change; kinds left out keep their setting."""

    model_config = ConfigDict(extra="forbid")

    preferences: list[PreferenceOut] = Field(max_length=16)

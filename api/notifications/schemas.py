"""Pydantic I/O of the notification centre."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.core.fields import Quantity

Kind = Literal["craft.done", "plan.done", "plan.failed", "goal.completed", "commons.decision",
               "stock.low", "goal.due_soon"]
MAX_THRESHOLD = 1e9


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
    """How the user receives one kind of notification."""

    kind: Kind
    in_app: bool
    email: bool = Field(description="Also by email (sent only where the server has SMTP)")
    email_available: bool = Field(description="Whether this server sends email at all")


class PreferenceIn(BaseModel):
    """One kind's change; a field left out keeps its setting."""

    model_config = ConfigDict(extra="forbid")

    kind: Kind
    in_app: bool | None = None
    email: bool | None = None


class PreferencesIn(BaseModel):
    """Kinds to change; kinds left out keep their setting."""

    model_config = ConfigDict(extra="forbid")

    preferences: list[PreferenceIn] = Field(max_length=16)


class WatchIn(BaseModel):
    """Watch an item: the org's members are told when its stock falls below ``threshold``."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"item_id": "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f", "threshold": 50}]})

    item_id: uuid.UUID
    threshold: Quantity = Field(le=MAX_THRESHOLD,
                                description="Below this much (in the item's unit), tell us")


class WatchUpdate(BaseModel):
    """A new threshold for a watch."""

    model_config = ConfigDict(extra="forbid")

    threshold: Quantity = Field(le=MAX_THRESHOLD)


class WatchOut(BaseModel):
    """A stock watch with the stock it watches as it is now."""

    id: uuid.UUID
    item_id: uuid.UUID
    item_name: str
    threshold: Decimal
    holding: Decimal = Field(description="What the org holds now: its own rows and members' "
                                         "rows shared with it")
    low: bool = Field(description="Holding is below the threshold")
    armed: bool = Field(description="False after a notification, until stock is back up")
    created_at: datetime

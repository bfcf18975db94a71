"""Request and response bodies for goals."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.core.fields import Quantity, UtcDateTime

MAX_QUANTITY = 1e9


class TargetIn(BaseModel):
    """One item and quantity the goal asks for (at or above a quality)."""

    model_config = ConfigDict(extra="forbid")

    item_id: uuid.UUID
    quantity: Quantity = Field(le=MAX_QUANTITY)
    min_quality: int = Field(default=0, ge=0, le=1000)


class GoalIn(BaseModel):
    """Create or replace a goal."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Arm the squadron",
                    "due_at": "2026-12-24T18:00:00Z",
                    "targets": [
                        {"item_id": "7b0e7c8e-5d43-4a35-9f3b-0a3d1c2b4e5f", "quantity": 12},
                        {"item_id": "1f7c6e2a-9a51-4d0e-8d2b-3c4a5b6c7d8e", "quantity": 32,
                         "min_quality": 500},
                    ],
                }
            ]
        },
    )

    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    due_at: UtcDateTime | None = None
    targets: list[TargetIn] = Field(min_length=1, max_length=100)


class TargetProgress(BaseModel):
    """A target with its computed progress. ``free``: unreserved org stock at or above the
    quality; ``reserved``: stock a plan made for this goal holds for delivery; ``in_crafts``:
    output still to come from planned and in-progress crafts. ``have`` is their sum (may
    exceed ``quantity``), ``progress`` = min(have, quantity) / quantity. ``met`` (what
    completes the goal) counts held stock and in-progress crafts, not merely planned ones."""

    item_id: uuid.UUID
    item_name: str | None = None
    item_unit: str | None = None
    quantity: float
    min_quality: int
    free: float
    reserved: float
    in_stock: float = Field(description="free + reserved")
    in_crafts: float
    have: float
    remaining: float
    progress: float
    met: bool


class GoalOut(BaseModel):
    """A goal and its progress (computed on every read, never stored)."""

    id: uuid.UUID
    organization_id: uuid.UUID
    name: str
    description: str | None
    due_at: datetime | None
    status: Literal["active", "completed", "cancelled"]
    completed_at: datetime | None
    progress: float = Field(description="Share of the targets' total quantity met, 0..1")
    targets: list[TargetProgress]
    created_at: datetime
    updated_at: datetime

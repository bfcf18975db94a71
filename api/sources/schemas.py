"""Request and response bodies for market listings and their accuracy votes."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from api.core.fields import Number, Quantity

MAX_QUANTITY = 1e9
MAX_PRICE = 1e12


class SourceIn(BaseModel):
    """Create or replace an org's market listing."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "item_id": "1f7c6e2a-9a51-4d0e-8d2b-3c4a5b6c7d8e",
                    "location_id": "9c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f",
                    "price": 2539,
                    "available": 120,
                    "lot_size": 8,
                    "quality": 0,
                    "holder_name": "TDD - Trade and Development Division - Area 18",
                }
            ]
        },
    )

    item_id: uuid.UUID
    location_id: uuid.UUID
    price: Number = Field(ge=0, le=MAX_PRICE)
    available: Number | None = Field(default=None, ge=0, le=MAX_QUANTITY,
                                    description="null = unknown / unlimited")
    # At least 1 µSCU: the column keeps six decimals, so a smaller box would round to 0.
    lot_size: Quantity | None = Field(
        default=None, le=MAX_QUANTITY,
        description="Sold only in whole boxes of this size (SCU; pieces for piece items, a "
                    "whole number); null = any amount")
    quality: int = Field(default=0, ge=0, le=1000)
    holder_name: str | None = Field(default=None, min_length=1, max_length=200)


class VoteIn(BaseModel):
    """A member's report that the listing was (in)accurate; one per member, listing and day."""

    model_config = ConfigDict(extra="forbid",
                              json_schema_extra={"examples": [{"accurate": True}]})

    accurate: bool
    note: str | None = Field(default=None, max_length=500)


class SourceFilters(BaseModel):
    """The query of the market listings: each filter given narrows them."""

    item_id: uuid.UUID | None = None
    location_id: uuid.UUID | None = None


class SourceOut(BaseModel):
    """A listing with its derived reliability (see docs/planning.md)."""

    id: uuid.UUID
    organization_id: uuid.UUID | None
    item_id: uuid.UUID
    item_name: str | None = None
    item_unit: str | None = None
    location_id: uuid.UUID
    location_name: str | None = None
    location_path: str | None = None
    price: float
    available: float | None
    lot_size: float | None
    quality: int
    holder_name: str | None
    last_verified_at: datetime | None
    verified_by: uuid.UUID | None
    reliability: float = Field(description="Derived from votes; never written directly")
    votes: int
    created_at: datetime
    updated_at: datetime


class VoteOut(BaseModel):
    """A stored vote and the listing's reliability after it."""

    id: uuid.UUID
    source_id: uuid.UUID
    accurate: bool
    day: date
    reliability: float

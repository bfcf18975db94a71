"""Request and response bodies for crafts."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# A craft is a job an org runs in the game: thousands of runs is already absurd.
MAX_RUNS = 10_000

CraftStatus = Literal["planned", "in_progress", "completed", "cancelled"]


class CraftIn(BaseModel):
    """Plan N runs of a blueprint at a location (org location, ship cargo or universe)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "blueprint_id": "3f1e2d3c-4b5a-4c6d-8e7f-0a1b2c3d4e5f", "runs": 4,
        "location_id": "9c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f", "priority": 0}]})

    blueprint_id: uuid.UUID
    runs: int = Field(ge=1, le=MAX_RUNS)
    location_id: uuid.UUID
    priority: int = Field(default=0, ge=-1000, le=1000)
    crafter_id: uuid.UUID | None = Field(
        default=None, description="The org member who runs it (their queue); must be a member"
    )


class CraftPatch(BaseModel):
    """Assign (or with ``null`` unassign) the crafter, or change the priority."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "crafter_id": "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b"}]})

    crafter_id: uuid.UUID | None = None
    priority: int | None = Field(default=None, ge=-1000, le=1000)


class CompleteIn(BaseModel):
    """Complete some runs (default: all that remain)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"runs": 2}]})

    runs: int | None = Field(default=None, ge=1, le=MAX_RUNS)


class CraftIngredientOut(BaseModel):
    """One ingredient for all runs: required, held (reserved) and used (consumed)."""

    item_id: uuid.UUID
    item_name: str | None = None
    item_unit: str | None = None
    min_quality: int
    required_quantity: Decimal
    reserved_quantity: Decimal
    consumed_quantity: Decimal


class CraftReservationOut(BaseModel):
    """A reservation held (or once held) by the craft on one stock row."""

    id: uuid.UUID
    stock_id: uuid.UUID
    location_id: uuid.UUID
    location_name: str | None = None
    location_path: str | None = None
    quality: int
    item_id: uuid.UUID
    item_name: str | None = None
    item_unit: str | None = None
    quantity: Decimal
    state: Literal["active", "consumed", "released"]


class CraftOut(BaseModel):
    """A craft with its ingredients and reservations."""

    id: uuid.UUID
    organization_id: uuid.UUID
    blueprint_id: uuid.UUID
    blueprint_name: str | None = None
    output_item_id: uuid.UUID
    output_item_name: str | None = None
    output_item_unit: str | None = None
    output_quantity_per_run: Decimal
    runs: int
    runs_completed: int
    status: CraftStatus
    priority: int
    location_id: uuid.UUID
    location_name: str | None = None
    location_path: str | None = None
    plan_id: uuid.UUID | None
    requested_by: uuid.UUID | None
    requested_by_name: str | None = None
    crafter_id: uuid.UUID | None = None
    crafter_name: str | None = None
    minutes: Decimal = Field(description="Blueprint minutes per run × runs")
    eta: datetime | None = Field(
        description="started_at + minutes while in progress; null until started"
    )
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    ingredients: list[CraftIngredientOut]
    reservations: list[CraftReservationOut]

"""Request and response bodies for plans."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.core.fields import Number, Quantity

MAX_QUANTITY = 1e9
MAX_COST = 1e12
MAX_TIME_LIMIT = 300.0


class DemandIn(BaseModel):
    """An explicit demand: a quantity of an item at or above a quality."""

    model_config = ConfigDict(extra="forbid")

    item_id: uuid.UUID
    quantity: Quantity = Field(le=MAX_QUANTITY)
    min_quality: int = Field(default=0, ge=0, le=1000)


class PolicyIn(BaseModel):
    """Bounded overrides of the engine's policy (see the planning-problem spec)."""

    model_config = ConfigDict(extra="forbid")

    ship_capacity_scu: Number | None = Field(default=None, gt=0, le=1e6)
    member_unit_cost: Number | None = Field(default=None, ge=0, le=MAX_COST)
    reliability_weight: Number | None = Field(default=None, ge=0, le=100)
    default_trip_cost: Number | None = Field(default=None, ge=0, le=MAX_COST,
                                            allow_inf_nan=False)
    shortfall_penalty: Number | None = Field(default=None, ge=0, le=MAX_COST,
                                            allow_inf_nan=False)
    strict_priority: bool | None = None


class PlanRequestIn(BaseModel):
    """Ask for a plan: goals and/or explicit demands delivered to one location."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Rifles for Friday",
                    "goal_ids": ["5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b"],
                    "demands": [{"item_id": "7b0e7c8e-5d43-4a35-9f3b-0a3d1c2b4e5f",
                                 "quantity": 4}],
                    "delivery_location_id": "9c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f",
                    "ship_id": None,
                    "policy": {"reliability_weight": 1.5},
                    "time_limit": 20,
                }
            ]
        },
    )

    name: str | None = Field(default=None, max_length=200)
    goal_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    demands: list[DemandIn] = Field(default_factory=list, max_length=500)
    delivery_location_id: uuid.UUID
    ship_id: uuid.UUID | None = None
    policy: PolicyIn = Field(default_factory=PolicyIn)
    time_limit: Number = Field(default=30.0, ge=0.1, le=MAX_TIME_LIMIT, allow_inf_nan=False,
                              description="Seconds the solver may spend")

    @model_validator(mode="after")
    def _something_to_plan(self) -> PlanRequestIn:
        if not self.goal_ids and not self.demands:
            raise ValueError("give goal_ids or demands (or both)")
        return self


class ItemName(BaseModel):
    """An item's display name and unit (``scu`` or ``piece``)."""

    name: str
    unit: str


class PlaceName(BaseModel):
    """A location's name and full path."""

    name: str
    path: str


class SourceName(BaseModel):
    """A supply the plan draws on: readable name, tier, item and location."""

    name: str
    tier: str
    item_id: str
    location_id: str


class PlanNames(BaseModel):
    """Display names of every id the plan and its explanation use, keyed by that id (as the
    plan spells it: item and location UUIDs, ``own:…``/``member:…``/``market:…`` sources,
    blueprint UUIDs, ``goal:…``/``demand:…`` demands), taken from the stored problem."""

    items: dict[str, ItemName] = Field(default_factory=dict)
    locations: dict[str, PlaceName] = Field(default_factory=dict)
    sources: dict[str, SourceName] = Field(default_factory=dict)
    blueprints: dict[str, str] = Field(default_factory=dict)
    demands: dict[str, str] = Field(default_factory=dict)


class PlanOut(BaseModel):
    """A plan request and, once solved, the engine's plan and explanation; ``names`` holds
    the display name of every id they mention (full reads only)."""

    id: uuid.UUID
    organization_id: uuid.UUID
    status: Literal["queued", "solving", "done", "failed"]
    request: dict[str, Any]
    plan: dict[str, Any] | None = Field(default=None,
                                        description="quartermaster.plan/1 document")
    explanation: dict[str, Any] | None = None
    names: PlanNames | None = None
    warnings: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Public (commons) blueprints left out because they conflict with the "
                    "org's own data (duplicate, BOM cycle); the plan solves without them")
    commons_versions: dict[str, Any] = Field(
        default_factory=dict,
        description="blueprint id -> {entity_id, version}: the public versions the snapshot used")
    error: str | None = None
    attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    applied_at: datetime | None = Field(
        default=None, description="When the plan was applied (crafts, reservations, refinery jobs)")
    problem_url: str


class ShoppingLine(BaseModel):
    """One market purchase the plan makes."""

    item_id: uuid.UUID
    item: str
    listing_id: uuid.UUID
    terminal: str | None
    location_id: uuid.UUID
    location: str
    quantity: float
    unit_price: float
    expected_cost: float


class TripLine(BaseModel):
    """Trips to haul from one location to the delivery location."""

    location_id: uuid.UUID
    location: str
    trips: int
    volume_scu: float


class AppliedCraft(BaseModel):
    """A craft created by the apply (status ``planned``)."""

    id: uuid.UUID
    blueprint_id: uuid.UUID
    runs: int
    location_id: uuid.UUID


class RefineryJob(BaseModel):
    """A refining job of a fractional number of runs (a refinery takes any quantity of ore).

    Crafts count whole runs, so such a job is not recorded as a craft: its ore is reserved for
    the plan, and the job is listed here for the crew to start at the refinery.
    """

    blueprint_id: uuid.UUID
    runs: float
    output_item_id: uuid.UUID
    output_quantity: float


class AppliedReservation(BaseModel):
    """A reservation of an own/member stock row the plan takes."""

    id: uuid.UUID
    stock_id: uuid.UUID
    source: str
    quantity: float
    craft_id: uuid.UUID | None
    purpose: str


class ApplyOut(BaseModel):
    """What applying a plan created, and what the crew still has to buy and haul."""

    plan_id: uuid.UUID
    applied_at: datetime
    crafts: list[AppliedCraft]
    refinery_jobs: list[RefineryJob] = []
    reservations: list[AppliedReservation]
    shopping_list: list[ShoppingLine]
    shopping_total: float
    trips: list[TripLine]


class VariantIn(BaseModel):
    """A named what-if variant: the engine's change list (``quartermaster.whatif/1``)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    changes: list[dict[str, Any]] = Field(default_factory=list, max_length=100)


class WhatIfIn(BaseModel):
    """Variants of a done plan, solved in parallel by workers."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"variants": [
        {"name": "Aluminum +50 %", "changes": [
            {"kind": "scale_price", "item": "7b0e7c8e-5d43-4a35-9f3b-0a3d1c2b4e5f",
             "factor": 1.5}]},
        {"name": "Small ship", "changes": [{"set_policy": {"ship_capacity_scu": 32}}]}]}]})

    variants: list[VariantIn] = Field(min_length=1, max_length=20)


class VariantOut(BaseModel):
    """One variant: status and, once solved, its cost delta and changed lines vs the base."""

    id: uuid.UUID
    name: str
    status: Literal["queued", "solving", "done", "failed"]
    changes: list[Any]
    objective: float | None = None
    objective_delta: float | None = None
    cost_delta: dict[str, float] | None = None
    changed_lines: list[dict[str, Any]] | None = None
    complete: bool | None = None
    plan: dict[str, Any] | None = None
    error: str | None = None


class WhatIfOut(BaseModel):
    """The base plan's figures and its variants side by side."""

    plan_id: uuid.UUID
    base_objective: float | None
    base_costs: dict[str, Any] | None
    variants: list[VariantOut]

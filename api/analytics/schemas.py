"""Analytics request and response bodies."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class ConsentIn(BaseModel):
    """Grant (true) or revoke (false) consent to usage analytics."""

    model_config = ConfigDict(extra="forbid")

    granted: bool


class ConsentRecordOut(BaseModel):
    """One recorded decision."""

    granted: bool
    recorded_at: datetime
    policy_version: str


class ConsentOut(BaseModel):
    """The user's current choice and every decision before it."""

    granted: bool
    policy_version: str = Field(description="The analytics policy version now in force")
    history: list[ConsentRecordOut]
    events_deleted: int = Field(0, description="Usage events deleted by this revocation")


class UsageEventOut(BaseModel):
    """One recorded usage event (as exported to its user)."""

    kind: str
    route: str
    organization_id: uuid.UUID | None
    ip_hash: str | None
    occurred_at: datetime


class BlueprintStat(BaseModel):
    """How an org uses one blueprint, derived from its crafts."""

    blueprint_id: uuid.UUID
    name: str
    crafts: int = Field(description="Crafts of this blueprint, any status")
    runs: int = Field(description="Runs ordered across those crafts")
    runs_completed: int
    completed: int = Field(description="Crafts completed")
    cancelled: int = Field(description="Crafts cancelled")
    success_rate: float | None = Field(
        description="completed / (completed + cancelled); null while none has ended")
    mean_craft_minutes: float | None = Field(
        description="Mean time from start to completion of completed crafts")


class WeekPoint(BaseModel):
    """One ISO week (starting Monday) of a series."""

    week: date
    crafts_completed: int = 0
    goals_completed: int = 0
    plans_solved: int = 0
    plan_cost: float = Field(0.0, description="Sum of the solved plans' objective")
    plan_savings: float | None = Field(
        None, description="Sum of (baseline - objective) over plans that carry a baseline")
    usage_events: int = Field(0, description="Consented members' usage events")
    active_users: int = Field(0, description="Distinct consented members with an event")


class GoalSummary(BaseModel):
    """Goal completion across the org's goals."""

    total: int
    active: int
    completed: int
    cancelled: int
    completed_on_time: int
    completion_rate: float | None = Field(
        description="completed / (completed + cancelled); null while none has ended")


class DashboardOut(BaseModel):
    """The org analytics dashboard."""

    organization_id: uuid.UUID
    weeks: list[WeekPoint]
    goals: GoalSummary
    top_blueprints: list[BlueprintStat]
    usage_by_kind: dict[str, int] = Field(
        description="Consented members' usage events in the window, by kind")

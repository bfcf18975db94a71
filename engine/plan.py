"""The plan (`quartermaster.plan/1`): the engine's machine-readable answer.

Plans are read leniently (a plan written by another tool may carry extra fields) and written
exactly in the spec's shape: lines with zero quantity are left out, ingredient indexes count
from 0.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

PLAN_FORMAT: Literal["quartermaster.plan/1"] = "quartermaster.plan/1"


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class PlanStatus(StrEnum):
    """How good the plan is known to be."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    INVALID = "invalid"


class Costs(_Lenient):
    """The weighted objective split by term."""

    sourcing: float = 0.0
    crafting: float = 0.0
    trips: float = 0.0
    shortfall: float = 0.0

    @property
    def total(self) -> float:
        """Sum of the four terms (the weighted objective)."""
        return self.sourcing + self.crafting + self.trips + self.shortfall


class Take(_Lenient):
    """What the plan takes from one source."""

    source: str
    quantity: float


class FromRef(_Lenient):
    """Where an allocation comes from: a source, or a blueprint's output."""

    source: str | None = None
    blueprint: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> FromRef:
        if (self.source is None) == (self.blueprint is None):
            raise ValueError("'from' names exactly one of source or blueprint")
        return self


class ToRef(_Lenient):
    """Where an allocation goes: a demand, or an ingredient line of a blueprint."""

    demand: str | None = None
    blueprint: str | None = None
    ingredient: int | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> ToRef:
        if self.demand is not None:
            if self.blueprint is not None or self.ingredient is not None:
                raise ValueError("'to' names either a demand or a blueprint ingredient")
        elif self.blueprint is None or self.ingredient is None:
            raise ValueError("'to' names a demand, or a blueprint and an ingredient index")
        return self


class Allocation(_Lenient):
    """A quantity handed from a source or a blueprint's output to a use."""

    from_: FromRef = Field(alias="from")
    to: ToRef
    quantity: float


class CraftRuns(_Lenient):
    """How many runs of a blueprint the plan makes (a real number for continuous ones)."""

    blueprint: str
    # int first: whole runs stay whole numbers in the JSON; continuous blueprints' real runs
    # stay real.
    runs: int | float


class Trip(_Lenient):
    """Trips from one location to the delivery location."""

    location: str
    trips: int
    volume_scu: float


class Shortfall(_Lenient):
    """How much of a demand the plan leaves unmet."""

    demand: str
    item: str | None = None
    quantity: float


class Surplus(_Lenient):
    """Quantity of an item taken or made beyond what the uses need."""

    item: str
    quantity: float


class Stats(_Lenient):
    """Solver statistics; `gap` is the relative optimality gap (0 when proven optimal)."""

    solver: str = ""
    build_seconds: float = 0.0
    solve_seconds: float = 0.0
    gap: float | None = 0.0


class Plan(_Lenient):
    """A plan in the spec's format."""

    format: Literal["quartermaster.plan/1"] = PLAN_FORMAT
    status: PlanStatus
    objective: float | None = None
    complete: bool = False
    costs: Costs = Field(default_factory=Costs)
    takes: list[Take] = Field(default_factory=list)
    allocations: list[Allocation] = Field(default_factory=list)
    crafts: list[CraftRuns] = Field(default_factory=list)
    trips: list[Trip] = Field(default_factory=list)
    shortfalls: list[Shortfall] = Field(default_factory=list)
    surplus: list[Surplus] = Field(default_factory=list)
    stats: Stats = Field(default_factory=Stats)
    errors: list[dict[str, Any]] = Field(default_factory=list)

    def to_document(self) -> dict[str, Any]:
        """The plan as a JSON-ready document in the spec's shape (`from`, not `from_`)."""
        document = self.model_dump(mode="json", by_alias=True, exclude_none=False)
        if not self.errors:
            document.pop("errors")
        for allocation in document["allocations"]:
            for ref in (allocation["from"], allocation["to"]):
                for key in [k for k, v in ref.items() if v is None]:
                    del ref[key]
        for shortfall in document["shortfalls"]:
            if shortfall.get("item") is None:
                shortfall.pop("item", None)
        return document


def parse_plan(data: Any) -> Plan:
    """Read a plan document (raises pydantic.ValidationError on a malformed one)."""
    return Plan.model_validate(data)


def plan_json_schema() -> dict[str, Any]:
    """JSON Schema of the plan document."""
    return Plan.model_json_schema(by_alias=True)

"""Request and response bodies for blueprints (crafting recipes and refining methods)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.core.fields import Number, Quantity

MAX_QUANTITY = 1e9
MAX_MINUTES = 1e7
MAX_MONEY = 1e12


class IngredientIn(BaseModel):
    """One input line per run."""

    model_config = ConfigDict(extra="forbid")

    item_id: uuid.UUID
    quantity: Quantity = Field(le=MAX_QUANTITY)
    min_quality: int = Field(default=0, ge=0, le=1000)


class BlueprintIn(BaseModel):
    """Create or replace an org blueprint."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "P4-AR rifle",
                    "kind": "craft",
                    "output_item_id": "7b0e7c8e-5d43-4a35-9f3b-0a3d1c2b4e5f",
                    "output_quantity": 1,
                    "minutes": 2.5,
                    "run_cost": 0,
                    "ingredients": [
                        {"item_id": "1f7c6e2a-9a51-4d0e-8d2b-3c4a5b6c7d8e", "quantity": 0.04},
                        {"item_id": "2a8d7f3b-0b62-4e1f-9e3c-4d5b6c7d8e9f", "quantity": 0.02,
                         "min_quality": 300},
                    ],
                }
            ]
        },
    )

    name: str = Field(min_length=1, max_length=200)
    code: str | None = Field(default=None, min_length=1, max_length=120)
    description: str | None = Field(default=None, max_length=2000)
    kind: Literal["craft", "refine"] = "craft"
    output_item_id: uuid.UUID
    output_quantity: Quantity = Field(le=MAX_QUANTITY)
    minutes: Number = Field(default=0, ge=0, le=MAX_MINUTES)
    run_cost: Number = Field(default=0, ge=0, le=MAX_MONEY)
    is_public: bool = Field(
        default=False,
        description="Always false: publishing goes through a commons submission and review "
                    "(POST /api/v1/commons/submissions); true is refused (422).")
    ingredients: list[IngredientIn] = Field(default_factory=list, max_length=100)

    @field_validator("is_public")
    @classmethod
    def _not_public(cls, value: bool) -> bool:
        if value:
            raise ValueError("An org blueprint cannot be made public; submit it to the commons "
                             "for review (POST /api/v1/commons/submissions)")
        return value


class RefiningIn(BaseModel):
    """Make a refining blueprint from one of the game's refining methods."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "method": "Dinyx Solventation",
                    "ore_item_id": "1f7c6e2a-9a51-4d0e-8d2b-3c4a5b6c7d8e",
                    "refined_item_id": "2a8d7f3b-0b62-4e1f-9e3c-4d5b6c7d8e9f",
                    "ore_quantity": 10,
                    "base_minutes": 60,
                    "base_cost": 100,
                }
            ]
        },
    )

    method: str = Field(min_length=1, max_length=64)
    ore_item_id: uuid.UUID
    refined_item_id: uuid.UUID
    ore_quantity: Quantity = Field(default=1, le=MAX_QUANTITY)
    # The method's time and cost multipliers scale these per-run base figures.
    base_minutes: Number = Field(default=60, ge=0, le=MAX_MINUTES)
    base_cost: Number = Field(default=0, ge=0, le=MAX_MONEY)
    name: str | None = Field(default=None, min_length=1, max_length=200)


class RefiningMethodOut(BaseModel):
    """A refining method: yield of refined material per unit of ore, time and cost factors."""

    name: str
    yield_: float = Field(alias="yield", serialization_alias="yield")
    time: float
    cost: float

    model_config = ConfigDict(populate_by_name=True)


class IngredientOut(BaseModel):
    """One stored input line."""

    position: int
    item_id: uuid.UUID
    quantity: float
    min_quality: int


class BlueprintFilters(BaseModel):
    """The query of the blueprint list: each filter given narrows it."""

    output_item_id: uuid.UUID | None = None
    kind: Literal["craft", "refine"] | None = None


class BlueprintOut(BaseModel):
    """A blueprint as stored; ``organization_id`` null for shared catalogue blueprints."""

    id: uuid.UUID
    name: str
    code: str | None
    description: str | None
    kind: str
    output_item_id: uuid.UUID
    output_quantity: float
    minutes: float
    run_cost: float
    is_public: bool
    organization_id: uuid.UUID | None
    ingredients: list[IngredientOut]
    created_at: datetime
    updated_at: datetime

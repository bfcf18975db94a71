"""Request and response bodies for locations."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.core.fields import DecimalNumber

# Costs and capacities are bounded so absurd input is a 422, not an overflow in the database.
MAX_AMOUNT = Decimal("1000000000")

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
TripCost = Annotated[DecimalNumber, Field(ge=0, le=MAX_AMOUNT, max_digits=20, decimal_places=6)]
OwnedKind = Literal["hangar", "base", "storage"]
OwnerKind = Literal["universe", "org", "user"]


@dataclass(frozen=True)
class LocationFilters:
    """What a flat location list keeps: ``kinds`` (any when empty), the direct children of
    ``parent_id``, and with ``owned_only`` the owner's own locations (not the universe)."""

    kinds: Sequence[str] = ()
    parent_id: uuid.UUID | None = None
    owned_only: bool = False


class LocationOut(BaseModel):
    """A location: a universe node, or one owned by an org or a user."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "0b8a3c1e-6a1f-4d7e-9c55-2f0f4f3f9a10",
                    "name": "Org Hangar",
                    "kind": "hangar",
                    "code": None,
                    "parent_id": "7d2b9a40-1c0e-4a53-8f5e-7e5f9d5a1b22",
                    "owner": "org",
                    "organization_id": "3f6c7d1a-2b4e-4c8d-9a0f-1e2d3c4b5a69",
                    "owner_user_id": None,
                    "trip_cost": "1500",
                    "path": "Stanton / ArcCorp / Area 18 / Org Hangar",
                    "depth": 3,
                    "meta": {},
                }
            ]
        },
    )

    id: uuid.UUID
    name: str
    kind: str
    code: str | None = None
    parent_id: uuid.UUID | None = None
    owner: OwnerKind
    organization_id: uuid.UUID | None = None
    owner_user_id: uuid.UUID | None = None
    trip_cost: Decimal | None = None
    path: str | None = Field(None, description='Full path, e.g. "Stanton / ArcCorp / Area 18"')
    depth: int | None = Field(None, description="Depth below the root of the listing")
    meta: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None


class LocationNode(LocationOut):
    """A location with its children (tree format)."""

    children: list[LocationNode] = Field(default_factory=list)


class LocationCreate(BaseModel):
    """A new org or personal location hanging under a universe node or one of your own."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Org Hangar",
                    "kind": "hangar",
                    "parent_id": "7d2b9a40-1c0e-4a53-8f5e-7e5f9d5a1b22",
                    "trip_cost": "1500",
                }
            ]
        },
    )

    name: Name
    kind: OwnedKind
    parent_id: uuid.UUID = Field(description="A universe node or a location you own")
    trip_cost: TripCost | None = Field(None, description="Cost of a trip there (planning)")


class LocationUpdate(BaseModel):
    """Fields to change; send ``trip_cost: null`` to clear it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "Main hangar", "trip_cost": "1200"}]},
    )

    name: Name | None = None
    kind: OwnedKind | None = None
    parent_id: uuid.UUID | None = None
    trip_cost: TripCost | None = None

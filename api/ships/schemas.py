"""Request and response bodies for ships and the ship-type catalogue."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.core.fields import DecimalNumber
from api.locations.schemas import OwnerKind

ShipName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Capacity = Annotated[DecimalNumber, Field(ge=0, le=1_000_000, max_digits=20, decimal_places=6)]

_LOC = "7d2b9a40-1c0e-4a53-8f5e-7e5f9d5a1b22"


class ShipType(BaseModel):
    """A known ship type with its default cargo capacity."""

    name: str
    manufacturer: str | None = None
    cargo_capacity_scu: Decimal
    container_sizes_scu: list[int] | None = None


class ShipOut(BaseModel):
    """A ship, its cargo grid (a ``ship_cargo`` location) and where it is parked."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "5f0c8a1b-2d3e-4f5a-8b6c-7d8e9f0a1b2c",
                    "name": "Big Red",
                    "ship_type": "C2 Hercules",
                    "cargo_capacity_scu": "696",
                    "owner": "org",
                    "organization_id": "3f6c7d1a-2b4e-4c8d-9a0f-1e2d3c4b5a69",
                    "owner_user_id": None,
                    "cargo_location_id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
                    "current_location_id": _LOC,
                    "current_location_path": "Stanton / ArcCorp / Area 18",
                }
            ]
        }
    )

    id: uuid.UUID
    name: str
    ship_type: str
    cargo_capacity_scu: Decimal
    owner: OwnerKind
    organization_id: uuid.UUID | None = None
    owner_user_id: uuid.UUID | None = None
    cargo_location_id: uuid.UUID
    current_location_id: uuid.UUID | None = None
    current_location_path: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class ShipCreate(BaseModel):
    """A new ship; ``cargo_capacity_scu`` defaults to the known type's capacity."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"name": "Big Red", "ship_type": "C2 Hercules", "current_location_id": _LOC}
            ]
        },
    )

    name: ShipName
    ship_type: ShipName
    cargo_capacity_scu: Capacity | None = Field(
        None, description="Required for ship types not in GET /ship-types"
    )
    current_location_id: uuid.UUID | None = Field(None, description="Where the ship is parked")


class ShipUpdate(BaseModel):
    """Fields to change; changing ``current_location_id`` moves the ship (and its grid)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"cargo_capacity_scu": "690", "name": "Big Red II"}]},
    )

    name: ShipName | None = None
    ship_type: ShipName | None = None
    cargo_capacity_scu: Capacity | None = None
    current_location_id: uuid.UUID | None = None


class ShipMove(BaseModel):
    """Park the ship somewhere else (``null``: in flight / unknown)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"location_id": _LOC}]}
    )

    location_id: uuid.UUID | None

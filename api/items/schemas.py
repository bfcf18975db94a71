"""Request and response bodies for the item catalogue."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.core.fields import DecimalNumber

ItemName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Category = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[a-z0-9_\-]+$"
    ),
]
Volume = Annotated[DecimalNumber, Field(ge=0, le=1_000_000, max_digits=20, decimal_places=6)]
Unit = Literal["scu", "piece"]


class ItemQuery(BaseModel):
    """The query both item lists take (the shared catalogue and an org's items)."""

    match: str | None = Field(
        None, max_length=200, description="Exact name or alias, case-insensitive"
    )
    q: str | None = Field(None, max_length=200, description="Substring of the name")
    category: str | None = Field(None, max_length=64)


class AliasOut(BaseModel):
    """Another name for an item."""

    id: uuid.UUID
    alias: str
    source: str | None = None


class ItemOut(BaseModel):
    """A catalogue item: shared (read-only) or private to one org."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
                    "name": "Quantanium",
                    "code": "refined.quantanium",
                    "unit": "scu",
                    "volume_scu": "1",
                    "category": "refined",
                    "subcategory": "S",
                    "shared": True,
                    "organization_id": None,
                    "aliases": [
                        {
                            "id": "2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a",
                            "alias": "Quantainium",
                            "source": "catalogue",
                        }
                    ],
                }
            ]
        }
    )

    id: uuid.UUID
    name: str
    code: str | None = None
    unit: str
    volume_scu: Decimal | None = None
    category: str
    subcategory: str | None = None
    description: str | None = None
    shared: bool
    organization_id: uuid.UUID | None = None
    aliases: list[AliasOut] = Field(default_factory=list)
    meta: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None


class ItemCreate(BaseModel):
    """A new org-private item."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Org Trophy",
                    "unit": "piece",
                    "volume_scu": "0.25",
                    "category": "misc",
                    "aliases": ["Trophy"],
                }
            ]
        },
    )

    name: ItemName
    unit: Unit = "scu"
    volume_scu: Volume | None = None
    category: Category = "misc"
    subcategory: Category | None = None
    description: Annotated[str, StringConstraints(max_length=2000)] | None = None
    aliases: Annotated[list[ItemName], Field(max_length=20)] = Field(default_factory=list)


class ItemUpdate(BaseModel):
    """Fields of an org-private item to change."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"volume_scu": "0.5", "category": "misc"}]}
    )

    name: ItemName | None = None
    unit: Unit | None = None
    volume_scu: Volume | None = None
    category: Category | None = None
    subcategory: Category | None = None
    description: Annotated[str, StringConstraints(max_length=2000)] | None = None


class AliasCreate(BaseModel):
    """A name another tool uses for the item."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"alias": "Quantainium", "source": "uex"}]}
    )

    alias: ItemName
    source: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None

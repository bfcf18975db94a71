"""Request and response bodies of the stock API (bounded strings and quantities)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from api.core.fields import DecimalNumber, UtcDateTime
from models.inventory import HISTORY_KINDS

# Absurd quantities are a 422, not an overflow: Numeric(20, 6) holds far more, but no org
# holds a billion SCU of anything.
MAX_QUANTITY = Decimal(1_000_000_000)

PositiveQuantity = Annotated[
    DecimalNumber,
    Field(gt=0, le=MAX_QUANTITY, max_digits=16, decimal_places=6, examples=["12.5"]),
]
SignedQuantity = Annotated[
    DecimalNumber,
    Field(
        ge=-MAX_QUANTITY,
        le=MAX_QUANTITY,
        max_digits=16,
        decimal_places=6,
        examples=["-3", "40"],
    ),
]
Quality = Annotated[int, Field(ge=0, le=1000, examples=[750])]
# Omitted: the only quality held there; several held is a 422 listing them (never a default).
OptionalQuality = Annotated[
    int | None,
    Field(
        default=None,
        ge=0,
        le=1000,
        examples=[750],
        description="Omit to mean the only quality held there (422 listing them when several "
        "are held; adding where nothing is held starts quality 0)",
    ),
]
Note = Annotated[str | None, Field(default=None, max_length=500, examples=["hauled from ARC-L1"])]
HistoryKind = Literal[
    "add",
    "remove",
    "transfer_in",
    "transfer_out",
    "reserve",
    "release",
    "consume",
    "craft_output",
    "share",
    "unshare",
]
assert set(HistoryKind.__args__) == set(HISTORY_KINDS)  # type: ignore[attr-defined]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AdjustIn(_Strict):
    """Add (positive ``delta``) or remove (negative) units at a location."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "item_id": "0b5f8c2e-7d7a-4a8e-9a51-2f1c3e4d5a6b",
                    "location_id": "6c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
                    "quality": 700,
                    "delta": "32",
                    "note": "mined at Aberdeen",
                    "owner": "org",
                }
            ]
        },
    )

    item_id: uuid.UUID
    location_id: uuid.UUID
    quality: OptionalQuality = None
    delta: SignedQuantity
    note: Note = None
    owner: Literal["org", "me"] = Field(
        default="org", description="`org`: the organisation's stock; `me`: your personal stock"
    )

    @field_validator("delta")
    @classmethod
    def _nonzero(cls, delta: Decimal) -> Decimal:
        # A field validator (not a model one) so the problem document names ``delta``.
        if delta == 0:
            raise ValueError("delta must not be zero")
        return delta


class TransferIn(_Strict):
    """Move units of one stock row to another location (same item, quality and owner).

    Name the source row by ``stock_id``, or by ``item_id`` + ``from_location_id`` (+ ``owner``,
    + ``quality``, which may be omitted when one quality is held there).
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "stock_id": "1f2e3d4c-5b6a-4789-8a7b-6c5d4e3f2a1b",
                    "to_location_id": "6c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
                    "quantity": "10",
                    "note": "to the Caterpillar",
                }
            ]
        },
    )

    stock_id: uuid.UUID | None = None
    item_id: uuid.UUID | None = None
    from_location_id: uuid.UUID | None = None
    quality: OptionalQuality = None
    owner: Literal["org", "me"] = "org"
    to_location_id: uuid.UUID
    quantity: PositiveQuantity
    note: Note = None

    @model_validator(mode="after")
    def _source_named(self) -> TransferIn:
        if self.stock_id is None and (self.item_id is None or self.from_location_id is None):
            raise ValueError("give stock_id, or item_id and from_location_id")
        return self

    @field_validator("item_id", "from_location_id")
    @classmethod
    def _not_both(cls, value: uuid.UUID | None, info: ValidationInfo) -> uuid.UUID | None:
        # With stock_id as well the request is ambiguous (a disagreeing item_id used to be
        # ignored silently); a field validator so the problem names the field.
        if value is not None and info.data.get("stock_id") is not None:
            raise ValueError("give stock_id, or item_id and from_location_id, not both")
        return value


class ReserveIn(_Strict):
    """Hold units of one stock row (the org's own or a member's shared stock)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "stock_id": "1f2e3d4c-5b6a-4789-8a7b-6c5d4e3f2a1b",
                    "quantity": "4",
                    "reason": "hull plating for the Carrack refit",
                }
            ]
        },
    )

    stock_id: uuid.UUID
    quantity: PositiveQuantity
    reason: str | None = Field(default=None, max_length=200)
    craft_id: uuid.UUID | None = None
    plan_id: uuid.UUID | None = None


class StockFilters(BaseModel):
    """The query of the inventory (``GET …/stock``): optional narrowing of the visible rows.

    A query-parameter model: each field is one query parameter, and unknown parameters are
    ignored as before (no ``extra="forbid"``).
    """

    location_id: uuid.UUID | None = None
    item_id: uuid.UUID | None = None
    include_empty: bool = False


class HistoryFilters(BaseModel):
    """The query of ``GET …/stock/history``: each filter given narrows the rows."""

    item_id: uuid.UUID | None = None
    location_id: uuid.UUID | None = None
    stock_id: uuid.UUID | None = None
    kind: HistoryKind | None = None
    actor_id: uuid.UUID | None = None
    since: UtcDateTime | None = None
    until: UtcDateTime | None = None


class ReservationFilters(BaseModel):
    """The query of ``GET …/stock/reservations``; ``active=true`` for open ones only."""

    stock_id: uuid.UUID | None = None
    craft_id: uuid.UUID | None = None
    plan_id: uuid.UUID | None = None
    active: bool | None = None


class PlaceNames(BaseModel):
    """Display names of a record's item and location, next to their ids."""

    item_name: str | None = Field(None, examples=["Quantanium"])
    item_unit: str | None = Field(None, description="`scu` or `piece`", examples=["scu"])
    location_name: str | None = Field(None, examples=["Org Hangar"])
    location_path: str | None = Field(
        None, examples=["Stanton / ArcCorp / Area 18 / Org Hangar"]
    )


class StockOut(PlaceNames):
    """One stock row; ``available = quantity - reserved``; ``owner_name`` is the org's name
    or the member's display name."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    item_id: uuid.UUID
    location_id: uuid.UUID
    quality: int
    organization_id: uuid.UUID | None
    owner_user_id: uuid.UUID | None
    shared_with_org_id: uuid.UUID | None
    owner_name: str | None = None
    quantity: Decimal
    reserved: Decimal
    available: Decimal
    version: int
    updated_at: datetime


class HistoryOut(PlaceNames):
    """One history row; ``actor_name`` is who made the change."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    stock_id: uuid.UUID | None
    item_id: uuid.UUID
    location_id: uuid.UUID
    quality: int
    delta: Decimal
    reserved_delta: Decimal
    kind: str
    actor_id: uuid.UUID | None
    actor_name: str | None = None
    organization_id: uuid.UUID | None
    owner_user_id: uuid.UUID | None
    craft_id: uuid.UUID | None
    plan_id: uuid.UUID | None
    reservation_id: uuid.UUID | None
    transfer_id: uuid.UUID | None
    note: str | None
    created_at: datetime


class StockChangeOut(BaseModel):
    """The row after an adjustment and the history row that records it."""

    stock: StockOut
    history: list[HistoryOut]


class TransferOut(BaseModel):
    """Both rows after a transfer and the two history rows (``transfer_out``/``transfer_in``)."""

    transfer_id: uuid.UUID
    source: StockOut
    destination: StockOut
    history: list[HistoryOut]


class ReservationOut(PlaceNames):
    """One reservation; ``active`` until released or consumed. ``item_id``, ``location_id``
    and ``quality`` are those of the reserved stock row."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    stock_id: uuid.UUID
    item_id: uuid.UUID | None = None
    location_id: uuid.UUID | None = None
    quality: int | None = None
    organization_id: uuid.UUID | None
    quantity: Decimal
    reason: str | None
    craft_id: uuid.UUID | None
    plan_id: uuid.UUID | None
    reserved_by: uuid.UUID | None
    reserved_by_name: str | None = None
    released_at: datetime | None
    consumed_at: datetime | None
    created_at: datetime
    active: bool


class WhereIsRow(BaseModel):
    """Totals of one item at one location and quality, for one tier."""

    location_id: uuid.UUID
    location_name: str | None = None
    location_path: str | None = None
    quality: int
    tier: Literal["org", "member"]
    quantity: Decimal
    reserved: Decimal
    available: Decimal
    rows: int

"""Request and response bodies of the commons: submissions, decisions, public entities."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.blueprints.schemas import MAX_MINUTES, MAX_MONEY, MAX_QUANTITY, IngredientIn, RefiningIn
from api.core.fields import Number, Quantity

Kind = Literal["item", "blueprint", "location", "tag"]
Name = Field(min_length=1, max_length=200)


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid")

    aliases: list[str] = Field(default_factory=list, max_length=20)
    tags: list[str] = Field(default_factory=list, max_length=20)


class ItemData(_Data):
    """A public catalogue item."""

    name: str = Name
    unit: Literal["scu", "piece"] = "scu"
    category: str = Field(default="misc", min_length=1, max_length=64)
    volume_scu: Number | None = Field(default=None, ge=0, le=MAX_QUANTITY)
    description: str | None = Field(default=None, max_length=2000)


class BlueprintData(_Data):
    """A public blueprint: a crafting recipe, or a refining method (``refining``) that is
    turned into one. Every item it names must be public."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: Literal["craft", "refine"] = "craft"
    output_item_id: uuid.UUID | None = None
    output_quantity: Quantity | None = Field(default=None, le=MAX_QUANTITY)
    minutes: Number = Field(default=0, ge=0, le=MAX_MINUTES)
    run_cost: Number = Field(default=0, ge=0, le=MAX_MONEY)
    description: str | None = Field(default=None, max_length=2000)
    ingredients: list[IngredientIn] = Field(default_factory=list, max_length=100)
    refining: RefiningIn | None = None


class LocationData(_Data):
    """A public location (parent: another public location)."""

    name: str = Name
    kind: str = Field(default="station", min_length=1, max_length=32)
    parent_id: uuid.UUID | None = None


class TagData(_Data):
    """A tag of the public taxonomy."""

    name: str = Name
    description: str | None = Field(default=None, max_length=2000)


DATA_MODELS: dict[str, type[_Data]] = {
    "item": ItemData, "blueprint": BlueprintData, "location": LocationData, "tag": TagData}


class SubmissionIn(BaseModel):
    """Propose a new public entity, or (``entity_id``) a change to a published one."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "kind": "item", "source_ref": "https://starcitizen.tools/Quantainium",
        "data": {"name": "Quantanium", "unit": "scu", "aliases": ["Quant", "QUAN"]}}]})

    kind: Kind
    entity_id: uuid.UUID | None = None
    data: dict[str, Any]
    source_ref: str = Field(min_length=3, max_length=500,
                            description="Where the data comes from (URL, patch notes, …)")
    anonymous: bool = False
    organization_id: uuid.UUID | None = Field(
        default=None, description="Submit for this org (you are a member): its webhooks and "
        "live feed hear the moderators' decision (commons.decision)")


class ResubmitIn(BaseModel):
    """The submitter's edit after a moderator asked for changes."""

    model_config = ConfigDict(extra="forbid")

    data: dict[str, Any]
    source_ref: str | None = Field(default=None, min_length=3, max_length=500)
    notes: str | None = Field(default=None, max_length=2000)


class DecisionIn(BaseModel):
    """A moderator's decision on a pending submission."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["approve", "reject", "request_changes", "merge"]
    notes: str | None = Field(default=None, max_length=2000)
    merge_into: uuid.UUID | None = Field(
        default=None, description="merge: the published entity this duplicates")


class TakedownIn(BaseModel):
    """Unpublish an entity."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=3, max_length=2000)


class ActionOut(BaseModel):
    """One moderation log entry."""

    action: str
    actor: str
    notes: str | None
    diff: dict[str, Any]
    created_at: datetime


class SubmissionOut(BaseModel):
    """A submission, its status, who sent it (handle or "anonymous"), duplicate hints."""

    id: uuid.UUID
    kind: str
    entity_id: uuid.UUID | None
    data: dict[str, Any]
    source_ref: str
    submitter: str
    status: str
    duplicates: list[dict[str, Any]]
    created_at: datetime
    decided_at: datetime | None
    actions: list[ActionOut] = Field(default_factory=list)
    labels: dict[str, str] = Field(
        default_factory=dict,
        description="Names of the items, locations and entities that data and diffs name by id")


class SubmissionPage(BaseModel):
    """A page of submissions."""

    items: list[SubmissionOut]
    total: int


class EntityOut(BaseModel):
    """A published public entity and its current version's data."""

    id: uuid.UUID
    kind: str
    name: str
    aliases: list[str]
    tags: list[str]
    status: str
    version: int
    data: dict[str, Any]
    blueprint_id: uuid.UUID | None = Field(
        default=None, description="blueprints: the row of the current version (plan with it)")
    item_id: uuid.UUID | None = None
    takedown_reason: str | None = None


class EntityPage(BaseModel):
    """A page of public entities."""

    items: list[EntityOut]
    total: int


class VersionOut(BaseModel):
    """One version of a public entity."""

    version: int
    status: str
    data: dict[str, Any]
    blueprint_id: uuid.UUID | None
    created_at: datetime


class HiddenOut(BaseModel):
    """Whether an org hides a public entity from its plans."""

    entity_id: uuid.UUID
    hidden: bool

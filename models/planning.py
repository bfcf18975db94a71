"""Blueprints, crafts, goals, market sources and their verification votes, plans and variants."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import (
    Base,
    CreatedAt,
    JSONType,
    Money,
    Quantity,
    Timestamps,
    UTCDateTime,
    UUIDPrimaryKey,
    check_in,
    check_quality,
)

BLUEPRINT_KINDS = ("craft", "refine")
CRAFT_STATUSES = ("planned", "in_progress", "completed", "cancelled")
GOAL_STATUSES = ("active", "completed", "cancelled")


class JobStatus(StrEnum):
    """Where a plan or a what-if variant is in its solve: ``queued`` -> ``solving`` (a worker
    holds it, heartbeat in ``locked_at``) -> ``done`` or ``failed``; a stale ``solving`` goes
    back to ``queued``."""

    QUEUED = "queued"
    SOLVING = "solving"
    DONE = "done"
    FAILED = "failed"


PLAN_STATUSES = tuple(s.value for s in JobStatus)


class Blueprint(UUIDPrimaryKey, Timestamps, Base):
    """How to make ``output_quantity`` of an item in one run (crafting or a refining method).

    Several blueprints for one output item are alternatives the planner chooses between.
    """

    __tablename__ = "blueprints"
    __table_args__ = (
        check_in("kind", BLUEPRINT_KINDS),
        CheckConstraint("output_quantity > 0", name="output_positive"),
        CheckConstraint("minutes >= 0", name="minutes_nonneg"),
        CheckConstraint("run_cost >= 0", name="run_cost_nonneg"),
        Index("ix_blueprints_output_item", "output_item_id"),
        Index("ix_blueprints_org", "organization_id"),
    )

    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str | None] = mapped_column(String(120), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(8), default="craft")
    output_item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("items.id", ondelete="RESTRICT"))
    output_quantity: Mapped[Decimal] = mapped_column(Quantity)
    minutes: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0))
    run_cost: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    # NULL = shared catalogue blueprint; else private to (or published by) this org.
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

    ingredients: Mapped[list[BlueprintIngredient]] = relationship(
        order_by="BlueprintIngredient.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )


class BlueprintIngredient(UUIDPrimaryKey, Base):
    """One input of a blueprint per run."""

    __tablename__ = "blueprint_ingredients"
    __table_args__ = (
        UniqueConstraint("blueprint_id", "position"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("position >= 0", name="position_nonneg"),
        check_quality("min_quality"),
        Index("ix_blueprint_ingredients_item", "item_id"),
    )

    blueprint_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("blueprints.id", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("items.id", ondelete="RESTRICT"))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    min_quality: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


class Craft(UUIDPrimaryKey, Timestamps, Base):
    """N runs of a blueprint at a location for an org."""

    __tablename__ = "crafts"
    __table_args__ = (
        check_in("status", CRAFT_STATUSES),
        CheckConstraint("runs > 0", name="runs_positive"),
        CheckConstraint(
            "runs_completed >= 0 AND runs_completed <= runs", name="runs_completed_range"
        ),
        Index("ix_crafts_org_status", "organization_id", "status"),
        Index("ix_crafts_plan", "plan_id"),
        Index("ix_crafts_org_crafter", "organization_id", "crafter_id"),
    )

    blueprint_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("blueprints.id", ondelete="RESTRICT")
    )
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    runs: Mapped[int] = mapped_column(Integer)
    runs_completed: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    status: Mapped[str] = mapped_column(String(16), default="planned")
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("locations.id", ondelete="RESTRICT"))
    requested_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    # The org member who runs the craft in the game (their queue); NULL = unassigned.
    crafter_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    plan_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("plans.id", ondelete="SET NULL"))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    ingredients: Mapped[list[CraftIngredient]] = relationship(
        order_by="CraftIngredient.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )


class CraftIngredient(UUIDPrimaryKey, Base):
    """What a craft needs of one blueprint ingredient (for all its runs) and what it holds."""

    __tablename__ = "craft_ingredients"
    __table_args__ = (
        UniqueConstraint("craft_id", "position"),
        CheckConstraint("required_quantity >= 0", name="required_nonneg"),
        CheckConstraint("reserved_quantity >= 0", name="reserved_nonneg"),
        CheckConstraint("consumed_quantity >= 0", name="consumed_nonneg"),
        check_quality("min_quality"),
    )

    craft_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("crafts.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("items.id", ondelete="RESTRICT"))
    min_quality: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    required_quantity: Mapped[Decimal] = mapped_column(Quantity)
    reserved_quantity: Mapped[Decimal] = mapped_column(
        Quantity, default=Decimal(0), server_default=text("0")
    )
    consumed_quantity: Mapped[Decimal] = mapped_column(
        Quantity, default=Decimal(0), server_default=text("0")
    )


class Goal(UUIDPrimaryKey, Timestamps, Base):
    """What an org wants by a date; progress is computed, never stored."""

    __tablename__ = "goals"
    __table_args__ = (
        check_in("status", GOAL_STATUSES),
        Index("ix_goals_org_status", "organization_id", "status"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When its creator was told it is due soon (once per due date; an edit of due_at clears it).
    due_soon_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    targets: Mapped[list[GoalTarget]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )


class GoalTarget(UUIDPrimaryKey, Base):
    """One item and quantity a goal asks for."""

    __tablename__ = "goal_targets"
    __table_args__ = (
        UniqueConstraint("goal_id", "item_id", "min_quality"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        check_quality("min_quality"),
    )

    goal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"))
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("items.id", ondelete="RESTRICT"))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    min_quality: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


class ResourceSource(UUIDPrimaryKey, Timestamps, Base):
    """A market listing: an item offered at a terminal/holder at a location for a price.

    Reliability is derived from ``source_verification_log`` votes, never stored here.
    """

    __tablename__ = "resource_sources"
    __table_args__ = (
        CheckConstraint("price >= 0", name="price_nonneg"),
        CheckConstraint("available IS NULL OR available >= 0", name="available_nonneg"),
        CheckConstraint("lot_size IS NULL OR lot_size > 0", name="lot_size_positive"),
        check_quality(),
        Index("ix_resource_sources_item", "item_id"),
        Index("ix_resource_sources_org_item", "organization_id", "item_id"),
        Index("ix_resource_sources_location", "location_id"),
    )

    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))
    # NULL = shared listing visible to all orgs.
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    price: Mapped[Decimal] = mapped_column(Money)
    # NULL = unknown / unlimited.
    available: Mapped[Decimal | None] = mapped_column(Quantity)
    # Sold only in whole boxes of this size (SCU, or pieces for piece items); NULL = any amount.
    lot_size: Mapped[Decimal | None] = mapped_column(Quantity)
    quality: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    holder_name: Mapped[str | None] = mapped_column(String(200))
    last_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    verified_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class SourceVerification(UUIDPrimaryKey, CreatedAt, Base):
    """A member's vote that a listing was (in)accurate; one per member, listing and UTC day."""

    __tablename__ = "source_verification_log"
    __table_args__ = (
        UniqueConstraint("source_id", "user_id", "day"),
        Index("ix_source_verification_log_source_created", "source_id", "created_at"),
    )

    source_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("resource_sources.id", ondelete="CASCADE")
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    was_accurate: Mapped[bool] = mapped_column(Boolean)
    # The UTC day of the vote; the unique constraint makes "one vote per day" a DB rule.
    day: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(500))


class Plan(UUIDPrimaryKey, Timestamps, Base):
    """A plan request, its snapshotted problem and the engine's result.

    Workers claim a plan by setting ``locked_by``/``locked_at`` and refresh ``locked_at`` as a
    heartbeat; a plan whose heartbeat is stale is picked up again.
    """

    __tablename__ = "plans"
    __table_args__ = (
        check_in("status", PLAN_STATUSES),
        CheckConstraint("attempts >= 0", name="attempts_nonneg"),
        Index("ix_plans_org_created", "organization_id", "created_at"),
        Index("ix_plans_status_locked", "status", "locked_at"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    status: Mapped[str] = mapped_column(String(16), default="queued")
    request: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    problem: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    plan: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    explanation: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # Public (commons) versions the snapshot used and the public records it left out, with
    # why: {"versions": {blueprint id: {"entity_id", "version"}}, "warnings": [...]}.
    commons: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    locked_by: Mapped[str | None] = mapped_column(String(200))
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    applied_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class PlanVariant(UUIDPrimaryKey, Timestamps, Base):
    """A what-if variant of a stored plan: the engine's change list and its solved result."""

    __tablename__ = "plan_variants"
    __table_args__ = (
        UniqueConstraint("plan_id", "name"),
        check_in("status", PLAN_STATUSES),
        CheckConstraint("attempts >= 0", name="attempts_nonneg"),
    )

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    changes: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    locked_by: Mapped[str | None] = mapped_column(String(200))
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

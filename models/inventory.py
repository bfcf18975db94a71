"""Locations, ships, items, stock, reservations, stock history and idempotency keys.

Stock invariants live in the database as well as in the services: ``quantity >= reserved >=
0``, quality in 0..1000, exactly one owner per stock row, and one row per (item, location,
quality, owner).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import (
    Base,
    CreatedAt,
    JSONType,
    Quantity,
    Timestamps,
    UTCDateTime,
    UUIDPrimaryKey,
    check_in,
    check_quality,
)

LOCATION_KINDS = (
    "system",
    "planet",
    "moon",
    "lagrange",
    "belt",
    "station",
    "city",
    "outpost",
    "poi",
    "hangar",
    "base",
    "storage",
    "ship_cargo",
    "player",
)
ITEM_UNITS = ("scu", "piece")
HISTORY_KINDS = (
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
)

# "At most one owner" / "exactly one owner", written portably (booleans compare on both).
_AT_MOST_ONE_OWNER = "organization_id IS NULL OR owner_user_id IS NULL"
_EXACTLY_ONE_OWNER = "(organization_id IS NULL) <> (owner_user_id IS NULL)"


class Location(UUIDPrimaryKey, Timestamps, Base):
    """A node of the location tree (adjacency list; subtrees via recursive CTEs).

    Owner: shared universe (both owner columns NULL, read-only), an org, or a user.
    """

    __tablename__ = "locations"
    __table_args__ = (
        check_in("kind", LOCATION_KINDS),
        CheckConstraint(_AT_MOST_ONE_OWNER, name="one_owner"),
        CheckConstraint("trip_cost IS NULL OR trip_cost >= 0", name="trip_cost_nonneg"),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
        Index("ix_locations_org_parent", "organization_id", "parent_id"),
    )

    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    # Stable key from the facts file for universe locations (idempotent seeding).
    code: Mapped[str | None] = mapped_column(String(120), unique=True)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("locations.id", ondelete="RESTRICT"), index=True
    )
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    owner_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # Cost of a trip to this location (the engine's trip_cost), when known.
    trip_cost: Mapped[Decimal | None] = mapped_column(Quantity)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)


class Ship(UUIDPrimaryKey, Timestamps, Base):
    """A ship with its own cargo-grid location; moving the ship moves its cargo implicitly."""

    __tablename__ = "ships"
    __table_args__ = (
        CheckConstraint(_EXACTLY_ONE_OWNER, name="one_owner"),
        CheckConstraint("cargo_capacity_scu >= 0", name="capacity_nonneg"),
    )

    name: Mapped[str] = mapped_column(String(100))
    ship_type: Mapped[str] = mapped_column(String(100))
    cargo_capacity_scu: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0))
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    owner_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    cargo_location_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("locations.id", ondelete="RESTRICT"), unique=True
    )
    current_location_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("locations.id", ondelete="SET NULL"), index=True
    )


class Item(UUIDPrimaryKey, Timestamps, Base):
    """A catalogue item: shared (``organization_id`` NULL) or private to one org."""

    __tablename__ = "items"
    __table_args__ = (
        check_in("unit", ITEM_UNITS),
        CheckConstraint("volume_scu IS NULL OR volume_scu >= 0", name="volume_nonneg"),
        # Names are unique per scope: among org-private items of one org (plain unique)...
        UniqueConstraint("organization_id", "name"),
        # ...and among shared items (NULLs are distinct in unique constraints, so partial).
        Index(
            "uq_items_shared_name",
            "name",
            unique=True,
            sqlite_where=text("organization_id IS NULL"),
            postgresql_where=text("organization_id IS NULL"),
        ),
        Index("ix_items_category", "category"),
    )

    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str | None] = mapped_column(String(120), unique=True)
    unit: Mapped[str] = mapped_column(String(8), default="scu")
    # Volume of one unit (one piece, or 1 for SCU commodities).
    volume_scu: Mapped[Decimal | None] = mapped_column(Quantity)
    category: Mapped[str] = mapped_column(String(64), default="misc")
    subcategory: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)


class ItemAlias(UUIDPrimaryKey, Base):
    """Another name for an item (other tools' spellings), matched case-insensitively."""

    __tablename__ = "item_aliases"
    __table_args__ = (
        UniqueConstraint("item_id", "alias"),
        Index("ix_item_aliases_alias", "alias"),
    )

    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    alias: Mapped[str] = mapped_column(String(200))
    source: Mapped[str | None] = mapped_column(String(64))


class ItemStock(UUIDPrimaryKey, Timestamps, Base):
    """Quantity of one item of one quality at one location, owned by an org or a member.

    A member's stock with ``shared_with_org_id`` set is member-tier supply for that org.
    Rows are kept at zero rather than deleted so history keeps pointing at them.
    """

    __tablename__ = "item_stocks"
    __table_args__ = (
        CheckConstraint("reserved >= 0", name="reserved_nonneg"),
        CheckConstraint("quantity >= reserved", name="quantity_covers_reserved"),
        check_quality(),
        CheckConstraint(_EXACTLY_ONE_OWNER, name="one_owner"),
        CheckConstraint(
            "shared_with_org_id IS NULL OR owner_user_id IS NOT NULL", name="share_user_only"
        ),
        # One row per (item, location, quality, owner); with exactly one owner set, NULLs in
        # the other owner column never collide, so two plain constraints cover both kinds.
        UniqueConstraint("item_id", "location_id", "quality", "organization_id"),
        UniqueConstraint("item_id", "location_id", "quality", "owner_user_id"),
        Index("ix_item_stocks_org_location", "organization_id", "location_id"),
        Index("ix_item_stocks_org_item", "organization_id", "item_id"),
        Index("ix_item_stocks_shared_item", "shared_with_org_id", "item_id"),
        Index("ix_item_stocks_owner_user", "owner_user_id"),
        # The inventory page's order: reads the first page of a location subtree and stops.
        Index("ix_item_stocks_location_page", "location_id", "item_id", "quality", "id"),
    )

    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("items.id", ondelete="RESTRICT"))
    location_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("locations.id", ondelete="RESTRICT")
    )
    quality: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    owner_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE")
    )
    shared_with_org_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL")
    )
    quantity: Mapped[Decimal] = mapped_column(
        Quantity, default=Decimal(0), server_default=text("0")
    )
    reserved: Mapped[Decimal] = mapped_column(
        Quantity, default=Decimal(0), server_default=text("0")
    )
    # Optional optimistic-lock counter for code that reads then writes.
    version: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    updated_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class StockReservation(UUIDPrimaryKey, CreatedAt, Base):
    """Units of one stock row held for a purpose; released or consumed exactly once."""

    __tablename__ = "stock_reservations"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("released_at IS NULL OR consumed_at IS NULL", name="one_outcome"),
        Index("ix_stock_reservations_stock", "stock_id"),
        Index("ix_stock_reservations_craft", "craft_id"),
        Index("ix_stock_reservations_plan", "plan_id"),
        Index("ix_stock_reservations_org", "organization_id"),
    )

    stock_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("item_stocks.id", ondelete="CASCADE")
    )
    # The org the reservation serves (scoping; the stock may be a member's shared stock).
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    reason: Mapped[str | None] = mapped_column(String(200))
    craft_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("crafts.id", ondelete="SET NULL")
    )
    plan_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("plans.id", ondelete="SET NULL"))
    reserved_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    consumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ItemHistory(UUIDPrimaryKey, CreatedAt, Base):
    """One stock change, written in the same transaction as the change itself."""

    __tablename__ = "item_history"
    __table_args__ = (
        check_in("kind", HISTORY_KINDS),
        Index("ix_item_history_stock_created", "stock_id", "created_at"),
        Index("ix_item_history_org_created", "organization_id", "created_at"),
        Index("ix_item_history_item_created", "item_id", "created_at"),
        Index("ix_item_history_location_created", "location_id", "created_at"),
    )

    # SET NULL keeps org history when a (deleted) user's personal stock row goes.
    stock_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("item_stocks.id", ondelete="SET NULL")
    )
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("items.id", ondelete="RESTRICT"))
    location_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("locations.id", ondelete="RESTRICT")
    )
    quality: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    delta: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0))
    reserved_delta: Mapped[Decimal] = mapped_column(
        Quantity, default=Decimal(0), server_default=text("0")
    )
    kind: Mapped[str] = mapped_column(String(16))
    # NULL when the actor's account was deleted (anonymised) or for system actions.
    actor_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    owner_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    craft_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("crafts.id", ondelete="SET NULL"))
    plan_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("plans.id", ondelete="SET NULL"))
    reservation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("stock_reservations.id", ondelete="SET NULL")
    )
    # Links the two halves of a transfer.
    transfer_id: Mapped[uuid.UUID | None]
    note: Mapped[str | None] = mapped_column(String(500))


class IdempotencyKey(UUIDPrimaryKey, CreatedAt, Base):
    """A stored response for an ``Idempotency-Key`` so a retried mutation applies once."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        UniqueConstraint("user_id", "key"),
        Index("ix_idempotency_keys_created", "created_at"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    # SHA-256 of the request body: same key with a different body is a 422, not a replay.
    request_hash: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[Any | None] = mapped_column(JSONType)

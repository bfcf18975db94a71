"""Declarative base, naming convention and the portable column types every model uses."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    MetaData,
    Numeric,
    String,
    TypeDecorator,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Deterministic constraint names: Alembic can drop/alter them and SQLite batch mode can
# recreate tables with the same names on both backends.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSON everywhere, JSONB on PostgreSQL (indexable, compact, compared by value).
JSONType = JSON().with_variant(JSONB(), "postgresql")
# Quantities: exact decimals on PostgreSQL; SQLite stores NUMERIC affinity (REAL when needed).
# Six decimals: a millionth of an SCU (1 µSCU), the smallest unit the game uses.
QUANTITY_SCALE = 6
Quantity = Numeric(20, QUANTITY_SCALE)
Money = Numeric(20, 4)

# Portable server default: CURRENT_TIMESTAMP works on SQLite and PostgreSQL (now() does not).
SERVER_NOW = text("CURRENT_TIMESTAMP")


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """``TIMESTAMP WITH TIME ZONE`` that always returns aware UTC datetimes.

    SQLite has no time zones and hands back naive values; storing UTC and re-attaching the
    zone on read keeps application code identical on both backends.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Normalise to UTC; naive values are taken as UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Attach UTC to naive values (SQLite)."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Base of every Quartermaster model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        uuid.UUID: Uuid(),
        datetime: UTCDateTime(),
        date: Date(),
        Decimal: Quantity,
        dict[str, Any]: JSONType,
        list[Any]: JSONType,
        str: String(200),
    }


class UUIDPrimaryKey:
    """UUID primary key generated in Python (works the same on both backends)."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True, default=uuid.uuid4)


class CreatedAt:
    """``created_at`` set by the database and, for ORM objects, in Python too."""

    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utc_now, server_default=SERVER_NOW, nullable=False
    )


class Timestamps(CreatedAt):
    """``created_at`` and ``updated_at`` (the ORM bumps ``updated_at`` on update)."""

    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(),
        default=utc_now,
        onupdate=utc_now,
        server_default=SERVER_NOW,
        nullable=False,
    )


def check_in(column: str, values: Iterable[str], name: str | None = None) -> CheckConstraint:
    """A named ``CHECK (column IN (...))`` for enum-like string columns (portable, no ENUM)."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=name or f"{column}_valid")


def check_quality(column: str = "quality") -> CheckConstraint:
    """Quality is an integer 0..1000 as in the engine's problem format."""
    return CheckConstraint(f"{column} >= 0 AND {column} <= 1000", name=f"{column}_range")


def short_str(length: int) -> String:
    """A bounded VARCHAR; lengths are enforced by the API schemas too."""
    return String(length)

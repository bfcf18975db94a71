"""The public commons: platform roles, submissions, moderation log, versioned public entities.

Nothing becomes public without review: a user files a :class:`CommonsSubmission`; a curator
or moderator (a :class:`PlatformRole`, granted by an admin command, never by an org role)
approves it, which publishes an immutable :class:`CommonsVersion` of a
:class:`CommonsEntity`. A published blueprint version is materialised as its own shared
``blueprints`` row (``organization_id`` NULL) that is never edited, so crafts and plan snapshots
that name it keep the quantities they started with; version n+1 is a new row and n is marked
``superseded``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, CreatedAt, JSONType, Timestamps, UTCDateTime, UUIDPrimaryKey, check_in

PLATFORM_ROLES = ("curator", "moderator")
ENTITY_KINDS = ("item", "blueprint", "location", "tag")
ENTITY_STATUSES = ("published", "taken_down")
VERSION_STATUSES = ("current", "superseded", "taken_down")
SUBMISSION_STATUSES = ("pending", "changes_requested", "approved", "rejected", "merged",
                       "withdrawn")
ACTIONS = ("submit", "resubmit", "approve", "reject", "request_changes", "merge", "takedown")


class PlatformRole(UUIDPrimaryKey, CreatedAt, Base):
    """A platform-wide role (curator, moderator) of a user; no org role grants it."""

    __tablename__ = "platform_roles"
    __table_args__ = (UniqueConstraint("user_id", "role"), check_in("role", PLATFORM_ROLES))

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))


class CommonsEntity(UUIDPrimaryKey, Timestamps, Base):
    """A public record (item, blueprint, location, tag) and its current version number."""

    __tablename__ = "commons_entities"
    __table_args__ = (
        check_in("kind", ENTITY_KINDS),
        check_in("status", ENTITY_STATUSES),
        CheckConstraint("current_version >= 1", name="version_positive"),
        Index("ix_commons_entities_kind_norm", "kind", "norm_name"),
        Index("ix_commons_entities_status_kind", "status", "kind"),
    )

    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    # Lower-case, accents and punctuation dropped: what duplicate hints compare.
    norm_name: Mapped[str] = mapped_column(String(200))
    aliases: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    tags: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    # Names, aliases and tags in one string: what full-text search indexes.
    search_text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="published")
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    takedown_reason: Mapped[str | None] = mapped_column(Text)
    # The shared catalogue row an item/location entity publishes (edited in place: stock
    # points at it); blueprints point at their rows per version instead.
    item_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("items.id", ondelete="SET NULL"), unique=True
    )
    location_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("locations.id", ondelete="SET NULL"), unique=True
    )


class CommonsVersion(UUIDPrimaryKey, CreatedAt, Base):
    """One immutable published version of an entity."""

    __tablename__ = "commons_versions"
    __table_args__ = (
        UniqueConstraint("entity_id", "version"),
        check_in("status", VERSION_STATUSES),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    entity_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("commons_entities.id", ondelete="CASCADE")
    )
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="current")
    # A blueprint version's own shared row (never edited after publication).
    blueprint_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("blueprints.id", ondelete="RESTRICT"), unique=True
    )
    submission_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("commons_submissions.id", ondelete="SET NULL")
    )
    published_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class CommonsSubmission(UUIDPrimaryKey, Timestamps, Base):
    """A proposed new public entity, or a change to one, awaiting (or past) review."""

    __tablename__ = "commons_submissions"
    __table_args__ = (
        check_in("kind", ENTITY_KINDS),
        check_in("status", SUBMISSION_STATUSES),
        Index("ix_commons_submissions_status_created", "status", "created_at"),
        Index("ix_commons_submissions_submitter_created", "submitter_id", "created_at"),
    )

    kind: Mapped[str] = mapped_column(String(16))
    # Set for a change to a published entity; NULL for a new one.
    entity_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("commons_entities.id", ondelete="SET NULL")
    )
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    source_ref: Mapped[str] = mapped_column(String(500))
    submitter_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The org the submitter sent it for (its webhooks hear the decision); NULL: personal.
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(24), default="pending")
    # "Possible duplicate of …" hints computed at submission time, shown to moderators.
    duplicates: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CommonsAction(UUIDPrimaryKey, CreatedAt, Base):
    """The moderation log: who did what to a submission or entity, with notes and the diff."""

    __tablename__ = "commons_actions"
    __table_args__ = (
        check_in("action", ACTIONS),
        Index("ix_commons_actions_submission", "submission_id", "created_at"),
    )

    submission_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("commons_submissions.id", ondelete="CASCADE")
    )
    entity_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("commons_entities.id", ondelete="CASCADE")
    )
    actor_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    action: Mapped[str] = mapped_column(String(24))
    notes: Mapped[str | None] = mapped_column(Text)
    diff: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class CommonsHidden(UUIDPrimaryKey, CreatedAt, Base):
    """An org's choice not to plan with one public entity (a blueprint it does not want)."""

    __tablename__ = "commons_hidden"
    __table_args__ = (UniqueConstraint("organization_id", "entity_id"),)

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    entity_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("commons_entities.id", ondelete="CASCADE")
    )


# Search structures built by migration 0008 for one backend only (a GIN tsvector and a pg_trgm
# index on PostgreSQL, an FTS5 table and its shadow tables on SQLite): not in the metadata, so
# schema comparisons skip them (:func:`include_object`).
_DIALECT_ONLY_PREFIXES = ("commons_fts", "ix_commons_entities_fts", "ix_commons_entities_trgm")


def include_object(obj: object, name: str | None, type_: str, reflected: bool,
                   compare_to: object) -> bool:
    """Alembic's ``include_object`` hook: leave the backend-only search objects alone."""
    return not (reflected and name is not None and name.startswith(_DIALECT_ONLY_PREFIXES))

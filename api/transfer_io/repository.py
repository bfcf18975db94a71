"""Reads for import and export; tenant scoping reuses each owning domain's readable clause."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, defer, selectinload

from api.items.repository import visible_clause as item_visible
from api.locations.repository import Owner, list_with_paths
from api.locations.repository import visible_clause as location_visible
from models.base import utc_now
from models.inventory import Item, ItemAlias, ItemStock, Location, Ship
from models.jobs import ImportJob
from models.orgs import Organization
from models.planning import Blueprint, ResourceSource


@dataclass(frozen=True)
class LocationRow:
    """A location the org may use with its path segments (root first)."""

    location: Location
    segments: tuple[str, ...]


def visible_items(session: Session, org_id: uuid.UUID) -> list[Item]:
    """Shared catalogue items plus the org's private ones, by name."""
    return list(session.scalars(select(Item).where(item_visible(org_id)).order_by(Item.name)))


def aliases(session: Session, item_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    """Aliases of the given items, in a stable order."""
    found: dict[uuid.UUID, list[str]] = defaultdict(list)
    # Chunked: PostgreSQL and SQLite cap the number of bound parameters in one IN list.
    for start in range(0, len(item_ids), 5000):
        chunk = item_ids[start : start + 5000]
        stmt = (
            select(ItemAlias.item_id, ItemAlias.alias)
            .where(ItemAlias.item_id.in_(chunk))
            .order_by(ItemAlias.alias)
        )
        for item_id, alias in session.execute(stmt):
            found[item_id].append(alias)
    return found


def visible_locations(session: Session, org_id: uuid.UUID, separator: str) -> list[LocationRow]:
    """The universe plus the org's locations, each with its path split into names."""
    rows = list_with_paths(session, location_visible(Owner.org(org_id)))
    return [LocationRow(loc, tuple(path.split(separator))) for loc, path, _ in rows]


def org_ships(session: Session, org_id: uuid.UUID) -> list[Ship]:
    """The org's ships by name."""
    return list(
        session.scalars(
            select(Ship).where(Ship.organization_id == org_id).order_by(Ship.name, Ship.id)
        )
    )


def org_stock(session: Session, org_id: uuid.UUID) -> list[ItemStock]:
    """The org's own stock rows (not members' personal or shared stock)."""
    return list(
        session.scalars(select(ItemStock).where(ItemStock.organization_id == org_id))
    )


def org_stock_quantities(
    session: Session, org_id: uuid.UUID
) -> dict[tuple[uuid.UUID, uuid.UUID, int], tuple[Decimal, Decimal]]:
    """(item, location, quality) -> (quantity, reserved) of the org's own stock."""
    stmt = select(
        ItemStock.item_id, ItemStock.location_id, ItemStock.quality,
        ItemStock.quantity, ItemStock.reserved,
    ).where(ItemStock.organization_id == org_id)
    return {(i, loc, q): (qty, res) for i, loc, q, qty, res in session.execute(stmt)}


def org_id_by_ref(session: Session, ref: str) -> uuid.UUID | None:
    """The id of the org named ``ref`` (or whose id it is), for admin commands."""
    try:
        by_id: uuid.UUID | None = uuid.UUID(ref)
    except ValueError:
        by_id = None
    clause = Organization.name == ref if by_id is None else Organization.id == by_id
    return session.scalar(select(Organization.id).where(clause))


def org_listings(session: Session, org_id: uuid.UUID) -> list[ResourceSource]:
    """The org's own market listings (shared ones are not the org's to change)."""
    return list(session.scalars(
        select(ResourceSource).where(ResourceSource.organization_id == org_id)
    ))


def org_blueprints(session: Session, org_id: uuid.UUID) -> list[Blueprint]:
    """The org's own blueprints (ingredients with them), in name order."""
    stmt = (select(Blueprint).where(Blueprint.organization_id == org_id)
            .options(selectinload(Blueprint.ingredients))
            .order_by(Blueprint.name, Blueprint.id))
    return list(session.scalars(stmt).all())


# --- import jobs ----------------------------------------------------------------------------


def add_import_job(session: Session, **fields: Any) -> ImportJob:
    """A queued import job holding the upload (flushed, so its id can be enqueued)."""
    job = ImportJob(id=uuid.uuid4(), status="queued", **fields)
    session.add(job)
    session.flush()
    return job


def get_import_job(session: Session, org_id: uuid.UUID, job_id: uuid.UUID) -> ImportJob | None:
    """The org's job (another org's id reads as missing), without the stored upload."""
    stmt = (select(ImportJob)
            .where(ImportJob.id == job_id, ImportJob.organization_id == org_id)
            .options(defer(ImportJob.data)))
    return session.scalar(stmt)


def claim_import_job(session: Session, job_id: uuid.UUID) -> ImportJob | None:
    """Mark a queued job running and return it with its upload; None when it is not queued.

    One conditional UPDATE, so of two deliveries of the same message only one claims it.
    """
    claimed = session.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id, ImportJob.status == "queued")
        .values(status="running", phase="validate", started_at=utc_now(), updated_at=utc_now())
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.scalar(select(ImportJob).where(ImportJob.id == job_id)
                          .execution_options(populate_existing=True))


def set_import_progress(session: Session, job_id: uuid.UUID, phase: str, done: int,
                        total: int) -> None:
    """Record how far a running job has got."""
    session.execute(
        update(ImportJob).where(ImportJob.id == job_id, ImportJob.status == "running")
        .values(phase=phase, rows_done=done, rows_total=total, updated_at=utc_now())
        .execution_options(synchronize_session=False)
    )


def finish_import_job(session: Session, job_id: uuid.UUID, *, status: str,
                      report: dict[str, Any] | None, error: str | None,
                      finished_at: datetime) -> bool:
    """Store a running job's outcome and drop its upload (the report is what is kept).

    False when the job is no longer running: the reaper has failed it meanwhile, and its
    verdict stands.
    """
    finished = session.execute(
        update(ImportJob).where(ImportJob.id == job_id, ImportJob.status == "running")
        .values(status=status, report=report, error=error, data=None,
                finished_at=finished_at, updated_at=finished_at)
        .execution_options(synchronize_session=False)
    )
    return bool(finished.rowcount == 1)  # type: ignore[attr-defined]


def _run_lock_key(job_id: uuid.UUID) -> int:
    # PostgreSQL advisory locks take a signed 64-bit key; a UUID's first half is random enough.
    return int.from_bytes(job_id.bytes[:8], "big", signed=True)


def hold_import_run(session: Session, job_id: uuid.UUID) -> None:
    """PostgreSQL: hold the job's advisory lock until this (the import's) transaction ends.

    The lock is how the reaper tells a running import from one whose worker died: the server
    releases it with the connection, whatever killed the worker. No-op on SQLite, where the
    embedded process that runs every job knows which of them are running.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_run_lock_key(job_id))))


def import_run_held(session: Session, job_id: uuid.UUID) -> bool:
    """PostgreSQL: whether some transaction holds the job's run lock (its import is alive).

    Taking it here (held to the end of the reaper's short transaction) is what proves nobody
    else has it. Always False on SQLite.
    """
    if session.get_bind().dialect.name != "postgresql":
        return False
    taken = session.scalar(select(func.pg_try_advisory_xact_lock(_run_lock_key(job_id))))
    return not taken


def stale_running_import_jobs(session: Session, cutoff: datetime) -> list[ImportJob]:
    """Running jobs whose row has not moved since ``cutoff`` (their worker may be dead)."""
    return list(session.scalars(
        select(ImportJob).where(ImportJob.status == "running", ImportJob.updated_at < cutoff)
        .options(defer(ImportJob.data))))


def touch_lost_import_jobs(session: Session, cutoff: datetime) -> list[uuid.UUID]:
    """Queued jobs untouched since ``cutoff`` (their message may be lost), touched so that
    each is sent again once per stale period, not on every pass."""
    lost = list(session.scalars(select(ImportJob.id).where(
        ImportJob.status == "queued", ImportJob.updated_at < cutoff)))
    if lost:
        session.execute(update(ImportJob).where(ImportJob.id.in_(lost))
                        .values(updated_at=utc_now())
                        .execution_options(synchronize_session=False))
    return lost

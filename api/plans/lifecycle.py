"""The solve-job lifecycle, written once for plans and what-if variants: every statement of it.

A job (a :class:`~models.planning.Plan` or a :class:`~models.planning.PlanVariant`) moves
``queued`` -> ``solving`` -> ``done`` / ``failed`` (:class:`~models.planning.JobStatus`):

* **claim**: one conditional UPDATE takes a ``queued`` job, or a ``solving`` one whose
  heartbeat is stale, for a worker (``locked_by``/``locked_at``, ``attempts + 1``).
* **heartbeat**: the holder refreshes ``locked_at`` while it solves.
* **finish**: the outcome is written only while the worker still holds the lock, so a worker
  that lost its claim cannot overwrite a newer result.
* **release**: a worker that crashed mid-solve hands the job back (``queued``) at once.
* **reclaim**: the reaper puts stale ``solving`` jobs back to ``queued`` and touches queued
  ones untouched for a stale period (their message may have been lost).

Fair dispatch (:meth:`JobTable.next_fair`): workers are shared by every org, and a message
names the job that caused it, not the job to run: each message claims *the fairest* queued
job. Orgs are served round-robin: the org with the fewest jobs solving goes first, then the
org served longest ago, then the oldest job; within an org, oldest first. One org's backlog
therefore delays another org's next job by at most one solve per worker.

Each function runs in the caller's session; the actor (``api.plans.tasks``) owns the
transactions.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import FromClause, SQLColumnExpression, case, func, or_, select, update
from sqlalchemy.orm import Session

from models.planning import JobStatus, Plan, PlanVariant

_NEVER = datetime.min.replace(tzinfo=UTC)


def now() -> datetime:
    """The lifecycle's clock (UTC)."""
    return datetime.now(UTC)


def _pick_fairly(rows: Sequence[Sequence[Any]]) -> uuid.UUID | None:
    """The org to serve from ``(org, solving, last_served, oldest_queued)`` rows."""
    if not rows:
        return None
    best = min(rows, key=lambda r: (r[1] or 0, r[2] or _NEVER, r[3]))
    org: uuid.UUID = best[0]
    return org


@dataclass(frozen=True)
class JobTable:
    """One table of solve jobs and what differs between the two: how a job reaches its org,
    and when an org was last served."""

    model: type[Plan] | type[PlanVariant]

    @property
    def _jobs(self) -> FromClause:
        """The job table joined to the plan that names its org."""
        if self.model is Plan:
            return Plan.__table__
        return PlanVariant.__table__.join(Plan.__table__, Plan.id == PlanVariant.plan_id)

    @property
    def _served_at(self) -> SQLColumnExpression[Any]:
        # A plan records when a worker took it; a variant has no such column, so its latest
        # update that is not a queued one stands for it.
        if self.model is Plan:
            return Plan.started_at
        return case((PlanVariant.status != JobStatus.QUEUED, PlanVariant.updated_at))

    def claim(self, session: Session, job_id: uuid.UUID, worker_id: str,
              stale_seconds: float) -> bool:
        """Take the job for ``worker_id``: ``queued``, or ``solving`` with a stale heartbeat.
        False when it is not claimable (done, failed, or live elsewhere)."""
        m, at = self.model, now()
        values: dict[str, Any] = {"status": JobStatus.SOLVING, "locked_by": worker_id,
                                  "locked_at": at, "attempts": m.attempts + 1, "error": None}
        if m is Plan:
            values["started_at"] = at
        result = session.execute(
            update(m)
            .where(m.id == job_id,
                   or_(m.status == JobStatus.QUEUED,
                       (m.status == JobStatus.SOLVING)
                       & (m.locked_at < at - timedelta(seconds=stale_seconds))))
            .values(values)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def heartbeat(self, session: Session, job_id: uuid.UUID, worker_id: str) -> None:
        """Refresh the holder's ``locked_at`` (nothing when the claim was lost)."""
        m = self.model
        session.execute(
            update(m)
            .where(m.id == job_id, m.locked_by == worker_id, m.status == JobStatus.SOLVING)
            .values(locked_at=now())
            .execution_options(synchronize_session=False)
        )

    def finish(self, session: Session, job_id: uuid.UUID, worker_id: str,
               values: dict[str, Any]) -> bool:
        """Write the outcome while ``worker_id`` still holds the job; False when it lost it."""
        m = self.model
        result = session.execute(
            update(m)
            .where(m.id == job_id, m.locked_by == worker_id, m.status == JobStatus.SOLVING)
            .values(locked_by=None, locked_at=None, **values)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def release(self, session: Session, job_id: uuid.UUID, worker_id: str) -> None:
        """Hand the job back (``queued``) so a retry, or the reaper, can claim it at once."""
        m = self.model
        session.execute(
            update(m)
            .where(m.id == job_id, m.locked_by == worker_id)
            .values(status=JobStatus.QUEUED, locked_by=None, locked_at=None)
            .execution_options(synchronize_session=False)
        )

    def reclaim_stale(self, session: Session, stale_seconds: float) -> list[uuid.UUID]:
        """Jobs to enqueue again: ``solving`` with a stale heartbeat (set back to ``queued``)
        and ``queued`` ones untouched for as long (their message may have been lost)."""
        m = self.model
        cutoff = now() - timedelta(seconds=stale_seconds)
        is_stale = (m.status == JobStatus.SOLVING) & (m.locked_at < cutoff)
        stale = list(session.scalars(select(m.id).where(is_stale)))
        if stale:
            session.execute(
                update(m).where(m.id.in_(stale), is_stale)
                .values(status=JobStatus.QUEUED, locked_by=None, locked_at=None)
                .execution_options(synchronize_session=False)
            )
        lost = list(session.scalars(
            select(m.id).where(m.status == JobStatus.QUEUED, m.updated_at < cutoff)))
        if lost:
            # Touch them so one lost message is re-sent once per stale period, not every pass.
            session.execute(
                update(m).where(m.id.in_(lost)).values(updated_at=now())
                .execution_options(synchronize_session=False)
            )
        return stale + [j for j in lost if j not in stale]

    def next_fair(self, session: Session) -> uuid.UUID | None:
        """The queued job the next free worker should solve (see "fair dispatch" above)."""
        m, org = self.model, Plan.organization_id
        waiting = (select(org.label("org"), func.min(m.created_at).label("oldest"))
                   .select_from(self._jobs).where(m.status == JobStatus.QUEUED)
                   .group_by(org).subquery())
        rows = session.execute(
            select(waiting.c.org,
                   func.sum(case((m.status == JobStatus.SOLVING, 1), else_=0)),
                   func.max(self._served_at), waiting.c.oldest)
            .select_from(self._jobs).join(waiting, org == waiting.c.org)
            .group_by(waiting.c.org, waiting.c.oldest)
        ).all()
        chosen = _pick_fairly(rows)
        if chosen is None:
            return None
        return session.scalar(
            select(m.id).select_from(self._jobs)
            .where(org == chosen, m.status == JobStatus.QUEUED)
            .order_by(m.created_at, m.id).limit(1))


PLANS = JobTable(Plan)
VARIANTS = JobTable(PlanVariant)


def org_of_plan(session: Session, plan_id: uuid.UUID) -> uuid.UUID | None:
    """The org a plan belongs to (its live events go there)."""
    return session.scalar(select(Plan.organization_id).where(Plan.id == plan_id))

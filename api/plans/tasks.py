"""The solve job: claim a plan, solve it with the engine, store the result; and the reaper.

Idempotent by construction: :func:`run_solve` first *claims* the plan with one conditional
UPDATE (``queued``, or ``solving`` with a stale heartbeat). A redelivered message for a plan
that is done, failed, or being solved by a live worker claims nothing and returns. While
solving, a heartbeat thread refreshes ``locked_at``; results are written only while the
worker still holds the lock, so a worker that lost its claim cannot overwrite a newer result.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm import Session

from api.core.db import Database
from api.core.metrics import plan_solve_duration_seconds
from api.live.hub import announce, publish
from engine.baselines import make_or_buy_plan
from engine.explain import explain
from engine.plan import PlanStatus, parse_plan
from engine.problem import ProblemValidationError, parse_problem
from engine.solve import solve
from engine.whatif import WhatIfValidationError, parse_variants, run_whatif
from models.planning import JobStatus, Plan, PlanVariant

logger = logging.getLogger(__name__)

# After this many claims that crashed the worker, the plan is failed instead of retried forever.
MAX_ATTEMPTS = 4


def _now() -> datetime:
    return datetime.now(UTC)


def _status_event(plan_id: uuid.UUID, status: str, error: str | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {"type": "plan.status", "plan_id": str(plan_id), "status": status}
    if error:
        event["error"] = error
    return event


def claim(database: Database, plan_id: uuid.UUID, worker_id: str,
          stale_seconds: float) -> Plan | None:
    """Take the plan for this worker, or None when it is not claimable (done, live elsewhere)."""
    now = _now()
    with database.session_scope() as s:
        result = s.execute(
            update(Plan)
            .where(
                Plan.id == plan_id,
                or_(
                    Plan.status == JobStatus.QUEUED,
                    (Plan.status == JobStatus.SOLVING)
                    & (Plan.locked_at < now - timedelta(seconds=stale_seconds)),
                ),
            )
            .values(status=JobStatus.SOLVING, locked_by=worker_id, locked_at=now, started_at=now,
                    attempts=Plan.attempts + 1, error=None)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return None
        plan = s.get(Plan, plan_id)
        return plan


# -- fair dispatch ------------------------------------------------------------------------------
#
# Workers are shared by every org, and a message names the job that caused it, not the job to
# run: each message claims *the fairest* queued job. Orgs are served round-robin: the org with
# the fewest jobs solving goes first, then the org served longest ago, then the oldest job;
# within an org, oldest first. One org's backlog therefore delays another org's next job by
# at most one solve per worker. Every queued job has a message (and the reaper re-sends lost
# ones), so every job is still claimed by some message; a message that finds nothing claimable
# does nothing. The transport (Dramatiq, its queue and the enqueue path) is unchanged.

_NEVER = datetime.min.replace(tzinfo=UTC)
# Claims lost to another worker before we fall back to the message's own job.
_CLAIM_TRIES = 5


def _pick_fairly(rows: Sequence[Sequence[Any]]) -> uuid.UUID | None:
    """The org to serve from ``(org, solving, last_served, oldest_queued)`` rows."""
    if not rows:
        return None
    best = min(rows, key=lambda r: (r[1] or 0, r[2] or _NEVER, r[3]))
    org: uuid.UUID = best[0]
    return org


def next_fair_plan(session: Session) -> uuid.UUID | None:
    """The queued plan the next free worker should solve (see "fair dispatch" above)."""
    waiting = (select(Plan.organization_id.label("org"),
                      func.min(Plan.created_at).label("oldest"))
               .where(Plan.status == JobStatus.QUEUED).group_by(Plan.organization_id).subquery())
    rows = session.execute(
        select(waiting.c.org,
               func.sum(case((Plan.status == JobStatus.SOLVING, 1), else_=0)),
               func.max(Plan.started_at), waiting.c.oldest)
        .join(Plan, Plan.organization_id == waiting.c.org)
        .group_by(waiting.c.org, waiting.c.oldest)
    ).all()
    org = _pick_fairly(rows)
    if org is None:
        return None
    return session.scalar(select(Plan.id).where(Plan.organization_id == org,
                                                Plan.status == JobStatus.QUEUED)
                          .order_by(Plan.created_at, Plan.id).limit(1))


def next_fair_variant(session: Session) -> uuid.UUID | None:
    """The queued what-if variant the next free worker should solve (same rule as plans; an
    org's last service is its variants' latest update that is not a queued one)."""
    waiting = (select(Plan.organization_id.label("org"),
                      func.min(PlanVariant.created_at).label("oldest"))
               .join(Plan, Plan.id == PlanVariant.plan_id)
               .where(PlanVariant.status == JobStatus.QUEUED)
               .group_by(Plan.organization_id).subquery())
    rows = session.execute(
        select(waiting.c.org,
               func.sum(case((PlanVariant.status == JobStatus.SOLVING, 1), else_=0)),
               func.max(case((PlanVariant.status != JobStatus.QUEUED, PlanVariant.updated_at))),
               waiting.c.oldest)
        .join(Plan, Plan.organization_id == waiting.c.org)
        .join(PlanVariant, PlanVariant.plan_id == Plan.id)
        .group_by(waiting.c.org, waiting.c.oldest)
    ).all()
    org = _pick_fairly(rows)
    if org is None:
        return None
    return session.scalar(select(PlanVariant.id).join(Plan, Plan.id == PlanVariant.plan_id)
                          .where(Plan.organization_id == org,
                                 PlanVariant.status == JobStatus.QUEUED)
                          .order_by(PlanVariant.created_at, PlanVariant.id).limit(1))


def claim_next(database: Database, message_plan_id: uuid.UUID, worker_id: str,
               stale_seconds: float) -> Plan | None:
    """Claim the fairest queued plan; else the message's own plan when it is claimable
    (e.g. ``solving`` with a stale heartbeat); None when there is nothing to do."""
    for _ in range(_CLAIM_TRIES):
        with database.session_scope() as s:
            plan_id = next_fair_plan(s)
        if plan_id is None:
            break
        plan = claim(database, plan_id, worker_id, stale_seconds)
        if plan is not None:
            return plan
    return claim(database, message_plan_id, worker_id, stale_seconds)


def _heartbeat(database: Database, plan_id: uuid.UUID, worker_id: str, every: float,
               stop: threading.Event, model: type[Plan] | type[PlanVariant] = Plan) -> None:
    while not stop.wait(every):
        try:
            with database.session_scope() as s:
                s.execute(
                    update(model)
                    .where(model.id == plan_id, model.locked_by == worker_id,
                           model.status == JobStatus.SOLVING)
                    .values(locked_at=_now())
                    .execution_options(synchronize_session=False)
                )
        except Exception:
            logger.warning("heartbeat failed", exc_info=True)


def _finish(database: Database, plan_id: uuid.UUID, worker_id: str, values: dict[str, Any],
            redis_url: str | None) -> bool:
    """Write the outcome while we still hold the lock; False when the claim was lost."""
    with database.session_scope() as s:
        result = s.execute(
            update(Plan)
            .where(Plan.id == plan_id, Plan.locked_by == worker_id,
                   Plan.status == JobStatus.SOLVING)
            .values(locked_by=None, locked_at=None, **values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return False
        org_id = s.scalar(select(Plan.organization_id).where(Plan.id == plan_id))
        event = _status_event(plan_id, values["status"], values.get("error"))
        if org_id is not None:
            announce(s, org_id, event)
    return True


def _sleep_with_stop(seconds: float) -> None:
    # Test hook only (QM_TEST_SOLVE_DELAY): lets a test kill a worker mid-solve.
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))


def _baseline(problem: Any) -> dict[str, Any] | None:
    """The make-or-buy baseline's objective (rolled-up recipe costs, the spreadsheet way),
    kept with the plan so the analytics dashboard can show what the optimiser saved.
    Never fails a solve: a baseline that cannot be built is simply absent."""
    try:
        base = make_or_buy_plan(problem)
    except Exception:
        logger.warning("make-or-buy baseline failed", exc_info=True)
        return None
    if base.objective is None:
        return None
    return {"method": "make-or-buy", "objective": base.objective}


def solve_document(problem_doc: dict[str, Any], time_limit: float | None) -> dict[str, Any]:
    """Solve a stored problem document; the columns to write (status done or failed)."""
    try:
        problem = parse_problem(problem_doc)
    except ProblemValidationError as exc:
        return {"status": JobStatus.FAILED, "error": f"invalid problem: {exc}",
                "finished_at": _now()}
    plan = solve(problem, time_limit=time_limit)
    document = plan.to_document()
    if plan.status in (PlanStatus.INVALID, PlanStatus.INFEASIBLE):
        reasons = "; ".join(str(e.get("message", e)) for e in plan.errors) or plan.status.value
        return {"status": JobStatus.FAILED, "plan": document,
                "error": f"{plan.status.value}: {reasons}", "finished_at": _now()}
    explanation = explain(problem, plan).model_dump(mode="json")
    baseline = _baseline(problem)
    if baseline is not None:
        document["baseline"] = baseline
    return {"status": JobStatus.DONE, "plan": document, "explanation": explanation,
            "finished_at": _now()}


@contextlib.contextmanager
def _timed(kind: str) -> Iterator[list[str]]:
    """Observe one solve's wall time in ``qm_plan_solve_duration_seconds``; the body appends
    its outcome, and an exception records ``error``."""
    outcome: list[str] = []
    started = time.perf_counter()
    try:
        yield outcome
    finally:
        label = outcome[-1] if outcome else "error"
        label = label.split(".")[-1].lower()  # a JobStatus member prints as JobStatus.DONE
        plan_solve_duration_seconds.labels(kind, label).observe(time.perf_counter() - started)


def run_solve(database: Database, plan_id: uuid.UUID, *, worker_id: str,
              heartbeat_seconds: float, stale_seconds: float, redis_url: str | None,
              test_delay: float = 0.0) -> None:
    """The solve actor's body: claim the fairest queued plan (not necessarily ``plan_id``,
    see "fair dispatch"), solve, store, announce. Safe to run twice."""
    plan = claim_next(database, plan_id, worker_id, stale_seconds)
    if plan is None:
        logger.info("no plan claimable; message ignored", extra={"plan_id": str(plan_id)})
        return
    plan_id = plan.id
    publish(plan.organization_id, _status_event(plan_id, JobStatus.SOLVING), redis_url=redis_url)
    if plan.attempts > MAX_ATTEMPTS:
        _finish(database, plan_id, worker_id,
                {"status": JobStatus.FAILED, "finished_at": _now(),
                 "error": f"gave up after {MAX_ATTEMPTS} attempts that did not finish"},
                redis_url)
        return
    stop = threading.Event()
    beat = threading.Thread(target=_heartbeat, daemon=True, name=f"qm-heartbeat-{plan_id}",
                            args=(database, plan_id, worker_id, heartbeat_seconds, stop))
    beat.start()
    try:
        if test_delay > 0:
            _sleep_with_stop(test_delay)
        time_limit = (plan.request or {}).get("time_limit")
        with _timed("plan") as outcome:
            values = solve_document(plan.problem or {}, time_limit)
            outcome.append(str(values.get("status", "done")))
    except BaseException:
        # Hand the plan back so a retry (or the reaper) can claim it at once.
        with database.session_scope() as s:
            s.execute(
                update(Plan)
                .where(Plan.id == plan_id, Plan.locked_by == worker_id)
                .values(status=JobStatus.QUEUED, locked_by=None, locked_at=None)
                .execution_options(synchronize_session=False)
            )
        raise
    finally:
        stop.set()
    if not _finish(database, plan_id, worker_id, values, redis_url):
        logger.warning("lost the claim before finishing", extra={"plan_id": str(plan_id)})


def reclaim_stale_plans(s: Session, *, stale_seconds: float) -> list[uuid.UUID]:
    """Plans to enqueue again: ``solving`` with a stale heartbeat (set back to ``queued``) and
    ``queued`` ones untouched for as long (their message may have been lost). Runs in the
    caller's transaction, which also writes their outbox rows."""
    cutoff = _now() - timedelta(seconds=stale_seconds)
    stale = list(s.scalars(
        select(Plan.id).where(Plan.status == JobStatus.SOLVING, Plan.locked_at < cutoff)
    ))
    if stale:
        s.execute(
            update(Plan)
            .where(Plan.id.in_(stale), Plan.status == JobStatus.SOLVING, Plan.locked_at < cutoff)
            .values(status=JobStatus.QUEUED, locked_by=None, locked_at=None)
            .execution_options(synchronize_session=False)
        )
    lost = list(s.scalars(
        select(Plan.id).where(Plan.status == JobStatus.QUEUED, Plan.updated_at < cutoff)
    ))
    if lost:
        # Touch them so one lost message is re-sent once per stale period, not every pass.
        s.execute(
            update(Plan).where(Plan.id.in_(lost)).values(updated_at=_now())
            .execution_options(synchronize_session=False)
        )
    return stale + [p for p in lost if p not in stale]


# -- what-if variants ---------------------------------------------------------------------------


def _variant_event(variant: PlanVariant, status: str) -> dict[str, Any]:
    return {"type": "plan.variant", "plan_id": str(variant.plan_id),
            "variant_id": str(variant.id), "name": variant.name, "status": status}


def solve_variant_document(problem_doc: dict[str, Any], base_doc: dict[str, Any],
                           name: str, changes: list[Any],
                           time_limit: float | None) -> dict[str, Any]:
    """Apply one variant's change list to the stored problem and solve it warm-started from
    the base plan (``engine.whatif.run_whatif``); the columns to write."""
    try:
        problem = parse_problem(problem_doc)
        base = parse_plan(base_doc)
        variants = parse_variants({"format": "quartermaster.whatif/1",
                                   "variants": [{"name": name, "changes": changes}]})
        report = run_whatif(problem, variants, base_plan=base, time_limit=time_limit)
    except (ProblemValidationError, WhatIfValidationError) as exc:
        return {"status": JobStatus.FAILED, "error": f"invalid variant: {exc}"}
    result = report.variants[0].model_dump(mode="json", by_alias=True)
    result["plan"] = report.variants[0].plan.to_document()
    if result["status"] in (PlanStatus.INVALID.value, PlanStatus.INFEASIBLE.value):
        return {"status": JobStatus.FAILED, "result": result, "error": result["status"]}
    return {"status": JobStatus.DONE, "result": result}


def run_variant(database: Database, variant_id: uuid.UUID, *, worker_id: str,
                stale_seconds: float, redis_url: str | None,
                heartbeat_seconds: float = 5.0) -> None:
    """The variant actor's body: claim (one conditional UPDATE), solve, store; idempotent
    like :func:`run_solve` (a redelivered message for a finished variant does nothing). Like
    plans, the message claims the fairest queued variant across orgs, not necessarily its own."""
    claimed = _claim_next_variant(database, variant_id, worker_id, stale_seconds)
    if claimed is None:
        return
    variant_id = claimed
    with database.session_scope() as s:
        variant = s.get(PlanVariant, variant_id)
        assert variant is not None
        base = s.get(Plan, variant.plan_id)
        assert base is not None
        org_id, problem_doc, base_doc = base.organization_id, base.problem, base.plan
        time_limit = (base.request or {}).get("time_limit")
        name, changes, attempts = variant.name, list(variant.changes), variant.attempts
        event = _variant_event(variant, JobStatus.SOLVING)
    publish(org_id, event, redis_url=redis_url)
    if attempts > MAX_ATTEMPTS or problem_doc is None or base_doc is None:
        values: dict[str, Any] = {"status": JobStatus.FAILED, "error": (
            f"gave up after {MAX_ATTEMPTS} attempts that did not finish"
            if attempts > MAX_ATTEMPTS else "the base plan has no solved plan")}
    else:
        stop = threading.Event()
        threading.Thread(target=_heartbeat, daemon=True, name=f"qm-heartbeat-{variant_id}",
                         args=(database, variant_id, worker_id, heartbeat_seconds, stop,
                               PlanVariant)).start()
        try:
            with _timed("variant") as outcome:
                values = solve_variant_document(problem_doc, base_doc, name, changes,
                                                time_limit)
                outcome.append(str(values.get("status", "done")))
        except BaseException:
            with database.session_scope() as s:
                s.execute(update(PlanVariant)
                          .where(PlanVariant.id == variant_id,
                                 PlanVariant.locked_by == worker_id)
                          .values(status=JobStatus.QUEUED, locked_by=None, locked_at=None)
                          .execution_options(synchronize_session=False))
            raise
        finally:
            stop.set()
    with database.session_scope() as s:
        done = s.execute(
            update(PlanVariant)
            .where(PlanVariant.id == variant_id, PlanVariant.locked_by == worker_id,
                   PlanVariant.status == JobStatus.SOLVING)
            .values(locked_by=None, locked_at=None, **values)
            .execution_options(synchronize_session=False)
        )
        if done.rowcount == 1:  # type: ignore[attr-defined]
            variant = s.get(PlanVariant, variant_id)
            assert variant is not None
            finished = _variant_event(variant, values["status"])
            announce(s, org_id, finished)


def _claim_variant(database: Database, variant_id: uuid.UUID, worker_id: str,
                   stale_seconds: float) -> bool:
    """One conditional UPDATE: ``queued``, or ``solving`` with a stale heartbeat."""
    now = _now()
    with database.session_scope() as s:
        claimed = s.execute(
            update(PlanVariant)
            .where(PlanVariant.id == variant_id,
                   or_(PlanVariant.status == JobStatus.QUEUED,
                       (PlanVariant.status == JobStatus.SOLVING)
                       & (PlanVariant.locked_at < now - timedelta(seconds=stale_seconds))))
            .values(status=JobStatus.SOLVING, locked_by=worker_id, locked_at=now,
                    attempts=PlanVariant.attempts + 1, error=None)
            .execution_options(synchronize_session=False)
        )
        return bool(claimed.rowcount == 1)  # type: ignore[attr-defined]


def _claim_next_variant(database: Database, message_variant_id: uuid.UUID, worker_id: str,
                        stale_seconds: float) -> uuid.UUID | None:
    """The id of the variant this worker claimed (fairest first), or None."""
    for _ in range(_CLAIM_TRIES):
        with database.session_scope() as s:
            variant_id = next_fair_variant(s)
        if variant_id is None:
            break
        if _claim_variant(database, variant_id, worker_id, stale_seconds):
            return variant_id
    if _claim_variant(database, message_variant_id, worker_id, stale_seconds):
        return message_variant_id
    return None


def reclaim_stale_variants(s: Session, *, stale_seconds: float) -> list[uuid.UUID]:
    """Variants to enqueue again: ``solving`` with a stale heartbeat (back to ``queued``)
    and ``queued`` ones untouched for a stale period (lost message); in the caller's
    transaction."""
    cutoff = _now() - timedelta(seconds=stale_seconds)
    stale = list(s.scalars(select(PlanVariant.id).where(
        PlanVariant.status == JobStatus.SOLVING, PlanVariant.locked_at < cutoff)))
    if stale:
        s.execute(update(PlanVariant)
                  .where(PlanVariant.id.in_(stale), PlanVariant.status == JobStatus.SOLVING,
                         PlanVariant.locked_at < cutoff)
                  .values(status=JobStatus.QUEUED, locked_by=None, locked_at=None)
                  .execution_options(synchronize_session=False))
    lost = list(s.scalars(select(PlanVariant.id).where(
        PlanVariant.status == JobStatus.QUEUED, PlanVariant.updated_at < cutoff)))
    if lost:
        s.execute(update(PlanVariant).where(PlanVariant.id.in_(lost))
                  .values(updated_at=_now())
                  .execution_options(synchronize_session=False))
    return stale + [v for v in lost if v not in stale]

"""The solve jobs: claim a plan (or a what-if variant), solve it with the engine, store the
result; and the reaper's reclaim.

Idempotent by construction: the actor first *claims* a job (:mod:`api.plans.lifecycle`, one
conditional UPDATE: ``queued``, or ``solving`` with a stale heartbeat). A redelivered message
for a job that is done, failed, or being solved by a live worker claims nothing and returns.
While solving, a heartbeat thread refreshes ``locked_at``; results are written only while the
worker still holds the lock, so a worker that lost its claim cannot overwrite a newer result.
Every statement of that lifecycle lives in :mod:`api.plans.lifecycle`; this module only runs
it, once for plans and once for variants, with the engine in between.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy.orm import Session

from api.core.db import Database
from api.core.metrics import plan_solve_duration_seconds
from api.live.hub import announce
from api.plans.lifecycle import PLANS, VARIANTS, JobTable, now, org_of_plan
from engine.baselines import make_or_buy_plan
from engine.explain import explain
from engine.plan import PlanStatus, parse_plan
from engine.problem import ProblemValidationError, parse_problem
from engine.solve import solve
from engine.whatif import WhatIfValidationError, parse_variants, run_whatif
from models.planning import JobStatus, Plan, PlanVariant

logger = logging.getLogger(__name__)

# After this many claims that crashed the worker, the job is failed instead of retried forever.
MAX_ATTEMPTS = 4
# Claims lost to another worker before we fall back to the message's own job.
_CLAIM_TRIES = 5
GAVE_UP = f"gave up after {MAX_ATTEMPTS} attempts that did not finish"


def _status_event(plan_id: uuid.UUID, status: str, error: str | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {"type": "plan.status", "plan_id": str(plan_id), "status": status}
    if error:
        event["error"] = error
    return event


def _variant_event(variant: PlanVariant, status: str) -> dict[str, Any]:
    return {"type": "plan.variant", "plan_id": str(variant.plan_id),
            "variant_id": str(variant.id), "name": variant.name, "status": status}


def claim_next(database: Database, table: JobTable, message_job_id: uuid.UUID,
               worker_id: str, stale_seconds: float) -> uuid.UUID | None:
    """Claim the fairest queued job of ``table``; else the message's own job when it is
    claimable (e.g. ``solving`` with a stale heartbeat); None when there is nothing to do."""
    for _ in range(_CLAIM_TRIES):
        with database.session_scope(writes=False) as s:
            job_id = table.next_fair(s)
        if job_id is None:
            break
        with database.session_scope() as s:
            if table.claim(s, job_id, worker_id, stale_seconds):
                return job_id
    with database.session_scope() as s:
        if table.claim(s, message_job_id, worker_id, stale_seconds):
            return message_job_id
    return None


def _heartbeat(database: Database, table: JobTable, job_id: uuid.UUID, worker_id: str,
               every: float, stop: threading.Event) -> None:
    while not stop.wait(every):
        try:
            with database.session_scope() as s:
                table.heartbeat(s, job_id, worker_id)
        except Exception:
            logger.warning("heartbeat failed", exc_info=True)


def _solve_held(database: Database, table: JobTable, job_id: uuid.UUID, worker_id: str,
                heartbeat_seconds: float, work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run ``work`` while a heartbeat keeps the claim alive; a crash hands the job back."""
    stop = threading.Event()
    threading.Thread(target=_heartbeat, daemon=True, name=f"qm-heartbeat-{job_id}",
                     args=(database, table, job_id, worker_id, heartbeat_seconds, stop)).start()
    try:
        return work()
    except BaseException:
        # Hand the job back so a retry (or the reaper) can claim it at once.
        with database.session_scope() as s:
            table.release(s, job_id, worker_id)
        raise
    finally:
        stop.set()


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
                "finished_at": now()}
    plan = solve(problem, time_limit=time_limit)
    document = plan.to_document()
    if plan.status in (PlanStatus.INVALID, PlanStatus.INFEASIBLE):
        reasons = "; ".join(str(e.get("message", e)) for e in plan.errors) or plan.status.value
        return {"status": JobStatus.FAILED, "plan": document,
                "error": f"{plan.status.value}: {reasons}", "finished_at": now()}
    explanation = explain(problem, plan).model_dump(mode="json")
    baseline = _baseline(problem)
    if baseline is not None:
        document["baseline"] = baseline
    return {"status": JobStatus.DONE, "plan": document, "explanation": explanation,
            "finished_at": now()}


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


def _observed(kind: str, solve_job: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run ``solve_job`` (plan or variant) under :func:`_timed`, labelled by its status."""
    with _timed(kind) as outcome:
        values = solve_job()
        outcome.append(str(values.get("status", "done")))
    return values


def run_solve(database: Database, plan_id: uuid.UUID, *, worker_id: str,
              heartbeat_seconds: float, stale_seconds: float) -> None:
    """The solve actor's body: claim the fairest queued plan (not necessarily ``plan_id``,
    see "fair dispatch" in :mod:`api.plans.lifecycle`), solve, store, announce. Safe to run
    twice."""
    claimed = claim_next(database, PLANS, plan_id, worker_id, stale_seconds)
    if claimed is None:
        logger.info("no plan claimable; message ignored", extra={"plan_id": str(plan_id)})
        return
    plan_id = claimed
    with database.session_scope() as s:
        plan = s.get(Plan, plan_id)
        assert plan is not None
        attempts, problem_doc = plan.attempts, plan.problem or {}
        time_limit = (plan.request or {}).get("time_limit")
        announce(s, plan.organization_id, _status_event(plan_id, JobStatus.SOLVING))
    if attempts > MAX_ATTEMPTS:
        values: dict[str, Any] = {"status": JobStatus.FAILED, "finished_at": now(),
                                  "error": GAVE_UP}
    else:
        values = _solve_held(
            database, PLANS, plan_id, worker_id, heartbeat_seconds,
            lambda: _observed("plan", lambda: solve_document(problem_doc, time_limit)))
    with database.session_scope() as s:
        if not PLANS.finish(s, plan_id, worker_id, values):
            logger.warning("lost the claim before finishing", extra={"plan_id": str(plan_id)})
            return
        org_id = org_of_plan(s, plan_id)
        if org_id is not None:
            announce(s, org_id, _status_event(plan_id, values["status"], values.get("error")))


def reclaim_stale_plans(s: Session, *, stale_seconds: float) -> list[uuid.UUID]:
    """Plans to enqueue again (see :meth:`api.plans.lifecycle.JobTable.reclaim_stale`); runs
    in the caller's transaction, which also writes their outbox rows."""
    return PLANS.reclaim_stale(s, stale_seconds)


# -- what-if variants ---------------------------------------------------------------------------


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
                stale_seconds: float, heartbeat_seconds: float = 5.0) -> None:
    """The variant actor's body: claim, solve, store; idempotent like :func:`run_solve` (a
    redelivered message for a finished variant does nothing). Like plans, the message claims
    the fairest queued variant across orgs, not necessarily its own."""
    claimed = claim_next(database, VARIANTS, variant_id, worker_id, stale_seconds)
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
        announce(s, org_id, _variant_event(variant, JobStatus.SOLVING))
    if attempts > MAX_ATTEMPTS or problem_doc is None or base_doc is None:
        values: dict[str, Any] = {"status": JobStatus.FAILED, "error": (
            GAVE_UP if attempts > MAX_ATTEMPTS else "the base plan has no solved plan")}
    else:
        values = _solve_held(
            database, VARIANTS, variant_id, worker_id, heartbeat_seconds,
            lambda: _observed("variant", lambda: solve_variant_document(
                problem_doc, base_doc, name, changes, time_limit)))
    with database.session_scope() as s:
        if VARIANTS.finish(s, variant_id, worker_id, values):
            variant = s.get(PlanVariant, variant_id)
            assert variant is not None
            announce(s, org_id, _variant_event(variant, values["status"]))


def reclaim_stale_variants(s: Session, *, stale_seconds: float) -> list[uuid.UUID]:
    """Variants to enqueue again, like :func:`reclaim_stale_plans`; in the caller's
    transaction."""
    return VARIANTS.reclaim_stale(s, stale_seconds)

"""The reaper re-enqueues through the job outbox: a stale plan goes back to ``queued`` with its
outbox row in one transaction, and a broker that is down leaves the row for the relays."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from api.core.db import Database
from api.core.settings import Settings
from models.jobs import OutboxJob
from models.orgs import Organization
from models.planning import Plan
from tests.conftest import TestUser
from workers.broker import make_runtime


def _stale_plan(database: Database, org: Organization) -> uuid.UUID:
    plan_id = uuid.uuid4()
    with database.session_scope() as s:
        s.add(Plan(id=plan_id, organization_id=org.id, status="solving", request={},
                   locked_by="dead-worker", locked_at=datetime.now(UTC) - timedelta(hours=1)))
    return plan_id


def _plan_and_jobs(database: Database, plan_id: uuid.UUID) -> tuple[Plan, list[OutboxJob]]:
    with database.session_scope() as s:
        plan = s.get(Plan, plan_id)
        assert plan is not None
        jobs = list(s.scalars(select(OutboxJob).where(OutboxJob.ref_id == plan_id)))
        s.expunge_all()
    return plan, jobs


@pytest.mark.parametrize("broker_up", [True, False])
def test_reaper_requeues_through_the_outbox(
    settings: Settings, database: Database, broker_up: bool,
    make_user: Callable[..., TestUser], make_org: Callable[..., Organization],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    org = make_org(make_user())
    plan_id = _stale_plan(database, org)
    runtime = make_runtime(settings, database)
    sent: list[str] = []

    def enqueue_plan(pid: uuid.UUID | str) -> None:
        if not broker_up:
            raise ConnectionError("redis down")
        sent.append(str(pid))

    def enqueue_variants(ids: Sequence[uuid.UUID | str]) -> None:
        sent.extend(str(i) for i in ids)

    monkeypatch.setattr(runtime, "enqueue_plan", enqueue_plan)
    monkeypatch.setattr(runtime, "enqueue_variants", enqueue_variants)
    assert runtime.reap() == 1
    plan, jobs = _plan_and_jobs(database, plan_id)
    assert plan.status == "queued" and plan.locked_by is None
    if broker_up:
        assert sent == [str(plan_id)] and jobs == []  # sent after commit, row deleted
    else:
        # Kept for the relays' retry loop, the failure counted on the row.
        assert sent == [] and len(jobs) == 1
        assert jobs[0].attempts == 1 and "redis down" in (jobs[0].last_error or "")

"""Real worker processes on Redis + PostgreSQL: a plan is solved by `python -m workers`, and a
worker killed with SIGKILL mid-solve leaves its plan to be reclaimed and finished by another."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from api.core.db import Database, migrate
from api.core.security import create_access_token
from api.core.settings import Settings
from models.accounts import User
from models.orgs import Organization, OrganizationMember
from models.planning import Plan
from tests.api.planning_helpers import make_item, make_location, make_stock
from tests.conftest import (
    REDIS_URL,
    RELAXED_LIMITS,
    TEST_SECRET,
    create_pg_database,
    drop_pg_database,
    pg_url,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
WAIT = 180.0



@pytest.fixture
def env(pg_and_redis: None) -> Iterator[dict[str, str]]:
    """A migrated throwaway PostgreSQL database and a private Dramatiq namespace."""
    name = create_pg_database("qm_worker")
    url = pg_url(name)
    migrate(url)
    namespace = f"qmtest-{uuid.uuid4().hex[:8]}"
    yield {"QM_DATABASE_URL": url, "QM_REDIS_URL": REDIS_URL, "QM_ENVIRONMENT": "test",
           "QM_SECRET_KEY": TEST_SECRET, "QM_DRAMATIQ_NAMESPACE": namespace,
           "QM_LOG_JSON": "false", "QM_PLAN_HEARTBEAT_SECONDS": "0.5",
           "QM_PLAN_STALE_SECONDS": "3", "QM_REAPER_INTERVAL_SECONDS": "0.5"}
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{namespace}:*"):
        client.delete(key)
    drop_pg_database(name)


def _worker(env: dict[str, str], *, solve_delay: float = 0.0) -> subprocess.Popen[bytes]:
    # A delay runs the test's own worker entry point, which slows the solve in-process.
    command = (["-m", "tests.workers.slow_worker", str(solve_delay)] if solve_delay
               else ["-m", "workers", "--threads", "1"])
    return subprocess.Popen([sys.executable, *command], cwd=REPO, env={**os.environ, **env},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _request_plan(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> tuple[Database, uuid.UUID]:
    """Arrange an org with stock and a blueprint, POST a plan through the API (Redis mode)."""
    db, ids = _request_plans(env, monkeypatch, 1)
    return db, ids[0]


def _request_plans(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, count: int
) -> tuple[Database, list[uuid.UUID]]:
    """A new org with stock; ``count`` plan requests POSTed through the API (Redis mode)."""
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = Settings(_env_file=None, environment="test",  # type: ignore[call-arg]
                        database_url=env["QM_DATABASE_URL"], redis_url=REDIS_URL,
                        secret_key=TEST_SECRET, log_json=False, log_level="WARNING",
                        **RELAXED_LIMITS)  # type: ignore[arg-type]
    db = Database(settings.database_url, settings)
    with db.session_scope() as s:
        user = User(username=f"u{uuid.uuid4().hex[:8]}", password_hash="x")
        org = Organization(name=f"o{uuid.uuid4().hex[:8]}")
        s.add_all([user, org])
        s.flush()
        s.add(OrganizationMember(organization_id=org.id, user_id=user.id, role="owner"))
        ore = make_item(s, f"ore-{uuid.uuid4().hex[:6]}")
        here = make_location(s, "Hangar", kind="hangar", org_id=org.id)
        make_stock(s, ore, here, Decimal(5), org_id=org.id)  # type: ignore[arg-type]
        ids = (user.id, org.id, ore.id, here.id)
    user_id, org_id, ore_id, here_id = ids
    token = create_access_token(user_id, settings).token
    app = create_app(settings, db)
    plan_ids = []
    with TestClient(app) as client:
        for _ in range(count):
            r = client.post(f"/api/v1/orgs/{org_id}/plans",
                            headers={"Authorization": f"Bearer {token}"},
                            json={"demands": [{"item_id": str(ore_id), "quantity": 3}],
                                  "delivery_location_id": str(here_id)})
            assert r.status_code == 202, r.text
            plan_ids.append(uuid.UUID(r.json()["id"]))
    return db, plan_ids


def _wait(db: Database, plan_id: uuid.UUID, ok: Callable[[Plan], bool]) -> Plan:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        with db.session_scope() as s:
            plan = s.get(Plan, plan_id)
            assert plan is not None
            if ok(plan):
                return plan
        time.sleep(0.2)
    raise AssertionError(f"plan {plan_id} never reached the expected state")


def test_worker_process_solves_a_plan(env: dict[str, str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    worker = _worker(env)
    try:
        db, plan_id = _request_plan(env, monkeypatch)
        plan = _wait(db, plan_id, lambda p: p.status in ("done", "failed"))
        assert plan.status == "done", plan.error
        assert plan.plan is not None and plan.plan["complete"] is True
        assert plan.locked_by is None and plan.attempts == 1
        db.dispose()
    finally:
        _stop(worker)


def test_killed_worker_plan_is_reclaimed(env: dict[str, str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # The first worker "solves" for a long time (its solve is slowed), the second at once.
    slow = _worker(env, solve_delay=600)
    fast: subprocess.Popen[bytes] | None = None
    try:
        db, plan_id = _request_plan(env, monkeypatch)
        claimed = _wait(db, plan_id, lambda p: p.status == "solving")
        assert claimed.locked_by is not None and f":{slow.pid}:" in claimed.locked_by
        slow.send_signal(signal.SIGKILL)
        slow.wait(10)
        fast = _worker(env)
        plan = _wait(db, plan_id, lambda p: p.status in ("done", "failed"))
        assert plan.status == "done", plan.error
        assert plan.attempts == 2
        assert plan.locked_by is None
        db.dispose()
    finally:
        for proc in (slow, fast):
            if proc is not None:
                _stop(proc)


def test_one_orgs_backlog_does_not_delay_anothers_plan(
        env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    # Both orgs queue while no worker runs: org A six plans, then org B one. The Redis queue
    # holds A's six messages before B's; one worker thread then takes them in that order.
    db, a_ids = _request_plans(env, monkeypatch, 6)
    db_b, (b_id,) = _request_plans(env, monkeypatch, 1)
    worker = _worker(env)
    try:
        for plan_id in [*a_ids, b_id]:
            plan = _wait(db, plan_id, lambda p: p.status in ("done", "failed"))
            assert plan.status == "done", plan.error
        with db.session_scope() as s:
            started = sorted((p.started_at, p.id) for p in s.scalars(
                select(Plan).where(Plan.id.in_([*a_ids, b_id]))) if p.started_at)
        order = [plan_id for _, plan_id in started]
        # Fair dispatch: B's plan is claimed right after the one A plan the first message
        # took — not after A's whole backlog (FIFO would make it last).
        assert order.index(b_id) == 1, order
        assert [p for p in order if p != b_id] == a_ids
    finally:
        _stop(worker)
        db.dispose()
        db_b.dispose()

"""One org cannot starve the others (issue 8, item 8): per-org caps on queued/solving plans and
what-if variants (429 + Retry-After), and fair dispatch across orgs on shared workers.

The API tests use a dispatcher that records messages without running them, so queued work
stays queued; the dispatch tests then play a single worker by calling the actors' bodies
(``api.plans.tasks``) in message order. Both run on SQLite and PostgreSQL. The same behaviour
with real Redis and a worker process: ``tests/workers/test_redis_worker.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from api.core.db import Database
from api.core.settings import Settings
from api.plans import tasks
from models.planning import Plan, PlanVariant
from tests.api.planning_helpers import make_item, make_location, make_stock


@dataclass
class Recorder:
    """A JobDispatcher that only records what would have been sent, in order."""

    plans: list[uuid.UUID] = field(default_factory=list)
    variants: list[uuid.UUID] = field(default_factory=list)

    def enqueue_plan(self, plan_id: uuid.UUID) -> None:
        self.plans.append(plan_id)

    def enqueue_variants(self, variant_ids: Sequence[uuid.UUID]) -> None:
        self.variants.extend(variant_ids)


@dataclass
class Org:
    """An org with one owner, stock of one item and a plan request body for it."""

    id: uuid.UUID
    headers: dict[str, str]
    body: dict[str, Any]
    item_id: uuid.UUID

    @property
    def plans_url(self) -> str:
        return f"/api/v1/orgs/{self.id}/plans"


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def make_client(settings: Settings, database: Database, recorder: Recorder,
                open_client: Callable[..., TestClient]) -> Callable[..., TestClient]:
    """Factory: a TestClient on an app with ``overrides`` settings and the recorder."""

    def factory(**overrides: Any) -> TestClient:
        return open_client(create_app(settings.model_copy(update=overrides), database,
                                      jobs=recorder))

    return factory


@pytest.fixture
def make_planning_org(database: Database, make_user: Any,
                      make_org: Any) -> Callable[[], Org]:
    def factory() -> Org:
        owner = make_user()
        org = make_org(owner)
        with database.session_scope() as s:
            ore = make_item(s, f"ore-{uuid.uuid4().hex[:6]}")
            here = make_location(s, "Hangar", kind="hangar", org_id=org.id)
            make_stock(s, ore, here, Decimal(50), org_id=org.id)  # type: ignore[arg-type]
            body = {"demands": [{"item_id": str(ore.id), "quantity": 3}],
                    "delivery_location_id": str(here.id)}
            item_id = ore.id
        return Org(org.id, owner.headers, body, item_id)

    return factory


# The actors' keyword arguments for one in-test worker.
WORKER: dict[str, Any] = {"worker_id": "test-worker", "stale_seconds": 60.0}


def _assert_capped(response: Any, limit: str, cap: int) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert int(response.headers["Retry-After"]) >= 1
    body = response.json()
    assert body["limit"] == limit and body["max_active"] == cap


def test_queued_and_solving_plans_are_capped_per_org(
        make_client: Callable[..., TestClient], make_planning_org: Callable[[], Org],
        database: Database, recorder: Recorder) -> None:
    client = make_client(plan_max_active_per_org=2)
    a, b = make_planning_org(), make_planning_org()
    for _ in range(2):
        assert client.post(a.plans_url, json=a.body, headers=a.headers).status_code == 202
    _assert_capped(client.post(a.plans_url, json=a.body, headers=a.headers),
                   "plan_max_active_per_org", 2)
    assert len(recorder.plans) == 2  # the refused request stored and sent nothing
    with database.session_scope() as s:
        assert s.scalar(select(Plan.id).where(Plan.organization_id == a.id)
                        .order_by(Plan.created_at).offset(2)) is None
    # Another org is not held back by A's cap.
    assert client.post(b.plans_url, json=b.body, headers=b.headers).status_code == 202
    # A solving plan still counts; a finished one frees a place.
    tasks.run_solve(database, recorder.plans[0], heartbeat_seconds=5.0, **WORKER)
    assert client.post(a.plans_url, json=a.body, headers=a.headers).status_code == 202


def test_whatif_variants_are_capped_per_org(
        make_client: Callable[..., TestClient], make_planning_org: Callable[[], Org],
        database: Database, recorder: Recorder) -> None:
    client = make_client(whatif_max_active_per_org=2)
    a = make_planning_org()
    plan_id = uuid.UUID(client.post(a.plans_url, json=a.body, headers=a.headers).json()["id"])
    tasks.run_solve(database, plan_id, heartbeat_seconds=5.0, **WORKER)
    url = f"{a.plans_url}/{plan_id}/whatif"

    def variants(*names: str) -> dict[str, Any]:
        return {"variants": [{"name": n, "changes": [
            {"kind": "set_demand", "demand": "demand:0", "quantity": 4}]} for n in names]}

    _assert_capped(client.post(url, json=variants("v1", "v2", "v3"), headers=a.headers),
                   "whatif_max_active_per_org", 2)
    assert client.post(url, json=variants("v1", "v2"), headers=a.headers).status_code == 202
    _assert_capped(client.post(url, json=variants("v3"), headers=a.headers),
                   "whatif_max_active_per_org", 2)
    with database.session_scope() as s:
        assert len(list(s.scalars(select(PlanVariant.id)))) == 2


def _assert_all_done(database: Database, model: type[Plan] | type[PlanVariant],
                     ids: list[uuid.UUID]) -> None:
    with database.session_scope() as s:
        rows = list(s.scalars(select(model).where(model.id.in_(ids))))
        assert len(rows) == len(ids)
        assert all(r.status == "done" for r in rows), [r.error for r in rows]


def test_one_orgs_backlog_does_not_delay_anothers_next_plan(
        make_client: Callable[..., TestClient], make_planning_org: Callable[[], Org],
        database: Database, recorder: Recorder) -> None:
    client = make_client()
    a, b = make_planning_org(), make_planning_org()
    a_ids = [uuid.UUID(client.post(a.plans_url, json=a.body, headers=a.headers).json()["id"])
             for _ in range(4)]
    b_id = uuid.UUID(client.post(b.plans_url, json=b.body, headers=b.headers).json()["id"])
    assert recorder.plans == [*a_ids, b_id]  # the queue is FIFO: B's message is last

    solved: list[uuid.UUID] = []
    for message in recorder.plans:  # one worker thread taking the messages in order
        before = _claimed(database, Plan)
        tasks.run_solve(database, message, heartbeat_seconds=5.0, **WORKER)
        solved.extend(_claimed(database, Plan) - before)
    _assert_all_done(database, Plan, solved)
    # Each message solved exactly one plan (claims are recorded in message order, so no
    # timestamps are compared). B's plan is the second one solved, not the last; A's plans
    # keep their own order.
    assert solved.index(b_id) == 1, solved
    assert [p for p in solved if p != b_id] == a_ids


def _claimed(database: Database, model: type[Plan] | type[PlanVariant]) -> set[uuid.UUID]:
    with database.session_scope() as s:
        return set(s.scalars(select(model.id).where(model.status != "queued")))


def test_whatif_variants_are_dispatched_fairly_across_orgs(
        make_client: Callable[..., TestClient], make_planning_org: Callable[[], Org],
        database: Database, recorder: Recorder) -> None:
    client = make_client()
    orgs = [make_planning_org(), make_planning_org()]
    urls = []
    for org in orgs:
        r = client.post(org.plans_url, json=org.body, headers=org.headers)
        plan_id = uuid.UUID(r.json()["id"])
        tasks.run_solve(database, plan_id, heartbeat_seconds=5.0, **WORKER)
        urls.append(f"{org.plans_url}/{plan_id}/whatif")
    a, b = orgs
    r = client.post(urls[0], headers=a.headers, json={"variants": [
        {"name": f"a{n}", "changes": [{"kind": "set_demand", "demand": "demand:0",
                                       "quantity": 4 + n}]} for n in range(4)]})
    assert r.status_code == 202, r.text
    r = client.post(urls[1], headers=b.headers, json={"variants": [
        {"name": "b0", "changes": [{"kind": "set_demand", "demand": "demand:0",
                                    "quantity": 5}]}]})
    assert r.status_code == 202, r.text
    b_variant = recorder.variants[-1]

    solved: list[uuid.UUID] = []
    for message in list(recorder.variants):
        before = _claimed(database, PlanVariant)
        tasks.run_variant(database, message, **WORKER)
        solved.extend(_claimed(database, PlanVariant) - before)
    _assert_all_done(database, PlanVariant, solved)
    assert len(solved) == 5
    assert solved.index(b_variant) == 1, solved

"""End to end on the demo org: goal → plan (solved by a worker) → engine check → apply → buy
the shopping list → start and complete the crafts → stock and history are what the plan said.

Two flavours: a real ``python -m workers`` process on Redis + PostgreSQL, and the embedded
in-process worker (run on both fixture backends, SQLite included).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import create_app
from api.core.db import Database, migrate
from api.core.security import create_access_token
from api.core.settings import Settings
from engine.checker import check
from engine.plan import parse_plan
from engine.problem import parse_problem
from models.accounts import User
from models.inventory import Item, ItemHistory, Location
from models.orgs import Organization
from models.planning import Blueprint
from scenarios.demo import seed_demo
from tests.conftest import (
    REDIS_URL,
    RELAXED_LIMITS,
    TEST_SECRET,
    create_pg_database,
    drop_pg_database,
    pg_url,
)

REPO = Path(__file__).resolve().parents[2]
WAIT = 240.0
Q = Decimal("0.000001")


def _ids(database: Database) -> dict[str, Any]:
    with database.session_scope() as s:
        org = s.scalar(select(Organization).where(Organization.name == "Demo org"))
        owner = s.scalar(select(User).where(User.username == "demo"))
        hangar = s.scalar(select(Location).where(Location.name == "Org Hangar",
                                                 Location.organization_id == org.id))
        items = {i.code: i.id for i in s.scalars(select(Item).where(Item.code.is_not(None)))}
        assert org and owner and hangar
        return {"org": org.id, "owner": owner.id, "hangar": hangar.id, "items": items}


def _wait(client: TestClient, url: str, headers: dict[str, str]) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        body: dict[str, Any] = client.get(url, headers=headers).json()
        if body["status"] in ("done", "failed"):
            return body
        time.sleep(0.2)
    raise AssertionError(f"plan not finished: {body}")


def run_flow(client: TestClient, database: Database, settings: Settings) -> None:
    """The whole flow against ``client`` (whose app enqueues to some worker)."""
    ids = _ids(database)
    headers = {"Authorization": f"Bearer {create_access_token(ids['owner'], settings).token}"}
    org = f"/api/v1/orgs/{ids['org']}"
    # 12 P4-AR and 2 FS-9 are in stock: the goal asks for 20 and 10 more.
    r = client.post(f"{org}/goals", headers=headers, json={"name": "Armoury", "targets": [
        {"item_id": str(ids["items"]["product.p4-ar"]), "quantity": 32},
        {"item_id": str(ids["items"]["product.fs-9"]), "quantity": 12}]})
    assert r.status_code == 201, r.text
    r = client.post(f"{org}/plans", headers=headers, json={
        "goal_ids": [r.json()["id"]], "delivery_location_id": str(ids["hangar"]),
        "time_limit": 30})
    assert r.status_code == 202, r.text
    body = _wait(client, r.headers["Location"], headers)
    assert body["status"] == "done", body
    problem = parse_problem(client.get(f"{r.headers['Location']}/problem",
                                       headers=headers).json())
    plan = parse_plan(body["plan"])
    report = check(problem, plan)
    assert report.ok, report.violations
    assert plan.complete

    applied = client.post(f"{r.headers['Location']}/apply", headers=headers)
    assert applied.status_code == 200, applied.text
    result = applied.json()
    # Buy the shopping list: the bought units arrive at the delivery (craft) location at the
    # listing's quality — what a quartermaster records after the purchase run.
    listing_quality = {s.id: s.quality for s in problem.sources}
    for line in result["shopping_list"]:
        r = client.post(f"{org}/stock/adjust", headers=headers, json={
            "item_id": line["item_id"], "location_id": str(ids["hangar"]),
            "quality": listing_quality[f"market:{line['listing_id']}"],
            "delta": line["quantity"], "note": f"bought at {line['terminal']}"})
        assert r.status_code in (200, 201), r.text
    with database.session_scope() as s:
        since = s.scalar(select(func.max(ItemHistory.created_at)))

    # Start and complete every craft; intermediate products first (retry until all done).
    pending = [c["id"] for c in result["crafts"]]
    for _ in range(len(pending) + 1):
        for craft_id in list(pending):
            r = client.post(f"{org}/crafts/{craft_id}/start", headers=headers)
            if r.status_code == 409:
                continue
            assert r.status_code == 200, r.text
            r = client.post(f"{org}/crafts/{craft_id}/complete", headers=headers)
            assert r.status_code == 200 and r.json()["status"] == "completed", r.text
            pending.remove(craft_id)
    assert not pending, "crafts that could not start"

    # Expected from the plan: consumption = Σ runs × ingredient, output = Σ runs × output.
    consumed: dict[str, Decimal] = defaultdict(Decimal)
    made: dict[str, Decimal] = defaultdict(Decimal)
    blueprints = {b.id: b for b in problem.blueprints}
    for line in plan.crafts:
        bp = blueprints[line.blueprint]
        for ing in bp.ingredients:
            consumed[ing.item] += (Decimal(str(ing.quantity)) * line.runs).quantize(Q)
        made[bp.output.item] += Decimal(str(bp.output.quantity)) * line.runs
    # ... which is also what the plan allocates to blueprint ingredients.
    allocated: dict[str, Decimal] = defaultdict(Decimal)
    for alloc in plan.allocations:
        if alloc.to.blueprint is not None:
            item = blueprints[alloc.to.blueprint].ingredients[alloc.to.ingredient or 0].item
            allocated[item] += Decimal(str(alloc.quantity))
    for item, quantity in consumed.items():
        assert abs(allocated[item] - quantity) < Decimal("0.0001"), item
    with database.session_scope() as s:
        rows = s.execute(select(ItemHistory.item_id, ItemHistory.kind, func.sum(ItemHistory.delta))
                         .where(ItemHistory.created_at > since,
                                ItemHistory.kind.in_(("consume", "craft_output")))
                         .group_by(ItemHistory.item_id, ItemHistory.kind)).all()
        bp_codes = {str(b.id) for b in s.scalars(select(Blueprint))}
    assert set(blueprints) <= bp_codes | set(blueprints)
    got_consumed = {str(i): -Decimal(q) for i, k, q in rows if k == "consume"}
    got_made = {str(i): Decimal(q) for i, k, q in rows if k == "craft_output"}
    assert got_consumed == {k: v for k, v in consumed.items() if v}
    assert got_made == dict(made)
    # Every stock row still equals the sum of its history; nothing is left reserved by crafts.
    with database.session_scope() as s:
        from models.inventory import ItemStock
        for row in s.scalars(select(ItemStock)):
            total = s.scalar(select(func.coalesce(func.sum(ItemHistory.delta), 0))
                             .where(ItemHistory.stock_id == row.id))
            assert Decimal(total) == row.quantity
    # Own stock the plan delivers straight to the goal is held for the plan; handing it over
    # (releasing those reservations) makes the goal complete.
    held = client.get(f"{org}/stock/reservations", headers=headers,
                      params={"plan_id": body["id"], "active": "true"}).json()
    for res in held["items"]:
        assert res["craft_id"] is None
        r = client.post(f"{org}/stock/reservations/{res['id']}/release", headers=headers)
        assert r.status_code == 200, r.text
    goals = client.get(f"{org}/goals", headers=headers).json()["items"]
    assert any(g["status"] == "completed" for g in goals), goals


def test_embedded_flow(client: TestClient, database: Database, settings: Settings) -> None:
    seed_demo(database, settings)
    run_flow(client, database, settings)



@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.slow
def test_redis_worker_process_flow(monkeypatch: pytest.MonkeyPatch, pg_and_redis: None) -> None:
    name = create_pg_database("qm_e2e")
    url = pg_url(name)
    namespace = f"qme2e-{uuid.uuid4().hex[:8]}"
    env = {"QM_DATABASE_URL": url, "QM_REDIS_URL": REDIS_URL, "QM_ENVIRONMENT": "test",
           "QM_SECRET_KEY": TEST_SECRET, "QM_DRAMATIQ_NAMESPACE": namespace,
           "QM_LOG_JSON": "false"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    worker = None
    database = None
    try:
        migrate(url)
        settings = Settings(_env_file=None, environment="test",  # type: ignore[call-arg]
                            database_url=url, redis_url=REDIS_URL, secret_key=TEST_SECRET,
                            log_json=False, log_level="WARNING",
                            **RELAXED_LIMITS)  # type: ignore[arg-type]
        database = Database(url, settings)
        seed_demo(database, settings)
        worker = subprocess.Popen([sys.executable, "-m", "workers", "--threads", "1"],
                                  cwd=REPO, env={**os.environ, **env},
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with TestClient(create_app(settings, database)) as client:
            run_flow(client, database, settings)
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(30)
        if database is not None:
            database.dispose()
        client_r = redis.Redis.from_url(REDIS_URL)
        for key in client_r.scan_iter(f"{namespace}:*"):
            client_r.delete(key)
        drop_pg_database(name)

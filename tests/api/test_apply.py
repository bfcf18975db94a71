"""Plan apply and what-if on both backends (embedded worker), parallel applies on PostgreSQL."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.core.db import Database
from api.core.errors import Conflict
from api.plans import service as plans
from models.inventory import ItemHistory, ItemStock, StockReservation
from models.planning import Blueprint, BlueprintIngredient, Craft, Plan
from tests.api.planning_helpers import make_item, make_location
from tests.api.test_plans import wait_done


def _adjust(client: TestClient, user: Any, org_id: uuid.UUID, item: Any, loc: Any,
            qty: float, quality: int = 0) -> None:
    r = client.post(f"/api/v1/orgs/{org_id}/stock/adjust", headers=user.headers, json={
        "item_id": str(item.id), "location_id": str(loc.id), "quality": quality,
        "delta": qty})
    assert r.status_code in (200, 201), r.text


def _world(client: TestClient, session: Session, owner: Any, org_id: uuid.UUID) -> dict[str, Any]:
    rifle = make_item(session, f"rifle-{uuid.uuid4().hex[:6]}", unit="piece", volume=0.1)
    alu = make_item(session, f"alu-{uuid.uuid4().hex[:6]}")
    iron = make_item(session, f"iron-{uuid.uuid4().hex[:6]}")
    hangar = make_location(session, "Hangar", kind="hangar", org_id=org_id)
    market = make_location(session, "TDD", kind="city", trip_cost=100)
    bp = Blueprint(name="rifle", output_item_id=rifle.id, output_quantity=Decimal(1),
                   run_cost=Decimal(5), organization_id=org_id)
    bp.ingredients = [BlueprintIngredient(position=0, item_id=alu.id, quantity=Decimal(2)),
                      BlueprintIngredient(position=1, item_id=iron.id, quantity=Decimal(1))]
    session.add(bp)
    session.commit()
    _adjust(client, owner, org_id, alu, hangar, 6, quality=500)
    _adjust(client, owner, org_id, iron, hangar, 10, quality=500)
    r = client.post(f"/api/v1/orgs/{org_id}/sources", headers=owner.headers, json={
        "item_id": str(alu.id), "location_id": str(market.id), "price": 50,
        "available": 100, "quality": 500})
    assert r.status_code == 201, r.text
    return {"rifle": rifle, "alu": alu, "iron": iron, "hangar": hangar, "market": market,
            "bp": bp}


def _plan(client: TestClient, owner: Any, org_id: uuid.UUID, w: dict[str, Any],
          rifles: int) -> dict[str, Any]:
    r = client.post(f"/api/v1/orgs/{org_id}/plans", headers=owner.headers, json={
        "demands": [{"item_id": str(w["rifle"].id), "quantity": rifles}],
        "delivery_location_id": str(w["hangar"].id), "time_limit": 20})
    assert r.status_code == 202, r.text
    body = wait_done(client, r.headers["Location"], owner.headers)
    assert body["status"] == "done", body
    return body


def test_apply_then_buy_start_complete(client: TestClient, session: Session, make_user: Any,
                                       make_org: Any) -> None:
    owner = make_user()
    org = make_org(owner)
    w = _world(client, session, owner, org.id)
    body = _plan(client, owner, org.id, w, rifles=5)  # 10 alu: 6 own + 4 bought; 5 iron own
    url = f"/api/v1/orgs/{org.id}/plans/{body['id']}"
    r = client.post(f"{url}/apply", headers=owner.headers)
    assert r.status_code == 200, r.text
    applied = r.json()
    assert [(c["runs"], c["blueprint_id"]) for c in applied["crafts"]] == [(5, str(w["bp"].id))]
    assert [(s["item_id"], s["quantity"], s["expected_cost"]) for s in applied["shopping_list"]] \
        == [(str(w["alu"].id), 4.0, 200.0)]
    assert applied["shopping_total"] == 200.0
    assert {t["location_id"] for t in applied["trips"]} == {str(w["market"].id)}
    assert sum(x["quantity"] for x in applied["reservations"]) == 11.0  # 6 alu + 5 iron
    assert client.post(f"{url}/apply", headers=owner.headers).status_code == 409

    # The quartermaster buys the shopping list and brings it to the craft location.
    for line in applied["shopping_list"]:
        r = client.post(f"/api/v1/orgs/{org.id}/stock/adjust", headers=owner.headers, json={
            "item_id": line["item_id"], "location_id": str(w["hangar"].id), "quality": 500,
            "delta": line["quantity"], "note": "bought at " + line["location"]})
        assert r.status_code in (200, 201), r.text
    craft_id = applied["crafts"][0]["id"]
    base = f"/api/v1/orgs/{org.id}/crafts/{craft_id}"
    r = client.post(f"{base}/start", headers=owner.headers)
    assert r.status_code == 200, r.text
    # The plan's reservations became the craft's; only the bought 4 alu were added.
    session.rollback()
    active = session.scalars(select(StockReservation).where(
        StockReservation.craft_id == uuid.UUID(craft_id),
        StockReservation.released_at.is_(None))).all()
    assert sum((a.quantity for a in active), Decimal(0)) == 15
    assert client.post(f"{base}/complete", headers=owner.headers).status_code == 200
    session.rollback()
    rows = {s.item_id: s for s in session.scalars(select(ItemStock))}
    assert rows[w["alu"].id].quantity == 0 and rows[w["iron"].id].quantity == 5
    assert rows[w["rifle"].id].quantity == 5
    assert all(s.reserved == 0 for s in rows.values())
    consumed = session.execute(select(ItemHistory.item_id, func.sum(ItemHistory.delta)).where(
        ItemHistory.kind == "consume").group_by(ItemHistory.item_id)).all()
    assert {i: Decimal(q) for i, q in consumed} == {w["alu"].id: -10, w["iron"].id: -5}


def test_apply_refusals(client: TestClient, session: Session, make_user: Any, make_org: Any,
                        add_member: Any) -> None:
    owner, member = make_user(), make_user()
    org = make_org(owner, members={member: "member"})
    w = _world(client, session, owner, org.id)
    body = _plan(client, owner, org.id, w, rifles=2)
    url = f"/api/v1/orgs/{org.id}/plans/{body['id']}"
    assert client.post(f"{url}/apply", headers=member.headers).status_code == 403
    r = client.post(f"/api/v1/orgs/{org.id}/plans/{uuid.uuid4()}/apply", headers=owner.headers)
    assert r.status_code == 404
    # Stock changed since the snapshot: 5 of 6 alu leave the hangar.
    _adjust(client, owner, org.id, w["alu"], w["hangar"], -5, quality=500)
    r = client.post(f"{url}/apply", headers=owner.headers)
    assert r.status_code == 409, r.text
    change = r.json()["changes"][0]
    assert change["item_id"] == str(w["alu"].id) and change["now_available"] == 1.0
    assert change["snapshot_available"] == 6.0
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Craft)) == 0
    assert session.scalar(select(func.count()).select_from(StockReservation)) == 0
    # A plan that failed cannot be applied.
    failed = Plan(organization_id=org.id, status="failed", error="infeasible", request={},
                  problem=None)
    session.add(failed)
    session.commit()
    r = client.post(f"/api/v1/orgs/{org.id}/plans/{failed.id}/apply", headers=owner.headers)
    assert r.status_code == 409 and r.json()["state"] == "failed"


def test_whatif_variants(client: TestClient, session: Session, make_user: Any,
                         make_org: Any) -> None:
    owner = make_user()
    org = make_org(owner)
    w = _world(client, session, owner, org.id)
    body = _plan(client, owner, org.id, w, rifles=5)
    url = f"/api/v1/orgs/{org.id}/plans/{body['id']}/whatif"
    bad = client.post(url, headers=owner.headers, json={"variants": [
        {"name": "x", "changes": [{"kind": "scale_price", "item": "nope", "factor": 2}]}]})
    assert bad.status_code == 422, bad.text
    assert client.post(url, headers=owner.headers, json={"variants": []}).status_code == 422
    r = client.post(url, headers=owner.headers, json={"variants": [
        {"name": "alu x3", "changes": [{"kind": "scale_price", "item": str(w["alu"].id),
                                        "factor": 3}]},
        {"name": "more rifles", "changes": [{"kind": "set_demand", "demand": "demand:0",
                                             "quantity": 6}]},
        # Only the fields given change: the stored change must not null the other policy fields.
        {"name": "small ship", "changes": [{"kind": "set_policy", "ship_capacity_scu": 2}]}]})
    assert r.status_code == 202, r.text
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        report = client.get(url, headers=owner.headers).json()
        if all(v["status"] in ("done", "failed") for v in report["variants"]):
            break
        time.sleep(0.2)
    by_name = {v["name"]: v for v in report["variants"]}
    assert all(v["status"] == "done" for v in by_name.values()), report
    # Dearer market aluminium raises the sourcing term (reliability-weighted prices).
    assert by_name["alu x3"]["cost_delta"]["sourcing"] > 0
    assert by_name["more rifles"]["objective_delta"] > 0
    assert any(c["line"] == "craft" for c in by_name["more rifles"]["changed_lines"])
    again = client.post(url, headers=owner.headers, json={"variants": [
        {"name": "alu x3", "changes": []}]})
    assert again.status_code == 409


@pytest.mark.postgres
def test_parallel_applies_never_share_units(client: TestClient, session: Session,
                                            database: Database, make_user: Any,
                                            make_org: Any) -> None:
    if database.engine.dialect.name != "postgresql":
        pytest.skip("real parallel transactions: PostgreSQL")
    owner = make_user()
    org = make_org(owner)
    w = _world(client, session, owner, org.id)
    # Both plans take all 6 own alu (cheaper than the market): only one apply may win.
    ids = [uuid.UUID(_plan(client, owner, org.id, w, rifles=3)["id"]) for _ in range(2)]
    barrier = threading.Barrier(2)

    def apply(plan_id: uuid.UUID) -> bool:
        barrier.wait()
        try:
            with database.session_scope() as s:
                plans.apply_plan(s, org.id, owner.id, plan_id)
            return True
        except Conflict:
            return False

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(apply, ids))
    assert sorted(results) == [False, True]
    session.rollback()
    rows = session.scalars(select(ItemStock)).all()
    assert all(s.reserved <= s.quantity for s in rows)
    alu = next(s for s in rows if s.item_id == w["alu"].id)
    assert alu.reserved == 6

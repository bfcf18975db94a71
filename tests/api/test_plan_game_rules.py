"""The snapshot reads the game as it is: refining in any quantity, hauling by stops, members'
stock at its reliability. Embedded mode (in-process worker), both backends."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from engine.checker import check
from engine.plan import parse_plan
from engine.problem import parse_problem
from tests.api.planning_helpers import make_item, make_location, make_stock
from tests.api.test_plan_snapshot import _plan


def test_ore_is_refined_in_any_quantity_and_applied_as_a_refinery_job(
        client: TestClient, session: Session, make_user: Any, make_org: Any) -> None:
    owner = make_user()
    org = make_org(owner)
    ore, quantanium = make_item(session, "Quantanium (Ore)"), make_item(session, "Quantanium")
    hangar = make_location(session, "Hangar", kind="hangar", org_id=org.id)
    make_stock(session, ore, hangar, 24, org_id=org.id)
    session.commit()
    # A refinery batch of 100 SCU: whole runs could not use 24 SCU of ore at all.
    r = client.post(f"/api/v1/orgs/{org.id}/blueprints/refining", headers=owner.headers, json={
        "method": "Dinyx Solventation", "ore_item_id": str(ore.id),
        "refined_item_id": str(quantanium.id), "ore_quantity": 100})
    assert r.status_code == 201, r.text
    blueprint = r.json()["id"]

    done, doc = _plan(client, org.id, owner.headers, {
        "demands": [{"item_id": str(quantanium.id), "quantity": 12}],
        "delivery_location_id": str(hangar.id)})
    problem = parse_problem(doc)
    assert problem.blueprint(blueprint).continuous
    plan = parse_plan(done["plan"])
    assert plan.complete and check(problem, plan).ok
    [craft] = plan.crafts
    assert craft.runs == pytest.approx(12 / 52.93)

    r = client.post(f"/api/v1/orgs/{org.id}/plans/{done['id']}/apply", headers=owner.headers)
    assert r.status_code == 200, r.text
    applied = r.json()
    assert applied["crafts"] == []
    [job] = applied["refinery_jobs"]
    assert job["blueprint_id"] == blueprint
    assert job["output_quantity"] == pytest.approx(12)
    reserved = sum(res["quantity"] for res in applied["reservations"])
    assert reserved == pytest.approx(1200 / 52.93, abs=1e-5)
    # The plan says it was applied (list and one read): the crafts board reads the refinery
    # jobs back from applied plans.
    [listed] = client.get(f"/api/v1/orgs/{org.id}/plans", headers=owner.headers).json()["items"]
    assert listed["applied_at"] is not None
    read = client.get(f"/api/v1/orgs/{org.id}/plans/{done['id']}", headers=owner.headers).json()
    assert read["applied_at"] == listed["applied_at"]
    assert done["applied_at"] is None


def test_a_cargo_grid_parked_at_a_station_travels_with_it(
        client: TestClient, session: Session, make_user: Any, make_org: Any) -> None:
    owner = make_user()
    org = make_org(owner)
    alu = make_item(session, "Aluminum")
    hangar = make_location(session, "Hangar", kind="hangar", org_id=org.id)
    locker = make_location(session, "Locker", kind="storage", parent=hangar, org_id=org.id,
                           trip_cost=900)
    everus = make_location(session, "Everus Harbor", kind="station", trip_cost=1800)
    grid = make_location(session, "Dragline grid", kind="ship_cargo", parent=everus,
                         org_id=org.id)
    make_stock(session, alu, grid, 10, org_id=org.id)
    make_stock(session, alu, locker, 2, org_id=org.id)
    session.commit()
    r = client.post(f"/api/v1/orgs/{org.id}/sources", headers=owner.headers, json={
        "item_id": str(alu.id), "location_id": str(everus.id), "price": 10})
    assert r.status_code == 201, r.text

    done, doc = _plan(client, org.id, owner.headers, {
        "demands": [{"item_id": str(alu.id), "quantity": 20}],
        "delivery_location_id": str(hangar.id)})
    problem = parse_problem(doc)
    # The tree is handed over as stored; the engine reads the stops from it.
    assert problem.location(str(locker.id)).trip_cost == 900
    assert problem.stop(str(locker.id)) is None
    assert problem.stop(str(grid.id)) == str(everus.id)
    plan = parse_plan(done["plan"])
    assert plan.complete and check(problem, plan).ok
    assert [(t.location, t.trips) for t in plan.trips] == [(str(everus.id), 1)]
    assert plan.costs.trips == 1800


def test_member_stock_reliability_from_the_org_and_the_member(
        client: TestClient, session: Session, make_user: Any, make_org: Any) -> None:
    owner, vex, ana = make_user(), make_user(), make_user()
    org = make_org(owner, members={vex: "member", ana: "member"})
    alu = make_item(session, "Aluminum")
    hangar = make_location(session, "Hangar", kind="hangar", org_id=org.id)
    theirs = make_location(session, "Their hangar", kind="hangar", trip_cost=100)
    vex_row = make_stock(session, alu, theirs, 3, user_id=vex.id, shared_with=org.id)
    ana_row = make_stock(session, alu, theirs, 3, user_id=ana.id, shared_with=org.id)
    session.commit()
    base = f"/api/v1/orgs/{org.id}"
    assert client.get(base, headers=owner.headers).json()["member_stock_reliability"] == 0.9
    r = client.patch(f"{base}/members/{vex.id}", headers=owner.headers,
                     json={"stock_reliability": 0.5})
    assert r.status_code == 200, r.text
    assert r.json()["stock_reliability"] == 0.5 and r.json()["role"] == "member"
    r = client.patch(base, headers=owner.headers, json={"member_stock_reliability": 0.75})
    assert r.status_code == 200 and r.json()["member_stock_reliability"] == 0.75

    _, doc = _plan(client, org.id, owner.headers, {
        "demands": [{"item_id": str(alu.id), "quantity": 4}],
        "delivery_location_id": str(hangar.id)})
    trust = {s.id: s.reliability for s in parse_problem(doc).sources}
    assert trust[f"member:{vex_row.id}"] == 0.5
    assert trust[f"member:{ana_row.id}"] == 0.75

    r = client.patch(f"{base}/members/{vex.id}", headers=owner.headers,
                     json={"stock_reliability": None})
    assert r.status_code == 200 and r.json()["stock_reliability"] is None


@pytest.mark.parametrize("body", [{"member_stock_reliability": 0},
                                  {"member_stock_reliability": 1.5}])
def test_org_stock_reliability_out_of_range_is_a_422(
        client: TestClient, make_user: Any, make_org: Any, body: dict[str, Any]) -> None:
    owner = make_user()
    org = make_org(owner)
    r = client.patch(f"/api/v1/orgs/{org.id}", headers=owner.headers, json=body)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "member_stock_reliability" in r.text
    member = client.patch(f"/api/v1/orgs/{org.id}/members/{owner.id}", headers=owner.headers,
                          json={"stock_reliability": 2})
    assert member.status_code == 422 and "stock_reliability" in member.text

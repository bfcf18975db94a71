"""What the plan snapshot puts in the problem: the location tree, free hauling inside the
delivery location, market lot sizes. Embedded mode (in-process worker), both backends."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.core.db import Database
from api.core.security import create_access_token
from api.core.settings import Settings
from engine.checker import check
from engine.plan import parse_plan
from engine.problem import parse_problem
from engine.whatif import CloseLocation, apply_changes
from models.accounts import User
from models.inventory import Location, Ship
from models.orgs import Organization
from models.planning import Goal
from scenarios.demo import seed_demo
from tests.api.planning_helpers import make_item, make_location, make_stock
from tests.api.test_plans import wait_done


def _plan(client: TestClient, org_id: uuid.UUID, headers: dict[str, str],
          body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Request a plan, wait for it; the finished plan resource and its stored problem."""
    r = client.post(f"/api/v1/orgs/{org_id}/plans", headers=headers,
                    json={"time_limit": 30, **body})
    assert r.status_code == 202, r.text
    url = r.headers["Location"]
    done = wait_done(client, url, headers)
    assert done["status"] == "done", done
    problem = client.get(f"{url}/problem", headers=headers)
    assert problem.status_code == 200
    return done, problem.json()


def test_snapshot_keeps_location_tree_for_close_location(
        client: TestClient, session: Session, make_user: Any, make_org: Any) -> None:
    owner = make_user()
    org = make_org(owner)
    alu = make_item(session, "Aluminum")
    system = make_location(session, "Stanton", kind="system")
    arccorp = make_location(session, "ArcCorp", kind="planet", parent=system)
    baijini = make_location(session, "Baijini Point", kind="station", parent=arccorp,
                            trip_cost=700)
    far_hangar = make_location(session, "Baijini Hangar", kind="hangar", parent=baijini,
                               org_id=org.id)
    hurston = make_location(session, "Hurston", kind="planet", parent=system)
    lorville = make_location(session, "Lorville", kind="city", parent=hurston)
    home = make_location(session, "Home Hangar", kind="hangar", parent=lorville, org_id=org.id)
    far = make_stock(session, alu, far_hangar, 5, org_id=org.id, quality=300)
    near = make_stock(session, alu, home, 1, org_id=org.id, quality=300)
    session.commit()
    r = client.post(f"/api/v1/orgs/{org.id}/sources", headers=owner.headers, json={
        "item_id": str(alu.id), "location_id": str(baijini.id), "price": 300})
    assert r.status_code == 201, r.text
    listing = r.json()["id"]

    _, doc = _plan(client, org.id, owner.headers, {
        "demands": [{"item_id": str(alu.id), "quantity": 3}],
        "delivery_location_id": str(home.id)})
    problem = parse_problem(doc)
    parents = {loc.id: loc.parent for loc in problem.locations}
    # Every referenced location comes with its whole chain, universe nodes included.
    assert parents[str(far_hangar.id)] == str(baijini.id)
    assert parents[str(baijini.id)] == str(arccorp.id)
    assert parents[str(arccorp.id)] == str(system.id)
    assert parents[str(home.id)] == str(lorville.id)
    assert parents[str(lorville.id)] == str(hurston.id)
    assert parents[str(system.id)] is None
    assert problem.location(str(baijini.id)).trip_cost == 700

    closed = apply_changes(problem, [CloseLocation(location=str(arccorp.id))])
    available = {s.id: s.available for s in closed.sources}
    assert available[f"own:{far.id}"] == 0
    assert available[f"market:{listing}"] == 0
    assert available[f"own:{near.id}"] == 1
    # Closing the station alone also reaches the hangar under it.
    closed = apply_changes(problem, [CloseLocation(location=str(baijini.id))])
    assert {s.id: s.available for s in closed.sources}[f"own:{far.id}"] == 0


def test_stock_inside_the_delivery_location_costs_no_trips(
        client: TestClient, session: Session, make_user: Any, make_org: Any) -> None:
    owner = make_user()
    org = make_org(owner)
    rifle = make_item(session, "P4-AR", unit="piece", volume=0.1)
    alu = make_item(session, "Aluminum")
    area18 = make_location(session, "Area 18", kind="city", trip_cost=500)
    hangar = make_location(session, "Org Hangar", kind="hangar", parent=area18, org_id=org.id,
                           trip_cost=1500)
    locker = make_location(session, "Weapons Locker", kind="storage", parent=hangar,
                           org_id=org.id)
    grid = make_location(session, "Stargazer cargo grid", kind="ship_cargo", parent=hangar,
                         org_id=org.id)
    session.add(Ship(name="Stargazer", ship_type="Constellation Andromeda",
                     cargo_capacity_scu=Decimal(96), organization_id=org.id,
                     cargo_location_id=grid.id, current_location_id=hangar.id))
    make_stock(session, rifle, locker, 3, org_id=org.id, quality=500)
    make_stock(session, alu, grid, 10, org_id=org.id, quality=400)
    session.commit()
    # A dearer listing outside the hangar keeps its trip cost.
    r = client.post(f"/api/v1/orgs/{org.id}/sources", headers=owner.headers, json={
        "item_id": str(alu.id), "location_id": str(area18.id), "price": 5000})
    assert r.status_code == 201, r.text

    done, doc = _plan(client, org.id, owner.headers, {
        "demands": [{"item_id": str(rifle.id), "quantity": 2},
                     {"item_id": str(alu.id), "quantity": 4}],
        "delivery_location_id": str(hangar.id)})
    problem = parse_problem(doc)
    # Stops: both inside the delivery hangar, so they never travel (the engine's reading).
    assert problem.stop(str(locker.id)) is None and problem.stop(str(grid.id)) is None
    assert problem.location(str(area18.id)).trip_cost == 500
    plan = parse_plan(done["plan"])
    assert plan.complete
    taken = {t.source for t in plan.takes}
    assert all(s.startswith("own:") for s in taken) and len(taken) == 2
    assert plan.costs.trips == 0
    assert sum(problem.trip_cost(t.location) * t.trips for t in plan.trips) == 0
    assert check(problem, plan).ok


def test_snapshot_carries_lot_sizes(client: TestClient, session: Session, make_user: Any,
                                    make_org: Any) -> None:
    owner = make_user()
    org = make_org(owner)
    alu = make_item(session, "Aluminum")
    hangar = make_location(session, "Hangar", kind="hangar", org_id=org.id)
    tdd = make_location(session, "TDD", kind="city", trip_cost=500)
    session.commit()
    r = client.post(f"/api/v1/orgs/{org.id}/sources", headers=owner.headers, json={
        "item_id": str(alu.id), "location_id": str(tdd.id), "price": 330, "lot_size": 8})
    assert r.status_code == 201, r.text
    listing = f"market:{r.json()['id']}"

    done, doc = _plan(client, org.id, owner.headers, {
        "demands": [{"item_id": str(alu.id), "quantity": 3}],
        "delivery_location_id": str(hangar.id)})
    problem = parse_problem(doc)
    assert problem.source(listing).lot_size == 8
    plan = parse_plan(done["plan"])
    # Sold in 8 SCU crates: 3 SCU needed, one whole crate bought, 5 SCU left over.
    assert [(t.source, t.quantity) for t in plan.takes] == [(listing, 8)]
    assert check(problem, plan).ok


def test_demo_goal_plans_without_phantom_trips(client: TestClient, database: Database,
                                               settings: Settings) -> None:
    seed_demo(database, settings)
    with database.session_scope() as s:
        org = s.scalar(select(Organization).where(Organization.name == "Demo org"))
        owner = s.scalar(select(User).where(User.username == "demo"))
        assert org is not None and owner is not None
        org_id, owner_id = org.id, owner.id
        hangar = s.scalar(select(Location.id).where(Location.name == "Org Hangar",
                                                    Location.organization_id == org_id))
        locker = s.scalar(select(Location.id).where(Location.name == "Weapons Locker"))
        goal = s.scalar(select(Goal.id).where(Goal.organization_id == org_id,
                                              Goal.status == "active"))
    headers = {"Authorization": f"Bearer {create_access_token(owner_id, settings).token}"}
    done, doc = _plan(client, org_id, headers, {
        "goal_ids": [str(goal)], "delivery_location_id": str(hangar)})
    problem = parse_problem(doc)
    plan = parse_plan(done["plan"])
    assert plan.complete and check(problem, plan).ok
    # The P4-AR in the locker inside the hangar are used at no trip cost.
    assert problem.stop(str(locker)) is None
    assert any(problem.source(t.source).location == str(locker) for t in plan.takes)
    # Listings are bought in whole crates.
    for take in plan.takes:
        lot = problem.source(take.source).lot_size
        if lot is not None:
            assert abs(take.quantity / lot - round(take.quantity / lot)) < 1e-6, take

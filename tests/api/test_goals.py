"""Goals: computed progress from stock and crafts in progress, auto-completion (both backends)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.goals.service import refresh_org_goals
from models.planning import Blueprint, Craft, Goal
from tests.api.planning_helpers import make_item, make_location, make_stock


def test_progress_and_auto_complete(client: TestClient, session: Session, make_user: Any,
                                    make_org: Any) -> None:
    owner = make_user()
    org = make_org(owner)
    gun, ore = make_item(session), make_item(session)
    here = make_location(session)
    make_stock(session, gun, here, 3, org_id=org.id)
    make_stock(session, ore, here, 40, org_id=org.id, quality=200, reserved=10)
    make_stock(session, ore, here, 100, org_id=org.id, quality=100)  # below the floor
    session.commit()
    url = f"/api/v1/orgs/{org.id}/goals"
    r = client.post(url, headers=owner.headers, json={
        "name": "arm up", "due_at": "2030-01-01T00:00:00Z",
        "targets": [{"item_id": str(gun.id), "quantity": 5},
                    {"item_id": str(ore.id), "quantity": 30, "min_quality": 150}]})
    assert r.status_code == 201, r.text
    goal = r.json()
    assert goal["status"] == "active"
    lines = {t["item_id"]: t for t in goal["targets"]}
    assert lines[str(gun.id)]["have"] == 3 and lines[str(gun.id)]["remaining"] == 2
    assert lines[str(ore.id)]["in_stock"] == 30 and lines[str(ore.id)]["met"] is True
    assert abs(goal["progress"] - 33 / 35) < 1e-9

    # A craft in progress making 2 guns completes the goal on the next read.
    bp = Blueprint(name="gun", output_item_id=gun.id, output_quantity=Decimal(1),
                   organization_id=org.id)
    session.add(bp)
    session.flush()
    session.add(Craft(blueprint_id=bp.id, organization_id=org.id, runs=3, runs_completed=1,
                      status="in_progress", location_id=here.id))
    session.commit()
    r = client.get(f"{url}/{goal['id']}", headers=owner.headers)
    assert r.json()["status"] == "completed", r.text
    assert r.json()["completed_at"] is not None


def test_refresh_service_completes_after_stock_change(client: TestClient, session: Session,
                                                      make_user: Any, make_org: Any) -> None:
    owner = make_user()
    org = make_org(owner)
    gun = make_item(session)
    here = make_location(session)
    session.commit()
    r = client.post(f"/api/v1/orgs/{org.id}/goals", headers=owner.headers, json={
        "name": "g", "targets": [{"item_id": str(gun.id), "quantity": 2}]})
    goal_id = uuid.UUID(r.json()["id"])
    make_stock(session, gun, here, 2, org_id=org.id)
    assert refresh_org_goals(session, org.id) == [goal_id]
    session.commit()
    assert session.get(Goal, goal_id).status == "completed"  # type: ignore[union-attr]


def test_bad_input_cancel_and_tenancy(client: TestClient, session: Session, make_user: Any,
                                      make_org: Any) -> None:
    owner, outsider = make_user(), make_user()
    org, other = make_org(owner), make_org(outsider)
    gun = make_item(session)
    session.commit()
    url = f"/api/v1/orgs/{org.id}/goals"
    ok = {"name": "g", "targets": [{"item_id": str(gun.id), "quantity": 2}]}
    assert client.post(url, headers=owner.headers, json={**ok, "targets": []}).status_code == 422
    unknown = {"name": "g", "targets": [{"item_id": str(uuid.uuid4()), "quantity": 1}]}
    r = client.post(url, headers=owner.headers, json=unknown)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "targets.0.item_id"
    absurd = {"name": "g", "targets": [{"item_id": str(gun.id), "quantity": 1e15}]}
    assert client.post(url, headers=owner.headers, json=absurd).status_code == 422
    dup = {"name": "g", "targets": [ok["targets"][0], ok["targets"][0]]}  # type: ignore[index]
    assert client.post(url, headers=owner.headers, json=dup).status_code == 422
    goal_id = client.post(url, headers=owner.headers, json=ok).json()["id"]
    assert client.get(f"/api/v1/orgs/{other.id}/goals/{goal_id}",
                      headers=outsider.headers).status_code == 404
    assert client.get(f"{url}/{goal_id}", headers=outsider.headers).status_code == 404
    r = client.post(f"{url}/{goal_id}/cancel", headers=owner.headers)
    assert r.json()["status"] == "cancelled"
    r = client.put(f"{url}/{goal_id}", headers=owner.headers, json=ok)
    assert r.status_code == 409
    assert [g["id"] for g in client.get(url + "?status=cancelled",
                                        headers=owner.headers).json()["items"]] == [goal_id]

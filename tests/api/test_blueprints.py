"""Blueprints: CRUD, visibility, BOM cycle refusal, refining methods (both backends)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.api.planning_helpers import make_item


def _bp(output: uuid.UUID, *ingredients: uuid.UUID, name: str = "bp") -> dict[str, Any]:
    return {
        "name": name,
        "output_item_id": str(output),
        "output_quantity": 1,
        "minutes": 2.5,
        "run_cost": 10,
        "ingredients": [{"item_id": str(i), "quantity": 2, "min_quality": 100}
                        for i in ingredients],
    }


def test_create_get_list_update_delete(client: TestClient, session: Session, make_user: Any,
                                       make_org: Any) -> None:
    owner = make_user()
    org = make_org(owner)
    a, b = make_item(session), make_item(session)
    session.commit()
    url = f"/api/v1/orgs/{org.id}/blueprints"
    r = client.post(url, json=_bp(a.id, b.id), headers=owner.headers)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["ingredients"][0]["min_quality"] == 100
    assert r.headers["Location"].endswith(body["id"])
    assert client.get(f"{url}/{body['id']}", headers=owner.headers).json()["name"] == "bp"
    assert client.get(url, headers=owner.headers).json()["total"] == 1
    r = client.put(f"{url}/{body['id']}", json=_bp(a.id, name="renamed"), headers=owner.headers)
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "renamed" and r.json()["ingredients"] == []
    assert client.delete(f"{url}/{body['id']}", headers=owner.headers).status_code == 204
    assert client.get(f"{url}/{body['id']}", headers=owner.headers).status_code == 404


def test_alternatives_allowed_and_cycle_refused(client: TestClient, session: Session,
                                                make_user: Any, make_org: Any) -> None:
    owner = make_user()
    org = make_org(owner)
    a, b, c = make_item(session), make_item(session), make_item(session)
    session.commit()
    url = f"/api/v1/orgs/{org.id}/blueprints"
    assert client.post(url, json=_bp(a.id, b.id), headers=owner.headers).status_code == 201
    # A second way to make a is an alternative, not an error.
    assert client.post(url, json=_bp(a.id, c.id), headers=owner.headers).status_code == 201
    assert client.post(url, json=_bp(b.id, c.id), headers=owner.headers).status_code == 201
    # c from a closes a -> ... -> c -> a.
    r = client.post(url, json=_bp(c.id, a.id), headers=owner.headers)
    assert r.status_code == 422
    problem = r.json()
    assert "cycle" in problem["detail"]
    assert str(a.id) in problem["cycle"] and str(c.id) in problem["cycle"]
    assert problem["errors"][0]["field"] == "ingredients"
    # Self-reference is refused too.
    r = client.post(url, json=_bp(a.id, a.id), headers=owner.headers)
    assert r.status_code == 422


def test_bad_input_and_tenancy(client: TestClient, session: Session, make_user: Any,
                               make_org: Any) -> None:
    owner, outsider, viewer = make_user(), make_user(), make_user()
    org = make_org(owner, members={viewer: "viewer"})
    other = make_org(outsider)
    a = make_item(session)
    private = make_item(session, org_id=other.id)
    session.commit()
    url = f"/api/v1/orgs/{org.id}/blueprints"
    assert client.post(url, json=_bp(a.id, private.id), headers=owner.headers).status_code == 422
    assert client.post(url, json=_bp(uuid.uuid4()), headers=owner.headers).status_code == 422
    absurd = _bp(a.id)
    absurd["output_quantity"] = 1e12
    assert client.post(url, json=absurd, headers=owner.headers).status_code == 422
    # Below the column's 6 decimals it would round to 0 and trip the CHECK (was a 409).
    tiny = {**_bp(a.id), "output_quantity": 1e-300}
    r = client.post(url, json=tiny, headers=owner.headers)
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == ["output_quantity"]
    long_name = _bp(a.id, name="x" * 201)
    assert client.post(url, json=long_name, headers=owner.headers).status_code == 422
    assert client.post(url, json=_bp(a.id), headers=viewer.headers).status_code == 403
    r = client.post(url, json=_bp(a.id), headers=owner.headers)
    bp_id = r.json()["id"]
    # Another org neither sees nor edits it.
    other_url = f"/api/v1/orgs/{other.id}/blueprints/{bp_id}"
    assert client.get(other_url, headers=outsider.headers).status_code == 404
    assert client.get(f"{url}/{bp_id}", headers=outsider.headers).status_code == 404
    assert client.put(other_url, json=_bp(a.id), headers=outsider.headers).status_code == 404


def test_refining_method_blueprint(client: TestClient, session: Session, make_user: Any,
                                   make_org: Any) -> None:
    owner = make_user()
    org = make_org(owner)
    ore, refined = make_item(session, "Gold (Ore)"), make_item(session, "Gold")
    session.commit()
    methods = client.get("/api/v1/refining-methods", headers=owner.headers).json()
    assert {m["name"] for m in methods} >= {"Dinyx Solventation", "XCR Reaction"}
    r = client.post(f"/api/v1/orgs/{org.id}/blueprints/refining", headers=owner.headers, json={
        "method": "Ferron Exchange", "ore_item_id": str(ore.id),
        "refined_item_id": str(refined.id), "ore_quantity": 10, "base_minutes": 60,
        "base_cost": 100})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["kind"] == "refine"
    assert abs(body["output_quantity"] - 5.293) < 1e-9
    assert body["minutes"] == 240 and body["run_cost"] == 200
    r = client.post(f"/api/v1/orgs/{org.id}/blueprints/refining", headers=owner.headers, json={
        "method": "Magic", "ore_item_id": str(ore.id), "refined_item_id": str(refined.id)})
    assert r.status_code == 422

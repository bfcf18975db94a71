"""Crafts on both backends: lifecycle, partial completion, quality floors, refusals; and
parallel starts competing for the same stock on PostgreSQL."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.core.db import Database
from api.core.errors import InsufficientStock
from api.crafts import service as crafts
from api.crafts.schemas import CraftIn
from models.inventory import ItemHistory, ItemStock, StockReservation
from models.planning import Blueprint, BlueprintIngredient
from tests.api.planning_helpers import make_item, make_location


def _adjust(client: TestClient, user: Any, org_id: uuid.UUID, item: Any, loc: Any,
            qty: float, quality: int = 0) -> None:
    r = client.post(f"/api/v1/orgs/{org_id}/stock/adjust", headers=user.headers, json={
        "item_id": str(item.id), "location_id": str(loc.id), "quality": quality,
        "delta": qty})
    assert r.status_code in (200, 201), r.text


def _world(session: Session, org_id: uuid.UUID) -> dict[str, Any]:
    rifle = make_item(session, f"rifle-{uuid.uuid4().hex[:6]}", unit="piece")
    alu = make_item(session, f"alu-{uuid.uuid4().hex[:6]}")
    iron = make_item(session, f"iron-{uuid.uuid4().hex[:6]}")
    hangar = make_location(session, "Hangar", kind="hangar", org_id=org_id)
    bay = make_location(session, "Bay", kind="storage", parent=hangar, org_id=org_id)
    elsewhere = make_location(session, "Elsewhere", kind="hangar", org_id=org_id)
    bp = Blueprint(name="rifle", output_item_id=rifle.id, output_quantity=Decimal(2),
                   organization_id=org_id)
    bp.ingredients = [
        BlueprintIngredient(position=0, item_id=alu.id, quantity=Decimal("1.5"), min_quality=300),
        BlueprintIngredient(position=1, item_id=iron.id, quantity=Decimal(1)),
    ]
    session.add(bp)
    session.commit()
    return {"rifle": rifle, "alu": alu, "iron": iron, "hangar": hangar, "bay": bay,
            "elsewhere": elsewhere, "bp": bp}


def _craft(client: TestClient, user: Any, org_id: uuid.UUID, w: dict[str, Any],
           runs: int) -> dict[str, Any]:
    r = client.post(f"/api/v1/orgs/{org_id}/crafts", headers=user.headers, json={
        "blueprint_id": str(w["bp"].id), "runs": runs, "location_id": str(w["hangar"].id)})
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def _history_matches_rows(session: Session) -> None:
    session.rollback()
    for row in session.scalars(select(ItemStock)):
        q, r = session.execute(select(
            func.coalesce(func.sum(ItemHistory.delta), 0),
            func.coalesce(func.sum(ItemHistory.reserved_delta), 0),
        ).where(ItemHistory.stock_id == row.id)).one()
        assert (Decimal(q), Decimal(r)) == (row.quantity, row.reserved), row.id


def test_lifecycle_partial_completion(client: TestClient, session: Session, make_user: Any,
                                      make_org: Any) -> None:
    owner = make_user()
    org = make_org(owner)
    w = _world(session, org.id)
    # Quality 200 is below the floor; 350 in the sub-location is the lowest sufficient.
    _adjust(client, owner, org.id, w["alu"], w["hangar"], 100, quality=200)
    _adjust(client, owner, org.id, w["alu"], w["bay"], 4, quality=350)
    _adjust(client, owner, org.id, w["alu"], w["hangar"], 10, quality=900)
    _adjust(client, owner, org.id, w["iron"], w["hangar"], 10)
    _adjust(client, owner, org.id, w["alu"], w["elsewhere"], 100, quality=999)
    base = f"/api/v1/orgs/{org.id}/crafts"
    c = _craft(client, owner, org.id, w, runs=4)
    assert c["status"] == "planned" and c["reservations"] == []
    r = client.post(f"{base}/{c['id']}/start", headers=owner.headers)
    assert r.status_code == 200, r.text
    c = r.json()
    assert c["status"] == "in_progress"
    held = {(x["quality"], x["location_id"]): Decimal(x["quantity"]) for x in c["reservations"]}
    # 6 alu: all 4 of quality 350 first, then 2 of quality 900; never the 200s or elsewhere.
    assert held == {(350, str(w["bay"].id)): 4, (900, str(w["hangar"].id)): 2,
                    (0, str(w["hangar"].id)): 4}
    assert [Decimal(i["reserved_quantity"]) for i in c["ingredients"]] == [6, 4]

    r = client.post(f"{base}/{c['id']}/complete", headers=owner.headers, json={"runs": 3})
    assert r.status_code == 200, r.text
    c = r.json()
    assert (c["status"], c["runs_completed"]) == ("in_progress", 3)
    assert [Decimal(i["consumed_quantity"]) for i in c["ingredients"]] == [Decimal("4.5"), 3]
    assert [Decimal(i["reserved_quantity"]) for i in c["ingredients"]] == [Decimal("1.5"), 1]
    r = client.post(f"{base}/{c['id']}/complete", headers=owner.headers, json={"runs": 2})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "runs"
    r = client.post(f"{base}/{c['id']}/complete", headers=owner.headers)
    assert r.status_code == 200 and r.json()["status"] == "completed"

    session.rollback()
    rows = {(s.item_id, s.location_id, s.quality): s for s in session.scalars(select(ItemStock))}
    assert rows[(w["alu"].id, w["bay"].id, 350)].quantity == 0
    assert rows[(w["alu"].id, w["hangar"].id, 900)].quantity == 8
    assert rows[(w["alu"].id, w["hangar"].id, 200)].quantity == 100
    assert rows[(w["iron"].id, w["hangar"].id, 0)].quantity == 6
    assert all(s.reserved == 0 for s in rows.values())
    # Output: 4 runs × 2; quality = lowest consumed quality (the iron's 0).
    outputs = [s for k, s in rows.items() if k[0] == w["rifle"].id]
    assert [(s.quantity, s.location_id) for s in outputs] == [(8, w["hangar"].id)]
    kinds = session.scalars(select(ItemHistory.kind).where(
        ItemHistory.craft_id == uuid.UUID(c["id"]))).all()
    assert kinds.count("craft_output") == 2
    _history_matches_rows(session)


def test_shortfall_refused_nothing_reserved(client: TestClient, session: Session,
                                            make_user: Any, make_org: Any) -> None:
    owner = make_user()
    org = make_org(owner)
    w = _world(session, org.id)
    _adjust(client, owner, org.id, w["alu"], w["hangar"], 100, quality=900)
    _adjust(client, owner, org.id, w["iron"], w["hangar"], 2)
    _adjust(client, owner, org.id, w["iron"], w["elsewhere"], 50)
    c = _craft(client, owner, org.id, w, runs=3)
    r = client.post(f"/api/v1/orgs/{org.id}/crafts/{c['id']}/start", headers=owner.headers)
    assert r.status_code == 409, r.text
    body = r.json()
    assert body["type"].endswith("insufficient-stock")
    assert body["item_id"] == str(w["iron"].id) and Decimal(str(body["shortfall"])) == 1
    assert body["detail"].endswith("need 3 SCU, 2 SCU available, short 1 SCU")
    session.rollback()
    assert session.scalar(select(func.count()).select_from(StockReservation)) == 0
    assert all(s.reserved == 0 for s in session.scalars(select(ItemStock)))
    got = client.get(f"/api/v1/orgs/{org.id}/crafts/{c['id']}", headers=owner.headers).json()
    assert got["status"] == "planned"


def test_cancel_releases(client: TestClient, session: Session, make_user: Any,
                         make_org: Any) -> None:
    owner = make_user()
    org = make_org(owner)
    w = _world(session, org.id)
    _adjust(client, owner, org.id, w["alu"], w["hangar"], 10, quality=500)
    _adjust(client, owner, org.id, w["iron"], w["hangar"], 10)
    c = _craft(client, owner, org.id, w, runs=2)
    base = f"/api/v1/orgs/{org.id}/crafts/{c['id']}"
    assert client.post(f"{base}/start", headers=owner.headers).status_code == 200
    assert client.post(f"{base}/complete", headers=owner.headers,
                       json={"runs": 1}).status_code == 200
    r = client.post(f"{base}/cancel", headers=owner.headers)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert {x["state"] for x in r.json()["reservations"]} <= {"consumed", "released"}
    session.rollback()
    assert all(s.reserved == 0 for s in session.scalars(select(ItemStock)))
    for path in ("start", "complete", "cancel"):
        r = client.post(f"{base}/{path}", headers=owner.headers)
        assert r.status_code == 409, (path, r.text)
    _history_matches_rows(session)


def test_bad_input_and_scoping(client: TestClient, session: Session, make_user: Any,
                               make_org: Any) -> None:
    owner, viewer, outsider = make_user(), make_user(), make_user()
    org = make_org(owner, members={viewer: "viewer"})
    other = make_org(outsider)
    w = _world(session, org.id)
    foreign = make_location(session, "theirs", kind="hangar", org_id=other.id)
    session.commit()
    base = f"/api/v1/orgs/{org.id}/crafts"
    ok = {"blueprint_id": str(w["bp"].id), "runs": 1, "location_id": str(w["hangar"].id)}
    for bad, status in [
        ({**ok, "runs": 0}, 422), ({**ok, "runs": 10**9}, 422), ({**ok, "runs": "x"}, 422),
        ({**ok, "priority": 10**6}, 422), ({**ok, "extra": 1}, 422),
        ({**ok, "blueprint_id": str(uuid.uuid4())}, 404),
        ({**ok, "location_id": str(foreign.id)}, 404),
    ]:
        r = client.post(base, headers=owner.headers, json=bad)
        assert r.status_code == status, (bad, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    assert client.post(base, headers=viewer.headers, json=ok).status_code == 403
    assert client.post(base, headers=outsider.headers, json=ok).status_code == 404
    c = _craft(client, owner, org.id, w, runs=1)
    assert client.get(f"{base}/{uuid.uuid4()}", headers=owner.headers).status_code == 404
    r = client.post(f"{base}/{c['id']}/complete", headers=owner.headers)
    assert r.status_code == 409
    r = client.post(f"{base}/{c['id']}/complete", headers=owner.headers, json={"runs": 0})
    assert r.status_code == 422
    # Another org's craft id under its own org answers 404.
    r = client.get(f"/api/v1/orgs/{other.id}/crafts/{c['id']}", headers=outsider.headers)
    assert r.status_code == 404
    assert len(client.get(base, headers=viewer.headers).json()["items"]) == 1


@pytest.mark.postgres
def test_parallel_starts_never_over_reserve(client: TestClient, session: Session,
                                            database: Database, make_user: Any,
                                            make_org: Any) -> None:
    if database.engine.dialect.name != "postgresql":
        pytest.skip("real parallel transactions: PostgreSQL")
    owner = make_user()
    org = make_org(owner)
    w = _world(session, org.id)
    # 4 full crafts fit: 24 alu over two rows, 4 iron.
    _adjust(client, owner, org.id, w["alu"], w["hangar"], 14, quality=400)
    _adjust(client, owner, org.id, w["alu"], w["bay"], 10, quality=800)
    _adjust(client, owner, org.id, w["iron"], w["hangar"], 4)
    ids = []
    with database.session_scope() as s:
        for _ in range(12):
            ids.append(crafts.create_craft(s, org.id, owner.id, CraftIn(
                blueprint_id=w["bp"].id, runs=4, location_id=w["hangar"].id)).id)
    barrier = threading.Barrier(len(ids))

    def start(craft_id: uuid.UUID) -> bool:
        barrier.wait()
        try:
            with database.session_scope() as s:
                crafts.start_craft(s, org.id, owner.id, craft_id)
            return True
        except InsufficientStock:
            return False

    # 12 crafts of 4 runs: 6 alu + 4 iron each; iron (4) lets exactly one through.
    with ThreadPoolExecutor(max_workers=len(ids)) as pool:
        results = list(pool.map(start, ids))
    assert results.count(True) == 1
    session.rollback()
    rows = session.scalars(select(ItemStock)).all()
    assert all(s.reserved <= s.quantity for s in rows)
    active = session.scalar(select(func.coalesce(func.sum(StockReservation.quantity), 0)).where(
        StockReservation.released_at.is_(None), StockReservation.consumed_at.is_(None)))
    assert Decimal(active) == sum((s.reserved for s in rows), Decimal(0)) == 10


@pytest.mark.postgres
def test_parallel_one_run_starts_exact(client: TestClient, session: Session,
                                       database: Database, make_user: Any,
                                       make_org: Any) -> None:
    if database.engine.dialect.name != "postgresql":
        pytest.skip("real parallel transactions: PostgreSQL")
    owner = make_user()
    org = make_org(owner)
    w = _world(session, org.id)
    # One-run crafts need 1.5 alu + 1 iron: alu 10.5 over two rows → exactly 7 fit.
    _adjust(client, owner, org.id, w["alu"], w["hangar"], 5, quality=400)
    _adjust(client, owner, org.id, w["alu"], w["bay"], 5.5, quality=800)
    _adjust(client, owner, org.id, w["iron"], w["hangar"], 100)
    with database.session_scope() as s:
        ids = [crafts.create_craft(s, org.id, owner.id, CraftIn(
            blueprint_id=w["bp"].id, runs=1, location_id=w["hangar"].id)).id
            for _ in range(16)]
    barrier = threading.Barrier(len(ids))

    def start(craft_id: uuid.UUID) -> bool:
        barrier.wait()
        try:
            with database.session_scope() as s:
                crafts.start_craft(s, org.id, owner.id, craft_id)
            return True
        except InsufficientStock:
            return False

    with ThreadPoolExecutor(max_workers=len(ids)) as pool:
        results = list(pool.map(start, ids))
    assert results.count(True) == 7
    session.rollback()
    alu = [s for s in session.scalars(select(ItemStock)) if s.item_id == w["alu"].id]
    assert sum((s.reserved for s in alu), Decimal(0)) == Decimal("10.5")
    assert all(s.reserved <= s.quantity for s in alu)
    _history_matches_rows(session)

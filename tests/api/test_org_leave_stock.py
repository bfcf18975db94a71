"""Issue 8.2: a member who leaves (or is removed) takes their shared stock back.

The org's open reservations of it are released (the org is told which crafts/plans lost
inputs), the rows are unshared, history records both, all in the leave's transaction. Both
backends; the race of a leave against reservations runs on PostgreSQL.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.core.db import Database
from api.core.deps import OrgAccess
from api.core.errors import NotFound
from api.live.hub import publish
from api.orgs import service as orgs_service
from api.stock import service as stock_service
from models.accounts import User
from models.inventory import ItemHistory, ItemStock, StockReservation
from models.orgs import OrganizationMember
from models.planning import Plan
from tests.api import test_stock
from tests.api.test_stock import World
from tests.api.test_stock_concurrency import parallel, pg  # noqa: F401  (fixture)
from tests.conftest import TEST_PASSWORD

world = test_stock.world


def _share(client: TestClient, w: World, quantity: int) -> str:
    """The member's personal row at a (universe) station, shared with the org."""
    res = client.post(w.url("/adjust"), headers=w.member.headers, json={
        "item_id": str(w.ore), "location_id": str(w.station), "quality": 0,
        "delta": quantity, "owner": "me"})
    assert res.status_code == 200, res.text
    stock_id = str(res.json()["stock"]["id"])
    assert client.post(w.url(f"/{stock_id}/share"), headers=w.member.headers).status_code == 200
    return stock_id


def _events_so_far(ws: Any, org_id: uuid.UUID) -> list[dict[str, Any]]:
    """The events delivered so far: everything announced before a marker published now."""
    publish(org_id, {"type": "test.marker"}, redis_url=None)
    events = []
    while (event := ws.receive_json())["type"] != "test.marker":
        events.append(event)
    return events


def _sums(database: Database, stock_id: str) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """(quantity, reserved, Σ history delta, Σ history reserved_delta) of one row."""
    with database.sessionmaker() as s:
        stock = s.get(ItemStock, uuid.UUID(stock_id))
        assert stock is not None
        delta, reserved_delta = s.execute(
            select(func.coalesce(func.sum(ItemHistory.delta), 0),
                   func.coalesce(func.sum(ItemHistory.reserved_delta), 0))
            .where(ItemHistory.stock_id == stock.id)).one()
        return stock.quantity, stock.reserved, Decimal(delta), Decimal(reserved_delta)


@pytest.mark.parametrize("how", ["leave", "removed"])
def test_leaving_returns_shared_stock_and_releases_reservations(
    client: TestClient, world: World, database: Database, add_member: Any, how: str
) -> None:
    w = world
    stock_id = _share(client, w, 10)
    with database.session_scope() as s:
        plan = Plan(organization_id=w.org.id)
        s.add(plan)
    held = client.post(w.url("/reservations"), headers=w.owner.headers, json={
        "stock_id": stock_id, "quantity": 4, "reason": "for the plan", "plan_id": str(plan.id)})
    assert held.status_code == 201, held.text
    with client.websocket_connect(
        f"/api/v1/orgs/{w.org.id}/live?token={w.owner.token}"
    ) as ws:
        assert ws.receive_json()["type"] == "hello"
        if how == "leave":
            res = client.post(f"/api/v1/orgs/{w.org.id}/leave", headers=w.member.headers)
        else:
            res = client.delete(f"/api/v1/orgs/{w.org.id}/members/{w.member.id}",
                                headers=w.owner.headers)
        assert res.status_code == 204, res.text
        events = _events_so_far(ws, w.org.id)
    left = [e for e in events if e["type"] == "member.left"]
    assert len(left) == 1, events
    event = left[0]
    # The org is told which reservation, stock and plan lost their input.
    assert event["user_id"] == str(w.member.id)
    assert event["returned_stock_ids"] == [stock_id]
    assert [r["reservation_id"] for r in event["released_reservations"]] == [held.json()["id"]]
    assert event["plans_lost_inputs"] == [str(plan.id)]
    # The org no longer sees or reserves it.
    assert client.get(w.url(f"/{stock_id}"), headers=w.owner.headers).status_code == 404
    again = client.post(w.url("/reservations"), headers=w.owner.headers,
                        json={"stock_id": stock_id, "quantity": 1})
    assert again.status_code == 404
    # Released, recorded for the org (the record says which plan), stock intact.
    res_list = client.get(w.url("/reservations?active=false"), headers=w.owner.headers).json()
    assert [(r["id"], r["released_at"] is not None) for r in res_list["items"]] == \
        [(held.json()["id"], True)]
    history = client.get(w.url(f"/history?stock_id={stock_id}"), headers=w.owner.headers).json()
    kinds = [(h["kind"], h["plan_id"], h["note"]) for h in history["items"][:2]]
    assert kinds == [("unshare", None, stock_service.LEFT_NOTE),
                     ("release", str(plan.id), stock_service.LEFT_NOTE)]
    quantity, reserved, delta, reserved_delta = _sums(database, stock_id)
    assert (quantity, reserved) == (Decimal(10), Decimal(0))
    assert (delta, reserved_delta) == (quantity, reserved)
    # The owner has their goods back: through another org of theirs they take all ten out
    # (before the fix: 409, four units were still reserved by the org they left).
    add_member(w.other_org, w.member, "member")
    taken = client.post(f"/api/v1/orgs/{w.other_org.id}/stock/adjust", headers=w.member.headers,
                        json={"item_id": str(w.ore), "location_id": str(w.station),
                              "quality": 0, "delta": -10, "owner": "me"})
    assert taken.status_code == 200, taken.text
    assert taken.json()["stock"]["id"] == stock_id


def test_leaving_without_shared_stock_changes_no_stock(
    client: TestClient, world: World, database: Database
) -> None:
    w = world
    org_stock = client.post(w.url("/adjust"), headers=w.owner.headers, json={
        "item_id": str(w.ore), "location_id": str(w.hangar), "quality": 0, "delta": 5})
    assert org_stock.status_code == 200
    with database.sessionmaker() as s:
        before = s.scalar(select(func.count()).select_from(ItemHistory))
    assert client.post(f"/api/v1/orgs/{w.org.id}/leave", headers=w.member.headers).status_code \
        == 204
    with database.sessionmaker() as s:
        assert s.scalar(select(func.count()).select_from(ItemHistory)) == before


@pytest.mark.postgres
def test_leave_racing_reservations_loses_nothing(
    client: TestClient, world: World, pg: Database  # noqa: F811
) -> None:
    """One leave against 16 parallel reservations of the member's shared row: every
    reservation that committed before the leave is released by it, every later one is a 404,
    nothing is lost or counted twice."""
    w = world
    stock_id = uuid.UUID(_share(client, w, 10))
    reservers = 16

    def run(i: int) -> Any:
        with pg.session_scope() as s:
            if i == 0:
                user = s.get(User, w.member.id)
                membership = s.scalar(select(OrganizationMember).where(
                    OrganizationMember.organization_id == w.org.id,
                    OrganizationMember.user_id == w.member.id))
                assert user is not None and membership is not None
                orgs_service.leave(s, OrgAccess(user, membership))
                return "left"
            return stock_service.reserve_stock(
                s, org_id=w.org.id, actor_id=w.owner.id, stock_id=stock_id,
                quantity=Decimal("0.5")).id

    results = parallel(reservers + 1, run)
    assert results[0] == "left"
    made = [r for r in results[1:] if isinstance(r, uuid.UUID)]
    refused = [r for r in results[1:] if not isinstance(r, uuid.UUID)]
    assert all(isinstance(r, NotFound) for r in refused), refused
    assert len(made) + len(refused) == reservers
    with pg.sessionmaker() as s:
        stock = s.get(ItemStock, stock_id)
        assert stock is not None
        assert (stock.quantity, stock.reserved, stock.shared_with_org_id) == \
            (Decimal(10), Decimal(0), None)
        rows = s.scalars(select(StockReservation).where(
            StockReservation.stock_id == stock_id)).all()
        assert sorted(r.id for r in rows) == sorted(made)
        assert all(r.released_at is not None and r.consumed_at is None for r in rows)
        delta, reserved_delta = s.execute(
            select(func.sum(ItemHistory.delta), func.sum(ItemHistory.reserved_delta))
            .where(ItemHistory.stock_id == stock_id)).one()
        assert (Decimal(delta), Decimal(reserved_delta)) == (Decimal(10), Decimal(0))
        releases = s.scalar(select(func.count()).select_from(ItemHistory).where(
            ItemHistory.stock_id == stock_id, ItemHistory.kind == "release"))
        assert releases == len(made)


def test_deleting_the_account_tells_the_org_what_it_lost(
    client: TestClient, world: World, database: Database
) -> None:
    """Account deletion ends every membership as leaving does: the org's reservations of the
    deleted member's shared stock are released and recorded before the rows go."""
    w = world
    stock_id = _share(client, w, 6)
    with database.session_scope() as s:
        plan = Plan(organization_id=w.org.id)
        s.add(plan)
    held = client.post(w.url("/reservations"), headers=w.owner.headers, json={
        "stock_id": stock_id, "quantity": 2, "plan_id": str(plan.id)})
    assert held.status_code == 201, held.text
    with client.websocket_connect(
        f"/api/v1/orgs/{w.org.id}/live?token={w.owner.token}"
    ) as ws:
        assert ws.receive_json()["type"] == "hello"
        gone = client.request("DELETE", "/api/v1/users/me", headers=w.member.headers,
                              json={"password": TEST_PASSWORD})
        assert gone.status_code == 204, gone.text
        events = _events_so_far(ws, w.org.id)
    left = [e for e in events if e["type"] == "member.left"]
    assert [e["plans_lost_inputs"] for e in left] == [[str(plan.id)]]
    with database.sessionmaker() as s:
        releases = s.scalars(select(ItemHistory).where(
            ItemHistory.organization_id == w.org.id, ItemHistory.kind == "release",
            ItemHistory.plan_id == plan.id)).all()
        assert [(r.reserved_delta, r.note) for r in releases] == \
            [(Decimal(-2), stock_service.LEFT_NOTE)]
        assert s.get(ItemStock, uuid.UUID(stock_id)) is None  # the personal row is erased

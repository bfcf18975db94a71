"""Stock watches (issue 10, notifications): an org admin sets a threshold per item; the org's
members are told once when its holding falls below, again only after it was back up; members'
shared stock counts; another org's watches do not exist for it (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.core.db import Database
from models.notifications import Notification
from tests.api.planning_helpers import make_item, make_location, make_stock

ME = "/api/v1/users/me/notifications"


def _low(session: Session, user_id: Any) -> list[Notification]:
    session.rollback()  # end the read transaction: see what the requests committed since
    return list(session.scalars(select(Notification).where(
        Notification.user_id == user_id, Notification.kind == "stock.low")
        .order_by(Notification.created_at)))


def _adjust(client: TestClient, user: Any, org_id: Any, item: Any, place: Any,
            delta: str) -> None:
    r = client.post(f"/api/v1/orgs/{org_id}/stock/adjust", headers=user.headers, json={
        "item_id": str(item.id), "location_id": str(place.id), "delta": delta})
    assert r.status_code == 200, r.text


def test_told_once_per_crossing_and_rearmed(client: TestClient, session: Session,
                                            make_user: Any, make_org: Any) -> None:
    owner, member, viewer = make_user(), make_user(), make_user()
    org = make_org(owner, members={member: "member", viewer: "viewer"})
    quant, hangar = make_item(session, "Quantanium"), make_location(session, "Hangar")
    session.commit()
    base = f"/api/v1/orgs/{org.id}/stock-watches"
    _adjust(client, owner, org.id, quant, hangar, "80")

    # Only admins set thresholds; members read them.
    body = {"item_id": str(quant.id), "threshold": 50}
    assert client.post(base, headers=member.headers, json=body).status_code == 403
    r = client.post(base, headers=owner.headers, json=body)
    assert r.status_code == 201, r.text
    watch = r.json()
    assert (watch["item_name"], Decimal(watch["holding"]), watch["low"], watch["armed"]) == \
        ("Quantanium", Decimal(80), False, True)
    assert client.post(base, headers=owner.headers, json=body).status_code == 409
    listed = client.get(base, headers=viewer.headers).json()
    assert [w["id"] for w in listed["items"]] == [watch["id"]] and listed["total"] == 1

    _adjust(client, member, org.id, quant, hangar, "-20")   # 60: still above
    assert _low(session, viewer.id) == []
    _adjust(client, member, org.id, quant, hangar, "-15")   # 45: below -> told, once
    _adjust(client, member, org.id, quant, hangar, "-5")    # 40: still below, not again
    for user in (owner, member, viewer):
        notes = _low(session, user.id)
        assert [(n.title, n.data["quantity"]) for n in notes] == [
            ("Quantanium is low: 45 left, below 50", "45.000000")]
    assert client.get(base, headers=owner.headers).json()["items"][0]["low"] is True

    _adjust(client, member, org.id, quant, hangar, "30")    # 70: back up, re-armed
    assert client.get(base, headers=owner.headers).json()["items"][0]["armed"] is True
    _adjust(client, member, org.id, quant, hangar, "-30")   # 40: below again -> told again
    assert len(_low(session, viewer.id)) == 2

    # A higher threshold is checked at once; turning the kind off silences a member.
    r = client.put("/api/v1/users/me/notification-preferences", headers=member.headers,
                   json={"preferences": [{"kind": "stock.low", "in_app": False}]})
    assert r.status_code == 200, r.text
    r = client.patch(f"{base}/{watch['id']}", headers=owner.headers, json={"threshold": 100})
    assert r.status_code == 200 and r.json()["armed"] is False
    assert len(_low(session, viewer.id)) == 3 and len(_low(session, member.id)) == 2
    assert client.delete(f"{base}/{watch['id']}", headers=owner.headers).status_code == 204
    assert client.get(base, headers=owner.headers).json()["total"] == 0


def test_shared_member_stock_counts_and_bad_input(client: TestClient, session: Session,
                                                  make_user: Any, make_org: Any) -> None:
    owner, member = make_user(), make_user()
    org = make_org(owner, members={member: "member"})
    other = make_org(make_user())
    gold, place = make_item(session, "Gold"), make_location(session, "Lorville")
    secret = make_item(session, "Secret", org_id=other.id)
    make_stock(session, gold, place, 30, org_id=org.id)
    make_stock(session, gold, place, 25, user_id=member.id, shared_with=org.id)
    make_stock(session, gold, make_location(session, "Home"), 999, user_id=member.id)  # private
    session.commit()
    base = f"/api/v1/orgs/{org.id}/stock-watches"
    r = client.post(base, headers=owner.headers, json={"item_id": str(gold.id), "threshold": 60})
    assert r.status_code == 201, r.text
    # 30 own + 25 shared = 55 < 60: already low, told at once.
    assert Decimal(r.json()["holding"]) == Decimal(55) and r.json()["low"] is True
    assert len(_low(session, member.id)) == 1

    for payload, field in [({"item_id": str(secret.id), "threshold": 1}, "item_id"),
                           ({"item_id": str(gold.id), "threshold": 0}, "threshold"),
                           ({"item_id": str(gold.id), "threshold": -3}, "threshold"),
                           ({"item_id": str(gold.id), "threshold": 5, "x": 1}, "x")]:
        r = client.post(base, headers=owner.headers, json=payload)
        assert r.status_code == 422, (payload, r.text)
        assert r.json()["errors"][0]["field"] == field, r.json()
    # Another org's watch does not exist for this org.
    theirs = f"/api/v1/orgs/{other.id}/stock-watches"
    assert client.get(theirs, headers=owner.headers).status_code == 404
    wid = client.get(base, headers=owner.headers).json()["items"][0]["id"]
    outsider = make_user()
    assert client.patch(f"{base}/{wid}", headers=outsider.headers,
                        json={"threshold": 5}).status_code == 404


@pytest.mark.postgres
def test_concurrent_drops_tell_once(client: TestClient, session: Session, database: Database,
                                    make_user: Any, make_org: Any, db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("concurrent transactions: PostgreSQL")
    owner = make_user()
    org = make_org(owner)
    ore, place = make_item(session, "Laranite"), make_location(session, "Port")
    session.commit()
    _adjust(client, owner, org.id, ore, place, "100")
    r = client.post(f"/api/v1/orgs/{org.id}/stock-watches", headers=owner.headers,
                    json={"item_id": str(ore.id), "threshold": 90})
    assert r.status_code == 201
    barrier = threading.Barrier(8)

    def drop() -> None:
        barrier.wait()
        _adjust(client, owner, org.id, ore, place, "-5")

    threads = [threading.Thread(target=drop) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert session.scalar(select(func.count()).select_from(Notification)
                          .where(Notification.kind == "stock.low")) == 1

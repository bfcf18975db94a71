"""Notification centre (issue 10): written with the event's transaction, preferences, read
state, per-user isolation, goal and commons notifications (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.core.db import Database
from api.live.hub import announce
from models.notifications import Notification
from models.planning import Blueprint, Craft
from tests.api.planning_helpers import make_item, make_location, make_stock
from tests.api.test_commons import _decide, _moderator, _submit

ME = "/api/v1/users/me/notifications"


def _craft(session: Session, org_id: uuid.UUID, crafter: uuid.UUID) -> Craft:
    gun = make_item(session)
    bp = Blueprint(name="gun", output_item_id=gun.id, output_quantity=Decimal(1),
                   organization_id=org_id)
    session.add(bp)
    session.flush()
    craft = Craft(blueprint_id=bp.id, organization_id=org_id, runs=2, runs_completed=2,
                  status="completed", crafter_id=crafter, location_id=make_location(session).id)
    session.add(craft)
    session.flush()
    return craft


def _done(session: Session, craft: Craft) -> None:
    announce(session, craft.organization_id, {"type": "craft.status", "craft_id": str(craft.id),
                                              "status": "completed"})


def _count(session: Session, user_id: uuid.UUID) -> int:
    return int(session.scalar(select(func.count()).select_from(Notification)
                              .where(Notification.user_id == user_id)) or 0)


def test_created_only_on_commit_and_preferences(client: TestClient, session: Session,
                                                make_user: Any, make_org: Any) -> None:
    owner = make_user()
    org = make_org(owner)
    craft = _craft(session, org.id, owner.id)
    session.commit()

    _done(session, craft)
    session.rollback()  # the completion never happened: nobody is told
    assert _count(session, owner.id) == 0

    _done(session, craft)
    session.commit()
    r = client.get(f"{ME}/unread-count", headers=owner.headers)
    assert r.status_code == 200 and r.json() == {"unread": 1}
    page = client.get(ME, headers=owner.headers).json()
    assert page["total"] == 1 and page["next_offset"] is None
    assert page["items"][0]["kind"] == "craft.done"
    assert page["items"][0]["data"] == {"craft_id": str(craft.id)}

    # Turned off: the next completion writes nothing for this user.
    r = client.put("/api/v1/users/me/notification-preferences", headers=owner.headers,
                   json={"preferences": [{"kind": "craft.done", "in_app": False}]})
    assert r.status_code == 200, r.text
    assert {p["kind"]: p["in_app"] for p in r.json()}["craft.done"] is False
    _done(session, craft)
    session.commit()
    assert _count(session, owner.id) == 1
    bad = client.put("/api/v1/users/me/notification-preferences", headers=owner.headers,
                     json={"preferences": [{"kind": "nope", "in_app": False}]})
    assert bad.status_code == 422


def test_read_state_and_isolation(client: TestClient, session: Session, make_user: Any,
                                  make_org: Any) -> None:
    owner, other = make_user(), make_user()
    org = make_org(owner)
    craft = _craft(session, org.id, owner.id)
    session.commit()
    for _ in range(3):
        _done(session, craft)
    session.commit()
    items = client.get(ME, headers=owner.headers).json()["items"]
    first = items[0]["id"]

    # Another user neither sees nor marks mine: 404, as for an id that does not exist.
    assert client.get(ME, headers=other.headers).json()["total"] == 0
    r = client.post(f"{ME}/{first}/read", headers=other.headers)
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem")
    assert client.post(f"{ME}/{uuid.uuid4()}/read", headers=owner.headers).status_code == 404

    r = client.post(f"{ME}/{first}/read", headers=owner.headers)
    assert r.status_code == 200 and r.json()["read_at"] is not None
    assert client.get(f"{ME}/unread-count", headers=owner.headers).json() == {"unread": 2}
    assert client.get(ME, params={"unread": True}, headers=owner.headers).json()["total"] == 2
    assert client.post(f"{ME}/read-all", headers=owner.headers).json() == {"marked": 2}
    assert client.get(f"{ME}/unread-count", headers=owner.headers).json() == {"unread": 0}
    assert client.post(f"{ME}/read-all", headers=other.headers).json() == {"marked": 0}


def test_goal_completed_notifies_its_author(client: TestClient, session: Session,
                                            make_user: Any, make_org: Any) -> None:
    owner = make_user()
    org = make_org(owner)
    gun = make_item(session)
    here = make_location(session)
    session.commit()
    r = client.post(f"/api/v1/orgs/{org.id}/goals", headers=owner.headers, json={
        "name": "arm up", "targets": [{"item_id": str(gun.id), "quantity": 2}]})
    assert r.status_code == 201, r.text
    make_stock(session, gun, here, 2, org_id=org.id)
    session.commit()
    client.get(f"/api/v1/orgs/{org.id}/goals/{r.json()['id']}", headers=owner.headers)
    items = client.get(ME, headers=owner.headers).json()["items"]
    assert [n["kind"] for n in items] == ["goal.completed"]
    assert items[0]["data"] == {"goal_id": r.json()["id"]}


def test_commons_decision_notifies_submitter(client: TestClient, make_user: Any,
                                             database: Database) -> None:
    author, mod = make_user(), _moderator(make_user, database)
    sub = _submit(client, author, "item", {"name": "Quantainium"})
    r = _decide(client, mod, sub["id"], "request_changes", notes="add a source")
    assert r.status_code == 200, r.text
    items = client.get(ME, headers=author.headers).json()["items"]
    assert len(items) == 1 and items[0]["kind"] == "commons.decision"
    assert items[0]["data"]["action"] == "request_changes"
    assert items[0]["data"]["submission_id"] == sub["id"]
    assert client.get(ME, headers=mod.headers).json()["total"] == 0

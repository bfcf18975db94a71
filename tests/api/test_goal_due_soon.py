"""goal.due_soon: a goal's creator is told once when an active goal comes within the
horizon; a new due date is worth a new reminder; racing workers tell once (issue 10)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.core.db import Database
from api.core.settings import Settings
from api.notifications.service import tell_goals_due_soon
from api.notifications.tasks import remind_due_goals
from models.notifications import Notification
from tests.api.planning_helpers import make_item


def _goal(client: TestClient, user: Any, org_id: Any, item_id: Any, name: str,
          due: datetime | None) -> dict[str, Any]:
    r = client.post(f"/api/v1/orgs/{org_id}/goals", headers=user.headers, json={
        "name": name, "due_at": due.isoformat() if due else None,
        "targets": [{"item_id": str(item_id), "quantity": 5}]})
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def _told(session: Session) -> list[tuple[Any, str]]:
    session.expire_all()
    rows = session.scalars(select(Notification).where(Notification.kind == "goal.due_soon")
                           .order_by(Notification.created_at))
    return [(n.user_id, n.data["goal_id"]) for n in rows]


def test_creator_is_told_once_and_again_after_a_new_due_date(
        client: TestClient, session: Session, make_user: Any, make_org: Any) -> None:
    owner, member = make_user(), make_user()
    org = make_org(owner, members={member: "member"})
    item = make_item(session, "Reminder ore")
    session.commit()
    now = datetime.now(UTC)
    soon = _goal(client, member, org.id, item.id, "Soon", now + timedelta(hours=3))
    _goal(client, owner, org.id, item.id, "Later", now + timedelta(days=3))
    _goal(client, owner, org.id, item.id, "Overdue", now - timedelta(hours=1))
    _goal(client, owner, org.id, item.id, "Someday", None)
    cancelled = _goal(client, owner, org.id, item.id, "Called off", now + timedelta(hours=2))
    assert client.post(f"/api/v1/orgs/{org.id}/goals/{cancelled['id']}/cancel",
                       headers=owner.headers).status_code == 200

    assert tell_goals_due_soon(session, now, 24) == 1
    session.commit()
    assert _told(session) == [(member.user.id, soon["id"])]
    assert tell_goals_due_soon(session, now, 24) == 0  # once
    session.commit()
    # The creator reads it in the centre, with a link to the goal.
    page = client.get("/api/v1/users/me/notifications", headers=member.headers).json()
    assert page["items"][0]["title"].startswith("Goal 'Soon' is due")

    # Moved by a day: a new reminder when the new date comes near.
    r = client.put(f"/api/v1/orgs/{org.id}/goals/{soon['id']}", headers=member.headers, json={
        "name": "Soon", "due_at": (now + timedelta(hours=27)).isoformat(),
        "targets": [{"item_id": str(item.id), "quantity": 5}]})
    assert r.status_code == 200, r.text
    session.rollback()  # SQLite: a read snapshot from before the API's write cannot write
    assert tell_goals_due_soon(session, now, 24) == 0
    assert tell_goals_due_soon(session, now + timedelta(hours=4), 24) == 1
    session.commit()
    assert len(_told(session)) == 2


@pytest.mark.postgres
def test_racing_workers_tell_once(client: TestClient, session: Session, database: Database,
                                  settings: Settings, make_user: Any, make_org: Any,
                                  db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("concurrent transactions: PostgreSQL")
    owner = make_user()
    org = make_org(owner)
    item = make_item(session, "Race ore")
    session.commit()
    for n in range(5):
        due = datetime.now(UTC) + timedelta(hours=n + 1)
        _goal(client, owner, org.id, item.id, f"Race {n}", due)
    barrier = threading.Barrier(8)
    counts: list[int] = []

    def look() -> None:
        barrier.wait()
        counts.append(remind_due_goals(database, settings))

    threads = [threading.Thread(target=look) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(counts) == 5
    assert session.scalar(select(func.count()).select_from(Notification)
                          .where(Notification.kind == "goal.due_soon")) == 5

"""Analytics with consent: nothing before consent, hashed addresses, revocation deletes, the
org dashboard and blueprint statistics, GDPR export and erasure (both backends)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.analytics.middleware import event_kind
from api.analytics.service import hash_ip
from models.analytics import AnalyticsConsent, UsageEvent
from models.jobs import OutboundEmail
from models.planning import Blueprint, Craft, Goal, Plan
from tests.api.planning_helpers import make_item, make_location


def _events(session: Session, user_id: uuid.UUID) -> list[UsageEvent]:
    session.rollback()  # a new transaction: an open SQLite read would keep its old snapshot
    return list(session.scalars(select(UsageEvent).where(UsageEvent.user_id == user_id)
                                .order_by(UsageEvent.occurred_at)).all())


def _consent(client: TestClient, user: Any, granted: bool) -> dict[str, Any]:
    res = client.put("/api/v1/users/me/analytics/consent", headers=user.headers,
                     json={"granted": granted})
    assert res.status_code == 200, res.text
    body: dict[str, Any] = res.json()
    return body


def test_events_only_with_consent_and_revocation_deletes_them(
    client: TestClient, session: Session, make_user: Any, make_org: Any
) -> None:
    owner, other = make_user(), make_user()
    org = make_org(owner, members={other: "member"})
    goals = f"/api/v1/orgs/{org.id}/goals"

    res = client.get("/api/v1/users/me/analytics/consent", headers=owner.headers)
    assert res.json()["granted"] is False and res.json()["history"] == []
    client.get(goals, headers=owner.headers)
    assert _events(session, owner.id) == []  # off until the user consents

    body = _consent(client, owner, True)
    assert body["granted"] is True and len(body["history"]) == 1
    assert _consent(client, owner, True)["history"] == body["history"]  # a repeat records nothing
    assert client.get(goals, headers=owner.headers).status_code == 200
    assert client.get(goals + "?q=arm", headers=owner.headers).status_code == 200
    assert client.post(goals, headers=owner.headers,
                       json={"name": "g", "targets": []}).status_code in (201, 422)
    client.get(f"/api/v1/orgs/{org.id}/goals/{uuid.uuid4()}", headers=owner.headers)  # 404
    client.get(goals, headers=other.headers)  # no consent: nothing recorded for them

    events = _events(session, owner.id)
    kinds = [e.kind for e in events]
    assert kinds[:2] == ["view", "search"], kinds
    assert all(e.route == "/api/v1/orgs/{org_id}/goals" for e in events)
    assert all(e.organization_id == org.id for e in events)
    # The address is an HMAC under the secret salt: stable, 64 hex digits, never the address.
    assert {e.ip_hash for e in events} == {events[0].ip_hash}
    assert events[0].ip_hash is not None and len(events[0].ip_hash) == 64
    assert "testclient" not in events[0].ip_hash
    assert _events(session, other.id) == []

    revoked = _consent(client, owner, False)
    assert revoked["granted"] is False and revoked["events_deleted"] == len(events)
    assert [h["granted"] for h in revoked["history"]] == [True, False]
    assert _events(session, owner.id) == []
    client.get(goals, headers=owner.headers)
    assert _events(session, owner.id) == []


def test_event_kind_and_ip_hash_rules() -> None:
    assert event_kind("GET", b"") == "view"
    assert event_kind("GET", b"limit=5&q=gun") == "search"
    assert event_kind("PATCH", b"") == "update"
    assert event_kind("OPTIONS", b"") is None
    assert hash_ip("203.0.113.9", b"salt-a") != hash_ip("203.0.113.9", b"salt-b")
    assert hash_ip(None, b"salt") is None


def test_dashboard_and_blueprint_statistics(
    client: TestClient, session: Session, make_user: Any, make_org: Any
) -> None:
    owner, member = make_user(), make_user()
    org = make_org(owner, members={member: "member"})
    item, here = make_item(session), make_location(session)
    bp = Blueprint(name="rifle", output_item_id=item.id, output_quantity=Decimal(1),
                   organization_id=org.id)
    session.add(bp)
    session.flush()
    now = datetime.now(UTC)
    session.add_all([
        Craft(blueprint_id=bp.id, organization_id=org.id, runs=4, runs_completed=4,
              status="completed", location_id=here.id, started_at=now - timedelta(minutes=90),
              completed_at=now - timedelta(minutes=60)),
        Craft(blueprint_id=bp.id, organization_id=org.id, runs=2, runs_completed=0,
              status="cancelled", location_id=here.id, cancelled_at=now),
        Craft(blueprint_id=bp.id, organization_id=org.id, runs=1, status="planned",
              location_id=here.id),
        Goal(organization_id=org.id, name="done", status="completed", completed_at=now),
        Goal(organization_id=org.id, name="open", status="active"),
        Plan(organization_id=org.id, status="done", finished_at=now,
             plan={"objective": 100.0, "baseline": {"objective": 130.0}}),
        Plan(organization_id=org.id, status="done", finished_at=now, plan={"objective": 20.0}),
    ])
    session.commit()

    url = f"/api/v1/orgs/{org.id}/analytics"
    assert client.get(f"{url}/dashboard", headers=member.headers).status_code == 403
    stats = client.get(f"{url}/blueprints", headers=owner.headers).json()
    assert stats == [{
        "blueprint_id": str(bp.id), "name": "rifle", "crafts": 3, "runs": 7,
        "runs_completed": 4, "completed": 1, "cancelled": 1, "success_rate": 0.5,
        "mean_craft_minutes": 30.0,
    }]
    _consent(client, member, True)
    # (not the goals list: reading it completes the target-less goal on the way)
    assert client.get(f"/api/v1/orgs/{org.id}", headers=member.headers).status_code == 200

    res = client.get(f"{url}/dashboard?weeks=4", headers=owner.headers)
    assert res.status_code == 200, res.text
    dash = res.json()
    assert len(dash["weeks"]) == 4
    this_week = dash["weeks"][-1]
    assert this_week["crafts_completed"] == 1
    assert this_week["goals_completed"] == 1
    assert this_week["plans_solved"] == 2
    assert this_week["plan_cost"] == 120.0
    assert this_week["plan_savings"] == 30.0  # only the plan that carries a baseline
    assert this_week["usage_events"] == 1 and this_week["active_users"] == 1
    assert all(w["crafts_completed"] == 0 for w in dash["weeks"][:-1])
    assert dash["goals"]["completed"] == 1 and dash["goals"]["active"] == 1
    assert dash["goals"]["completion_rate"] == 1.0
    assert dash["top_blueprints"][0]["name"] == "rifle"
    assert dash["usage_by_kind"]["view"] == 1
    assert client.get(f"{url}/dashboard?weeks=0", headers=owner.headers).status_code == 422


def test_retention_drops_old_events(
    client: TestClient, session: Session, make_user: Any, make_org: Any
) -> None:
    owner = make_user()
    org = make_org(owner)
    _consent(client, owner, True)
    session.add(UsageEvent(user_id=owner.id, organization_id=org.id, kind="view",
                           route="/old", occurred_at=datetime.now(UTC) - timedelta(days=400)))
    session.commit()
    client.get(f"/api/v1/orgs/{org.id}/goals", headers=owner.headers)
    assert [e.route for e in _events(session, owner.id)] == ["/api/v1/orgs/{org_id}/goals"]


def test_gdpr_export_and_erasure_include_analytics(
    client: TestClient, session: Session, make_user: Any, make_org: Any
) -> None:
    user = make_user()
    org = make_org(make_user(), members={user: "member"})
    _consent(client, user, True)
    client.get(f"/api/v1/orgs/{org.id}/goals", headers=user.headers)
    assert client.post("/api/v1/users/me/tokens", headers=user.headers,
                       json={"name": "bot", "scopes": ["org:read"]}).status_code == 201

    res = client.get("/api/v1/users/me/export", headers=user.headers)
    assert res.status_code == 200, res.text
    assert "attachment" in res.headers["content-disposition"]
    doc = res.json()
    assert doc["account"]["username"] == user.user.username
    assert [m["organization_id"] for m in doc["memberships"]] == [str(org.id)]
    assert doc["personal_access_tokens"][0]["name"] == "bot"
    assert "token_hash" not in doc["personal_access_tokens"][0]
    assert "password_hash" not in res.text
    analytics = doc["analytics"]
    assert analytics["consent"]["granted"] is True
    assert len(analytics["consent"]["history"]) == 1
    assert [(e["kind"], e["route"]) for e in analytics["usage_events"]] == [
        ("view", "/api/v1/orgs/{org_id}/goals"), ("create", "/api/v1/users/me/tokens")]

    # An email to them not yet sent (kept while the broker was down, say) goes too.
    assert user.user.email
    session.add_all([OutboundEmail(recipient=user.user.email, subject="s", body="b"),
                     OutboundEmail(recipient="someone.else@example.test", subject="s", body="b")])
    session.commit()

    res = client.request("DELETE", "/api/v1/users/me", headers=user.headers,
                         json={"password": user.password})
    assert res.status_code == 204, res.text
    assert _events(session, user.id) == []
    session.expire_all()
    assert list(session.scalars(select(OutboundEmail.recipient))) == ["someone.else@example.test"]
    assert session.scalar(select(func.count()).select_from(AnalyticsConsent)
                          .where(AnalyticsConsent.user_id == user.id)) == 0

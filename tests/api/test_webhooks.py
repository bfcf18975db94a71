"""Outbound webhooks against a real local receiver that verifies Standard Webhooks signatures.

Runs on SQLite and PostgreSQL with the in-process broker and worker (embedded mode); the
Redis broker + worker process path is tests/workers/test_webhooks_redis.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.app import create_app
from api.core.db import Database
from api.core.settings import Settings
from api.goals import service as goals
from api.live import hub
from api.webhooks import signing, tasks
from models.commons import PlatformRole
from models.integrations import Integration, WebhookDelivery
from models.orgs import Organization
from models.planning import Goal, GoalTarget
from tests.api.planning_helpers import make_item, make_location, make_stock
from tests.conftest import TestUser
from tests.webhook_receiver import Receiver, free_port, wait_for

FAST = {"webhook_allow_hosts": ["127.0.0.1"], "webhook_backoff_base_seconds": 0.2,
        "webhook_backoff_max_seconds": 0.4, "webhook_timeout_seconds": 2.0,
        "webhook_max_attempts": 6, "webhook_disable_after_failures": 50}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    yield r
    r.stop()


def _client(settings: Settings, database: Database, **overrides: Any) -> TestClient:
    return TestClient(create_app(settings.model_copy(update={**FAST, **overrides}), database))


@pytest.fixture
def world(make_user: Callable[..., TestUser], make_org: Callable[..., Organization]
          ) -> tuple[TestUser, Organization]:
    owner = make_user()
    return owner, make_org(owner)


def _create(client: TestClient, owner: TestUser, org: Organization, url: str,
            events: list[str]) -> dict[str, Any]:
    r = client.post(f"/api/v1/orgs/{org.id}/webhooks", headers=owner.headers,
                    json={"name": "bot", "url": url, "events": events})
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    assert body["secret"].startswith("whsec_")
    return body


def _touch(s: Session, org_id: uuid.UUID) -> None:
    # Services announce after their write, as here: on SQLite a transaction that only read
    # could not take the write lock once a delivery worker has committed in between.
    s.execute(update(Organization).where(Organization.id == org_id)
              .values(name=Organization.name))


def _announce(database: Database, org_id: uuid.UUID, event: dict[str, Any]) -> None:
    with database.session_scope() as s:
        _touch(s, org_id)
        hub.announce(s, org_id, event)


def _deliveries(database: Database, webhook_id: str) -> list[WebhookDelivery]:
    with database.session_scope() as s:
        return list(s.scalars(select(WebhookDelivery)
                              .where(WebhookDelivery.integration_id == uuid.UUID(webhook_id))))


def test_each_event_delivered_once_signed_after_commit(
        settings: Settings, database: Database, world: tuple[TestUser, Organization],
        receiver: Receiver) -> None:
    owner, org = world
    with _client(settings, database) as client:
        hook = _create(client, owner, org, receiver.url,
                       ["stock.changed", "plan.done", "plan.failed", "plan.applied",
                        "craft.started", "craft.completed", "goal.completed"])
        receiver.secrets = [hook["secret"]]
        # A real stock change through the API...
        with database.session_scope() as s:
            item, here = make_item(s), make_location(s, "Hangar", kind="hangar", org_id=org.id)
            ids = (item.id, here.id)
        r = client.post(f"/api/v1/orgs/{org.id}/stock/adjust", headers=owner.headers,
                        json={"item_id": str(ids[0]), "location_id": str(ids[1]),
                              "delta": "5", "owner": "org"})
        assert r.status_code in (200, 201), r.text
        # ...and the internal events the others derive from.
        for event in ({"type": "plan.status", "plan_id": "p1", "status": "done"},
                      {"type": "plan.status", "plan_id": "p1", "status": "solving"},
                      {"type": "plan.status", "plan_id": "p2", "status": "failed"},
                      {"type": "plan.applied", "plan_id": "p1", "crafts": []},
                      {"type": "craft.status", "craft_id": "c1", "status": "in_progress"},
                      {"type": "craft.status", "craft_id": "c1", "status": "in_progress",
                       "completed_runs": 1},
                      {"type": "craft.status", "craft_id": "c1", "status": "completed"},
                      {"type": "goal.completed", "goal_id": "g1"},
                      {"type": "member.left", "user_id": "u1"}):
            _announce(database, org.id, event)
        expected = ["stock.changed", "plan.done", "plan.failed", "plan.applied",
                    "craft.started", "craft.completed", "goal.completed"]
        wait_for(lambda: len(receiver.received) >= len(expected), what="every event")
        wait_for(lambda: all(d.status == "delivered" for d in _deliveries(database, hook["id"])),
                 what="deliveries marked delivered")
    assert sorted(r.payload["type"] for r in receiver.received) == sorted(expected)
    assert receiver.rejected == []
    assert len({r.headers["webhook-id"] for r in receiver.received}) == len(expected)
    stock = receiver.of_type("stock.changed")[0].payload
    assert stock["data"]["organization_id"] == str(org.id)
    assert stock["data"]["item_id"] == str(ids[0])
    assert stock["timestamp"].endswith("Z")


def test_a_rolled_back_transaction_delivers_nothing(
        settings: Settings, database: Database, world: tuple[TestUser, Organization],
        receiver: Receiver) -> None:
    owner, org = world
    with _client(settings, database) as client:
        hook = _create(client, owner, org, receiver.url, ["plan.done"])
        receiver.secrets = [hook["secret"]]
        with pytest.raises(RuntimeError), database.session_scope() as s:
            _touch(s, org.id)
            hub.announce(s, org.id, {"type": "plan.status", "plan_id": "lost", "status": "done"})
            raise RuntimeError("the change fails after announcing")
        _announce(database, org.id, {"type": "plan.status", "plan_id": "kept", "status": "done"})
        wait_for(lambda: len(receiver.received) >= 1, what="the committed event")
        deliveries = _deliveries(database, hook["id"])
    assert [r.payload["data"]["plan_id"] for r in receiver.received] == ["kept"]
    assert len(deliveries) == 1


def test_receiver_down_then_retried_and_manual_redeliver(
        settings: Settings, database: Database, world: tuple[TestUser, Organization]) -> None:
    owner, org = world
    receiver = Receiver(port=free_port())  # not started: connection refused
    with _client(settings, database, webhook_max_attempts=50) as client:
        hook = _create(client, owner, org, receiver.url, ["plan.done"])
        receiver.secrets = [hook["secret"]]
        _announce(database, org.id, {"type": "plan.status", "plan_id": "p", "status": "done"})
        wait_for(lambda: any(d.attempts >= 2 for d in _deliveries(database, hook["id"])),
                 what="failed attempts")
        receiver.start()
        try:
            wait_for(lambda: len(receiver.received) == 1, what="the retried delivery")
            wait_for(lambda: _deliveries(database, hook["id"])[0].status == "delivered",
                     what="delivered")
            delivery = _deliveries(database, hook["id"])[0]
            base = f"/api/v1/orgs/{org.id}/webhooks/{hook['id']}/deliveries/{delivery.id}"
            detail = client.get(base, headers=owner.headers).json()
            log = detail["attempt_log"]
            assert log[0]["success"] is False and "ConnectError" in log[0]["error"]
            assert log[-1]["success"] is True and log[-1]["status_code"] == 200
            assert log[-1]["latency_ms"] is not None and log[-1]["response_excerpt"] == "ok"
            assert [a["attempt"] for a in log] == list(range(1, len(log) + 1))
            r = client.post(base + "/redeliver", headers=owner.headers)
            assert r.status_code == 202, r.text
            wait_for(lambda: len(receiver.received) == 2, what="the manual redelivery")
        finally:
            receiver.stop()
    first, again = receiver.received
    assert first.headers["webhook-id"] == again.headers["webhook-id"]  # receivers de-duplicate
    assert first.payload == again.payload


def test_endpoint_disabled_after_a_run_of_failures_and_admins_told(
        settings: Settings, database: Database, world: tuple[TestUser, Organization],
        receiver: Receiver) -> None:
    owner, org = world
    told: list[dict[str, Any]] = []

    def listener(_s: Session, _org: uuid.UUID | str, event: dict[str, Any]) -> None:
        if event["type"] == "webhook.disabled":
            told.append(event)

    hub.listen(listener)
    receiver.status = 500
    try:
        with _client(settings, database, webhook_disable_after_failures=3,
                     webhook_max_attempts=10) as client:
            hook = _create(client, owner, org, receiver.url, ["plan.done"])
            receiver.secrets = [hook["secret"]]
            _announce(database, org.id, {"type": "plan.status", "plan_id": "p", "status": "done"})
            wait_for(lambda: _deliveries(database, hook["id"])[0].status == "failed",
                     what="the delivery to fail")
            url = f"/api/v1/orgs/{org.id}/webhooks/{hook['id']}"
            shown = client.get(url, headers=owner.headers).json()
            assert shown["enabled"] is False and shown["consecutive_failures"] == 3
            assert "3 delivery attempts" in shown["disabled_reason"]
            delivery = _deliveries(database, hook["id"])[0]
            assert delivery.attempts == 3 and delivery.last_status_code == 500
            # No new deliveries for a disabled endpoint; no redelivery until re-enabled.
            _announce(database, org.id, {"type": "plan.status", "plan_id": "q", "status": "done"})
            assert len(_deliveries(database, hook["id"])) == 1
            r = client.post(f"{url}/deliveries/{delivery.id}/redeliver", headers=owner.headers)
            assert r.status_code == 409
            assert client.post(f"{url}/test", headers=owner.headers).status_code == 409
            receiver.status = 200
            r = client.patch(url, headers=owner.headers, json={"enabled": True})
            assert r.json()["enabled"] is True and r.json()["consecutive_failures"] == 0
            r = client.post(f"{url}/deliveries/{delivery.id}/redeliver", headers=owner.headers)
            assert r.status_code == 202
            wait_for(lambda: _deliveries(database, hook["id"])[0].status == "delivered",
                     what="the redelivery after re-enabling")
    finally:
        hub._listeners.remove(listener)
    assert [(e["webhook_id"], e["name"]) for e in told] == [(hook["id"], "bot")]


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/hook", "http://localhost/hook",
                                 "http://10.1.2.3/hook", "http://169.254.169.254/latest",
                                 "http://[::1]/hook", "http://224.0.0.1/hook",
                                 "http://0.0.0.0/hook", "ftp://example.org/x",
                                 "http://user:pw@127.0.0.1/hook"])
def test_private_and_odd_endpoints_are_refused(
        settings: Settings, database: Database, world: tuple[TestUser, Organization],
        url: str) -> None:
    owner, org = world
    with TestClient(create_app(settings, database)) as client:
        r = client.post(f"/api/v1/orgs/{org.id}/webhooks", headers=owner.headers,
                        json={"name": "x", "url": url, "events": ["plan.done"]})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert [e.get("field") for e in r.json()["errors"]] == ["url"]


def test_delivery_time_check_refuses_a_host_that_became_private(
        settings: Settings, receiver: Receiver) -> None:
    # Saved while allowed; by the attempt the allow-list (or the DNS answer) changed.
    message = tasks.Message(url=receiver.url, msg_id="msg_x", body="{}",
                            secrets=[signing.new_secret()])
    attempt = tasks.send(settings, message)
    assert not attempt.ok and attempt.error is not None and attempt.error.startswith("refused")
    assert receiver.received == [] and receiver.rejected == []


def test_secret_rotation_signs_with_both_during_grace(
        settings: Settings, database: Database, world: tuple[TestUser, Organization],
        receiver: Receiver) -> None:
    owner, org = world
    with _client(settings, database) as client:
        hook = _create(client, owner, org, receiver.url, ["plan.done"])
        old = hook["secret"]
        url = f"/api/v1/orgs/{org.id}/webhooks/{hook['id']}"
        r = client.post(f"{url}/rotate-secret", headers=owner.headers)
        assert r.status_code == 200, r.text
        new = r.json()["secret"]
        assert new != old and r.json()["previous_secret_expires_at"] is not None
        receiver.secrets = [old]  # a receiver that has not switched yet
        assert client.post(f"{url}/test", headers=owner.headers).status_code == 202
        wait_for(lambda: len(receiver.received) == 1, what="verified with the old secret")
        receiver.secrets = [new]  # one that already has
        assert client.post(f"{url}/test", headers=owner.headers).status_code == 202
        wait_for(lambda: len(receiver.received) == 2, what="verified with the new secret")
        assert client.get(url, headers=owner.headers).json().get("secret") is None
    header = receiver.received[1].headers["webhook-signature"]
    assert len(header.split(" ")) == 2 and all(s.startswith("v1,") for s in header.split())
    assert receiver.received[0].payload["type"] == "webhook.test"


def test_secrets_are_encrypted_at_rest_and_never_shown_again(
        settings: Settings, database: Database, world: tuple[TestUser, Organization],
        receiver: Receiver) -> None:
    owner, org = world
    with _client(settings, database) as client:
        hook = _create(client, owner, org, receiver.url, ["plan.done"])
        listed = client.get(f"/api/v1/orgs/{org.id}/webhooks", headers=owner.headers).json()
    assert [h["id"] for h in listed["items"]] == [hook["id"]]
    assert "secret" not in listed["items"][0]
    with database.session_scope() as s:
        stored = s.get(Integration, uuid.UUID(hook["id"]))
        assert stored is not None and stored.secret is not None
        assert hook["secret"] not in stored.secret
        assert signing.decrypt(settings, stored.secret) == hook["secret"]


def test_only_admins_manage_webhooks_and_other_orgs_see_404(
        settings: Settings, database: Database, make_user: Callable[..., TestUser],
        make_org: Callable[..., Organization], world: tuple[TestUser, Organization],
        add_member: Callable[[Organization, TestUser, str], None], receiver: Receiver) -> None:
    owner, org = world
    member, stranger = make_user(), make_user()
    other = make_org(stranger)
    add_member(org, member, "member")
    with _client(settings, database) as client:
        hook = _create(client, owner, org, receiver.url, ["plan.done"])
        assert client.get(f"/api/v1/orgs/{org.id}/webhooks",
                          headers=member.headers).status_code == 403
        r = client.get(f"/api/v1/orgs/{other.id}/webhooks/{hook['id']}",
                       headers=stranger.headers)
        assert r.status_code == 404


def test_goal_completion_is_an_org_event(
        database: Database, world: tuple[TestUser, Organization]) -> None:
    _owner, org = world
    seen: list[dict[str, Any]] = []

    def listener(_s: Session, _org: uuid.UUID | str, event: dict[str, Any]) -> None:
        seen.append(event)

    hub.listen(listener)
    try:
        with database.session_scope() as s:
            item, here = make_item(s), make_location(s, "Bay", kind="hangar", org_id=org.id)
            make_stock(s, item, here, Decimal(3), org_id=org.id)  # type: ignore[arg-type]
            goal = Goal(organization_id=org.id, name="Stockpile", status="active")
            s.add(goal)
            s.flush()
            s.add(GoalTarget(goal_id=goal.id, item_id=item.id, quantity=Decimal(2)))
            s.flush()
            goals.refresh_org_goals(s, org.id)
    finally:
        hub._listeners.remove(listener)
    assert [e["goal_id"] for e in seen if e["type"] == "goal.completed"] == [str(goal.id)]


def test_commons_decision_reaches_the_submitting_orgs_webhook(
        settings: Settings, database: Database, world: tuple[TestUser, Organization],
        make_user: Callable[..., TestUser], make_org: Callable[..., Organization],
        receiver: Receiver) -> None:
    owner, org = world
    stranger = make_user()
    other = make_org(stranger)
    mod = make_user()
    with database.session_scope() as s:
        s.add(PlatformRole(user_id=mod.id, role="moderator"))
    subs = "/api/v1/commons/submissions"
    with _client(settings, database) as client:
        hook = _create(client, owner, org, receiver.url, ["commons.decision"])
        other_hook = _create(client, stranger, other, receiver.url, ["commons.decision"])
        receiver.secrets = [hook["secret"], other_hook["secret"]]
        item = {"kind": "item", "source_ref": "patch notes 4.0",
                "data": {"name": "Webhook Quartz", "unit": "scu"}}
        # Only a member may submit for an org: anyone else is told so, nothing is filed.
        refused = client.post(subs, headers=stranger.headers,
                              json={**item, "organization_id": str(org.id)})
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["field"] == "organization_id"
        personal = client.post(subs, headers=owner.headers, json=item).json()
        sent = client.post(subs, headers=owner.headers,
                           json={**item, "data": {"name": "Webhook Opal", "unit": "scu"},
                                 "organization_id": str(org.id)}).json()
        for sub_id, action in ((personal["id"], "reject"), (sent["id"], "approve")):
            r = client.post(f"{subs}/{sub_id}/decision", headers=mod.headers,
                            json={"action": action, "notes": "checked"})
            assert r.status_code == 200, r.text
        wait_for(lambda: len(receiver.received) >= 1, what="the decision")
        wait_for(lambda: all(d.status == "delivered" for d in _deliveries(database, hook["id"])),
                 what="delivery marked delivered")
    # One delivery, to the org it was sent for; the personal submission tells no org.
    (decision,) = receiver.received
    assert decision.headers["webhook-signature"]
    assert decision.payload["type"] == "commons.decision"
    data = decision.payload["data"]
    assert (data["organization_id"], data["submission_id"], data["name"], data["action"],
            data["status"]) == (str(org.id), sent["id"], "Webhook Opal", "approve", "approved")
    assert _deliveries(database, other_hook["id"]) == []

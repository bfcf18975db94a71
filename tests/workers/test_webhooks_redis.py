"""Webhooks on the production path: PostgreSQL, the Redis broker and a `python -m workers`
process deliver to a real local receiver that verifies the signatures."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from api.app import create_app
from api.core.db import Database
from api.core.security import create_access_token
from api.core.settings import Settings
from api.live import hub
from models.accounts import User
from models.integrations import WebhookDelivery
from models.orgs import Organization, OrganizationMember
from tests.conftest import REDIS_URL, RELAXED_LIMITS, TEST_SECRET
from tests.webhook_receiver import Receiver, wait_for
from tests.workers.test_redis_worker import _stop, _worker, env  # noqa: F401 - env is a fixture

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

FAST = {"QM_WEBHOOK_ALLOW_HOSTS": "127.0.0.1", "QM_WEBHOOK_BACKOFF_BASE_SECONDS": "0.2",
        "QM_WEBHOOK_BACKOFF_MAX_SECONDS": "0.4", "QM_WEBHOOK_MAX_ATTEMPTS": "50"}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    yield r
    r.stop()


def _announce(db: Database, org_id: uuid.UUID, plan: str, *, commit: bool = True) -> None:
    try:
        with db.session_scope() as s:
            s.execute(update(Organization).where(Organization.id == org_id)
                      .values(name=Organization.name))
            hub.announce(s, org_id, {"type": "plan.status", "plan_id": plan, "status": "done"})
            if not commit:
                raise LookupError("rolled back after announcing")
    except LookupError:
        pass


def _statuses(db: Database) -> list[tuple[str, int]]:
    with db.session_scope() as s:
        return [(d.status, d.attempts) for d in s.scalars(
            select(WebhookDelivery).order_by(WebhookDelivery.created_at))]


def test_worker_process_delivers_retries_and_ignores_rollbacks(
        env: dict[str, str], receiver: Receiver,  # noqa: F811 - the imported fixture
        monkeypatch: pytest.MonkeyPatch) -> None:
    env = {**env, **FAST}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = Settings(_env_file=None, environment="test",  # type: ignore[call-arg]
                        database_url=env["QM_DATABASE_URL"], redis_url=REDIS_URL,
                        secret_key=TEST_SECRET, log_json=False, log_level="WARNING",
                        webhook_allow_hosts=["127.0.0.1"],
                        **RELAXED_LIMITS)  # type: ignore[arg-type]
    db = Database(settings.database_url, settings)
    with db.session_scope() as s:
        user, org = User(username=f"u{uuid.uuid4().hex[:8]}", password_hash="x"), \
            Organization(name=f"o{uuid.uuid4().hex[:8]}")
        s.add_all([user, org])
        s.flush()
        s.add(OrganizationMember(organization_id=org.id, user_id=user.id, role="owner"))
        user_id, org_id = user.id, org.id
    auth = {"Authorization": f"Bearer {create_access_token(user_id, settings).token}"}
    worker = _worker(env)
    try:
        with TestClient(create_app(settings, db)) as client:
            r = client.post(f"/api/v1/orgs/{org_id}/webhooks", headers=auth,
                            json={"name": "bot", "url": receiver.url, "events": ["plan.done"]})
            assert r.status_code == 201, r.text
            hook: dict[str, Any] = r.json()
            receiver.secrets = [hook["secret"]]
            assert client.post(f"/api/v1/orgs/{org_id}/webhooks/{hook['id']}/test",
                               headers=auth).status_code == 202
            wait_for(lambda: len(receiver.received) == 1, timeout=120, what="the test event")
            _announce(db, org_id, "rolled-back", commit=False)
            _announce(db, org_id, "committed")
            wait_for(lambda: len(receiver.received) == 2, timeout=60, what="the plan event")
            receiver.stop()  # the receiver goes down...
            _announce(db, org_id, "while-down")
            wait_for(lambda: any(st == "pending" and n >= 2 for st, n in _statuses(db)),
                     timeout=60, what="failed attempts while down")
            receiver.start()  # ...and comes back: the worker's retry delivers
            wait_for(lambda: len(receiver.received) == 3, timeout=60, what="the retry")
            wait_for(lambda: all(st == "delivered" for st, _ in _statuses(db)), timeout=60,
                     what="every delivery marked delivered")
    finally:
        _stop(worker)
        db.dispose()
    kinds = [(r.payload["type"], r.payload["data"].get("plan_id")) for r in receiver.received]
    assert kinds == [("webhook.test", None), ("plan.done", "committed"),
                     ("plan.done", "while-down")]
    assert receiver.rejected == []

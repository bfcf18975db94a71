"""Redis unreachable, then back (issue 8, item 7), against the real Redis server behind a
TCP proxy: a plan requested during the outage is not lost, and the live feed says goodbye."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.websockets import WebSocketDisconnect

from api.app import create_app
from api.core.db import Database
from api.core.settings import Settings
from api.live.hub import channel
from models.jobs import OutboundEmail, OutboxJob
from tests.api.planning_helpers import make_item, make_location, make_stock
from tests.api.test_password_reset import Sink, smtp_sink
from tests.workers.tcp_proxy import TcpProxy

__all__ = ["smtp_sink"]  # the fixture, imported for the email test

pytestmark = [pytest.mark.redis]

REDIS_URL = os.environ.get("QM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
WAIT = 30.0


@pytest.fixture
def real_redis() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip("needs Redis")
    return client


@pytest.fixture
def proxy(real_redis: redis.Redis) -> Iterator[TcpProxy]:
    parts = urlsplit(REDIS_URL)
    forwarder = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 6379)
    yield forwarder
    forwarder.stop()


@pytest.fixture
def namespace(monkeypatch: pytest.MonkeyPatch, real_redis: redis.Redis) -> Iterator[str]:
    name = f"qmtest-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("QM_DRAMATIQ_NAMESPACE", name)
    yield name
    for key in real_redis.scan_iter(f"{name}:*"):
        real_redis.delete(key)


def _redis_db() -> int:
    return int(urlsplit(REDIS_URL).path.lstrip("/") or 0)


def _until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"never happened within {WAIT} s: {what}")


def _outbox(database: Database) -> list[tuple[str, uuid.UUID, int]]:
    with database.sessionmaker() as s:
        return [(j.kind, j.ref_id, j.attempts) for j in s.scalars(select(OutboxJob))]


def test_plan_requested_while_redis_is_down_is_sent_when_it_is_back(
    settings: Settings, database: Database, make_user: Any, make_org: Any,
    proxy: TcpProxy, namespace: str, real_redis: redis.Redis,
) -> None:
    owner = make_user()
    org = make_org(owner)
    with database.session_scope() as s:
        ore, here = make_item(s), make_location(s, kind="hangar", org_id=org.id)
        make_stock(s, ore, here, 5, org_id=org.id)
        body = {"demands": [{"item_id": str(ore.id), "quantity": 2}],
                "delivery_location_id": str(here.id)}
    down = settings.model_copy(update={"redis_url": proxy.url(_redis_db()),
                                       "outbox_poll_seconds": 0.2,
                                       "dramatiq_namespace": namespace})
    app = create_app(down, database)

    def on_broker(plan_id: str) -> bool:
        return any(plan_id.encode() in m for m in real_redis.hvals(f"{namespace}:plans.msgs"))

    with TestClient(app) as client:
        r = client.post(f"/api/v1/orgs/{org.id}/plans", headers=owner.headers, json=body)
        assert r.status_code == 202, r.text
        plan_id = r.json()["id"]
        # Accepted, so it must be kept: the job waits in the outbox, not on the broker.
        kept = _outbox(database)
        assert [(kind, str(ref)) for kind, ref, _ in kept] == [("solve_plan", plan_id)]
        assert not on_broker(plan_id)
        _until(lambda: _outbox(database)[0][2] >= 2, "the relay retried")
        proxy.start()  # Redis is back
        _until(lambda: on_broker(plan_id), "the solve message reached Redis")
        _until(lambda: not _outbox(database), "the outbox emptied")
        # A request while Redis is up goes out at once (no waiting for the loop).
        r = client.post(f"/api/v1/orgs/{org.id}/plans", headers=owner.headers, json=body)
        assert r.status_code == 202 and on_broker(r.json()["id"])


def test_rolled_back_request_leaves_no_job(
    settings: Settings, database: Database, make_user: Any, make_org: Any,
    proxy: TcpProxy, namespace: str,
) -> None:
    owner = make_user()
    org = make_org(owner)
    app = create_app(settings.model_copy(update={"redis_url": proxy.url(_redis_db()),
                                                 "dramatiq_namespace": namespace}), database)
    with TestClient(app) as client:
        bad = {"demands": [{"item_id": str(uuid.uuid4()), "quantity": 2}]}
        r = client.post(f"/api/v1/orgs/{org.id}/plans", headers=owner.headers, json=bad)
        assert r.status_code in (404, 422), r.text
    assert _outbox(database) == []


def test_live_feed_closes_1011_when_redis_goes_away(
    settings: Settings, database: Database, make_user: Any, make_org: Any,
    proxy: TcpProxy, real_redis: redis.Redis,
) -> None:
    owner = make_user()
    org = make_org(owner)
    proxy.start()
    app = create_app(settings.model_copy(update={"redis_url": proxy.url(_redis_db()),
                                                 "dramatiq_namespace": namespace}), database)
    with TestClient(app) as client, \
            client.websocket_connect(f"/api/v1/orgs/{org.id}/live?token={owner.token}") as ws:
        assert ws.receive_json()["type"] == "hello"
        # Subscribed once a published event comes through.
        _until(lambda: real_redis.publish(channel(str(org.id)), '{"type": "ping"}') > 0,
               "the feed subscribed")
        assert ws.receive_json()["type"] == "ping"
        proxy.stop()  # Redis goes away
        codes: list[int] = []

        def read_until_closed() -> None:
            try:
                while True:
                    ws.receive_json()
            except WebSocketDisconnect as closed:
                codes.append(closed.code)

        # In a thread: without a close frame the read would wait forever.
        reader = threading.Thread(target=read_until_closed, daemon=True)
        reader.start()
        reader.join(WAIT)
        assert codes == [1011], "the feed must close with 1011 when its event source is lost"


def test_email_decided_while_redis_is_down_is_sent_when_it_is_back(
    settings: Settings, database: Database, make_user: Any,
    proxy: TcpProxy, namespace: str, real_redis: redis.Redis,
    smtp_sink: tuple[Sink, int],
) -> None:
    """A password reset asked for during the outage: the email is kept with the request's
    transaction, handed to Redis once it answers, and a real worker sends it (then forgets it)."""
    sink, port = smtp_sink
    user = make_user()
    down = settings.model_copy(update={
        "redis_url": proxy.url(_redis_db()), "outbox_poll_seconds": 0.2,
        "dramatiq_namespace": namespace, "smtp_host": "127.0.0.1", "smtp_port": port,
        "smtp_starttls": False, "public_url": "http://ui.test"})
    app = create_app(down, database)

    def on_broker() -> bool:
        return bool(real_redis.hlen(f"{namespace}:email.msgs"))

    with TestClient(app) as client:
        r = client.post("/api/v1/auth/password-reset/request", json={"email": user.user.email})
        assert r.status_code == 202, r.text
        # Kept, not lost: the email and its outbox job wait in the database.
        assert [kind for kind, _, _ in _outbox(database)] == ["send_email"]
        assert _emails(database) == [user.user.email]
        _until(lambda: _outbox(database)[0][2] >= 2, "the relay retried")
        proxy.start()  # Redis is back
        _until(on_broker, "the email message reached Redis")
        _until(lambda: not _outbox(database), "the outbox emptied")
        app.state.jobs.start_worker(threads=1)  # a worker on the same broker sends it
        mail = sink.inbox.get(timeout=WAIT)
        assert mail["To"] == user.user.email and "reset" in mail["Subject"].lower()
        _until(lambda: not _emails(database), "the sent email was forgotten")


def _emails(database: Database) -> list[str]:
    with database.sessionmaker() as s:
        return [e.recipient for e in s.scalars(select(OutboundEmail))]

"""Operations: /metrics, /ready's separate component checks, worker heartbeats, Sentry."""

from __future__ import annotations

import json
import threading
import uuid
import zlib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
import redis
import sentry_sdk
from fastapi.testclient import TestClient

from api.app import create_app
from api.core import heartbeats
from api.core.db import Database
from api.core.errortracking import init_error_tracking
from api.core.settings import Settings
from tests.conftest import REDIS_URL, TestUser, redis_available, service_missing

TOKEN = "scrape-token-0123456789"


def _scrape(client: TestClient) -> str:
    res = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert res.status_code == 200, res.text
    assert res.headers["content-type"].startswith("text/plain")
    return res.text


def test_metrics_off_without_token_and_guarded_with_one(
    settings: Settings, database: Database
) -> None:
    with TestClient(create_app(settings, database)) as c:
        assert c.get("/metrics").status_code == 404
    on = settings.model_copy(update={"metrics_token": TOKEN})
    with TestClient(create_app(on, database)) as c:
        assert c.get("/metrics").status_code == 401
        assert c.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert "qm_http_requests_total" in _scrape(c)


def test_metrics_label_routes_by_template_and_report_queue_depth(
    settings: Settings, database: Database, make_user: Callable[..., TestUser],
    make_org: Callable[..., object],
) -> None:
    owner = make_user()
    org = make_org(owner)
    on = settings.model_copy(update={"metrics_token": TOKEN})
    with TestClient(create_app(on, database)) as c:
        org_id = org.id  # type: ignore[attr-defined]
        for _ in range(3):
            assert c.get(f"/api/v1/orgs/{org_id}/goals", headers=owner.headers).status_code == 200
        c.get(f"/api/v1/orgs/{uuid.uuid4()}/goals", headers=owner.headers)
        c.get("/no/such/page/" + uuid.uuid4().hex)
        text = _scrape(c)
    # One series per route template; the raw ids never become labels.
    assert str(org_id) not in text
    line = next(ln for ln in text.splitlines()
                if ln.startswith("qm_http_requests_total{")
                and 'route="/api/v1/orgs/{org_id}/goals"' in ln and 'status="200"' in ln)
    assert float(line.rsplit(" ", 1)[1]) >= 3
    assert 'qm_http_request_duration_seconds_bucket{le="0.005",method="GET",' \
           'route="/api/v1/orgs/{org_id}/goals"}' in text
    assert 'route="<unmatched>"' in text
    assert 'qm_plan_queue_depth{kind="plan",status="queued"} 0.0' in text
    assert "# TYPE qm_webhook_failures_total counter" in text
    assert "# TYPE qm_plan_solve_duration_seconds histogram" in text


def test_ready_reports_each_component_embedded(client: TestClient) -> None:
    res = client.get("/ready")
    assert res.status_code == 200
    body = res.json()
    assert body["checks"] == {"database": "ok", "redis": "embedded", "workers": "embedded",
                              "migrations": "ok"}
    assert body["migrated"] is True


@pytest.fixture
def redis_settings(settings: Settings) -> Iterator[Settings]:
    if not redis_available(REDIS_URL):
        service_missing(f"Redis not reachable at {REDIS_URL}")
    namespace = f"qm-test-{uuid.uuid4().hex[:8]}"
    yield settings.model_copy(update={"redis_url": REDIS_URL, "dramatiq_namespace": namespace,
                                      "metrics_token": TOKEN})
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{namespace}*"):
        client.delete(key)


@pytest.mark.redis
def test_ready_needs_a_live_worker_with_redis(
    redis_settings: Settings, database: Database
) -> None:
    from workers.broker import make_runtime

    client = redis.Redis.from_url(REDIS_URL)
    namespace = redis_settings.dramatiq_namespace
    # A worker that beat long ago is listed but not live.
    heartbeats.beat(client, namespace, "old-worker", now=1.0)
    app = create_app(redis_settings, database, jobs=make_runtime(redis_settings, database))
    with TestClient(app) as c:
        res = c.get("/ready")
        assert res.status_code == 503
        assert res.json()["checks"] == {"database": "ok", "redis": "ok", "workers": "down",
                                        "migrations": "ok"}
        # A real worker runtime (the one `python -m workers` runs) heart-beats from its loop.
        worker = make_runtime(redis_settings, database)
        worker.start_worker(threads=1)
        try:
            for _ in range(100):
                if worker.worker_id in heartbeats.last_seen(client, namespace):
                    break
                threading.Event().wait(0.05)
            res = c.get("/ready")
            assert res.status_code == 200, res.json()
            body = res.json()
            assert body["checks"]["workers"] == "ok"
            assert {w["id"]: w["live"] for w in body["workers"]}[worker.worker_id] is True
            assert f'qm_worker_last_seen_timestamp_seconds{{worker="{worker.worker_id}"}}' \
                   in _scrape(c)
        finally:
            worker.stop()
        # A clean stop leaves the list; only the silent one remains, and it is not live.
        assert worker.worker_id not in heartbeats.last_seen(client, namespace)
        assert c.get("/ready").status_code == 503
    relaxed = redis_settings.model_copy(update={"ready_requires_workers": False})
    with TestClient(create_app(relaxed, database, jobs=make_runtime(relaxed, database))) as c:
        res = c.get("/ready")
        assert res.status_code == 200 and res.json()["checks"]["workers"] == "down"


# --- Sentry ----------------------------------------------------------------------------------


class _Receiver(BaseHTTPRequestHandler):
    """A local Sentry/GlitchTip stand-in: keeps every envelope it is sent."""

    received: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.headers.get("Content-Encoding") == "gzip":
            body = zlib.decompress(body, 16 + zlib.MAX_WBITS)
        type(self).received.append(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def sentry_receiver() -> Iterator[str]:
    _Receiver.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://publickey@127.0.0.1:{server.server_address[1]}/42"
    # Leave no SDK behind for the other tests in this process.
    sentry_sdk.get_client().close()
    sentry_sdk.init(dsn=None)
    server.shutdown()


def test_sentry_is_skipped_without_dsn(settings: Settings) -> None:
    assert init_error_tracking(settings) is False
    assert not sentry_sdk.get_client().is_active()


def test_unhandled_error_reaches_the_sentry_receiver(
    settings: Settings, database: Database, sentry_receiver: str
) -> None:
    on = settings.model_copy(update={"sentry_dsn": sentry_receiver})
    app = create_app(on, database)
    assert sentry_sdk.get_client().is_active()

    marker = f"boom-{uuid.uuid4().hex}"

    def explode() -> None:
        raise RuntimeError(marker)

    app.add_api_route("/explode", explode)
    with TestClient(app, raise_server_exceptions=False) as c:
        assert c.get("/explode").status_code == 500
    sentry_sdk.flush(timeout=10)
    events = []
    for envelope in _Receiver.received:
        for line in envelope.split(b"\n"):
            if marker.encode() in line:
                events.append(json.loads(line))
    assert events, "no event with the error reached the receiver"
    exc = events[0]["exception"]["values"][-1]
    assert exc["type"] == "RuntimeError" and exc["value"] == marker

"""Input no route may see: NUL bytes, datetimes that overflow in UTC, digit separators,
oversized bodies; and a failing request never resets the keep-alive connection it came on.

``tests/api/test_bad_input.py`` sends these to every field of every route; here each rule is
pinned on a few real routes with its exact answer, and the connection behaviour is checked
against a real uvicorn server.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.app import create_app
from api.core.db import Database
from api.core.settings import Settings
from models.orgs import Organization

API = "/api/v1"
PROBLEM = "application/problem+json"
NUL = "bad\u0000name"
LOW = "0001-01-01T00:00:00+14:00"
HIGH = "9999-12-31T23:59:59-14:00"


def _fields(resp: httpx.Response) -> set[str]:
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM)
    doc = resp.json()
    assert doc["type"] == "/problems/validation-error" and doc["status"] == 422
    return {e["field"] for e in doc["errors"]}


def _orgs(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Organization)) or 0


def test_nul_bytes_are_422_naming_the_field(
    client: TestClient, session: Session, make_user: Any, make_org: Any
) -> None:
    user = make_user()
    org = make_org(user)
    before = _orgs(session)
    h = user.headers
    assert _fields(client.post(f"{API}/orgs", json={"name": NUL}, headers=h)) == {"name"}
    assert _fields(client.patch(f"{API}/users/me", json={"display_name": NUL},
                                headers=h)) == {"display_name"}
    assert _fields(client.get(f"{API}/items", params={"q": NUL}, headers=h)) == {"q"}
    assert _fields(client.get(f"{API}/items", params={"match": NUL}, headers=h)) == {"match"}
    goal = {"name": "g", "description": "ok", "targets": [{"item_id": NUL, "quantity": 1}]}
    resp = client.post(f"{API}/orgs/{org.id}/goals", json=goal, headers=h)
    assert _fields(resp) == {"targets.0.item_id"}
    assert resp.json()["errors"][0]["loc"] == ["body", "targets", 0, "item_id"]
    assert _fields(client.post(f"{API}/orgs", json={"name": "ok", NUL: 1},
                               headers=h)) == {"bad\\u0000name"}
    resp = client.post(f"{API}/auth/token", data={"username": NUL, "password": "x"})
    assert _fields(resp) == {"username"}
    assert _orgs(session) == before


def test_datetimes_that_overflow_in_utc_are_422(
    client: TestClient, make_user: Any, make_org: Any
) -> None:
    user = make_user()
    org = make_org(user)
    url = f"{API}/orgs/{org.id}/stock/history"
    for name, value in [("since", LOW), ("until", HIGH)]:
        assert _fields(client.get(url, params={name: value}, headers=user.headers)) == {name}
    ok = client.get(url, params={"since": "2026-01-01T00:00:00+14:00"}, headers=user.headers)
    assert ok.status_code == 200, ok.text
    goal = {"name": "g", "targets": [{"item_id": str(uuid.uuid4()), "quantity": 1}]}
    for value in (LOW, HIGH):
        resp = client.post(f"{API}/orgs/{org.id}/goals", json={**goal, "due_at": value},
                           headers=user.headers)
        assert _fields(resp) == {"due_at"}


def test_numbers_with_digit_separators_are_422(
    client: TestClient, make_user: Any, make_org: Any
) -> None:
    user = make_user()
    org = make_org(user)
    body = {"name": "Caterpillar", "ship_type": "Caterpillar", "cargo_capacity_scu": "1_000"}
    resp = client.post(f"{API}/orgs/{org.id}/ships", json=body, headers=user.headers)
    assert _fields(resp) == {"cargo_capacity_scu"}
    resp = client.post(f"{API}/orgs/{org.id}/ships", json={**body, "cargo_capacity_scu": "1000"},
                       headers=user.headers)
    assert resp.status_code == 201, resp.text


@pytest.fixture
def small_body_client(settings: Settings, database: Database) -> Iterator[TestClient]:
    app = create_app(settings.model_copy(update={"max_body_bytes": 2048}), database)
    with TestClient(app) as client:
        yield client


def test_oversized_bodies_are_413_before_parsing(
    small_body_client: TestClient, session: Session, make_user: Any
) -> None:
    user = make_user()
    before = _orgs(session)
    big = b'{"name": "' + b"x" * 4000 + b'"}'
    # Declared length over the limit.
    resp = small_body_client.post(f"{API}/orgs", content=big, headers={
        **user.headers, "Content-Type": "application/json"})
    assert resp.status_code == 413, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM)
    assert resp.json()["type"] == "/problems/payload-too-large"
    assert resp.json()["max_body_bytes"] == 2048

    # No length declared (chunked): counted while reading.
    def chunks() -> Iterator[bytes]:
        yield big[:1000]
        yield big[1000:]

    resp = small_body_client.post(f"{API}/orgs", content=chunks(), headers={
        **user.headers, "Content-Type": "application/json"})
    assert resp.status_code == 413, resp.text
    assert _orgs(session) == before
    resp = small_body_client.post(f"{API}/orgs", json={"name": "Small enough"},
                                  headers=user.headers)
    assert resp.status_code == 201, resp.text


# --- a real server: one keep-alive connection survives every failing request ---------------


def _boom_router() -> APIRouter:
    router = APIRouter()

    @router.get("/test/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    return router


@pytest.fixture
def live_server(settings: Settings, database: Database) -> Iterator[str]:
    """The app under uvicorn in a thread, on a free port, as ``quartermaster serve`` runs it
    (development settings: a server keeps the connection after an unexpected error)."""
    app: FastAPI = create_app(settings.model_copy(update={"environment": "development"}),
                              database)
    app.include_router(_boom_router(), prefix=API)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None,
                                           timeout_keep_alive=30))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        time.sleep(0.01)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _local_port(resp: httpx.Response) -> int:
    stream = resp.extensions["network_stream"]
    port: int = stream.get_extra_info("socket").getsockname()[1]
    return port


def test_failing_requests_do_not_reset_the_keep_alive_connection(
    live_server: str, make_user: Any, make_org: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("CRITICAL", logger="api")
    user = make_user()
    org = make_org(user)
    h = user.headers
    requests: list[tuple[str, Callable[[httpx.Client], httpx.Response], int]] = [
        ("health", lambda c: c.get("/health"), 200),
        ("nul body", lambda c: c.post(f"{API}/orgs", json={"name": NUL}, headers=h), 422),
        ("nul query", lambda c: c.get(f"{API}/items", params={"q": NUL}, headers=h), 422),
        ("nul match", lambda c: c.get(f"{API}/items", params={"match": NUL}, headers=h), 422),
        ("low since", lambda c: c.get(f"{API}/orgs/{org.id}/stock/history",
                                      params={"since": LOW}, headers=h), 422),
        ("high due_at", lambda c: c.post(f"{API}/orgs/{org.id}/goals", headers=h, json={
            "name": "g", "due_at": HIGH,
            "targets": [{"item_id": str(uuid.uuid4()), "quantity": 1}]}), 422),
        ("unexpected error", lambda c: c.get(f"{API}/test/boom"), 500),
        ("health again", lambda c: c.get("/health"), 200),
    ]
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    with httpx.Client(base_url=live_server, limits=limits, timeout=10) as client:
        ports = []
        for label, send, status in requests:
            resp = send(client)
            assert resp.status_code == status, (label, resp.text)
            assert resp.headers["content-type"].startswith(("application/json", PROBLEM))
            ports.append((label, _local_port(resp)))
    first = ports[0][1]
    assert all(port == first for _, port in ports), f"connection was replaced: {ports}"

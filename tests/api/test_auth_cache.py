"""The short-lived cache of verified callers (api/core/authcache.py): reads reuse a verified
token and membership for at most a second; a revocation wins within that second, at once
when it is announced in this process."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import delete

from api.core.authcache import AuthCache, register
from api.core.db import Database
from models.orgs import Organization, OrganizationMember
from tests.conftest import TestUser


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_entries_expire_after_the_ttl_which_is_at_most_a_second() -> None:
    clock = FakeClock()
    cache = AuthCache(5.0, clock=clock)
    assert cache.ttl == 1.0
    user = uuid.uuid4()
    cache.put("tok", None, user, "ctx")
    clock.now += 0.9
    assert cache.get("tok", None) == "ctx"
    clock.now += 0.2
    assert cache.get("tok", None) is None


def test_forget_users_drops_only_their_entries() -> None:
    cache = AuthCache(1.0, clock=FakeClock())
    a, b = uuid.uuid4(), uuid.uuid4()
    org = uuid.uuid4()
    cache.put("ta", None, a, "a")
    cache.put("ta", org, a, "a-org")
    cache.put("tb", None, b, "b")
    cache.forget_users([str(a)])
    assert cache.get("ta", None) is None and cache.get("ta", org) is None
    assert cache.get("tb", None) == "b"


def test_zero_ttl_turns_the_cache_off() -> None:
    cache = AuthCache(0)
    cache.put("t", None, uuid.uuid4(), "x")
    assert not cache.enabled and cache.get("t", None) is None


def _fake_cache(app: FastAPI) -> FakeClock:
    clock = FakeClock()
    app.state.auth_cache = register(AuthCache(1.0, clock=clock))
    return clock


def test_membership_removed_elsewhere_is_refused_within_a_second(
    app: FastAPI, client: TestClient, database: Database,
    make_user: Callable[..., TestUser], make_org: Callable[..., Organization],
) -> None:
    clock = _fake_cache(app)
    owner, member = make_user(), make_user()
    org = make_org(owner, members={member: "member"})
    url = f"/api/v1/orgs/{org.id}/locations"
    headers = {"Authorization": f"Bearer {member.token}"}
    assert client.get(url, headers=headers).status_code == 200
    # Another process removes the membership (no announcement reaches this one).
    with database.session_scope() as s:
        s.execute(delete(OrganizationMember).where(
            OrganizationMember.organization_id == org.id,
            OrganizationMember.user_id == member.user.id))
    clock.now += 0.5
    assert client.get(url, headers=headers).status_code == 200  # the cached answer
    clock.now += 0.6  # 1.1 s after the membership was verified
    assert client.get(url, headers=headers).status_code == 404


def test_an_announced_revocation_wins_at_once(
    app: FastAPI, client: TestClient, make_user: Callable[..., TestUser],
) -> None:
    _fake_cache(app)
    user = make_user()
    headers = {"Authorization": f"Bearer {user.token}"}
    assert client.get("/api/v1/users/me", headers=headers).status_code == 200
    resp = client.post("/api/v1/auth/token", data={
        "username": user.user.username, "password": user.password, "grant_type": "password"})
    refresh = resp.json()["refresh_token"]
    assert client.post("/api/v1/auth/logout", headers=headers, json={
        "refresh_token": refresh, "all_sessions": True}).status_code == 204
    # Same fake instant: only the announcement can have dropped the cached caller.
    assert client.get("/api/v1/users/me", headers=headers).status_code == 401


def test_writes_never_use_the_cache(
    app: FastAPI, client: TestClient, make_user: Callable[..., TestUser],
) -> None:
    _fake_cache(app)
    user = make_user()
    headers = {"Authorization": f"Bearer {user.token}"}
    assert client.get("/api/v1/users/me", headers=headers).status_code == 200
    resp = client.patch("/api/v1/users/me", headers=headers, json={"display_name": "Vex"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["display_name"] == "Vex"

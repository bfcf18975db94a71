"""The cache of verified callers (api/core/authcache.py): reads reuse a verified token and
membership for at most a second -- or, while the change clock hears every change, until a
change to users, memberships, organisations or tokens (never past the token's expiry); a
revocation wins within that second, at once when it is announced in this process."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import delete

from api.core.authcache import LIVE_SECONDS, AuthCache, register
from api.core.changes import ChangeClock
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


def _hearing_clock() -> ChangeClock:
    """A change clock whose listener is connected and has just read its connection."""
    changes = ChangeClock()
    changes.live = True
    changes.heard_at = time.monotonic()
    return changes


def test_while_the_clock_hears_every_change_an_entry_lasts_until_a_change() -> None:
    clock, changes = FakeClock(), _hearing_clock()
    cache = AuthCache(1.0, clock=clock, changes=changes)
    cache.put("tok", None, uuid.uuid4(), "ctx", cache.stamp())
    clock.now += 60
    assert cache.get("tok", None) == "ctx"
    assert cache.get("tok", None, write=True) == "ctx"
    changes.changed({"organization_members"})  # any process changed a membership
    assert cache.get("tok", None) is None


def test_an_unrelated_change_does_not_end_an_entry_but_its_lifetime_does() -> None:
    clock, changes = FakeClock(), _hearing_clock()
    cache = AuthCache(1.0, clock=clock, changes=changes)
    cache.put("tok", None, uuid.uuid4(), "ctx", cache.stamp())
    changes.changed({"item_stocks"})
    clock.now += LIVE_SECONDS - 1
    changes.heard_at = time.monotonic()
    assert cache.get("tok", None) == "ctx"
    clock.now += 2
    assert cache.get("tok", None) is None


def test_a_listener_that_has_not_heard_lately_falls_back_to_the_ttl() -> None:
    clock, changes = FakeClock(), _hearing_clock()
    cache = AuthCache(1.0, clock=clock, changes=changes)
    cache.put("tok", None, uuid.uuid4(), "ctx", cache.stamp())
    clock.now += 1.1
    changes.heard_at = time.monotonic() - 2  # stuck for two seconds: changes may be unheard
    assert cache.get("tok", None) is None


def test_an_entry_never_outlives_its_token() -> None:
    clock, changes = FakeClock(), _hearing_clock()
    cache = AuthCache(1.0, clock=clock, changes=changes)
    cache.put("tok", None, uuid.uuid4(), "ctx", cache.stamp(), time.time() + 10)
    clock.now += 9
    assert cache.get("tok", None) == "ctx"
    clock.now += 2
    assert cache.get("tok", None) is None


def test_an_entry_stored_without_a_live_clock_lasts_the_ttl_only() -> None:
    clock, changes = FakeClock(), ChangeClock()  # not live: nothing can be heard
    cache = AuthCache(1.0, clock=clock, changes=changes)
    cache.put("tok", None, uuid.uuid4(), "ctx", cache.stamp())
    changes.live, changes.heard_at = True, time.monotonic()  # the listener connects later
    clock.now += 1.1
    assert cache.get("tok", None) is None


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


def test_a_membership_removed_by_another_process_ends_a_long_lived_entry(
    app: FastAPI, client: TestClient, database: Database, db_url: str,
    make_user: Callable[..., TestUser], make_org: Callable[..., Organization],
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("the change clock listens on PostgreSQL only")
    changes = app.state.read_cache.clock
    assert changes.live  # the lifespan waited for the listener
    clock = FakeClock()
    cache = app.state.auth_cache = register(AuthCache(1.0, clock=clock, changes=changes))
    owner, member = make_user(), make_user()
    org = make_org(owner, members={member: "member"})
    # The listener also hears this process's own commits, a moment later: an entry stored
    # before their echo arrives would (harmlessly) end with it, so let it arrive first.
    _heard_after(changes, time.monotonic() + 0.05)
    url = f"/api/v1/orgs/{org.id}/locations"
    headers = {"Authorization": f"Bearer {member.token}"}
    assert client.get(url, headers=headers).status_code == 200
    clock.now += 60  # a minute later, nothing about access has changed: still believed
    _heard_after(changes, time.monotonic())
    assert cache.get(member.token, org.id) is not None
    heard = changes.stamp(["organization_members"])
    raw = database.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(raw, autocommit=True) as conn:  # another process: only NOTIFY tells
        conn.execute("DELETE FROM organization_members WHERE organization_id = %s "
                     "AND user_id = %s", (org.id, member.user.id))
    _until(lambda: changes.stamp(["organization_members"]) != heard, "the deletion is heard")
    assert client.get(url, headers=headers).status_code == 404


def _until(check: Callable[[], bool], what: str, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"not within {seconds} s: {what}"
        time.sleep(0.02)


def _heard_after(changes: ChangeClock, moment: float) -> None:
    """Wait for a read of the listener's connection begun after ``moment`` to finish."""
    _until(lambda: changes.heard_at > moment, "the listener reads its connection again")

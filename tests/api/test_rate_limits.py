"""Rate limits (issue 8, item 4): login, lockout, register, refresh, plans, writes, Argon2 slots.

Each test runs on SQLite and PostgreSQL and on both limit stores: this process' memory (the
embedded default) and Redis (production; a private key prefix per test).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient

from api.app import create_app
from api.core.db import Database
from api.core.security import hashing_slot
from api.core.settings import Settings

REDIS_URL = os.environ.get("QM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
TOKEN_URL = "/api/v1/auth/token"

MakeClient = Callable[..., TestClient]


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def store(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """Settings naming the limit store; Redis keys under a prefix of this test only."""
    if request.param == "memory":
        yield {"rate_limit_storage_url": "memory://"}
        return
    if not _redis_up():
        pytest.skip("Redis not reachable")
    prefix = f"qmtest-limits-{uuid.uuid4().hex[:10]}"
    yield {"rate_limit_storage_url": REDIS_URL, "rate_limit_key_prefix": prefix}
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    client.close()


@pytest.fixture
def make_client(settings: Settings, database: Database, store: dict[str, str],
                open_client: Callable[..., TestClient]) -> MakeClient:
    """Factory: ``make_client(host="10.0.0.1", **settings)`` — one app per distinct settings,
    one TestClient per client address (the address is what per-client limits count)."""
    apps: dict[str, Any] = {}

    def factory(host: str = "10.0.0.1", **overrides: Any) -> TestClient:
        key = repr(sorted(overrides.items()))
        if key not in apps:
            apps[key] = create_app(settings.model_copy(update={**store, **overrides}), database)
        return open_client(apps[key], host)

    return factory


def _login(client: TestClient, username: str, password: str) -> Any:
    return client.post(TOKEN_URL, data={"username": username, "password": password})


def _assert_limited(response: Any, limit: str) -> int:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 429 and body["type"] == "/problems/rate-limited"
    assert body["limit"] == limit
    retry = int(response.headers["Retry-After"])
    assert body["retry_after"] == retry
    return retry


def test_wrong_passwords_lock_the_account_for_that_client_only(
        make_client: MakeClient, make_user: Any) -> None:
    victim = make_user()
    limits = {"rate_limit_login_failures_per_account_client": "3/minute"}
    attacker = make_client("203.0.113.7", **limits)
    for _ in range(3):
        assert _login(attacker, victim.user.username, "wrong password!").status_code == 401
    # Locked for the attacker's client, even with the right password, without Argon2 work.
    retry = _assert_limited(_login(attacker, victim.user.username, victim.password),
                            "login_failures_per_account_client")
    assert 1 <= retry <= 60  # the window slides: the lock ends within the minute
    # The email spelling is the same account.
    _assert_limited(_login(attacker, victim.user.email, victim.password),
                    "login_failures_per_account_client")
    # The victim, from their own client, still logs in.
    own = make_client("198.51.100.2", **limits)
    assert _login(own, victim.user.username, victim.password).status_code == 200


def test_distributed_guessing_is_capped_per_account(make_client: MakeClient,
                                                    make_user: Any) -> None:
    victim, bystander = make_user(), make_user()
    limits = {"rate_limit_login_failures_per_account": "4/minute"}
    for n in range(4):
        client = make_client(f"203.0.113.{n + 1}", **limits)
        assert _login(client, victim.user.username, "wrong password!").status_code == 401
    fresh = make_client("203.0.113.99", **limits)
    _assert_limited(_login(fresh, victim.user.username, victim.password),
                    "login_failures_per_account")
    # Another account is not affected.
    assert _login(fresh, bystander.user.username, bystander.password).status_code == 200


def test_a_right_password_clears_the_clients_own_typos(make_client: MakeClient,
                                                        make_user: Any) -> None:
    user = make_user()
    client = make_client(rate_limit_login_failures_per_account_client="3/minute")
    for _ in range(2):
        assert _login(client, user.user.username, "typo typo typo").status_code == 401
    assert _login(client, user.user.username, user.password).status_code == 200
    for _ in range(2):
        assert _login(client, user.user.username, "typo typo typo").status_code == 401
    assert _login(client, user.user.username, user.password).status_code == 200


def test_unknown_accounts_are_limited_too(make_client: MakeClient) -> None:
    client = make_client(rate_limit_login_failures_per_account_client="2/minute")
    for _ in range(2):
        assert _login(client, "nobody-here", "whatever whatever").status_code == 401
    _assert_limited(_login(client, "nobody-here", "whatever whatever"),
                    "login_failures_per_account_client")


def test_login_attempts_per_client(make_client: MakeClient, make_user: Any) -> None:
    user = make_user()
    client = make_client(rate_limit_login_per_client="3/minute")
    for _ in range(3):
        assert _login(client, user.user.username, user.password).status_code == 200
    _assert_limited(_login(client, user.user.username, user.password), "login_per_client")
    other = make_client("10.9.9.9", rate_limit_login_per_client="3/minute")
    assert _login(other, user.user.username, user.password).status_code == 200


def test_registrations_per_client(make_client: MakeClient) -> None:
    client = make_client(rate_limit_register_per_client="2/hour")
    for n in range(2):
        name = f"newbie{n}{uuid.uuid4().hex[:6]}"
        r = client.post("/api/v1/auth/register", json={
            "username": name, "email": f"{name}@example.test",
            "password": "a long enough passphrase"})
        assert r.status_code == 201, r.text
    retry = _assert_limited(client.post("/api/v1/auth/register", json={
        "username": "newbie-late", "email": "late@example.test",
        "password": "a long enough passphrase"}), "register_per_client")
    assert retry > 60  # an hour's window


def test_token_refresh_per_client(make_client: MakeClient, make_user: Any) -> None:
    user = make_user()
    client = make_client(rate_limit_refresh_per_client="2/minute")
    refresh = _login(client, user.user.username, user.password).json()["refresh_token"]
    for _ in range(2):
        r = client.post("/api/v1/auth/refresh", json={"refresh_token": refresh})
        assert r.status_code == 200, r.text
        refresh = r.json()["refresh_token"]
    _assert_limited(client.post("/api/v1/auth/refresh", json={"refresh_token": refresh}),
                    "refresh_per_client")


def test_token_refresh_per_account(make_client: MakeClient, make_user: Any) -> None:
    user = make_user()
    limits = {"rate_limit_refresh_per_account": "2/minute"}
    tokens = [_login(make_client(f"10.0.2.{n}", **limits), user.user.username,
                     user.password).json()["refresh_token"] for n in range(3)]
    for n in range(2):  # two sessions of one account, from two clients
        r = make_client(f"10.0.2.{n}", **limits).post("/api/v1/auth/refresh",
                                                      json={"refresh_token": tokens[n]})
        assert r.status_code == 200, r.text
    third = make_client("10.0.2.2", **limits)
    _assert_limited(third.post("/api/v1/auth/refresh", json={"refresh_token": tokens[2]}),
                    "refresh_per_account")
    # Refused before use: the same token still works once the window allows (no reuse alarm).
    third_later = make_client("10.0.2.2", rate_limit_refresh_per_account="100/minute")
    assert third_later.post("/api/v1/auth/refresh",
                            json={"refresh_token": tokens[2]}).status_code == 200


def test_plan_requests_per_account(make_client: MakeClient, make_user: Any,
                                   make_org: Any) -> None:
    owner, other = make_user(), make_user()
    org = make_org(owner, members={other: "member"})
    url = f"/api/v1/orgs/{org.id}/plans"
    client = make_client(rate_limit_plans_per_account="2/minute")
    for _ in range(2):  # invalid bodies still count: the limit runs before the snapshot
        assert client.post(url, json={}, headers=owner.headers).status_code == 422
    _assert_limited(client.post(url, json={}, headers=owner.headers), "plans_per_account")
    # What-if requests share the limit.
    _assert_limited(client.post(f"{url}/{uuid.uuid4()}/whatif", json={},
                                headers=owner.headers), "plans_per_account")
    assert client.post(url, json={}, headers=other.headers).status_code == 422


def test_plan_requests_per_client(make_client: MakeClient, make_user: Any,
                                  make_org: Any) -> None:
    owner, other = make_user(), make_user()
    org = make_org(owner, members={other: "member"})
    url = f"/api/v1/orgs/{org.id}/plans"
    client = make_client(rate_limit_plans_per_client="2/minute")
    assert client.post(url, json={}, headers=owner.headers).status_code == 422
    assert client.post(url, json={}, headers=other.headers).status_code == 422
    _assert_limited(client.post(url, json={}, headers=other.headers), "plans_per_client")


def test_writes_per_client(make_client: MakeClient, make_user: Any) -> None:
    user = make_user()
    client = make_client(rate_limit_writes_per_client="3/minute")
    for n in range(3):
        r = client.post("/api/v1/orgs", json={"name": f"org {n} {uuid.uuid4().hex[:6]}"},
                        headers=user.headers)
        assert r.status_code == 201, r.text
    _assert_limited(client.post("/api/v1/orgs", json={"name": "one too many"},
                                headers=user.headers), "writes_per_client")
    # Reads are not writes.
    assert client.get("/api/v1/users/me", headers=user.headers).status_code == 200


def test_writes_per_account(make_client: MakeClient, make_user: Any) -> None:
    user, other = make_user(), make_user()
    limits = {"rate_limit_writes_per_account": "2/minute"}
    for n in range(2):  # two clients, one account
        client = make_client(f"10.0.1.{n}", **limits)
        r = client.post("/api/v1/orgs", json={"name": f"acct {n} {uuid.uuid4().hex[:6]}"},
                        headers=user.headers)
        assert r.status_code == 201, r.text
    third = make_client("10.0.1.9", **limits)
    _assert_limited(third.post("/api/v1/orgs", json={"name": "acct late"},
                               headers=user.headers), "writes_per_account")
    assert third.post("/api/v1/orgs", json={"name": f"other {uuid.uuid4().hex[:6]}"},
                      headers=other.headers).status_code == 201


def test_password_hashing_is_bounded(make_client: MakeClient, make_user: Any,
                                     settings: Settings) -> None:
    user = make_user()
    limits: dict[str, Any] = {"password_hash_concurrency": 1, "password_hash_wait_seconds": 0.05}
    client = make_client(**limits)
    # Every slot taken (as by a login flood): logins wait briefly, then 503 + Retry-After,
    # while requests that need no Argon2 are served.
    with hashing_slot(settings.model_copy(update=limits)):
        r = _login(client, user.user.username, user.password)
        assert r.status_code == 503, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert int(r.headers["Retry-After"]) >= 1
        assert client.get("/api/v1/users/me", headers=user.headers).status_code == 200
    assert _login(client, user.user.username, user.password).status_code == 200


def test_limit_store_down_lets_requests_through(settings: Settings, database: Database,
                                                make_user: Any) -> None:
    user = make_user()
    broken = settings.model_copy(update={"rate_limit_storage_url": "redis://127.0.0.1:1/0",
                                         "rate_limit_login_per_client": "1/minute"})
    with TestClient(create_app(broken, database)) as client:
        for _ in range(2):
            assert _login(client, user.user.username, user.password).status_code == 200


def test_limit_settings_are_validated() -> None:
    with pytest.raises(ValueError, match="rate limit"):
        Settings(_env_file=None, rate_limit_login_per_client="lots")  # type: ignore[call-arg]

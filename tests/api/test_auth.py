"""Accounts and authentication on both backends: registration, tokens and their rotation,
logout, password change, account deletion, personal access tokens and bad input."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.core.db import Database
from api.core.scopes import SCOPES
from api.core.security import hash_token
from models.accounts import PersonalAccessToken, RefreshToken, User
from models.inventory import Item, ItemHistory, ItemStock, Location, Ship
from models.orgs import Organization, OrganizationMember
from tests.conftest import TestUser

PROBLEM = "application/problem+json"
PASSWORD = "quantum drive spool 42"
NEW_PASSWORD = "hydrogen fuel scoop 7"


def register(client: TestClient, username: str = "cmdr_vex", **extra: Any) -> Any:
    body = {"username": username, "email": f"{username}@example.org", "password": PASSWORD}
    body.update(extra)
    return client.post("/api/v1/auth/register", json=body)


def login(client: TestClient, username: str = "cmdr_vex", password: str = PASSWORD) -> Any:
    return client.post(
        "/api/v1/auth/token",
        data={"username": username, "password": password, "grant_type": "password"},
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def fresh(session: Session) -> Session:
    """End the session's transaction so the next read sees what the API committed."""
    session.rollback()
    session.expire_all()
    return session


def count(session: Session, model: type[Any]) -> int:
    fresh(session)
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def assert_problem(resp: Any, status: int) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = resp.json()
    assert body["status"] == status
    return body


# --- register / login ----------------------------------------------------------------------


def test_register_login_and_me(client: TestClient, session: Session) -> None:
    resp = register(client, consent_data_collection=True, display_name="Cmdr Vex")
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["username"] == "cmdr_vex" and body["consent_data_collection"] is True
    assert "password" not in resp.text and "hash" not in resp.text
    stored = session.scalar(select(User).where(User.username == "cmdr_vex"))
    assert stored is not None and stored.password_hash and stored.password_hash != PASSWORD
    assert stored.password_hash.startswith("$argon2id$")

    tokens = login(client).json()
    assert tokens["token_type"] == "bearer" and tokens["refresh_token"].startswith("qm_rt_")
    assert 0 < tokens["expires_in"] <= 15 * 60
    me = client.get("/api/v1/users/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 200 and me.json()["id"] == body["id"]
    # Email works as the login too, case-insensitively.
    assert login(client, "CMDR_VEX@example.org").status_code == 200
    # Only the hash of the refresh token is stored.
    assert fresh(session).scalar(
        select(RefreshToken).where(RefreshToken.token_hash == hash_token(tokens["refresh_token"]))
    )
    assert (
        session.scalar(
            select(RefreshToken).where(RefreshToken.token_hash == tokens["refresh_token"])
        )
        is None
    )


def test_register_duplicates_name_the_field(client: TestClient, session: Session) -> None:
    assert register(client).status_code == 201
    body = assert_problem(register(client, "CMDR_VEX", email="other@example.org"), 409)
    assert body["field"] == "username" and body["errors"][0]["field"] == "username"
    body = assert_problem(register(client, "other", email="Cmdr_Vex@Example.org"), 409)
    assert body["field"] == "email"
    assert count(session, User) == 1


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"password": "short"}, "password"),
        ({"password": "x" * 129}, "password"),
        ({"password": "aaaaaaaaaaaaaa"}, "password"),
        ({"password": "cmdr_vex is my password"}, "password"),
        ({"password": "password1234"}, "password"),
        ({"username": "a"}, "username"),
        ({"username": "bad name!"}, "username"),
        ({"username": "u" * 33}, "username"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@" + "b" * 260 + ".org"}, "email"),
        ({"display_name": "d" * 101}, "display_name"),
        ({"consent_data_collection": "maybe"}, "consent_data_collection"),
        ({"is_admin": True}, "is_admin"),
        ({"username": 12345}, "username"),
    ],
)
def test_register_rejects_bad_input(
    client: TestClient, session: Session, patch: dict[str, Any], field: str
) -> None:
    body = {"username": "cmdr_vex", "email": "vex@example.org", "password": PASSWORD, **patch}
    resp = client.post("/api/v1/auth/register", json=body)
    problem = assert_problem(resp, 422)
    assert field in {e.get("field") for e in problem["errors"]}
    assert PASSWORD not in resp.text
    assert count(session, User) == 0


def test_register_missing_fields_and_garbage_body(client: TestClient, session: Session) -> None:
    problem = assert_problem(client.post("/api/v1/auth/register", json={}), 422)
    assert {"username", "email", "password"} <= {e["field"] for e in problem["errors"]}
    assert_problem(client.post("/api/v1/auth/register", content=b"{not json"), 422)
    assert_problem(client.post("/api/v1/auth/register", json=[1, 2]), 422)
    assert count(session, User) == 0


def test_login_failures_are_vague(client: TestClient, session: Session) -> None:
    register(client)
    wrong = assert_problem(login(client, password="wrong password here"), 401)
    unknown = assert_problem(login(client, "nobody"), 401)
    assert wrong["detail"] == unknown["detail"]
    assert_problem(client.post("/api/v1/auth/token", data={"username": "cmdr_vex"}), 422)
    assert_problem(
        client.post("/api/v1/auth/token", data={"username": "x" * 300, "password": "p"}), 422
    )
    assert_problem(
        client.post(
            "/api/v1/auth/token",
            data={"username": "cmdr_vex", "password": PASSWORD, "grant_type": "client_credentials"},
        ),
        422,
    )
    assert count(session, RefreshToken) == 0


# --- refresh rotation and reuse detection --------------------------------------------------


def test_refresh_rotates_and_reuse_revokes_the_family(client: TestClient) -> None:
    register(client)
    first = login(client).json()
    other_session = login(client).json()  # a second device: a different family

    second = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200, second.text
    second_tokens = second.json()
    assert second_tokens["refresh_token"] != first["refresh_token"]
    assert client.get("/api/v1/users/me", headers=bearer(second_tokens["access_token"])).is_success

    # The old token is single-use: presenting it again is a replay...
    replay = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    body = assert_problem(replay, 401)
    assert body["type"] == "/problems/refresh-token-reuse"
    assert replay.headers["WWW-Authenticate"] == "Bearer"
    # ...which revokes the whole family, so the newer token stops working too.
    newer = client.post(
        "/api/v1/auth/refresh", json={"refresh_token": second_tokens["refresh_token"]}
    )
    assert_problem(newer, 401)
    # The other device's session is a different family and lives on.
    again = client.post(
        "/api/v1/auth/refresh", json={"refresh_token": other_session["refresh_token"]}
    )
    assert again.status_code == 200


def test_refresh_chain_links_successors(client: TestClient, session: Session) -> None:
    register(client)
    token = login(client).json()["refresh_token"]
    for _ in range(3):
        resp = client.post("/api/v1/auth/refresh", json={"refresh_token": token})
        assert resp.status_code == 200
        token = resp.json()["refresh_token"]
    rows = fresh(session).scalars(select(RefreshToken)).all()
    assert len(rows) == 4 and len({r.family_id for r in rows}) == 1
    assert sum(r.replaced_by_id is None for r in rows) == 1
    assert all(r.revoked_at is None for r in rows)


@pytest.mark.parametrize(
    "token", ["", "garbage", "qm_rt_" + "A" * 43, "qm_pat_abc", "x" * 201, "eyJhbGciOi.x.y"]
)
def test_refresh_rejects_malformed_tokens(client: TestClient, session: Session, token: str) -> None:
    resp = client.post("/api/v1/auth/refresh", json={"refresh_token": token})
    assert resp.status_code in (401, 422)
    assert resp.headers["content-type"].startswith(PROBLEM)
    assert count(session, RefreshToken) == 0


def test_refresh_of_expired_token(client: TestClient, session: Session) -> None:
    register(client)
    token = login(client).json()["refresh_token"]
    row = fresh(session).scalar(select(RefreshToken))
    assert row is not None
    row.expires_at = row.created_at.replace(year=2000)
    session.commit()
    assert_problem(client.post("/api/v1/auth/refresh", json={"refresh_token": token}), 401)


# --- logout --------------------------------------------------------------------------------


def test_logout_revokes_the_family(client: TestClient) -> None:
    register(client)
    a = login(client).json()
    b = login(client).json()
    rotated = client.post("/api/v1/auth/refresh", json={"refresh_token": a["refresh_token"]})
    resp = client.post(
        "/api/v1/auth/logout", json={"refresh_token": rotated.json()["refresh_token"]}
    )
    assert resp.status_code == 204
    assert_problem(
        client.post(
            "/api/v1/auth/refresh", json={"refresh_token": rotated.json()["refresh_token"]}
        ),
        401,
    )
    # The other session is untouched.
    assert client.post(
        "/api/v1/auth/refresh", json={"refresh_token": b["refresh_token"]}
    ).is_success
    assert_problem(client.post("/api/v1/auth/logout", json={"refresh_token": "qm_rt_nope"}), 401)


def test_logout_everywhere_kills_access_tokens(client: TestClient) -> None:
    register(client)
    a = login(client).json()
    b = login(client).json()
    resp = client.post(
        "/api/v1/auth/logout", json={"refresh_token": a["refresh_token"], "all_sessions": True}
    )
    assert resp.status_code == 204
    assert_problem(client.get("/api/v1/users/me", headers=bearer(a["access_token"])), 401)
    assert_problem(client.get("/api/v1/users/me", headers=bearer(b["access_token"])), 401)
    assert_problem(
        client.post("/api/v1/auth/refresh", json={"refresh_token": b["refresh_token"]}), 401
    )
    # A fresh login works straight away (millisecond cut-off, not whole seconds).
    fresh = login(client).json()
    assert client.get("/api/v1/users/me", headers=bearer(fresh["access_token"])).is_success


# --- password change -----------------------------------------------------------------------


def test_change_password_invalidates_old_tokens(client: TestClient) -> None:
    register(client)
    old = login(client).json()
    resp = client.post(
        "/api/v1/users/me/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=bearer(old["access_token"]),
    )
    assert resp.status_code == 200, resp.text
    new = resp.json()
    assert_problem(client.get("/api/v1/users/me", headers=bearer(old["access_token"])), 401)
    assert_problem(
        client.post("/api/v1/auth/refresh", json={"refresh_token": old["refresh_token"]}), 401
    )
    assert client.get("/api/v1/users/me", headers=bearer(new["access_token"])).is_success
    assert client.post(
        "/api/v1/auth/refresh", json={"refresh_token": new["refresh_token"]}
    ).is_success
    assert_problem(login(client), 401)
    assert login(client, password=NEW_PASSWORD).status_code == 200


def test_change_password_checks(client: TestClient, make_user: Callable[..., TestUser]) -> None:
    user = make_user("cmdr_pw")
    url = "/api/v1/users/me/password"
    wrong = client.post(
        url,
        json={"current_password": "not it at all", "new_password": NEW_PASSWORD},
        headers=user.headers,
    )
    assert assert_problem(wrong, 422)["errors"][0]["field"] == "current_password"
    weak = client.post(
        url,
        json={"current_password": user.password, "new_password": "short"},
        headers=user.headers,
    )
    assert_problem(weak, 422)
    same = client.post(
        url,
        json={"current_password": user.password, "new_password": user.password},
        headers=user.headers,
    )
    assert assert_problem(same, 422)["errors"][0]["field"] == "new_password"
    # The failed attempts changed nothing: the old token still works.
    assert client.get("/api/v1/users/me", headers=user.headers).is_success


# --- users/me ------------------------------------------------------------------------------


def test_patch_me(client: TestClient, make_user: Callable[..., TestUser]) -> None:
    user = make_user("cmdr_patch")
    other = make_user("cmdr_other")
    resp = client.patch(
        "/api/v1/users/me",
        json={"consent_data_collection": True, "email": "New@Example.org"},
        headers=user.headers,
    )
    assert resp.status_code == 200
    assert resp.json()["consent_data_collection"] is True
    assert resp.json()["email"] == "new@example.org"
    taken = client.patch("/api/v1/users/me", json={"email": other.user.email}, headers=user.headers)
    assert assert_problem(taken, 409)["field"] == "email"
    assert_problem(
        client.patch("/api/v1/users/me", json={"email": None}, headers=user.headers), 422
    )
    assert_problem(
        client.patch("/api/v1/users/me", json={"username": "x"}, headers=user.headers), 422
    )
    me = client.get("/api/v1/users/me", headers=user.headers).json()
    assert me["email"] == "new@example.org"


@pytest.mark.parametrize(
    "header",
    [
        "Bearer garbage",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
        "Bearer qm_pat_doesnotexist",
        "Bearer " + "a" * 5000,
        "garbage",
    ],
)
def test_garbage_authorization_headers(client: TestClient, header: str) -> None:
    resp = client.get("/api/v1/users/me", headers={"Authorization": header})
    assert_problem(resp, 401)
    assert resp.headers["WWW-Authenticate"] == "Bearer"


def test_no_credentials(client: TestClient) -> None:
    for method, url in [
        ("GET", "/api/v1/users/me"),
        ("PATCH", "/api/v1/users/me"),
        ("DELETE", "/api/v1/users/me"),
        ("POST", "/api/v1/users/me/password"),
        ("GET", "/api/v1/users/me/tokens"),
        ("POST", "/api/v1/users/me/tokens"),
    ]:
        resp = client.request(method, url, json={})
        assert resp.status_code in (401, 422), (method, url)
        assert resp.headers["content-type"].startswith(PROBLEM)


# --- personal access tokens ----------------------------------------------------------------


def test_pat_shown_once_hashed_listed_and_revocable(
    client: TestClient, session: Session, make_user: Callable[..., TestUser]
) -> None:
    user = make_user("cmdr_pat")
    resp = client.post(
        "/api/v1/users/me/tokens",
        json={"name": "sync", "scopes": ["inventory:read"], "expires_in_days": 30},
        headers=user.headers,
    )
    assert resp.status_code == 201, resp.text
    created = resp.json()
    token = created["token"]
    assert token.startswith("qm_pat_") and created["token_prefix"] == token[:11]
    assert created["expires_at"] is not None
    row = fresh(session).scalar(select(PersonalAccessToken))
    assert row is not None and row.token_hash == hash_token(token) and token not in row.token_hash

    listing = client.get("/api/v1/users/me/tokens", headers=user.headers)
    assert listing.status_code == 200 and token not in listing.text
    assert [t["id"] for t in listing.json()] == [created["id"]]
    assert "token" not in listing.json()[0]

    assert client.get("/api/v1/users/me", headers=bearer(token)).json()["username"] == "cmdr_pat"
    assert (
        client.delete(f"/api/v1/users/me/tokens/{created['id']}", headers=user.headers).status_code
        == 204
    )
    assert_problem(client.get("/api/v1/users/me", headers=bearer(token)), 401)
    assert client.get("/api/v1/users/me/tokens", headers=user.headers).json()[0]["revoked_at"]


def test_pat_cannot_manage_the_account(
    client: TestClient, session: Session, make_user: Callable[..., TestUser]
) -> None:
    user = make_user("cmdr_script")
    token = client.post(
        "/api/v1/users/me/tokens",
        json={"name": "all", "scopes": list(SCOPES)},
        headers=user.headers,
    ).json()["token"]
    h = bearer(token)
    assert_problem(
        client.post(
            "/api/v1/users/me/tokens", json={"name": "x", "scopes": ["org:read"]}, headers=h
        ),
        403,
    )
    assert_problem(client.get("/api/v1/users/me/tokens", headers=h), 403)
    assert_problem(client.patch("/api/v1/users/me", json={"email": "a@b.org"}, headers=h), 403)
    assert_problem(
        client.post(
            "/api/v1/users/me/password",
            json={"current_password": user.password, "new_password": NEW_PASSWORD},
            headers=h,
        ),
        403,
    )
    assert_problem(
        client.request("DELETE", "/api/v1/users/me", json={"password": user.password}, headers=h),
        403,
    )
    assert count(session, PersonalAccessToken) == 1


def test_pat_other_users_token_is_404(
    client: TestClient, make_user: Callable[..., TestUser]
) -> None:
    alice, bob = make_user("alice_pat"), make_user("bob_pat")
    created = client.post(
        "/api/v1/users/me/tokens", json={"name": "a", "scopes": ["org:read"]}, headers=alice.headers
    ).json()
    assert_problem(
        client.delete(f"/api/v1/users/me/tokens/{created['id']}", headers=bob.headers), 404
    )
    assert_problem(
        client.delete(f"/api/v1/users/me/tokens/{uuid.uuid4()}", headers=bob.headers), 404
    )
    assert_problem(client.delete("/api/v1/users/me/tokens/not-a-uuid", headers=bob.headers), 422)
    assert client.get("/api/v1/users/me/tokens", headers=bob.headers).json() == []
    assert client.get("/api/v1/users/me", headers=bearer(created["token"])).is_success


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x", "scopes": ["root"]},
        {"name": "x", "scopes": []},
        {"name": "", "scopes": ["org:read"]},
        {"name": "n" * 101, "scopes": ["org:read"]},
        {"name": "x", "scopes": ["org:read"], "expires_in_days": 0},
        {"name": "x", "scopes": ["org:read"], "expires_in_days": 10**9},
        {"name": "x", "scopes": "org:read"},
        {"scopes": ["org:read"]},
    ],
)
def test_pat_bad_input(
    client: TestClient, session: Session, make_user: Callable[..., TestUser], body: dict[str, Any]
) -> None:
    user = make_user()
    assert_problem(client.post("/api/v1/users/me/tokens", json=body, headers=user.headers), 422)
    assert count(session, PersonalAccessToken) == 0


def test_pat_scopes_enforced_on_org_routes(
    client: TestClient, make_user: Callable[..., TestUser], make_org: Callable[..., Organization]
) -> None:
    owner, member = make_user("scope_owner"), make_user("scope_member")
    org = make_org(owner)

    def pat(scopes: list[str]) -> dict[str, str]:
        resp = client.post(
            "/api/v1/users/me/tokens", json={"name": "t", "scopes": scopes}, headers=owner.headers
        )
        return bearer(resp.json()["token"])

    read_only = pat(["inventory:read"])
    admin = pat(["org:admin"])
    # Every scope implies org:read: the token can see its org...
    assert client.get(f"/api/v1/orgs/{org.id}", headers=read_only).status_code == 200
    assert client.get("/api/v1/orgs", headers=read_only).status_code == 200
    # ...but writing needs the write scope, whatever the role.
    body = assert_problem(
        client.patch(f"/api/v1/orgs/{org.id}", json={"description": "x"}, headers=read_only), 403
    )
    assert body["required_scope"] == "org:admin"
    assert_problem(
        client.post(
            f"/api/v1/orgs/{org.id}/invitations",
            json={"username": "scope_member", "role": "member"},
            headers=read_only,
        ),
        403,
    )
    assert_problem(client.post("/api/v1/orgs", json={"name": "Nope Org"}, headers=read_only), 403)
    assert (
        client.patch(f"/api/v1/orgs/{org.id}", json={"description": "x"}, headers=admin).status_code
        == 200
    )
    invited = client.post(
        f"/api/v1/orgs/{org.id}/invitations",
        json={"username": "scope_member", "role": "member"},
        headers=admin,
    )
    assert invited.status_code == 201
    accepted = client.post(
        f"/api/v1/users/me/invitations/{invited.json()['id']}/accept", headers=member.headers
    )
    assert accepted.status_code == 200
    # Scopes never widen a role: a member's org:admin token still cannot manage.
    resp = client.post(
        "/api/v1/users/me/tokens",
        json={"name": "t", "scopes": ["org:admin"]},
        headers=member.headers,
    )
    assert_problem(
        client.patch(
            f"/api/v1/orgs/{org.id}",
            json={"description": "y"},
            headers=bearer(resp.json()["token"]),
        ),
        403,
    )


# --- account deletion ----------------------------------------------------------------------


def _personal_data(session: Session, user: TestUser, org: Organization) -> uuid.UUID:
    """Personal location, ship, stock and history, plus an org history row by the user."""
    item = Item(name=f"Quantanium {uuid.uuid4().hex[:6]}", unit="scu")
    hangar = Location(name="My hangar", kind="hangar", owner_user_id=user.id)
    box = Location(name="Box", kind="storage", owner_user_id=user.id)
    cargo = Location(name="Cargo grid", kind="ship_cargo", owner_user_id=user.id)
    org_base = Location(name="Org base", kind="base", organization_id=org.id)
    session.add_all([item, hangar, cargo, org_base])
    session.flush()
    box.parent_id = hangar.id
    session.add(box)
    session.flush()
    session.add(
        Ship(
            name="Cutter",
            ship_type="Drake Cutter",
            owner_user_id=user.id,
            cargo_location_id=cargo.id,
        )
    )
    stock = ItemStock(
        item_id=item.id, location_id=box.id, owner_user_id=user.id, quantity=Decimal(5)
    )
    org_stock = ItemStock(
        item_id=item.id, location_id=org_base.id, organization_id=org.id, quantity=Decimal(7)
    )
    session.add_all([stock, org_stock])
    session.flush()
    session.add(
        ItemHistory(
            stock_id=stock.id,
            item_id=item.id,
            location_id=box.id,
            delta=5,
            kind="add",
            actor_id=user.id,
            owner_user_id=user.id,
        )
    )
    org_row = ItemHistory(
        stock_id=org_stock.id,
        item_id=item.id,
        location_id=org_base.id,
        delta=7,
        kind="add",
        actor_id=user.id,
        organization_id=org.id,
    )
    session.add(org_row)
    session.commit()
    return org_row.id


def test_delete_account_erases_personal_data_and_anonymises_history(
    client: TestClient,
    session: Session,
    make_user: Callable[..., TestUser],
    make_org: Callable[..., Organization],
) -> None:
    owner = make_user("org_owner")
    gone = make_user("leaving_user")
    org = make_org(owner, members={gone: "member"})
    solo = make_org(gone)  # only member: goes with the account
    history_id = _personal_data(session, gone, org)
    pat = client.post(
        "/api/v1/users/me/tokens", json={"name": "t", "scopes": ["org:read"]}, headers=gone.headers
    ).json()["token"]
    refresh = login(client, "leaving_user", gone.password).json()["refresh_token"]

    wrong = client.request(
        "DELETE", "/api/v1/users/me", json={"password": "not my password"}, headers=gone.headers
    )
    assert_problem(wrong, 422)
    resp = client.request(
        "DELETE", "/api/v1/users/me", json={"password": gone.password}, headers=gone.headers
    )
    assert resp.status_code == 204, resp.text

    fresh(session)
    row = session.get(User, gone.id)
    assert row is not None and row.deleted_at and row.anonymised_at
    assert row.email is None and row.password_hash is None and row.display_name is None
    assert "leaving_user" not in row.username
    assert (
        session.scalar(
            select(func.count()).select_from(ItemStock).where(ItemStock.owner_user_id == gone.id)
        )
        == 0
    )
    assert (
        session.scalar(
            select(func.count()).select_from(Location).where(Location.owner_user_id == gone.id)
        )
        == 0
    )
    assert (
        session.scalar(select(func.count()).select_from(Ship).where(Ship.owner_user_id == gone.id))
        == 0
    )
    assert (
        session.scalar(
            select(func.count())
            .select_from(OrganizationMember)
            .where(OrganizationMember.user_id == gone.id)
        )
        == 0
    )
    assert session.scalar(select(func.count()).select_from(PersonalAccessToken)) == 0
    assert (
        session.scalar(
            select(func.count()).select_from(RefreshToken).where(RefreshToken.user_id == gone.id)
        )
        == 0
    )
    assert session.get(Organization, solo.id) is None
    assert session.get(Organization, org.id) is not None
    # Org history survives, attributed to an account that identifies nobody.
    history = session.scalars(select(ItemHistory)).all()
    assert [h.id for h in history] == [history_id]
    assert history[0].actor_id == gone.id
    # Every credential is dead and the name is free again.
    assert_problem(client.get("/api/v1/users/me", headers=gone.headers), 401)
    assert_problem(client.get("/api/v1/users/me", headers=bearer(pat)), 401)
    assert_problem(client.post("/api/v1/auth/refresh", json={"refresh_token": refresh}), 401)
    assert_problem(login(client, "leaving_user", gone.password), 401)
    members = client.get(f"/api/v1/orgs/{org.id}/members", headers=owner.headers).json()
    assert [m["username"] for m in members] == ["org_owner"]


def test_delete_account_refused_for_last_owner(
    client: TestClient,
    session: Session,
    make_user: Callable[..., TestUser],
    make_org: Callable[..., Organization],
) -> None:
    owner, member = make_user("last_owner"), make_user("some_member")
    org = make_org(owner, name="Crusader Couriers", members={member: "member"})
    resp = client.request(
        "DELETE", "/api/v1/users/me", json={"password": owner.password}, headers=owner.headers
    )
    body = assert_problem(resp, 409)
    assert body["organization_id"] == str(org.id) and "Crusader Couriers" in body["detail"]
    fresh(session)
    user = session.get(User, owner.id)
    assert user is not None and user.deleted_at is None
    assert client.get(f"/api/v1/orgs/{org.id}", headers=owner.headers).status_code == 200
    # With a second owner the deletion goes through.
    session.execute(
        OrganizationMember.__table__.update()
        .where(OrganizationMember.user_id == member.id)
        .values(role="owner")
    )
    session.commit()
    resp = client.request(
        "DELETE", "/api/v1/users/me", json={"password": owner.password}, headers=owner.headers
    )
    assert resp.status_code == 204


def test_concurrent_refresh_of_one_token_has_one_winner(
    client: TestClient, database: Database, db_url: str
) -> None:
    """Two parallel refreshes of the same token: at most one succeeds, the family dies."""
    if not db_url.startswith("postgresql"):
        pytest.skip("real parallel connections need PostgreSQL")
    from concurrent.futures import ThreadPoolExecutor

    register(client)
    token = login(client).json()["refresh_token"]
    with ThreadPoolExecutor(4) as pool:
        results = list(
            pool.map(
                lambda _: client.post("/api/v1/auth/refresh", json={"refresh_token": token}),
                range(4),
            )
        )
    codes = sorted(r.status_code for r in results)
    assert codes.count(200) <= 1 and set(codes) <= {200, 401}
    with database.session_scope() as s:
        live = s.scalar(
            select(func.count()).select_from(RefreshToken).where(RefreshToken.revoked_at.is_(None))
        )
    # Either the replays revoked everything, or nothing was replayed at all.
    assert live == 0 or codes == [200]

"""Platform core: problem documents, transactions and after-commit hooks, auth, org access."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import jwt
import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import CheckConstraint, Index, UniqueConstraint, func, select
from sqlalchemy.orm import Session

import models
from api.app import create_app
from api.core.constraints import CONSTRAINTS
from api.core.db import Database, DbSession, after_commit
from api.core.deps import CurrentUser, OrgAccess, install_route_scopes, org_member
from api.core.errors import InsufficientStock
from api.core.permissions import Action, can_assign_role, render_markdown
from api.core.scopes import ANY, route_keys
from api.core.security import PAT_PREFIX, new_opaque_token
from api.core.settings import DEV_SECRET_KEY, Settings
from models.accounts import PersonalAccessToken
from models.orgs import Organization
from tests.conftest import REDIS_URL, service_missing

PROBLEM = "application/problem+json"
# Routes declare access with one dependency built from the permission matrix.
can_read = org_member(action=Action.INVENTORY_READ)


class _Body(BaseModel):
    name: str = Field(max_length=20)
    quantity: int = Field(gt=0)


def _test_router(events: list[str]) -> APIRouter:
    router = APIRouter(prefix="/test")

    @router.post("/orgs")
    def create_org(body: _Body, session: DbSession) -> dict[str, str]:
        org = Organization(name=body.name)
        session.add(org)
        session.flush()
        after_commit(session, lambda: events.append(f"created {body.name}"))
        return {"id": str(org.id)}

    @router.post("/orgs-then-fail")
    def create_then_fail(body: _Body, session: DbSession) -> None:
        session.add(Organization(name=body.name))
        session.flush()
        after_commit(session, lambda: events.append("must not run"))
        raise InsufficientStock("Only 2 SCU available", item_id="abc", available=2)

    @router.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    @router.get("/me")
    def me(user: CurrentUser) -> dict[str, str]:
        return {"username": user.username}

    @router.get("/orgs/{org_id}/read")
    def read(access: Annotated[OrgAccess, Depends(can_read)]) -> dict[str, str]:
        return {"role": access.role.value}

    @router.get("/orgs/{org_id}/admin")
    def admin(access: Annotated[OrgAccess, Depends(org_member("admin"))]) -> dict[str, str]:
        user, membership = access
        return {"user": user.username, "role": membership.role}

    return router


@pytest.fixture
def events() -> list[str]:
    return []


@pytest.fixture
def tclient(app: FastAPI, events: list[str]) -> TestClient:
    app.include_router(_test_router(events), prefix="/api/v1")
    # Test-only routes: any valid credential may call them.
    install_route_scopes(app, {key: ANY for key in route_keys(app.routes) if "/test/" in key})
    return TestClient(app, raise_server_exceptions=False)


def _count_orgs(session: Session, name: str) -> int:
    return session.scalar(select(func.count()).where(Organization.name == name)) or 0


def test_health_and_ready(client: TestClient) -> None:
    health = client.get("/health")
    assert health.status_code == 200
    assert health.json()["checks"] == {"database": "ok", "redis": "embedded"}
    ready = client.get("/ready").json()
    assert (ready["status"], ready["migrated"]) == ("ready", True)


def test_request_id_and_security_headers(client: TestClient) -> None:
    res = client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert res.headers["x-request-id"] == "abc-123"
    assert res.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in res.headers["content-security-policy"]
    # An unsafe incoming id is replaced, not echoed.
    res = client.get("/health", headers={"X-Request-ID": "bad id\twith spaces"})
    assert res.headers["x-request-id"] != "bad id\twith spaces"


def test_unknown_route_is_problem_document(client: TestClient) -> None:
    res = client.get("/api/v1/nope")
    assert res.status_code == 404
    assert res.headers["content-type"] == PROBLEM
    assert res.json()["instance"] == "/api/v1/nope"


def test_validation_error_names_the_field(tclient: TestClient, session: Session) -> None:
    res = tclient.post("/api/v1/test/orgs", json={"name": "x" * 50, "quantity": -1})
    assert res.status_code == 422
    body = res.json()
    assert res.headers["content-type"] == PROBLEM
    assert {e["field"] for e in body["errors"]} == {"name", "quantity"}
    assert body["type"] == "/problems/validation-error" and body["status"] == 422
    assert "x" * 50 not in res.text  # the input is not echoed back


def test_commit_runs_after_commit_hooks(
    tclient: TestClient, session: Session, events: list[str]
) -> None:
    res = tclient.post("/api/v1/test/orgs", json={"name": "Hooked", "quantity": 1})
    assert res.status_code == 200
    assert events == ["created Hooked"]
    assert _count_orgs(session, "Hooked") == 1


def test_domain_error_rolls_back_and_drops_hooks(
    tclient: TestClient, session: Session, events: list[str]
) -> None:
    res = tclient.post("/api/v1/test/orgs-then-fail", json={"name": "Ghost", "quantity": 1})
    assert res.status_code == 409
    body = res.json()
    assert body["type"] == "/problems/insufficient-stock"
    assert body["available"] == 2
    assert events == []
    assert _count_orgs(session, "Ghost") == 0


def test_integrity_error_is_409_not_500(tclient: TestClient) -> None:
    assert tclient.post("/api/v1/test/orgs", json={"name": "Dup", "quantity": 1}).status_code == 200
    res = tclient.post("/api/v1/test/orgs", json={"name": "Dup", "quantity": 1})
    assert res.status_code == 409
    assert res.headers["content-type"] == PROBLEM
    # Said in words, naming the field; the internal constraint name stays in the log.
    doc = res.json()
    assert doc["detail"] == "An organisation with this name already exists."
    assert doc["errors"] == [{"field": "name", "loc": ["name"], "message": doc["detail"]}]
    assert "uq_" not in res.text and "constraint" not in res.text


def test_every_database_constraint_is_described_in_words() -> None:
    named = {c.name for t in models.Base.metadata.tables.values()
             for c in [*t.constraints, *t.indexes]
             if isinstance(c, UniqueConstraint | CheckConstraint | Index)
             and (not isinstance(c, Index) or c.unique) and isinstance(c.name, str)}
    assert named, "no constraints found"
    missing = named - set(CONSTRAINTS)
    assert not missing, f"add to api/core/constraints.py CONSTRAINTS: {sorted(missing)}"
    stale = set(CONSTRAINTS) - named
    assert not stale, f"no longer in the models: {sorted(stale)}"


def test_api_docs_are_off_in_production_unless_enabled(database: Database) -> None:
    def served(**fields: object) -> dict[str, int]:
        settings = Settings(_env_file=None, database_url=database.url,  # type: ignore[call-arg]
                            secret_key="s" * 40, log_json=False, **fields)
        with TestClient(create_app(settings, database)) as c:
            return {p: c.get(p).status_code for p in ("/openapi.json", "/docs", "/redoc")}

    assert set(served(environment="production").values()) == {404}
    assert set(served(environment="production", api_docs=True).values()) == {200}
    assert set(served(environment="development").values()) == {200}
    assert set(served(environment="development", api_docs=False).values()) == {404}


def test_default_secret_refuses_to_start_in_production() -> None:
    with pytest.raises(ValidationError, match="QM_SECRET_KEY"):
        Settings(_env_file=None, environment="production")  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="QM_SECRET_KEY"):
        Settings(_env_file=None, environment="production", secret_key="")  # type: ignore[call-arg]
    assert Settings(_env_file=None, environment="development").secret_key == DEV_SECRET_KEY  # type: ignore[call-arg]
    real = Settings(_env_file=None, environment="production", secret_key="r" * 48)  # type: ignore[call-arg]
    assert real.secret_key == "r" * 48


def test_unhandled_error_is_500_without_details(tclient: TestClient) -> None:
    res = tclient.get("/api/v1/test/boom")
    assert res.status_code == 500
    assert "secret internals" not in res.text
    assert res.json()["request_id"] == res.headers["x-request-id"]


def test_after_commit_outside_http(database: Database) -> None:
    ran: list[int] = []
    with database.session_scope() as s:
        after_commit(s, lambda: ran.append(1))
        assert ran == []
    assert ran == [1]
    with pytest.raises(ValueError), database.session_scope() as s:
        after_commit(s, lambda: ran.append(2))
        raise ValueError
    assert ran == [1]


def test_current_user_accepts_jwt_and_pat(
    tclient: TestClient, make_user: Callable[..., object], database: Database
) -> None:
    alice = make_user("alice")
    assert tclient.get("/api/v1/test/me", headers=alice.headers).json() == {"username": "alice"}
    token, digest = new_opaque_token(PAT_PREFIX)
    with database.session_scope() as s:
        s.add(PersonalAccessToken(user_id=alice.id, name="script", token_prefix=token[:12],
                                  token_hash=digest, scopes=["inventory:read"]))
    res = tclient.get("/api/v1/test/me", headers={"Authorization": f"Bearer {token}"})
    assert res.status_code == 200 and res.json() == {"username": "alice"}
    with database.session_scope() as s:
        pat = s.scalar(select(PersonalAccessToken).where(PersonalAccessToken.token_hash == digest))
        assert pat is not None and pat.last_used_at is not None
        pat.revoked_at = datetime.now(UTC)
    res = tclient.get("/api/v1/test/me", headers={"Authorization": f"Bearer {token}"})
    assert res.status_code == 401


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer not-a-jwt", "Bearer qm_pat_unknown", "Basic dXNlcjpwYXNz"],
)
def test_bad_credentials_are_401(tclient: TestClient, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    res = tclient.get("/api/v1/test/me", headers=headers)
    assert res.status_code == 401
    assert res.headers["content-type"] == PROBLEM
    assert res.headers["www-authenticate"] == "Bearer"


def test_expired_and_forged_tokens_are_401(
    tclient: TestClient, make_user: Callable[..., object], settings: object
) -> None:
    user = make_user()
    now = datetime.now(UTC)
    base = {"sub": str(user.id), "jti": "x", "type": "access", "iat": int(now.timestamp())}
    expired = jwt.encode({**base, "exp": int((now - timedelta(minutes=1)).timestamp())},
                         settings.secret_key, algorithm="HS256")
    forged = jwt.encode({**base, "exp": int((now + timedelta(minutes=5)).timestamp())},
                        "another-secret-key-that-is-long-enough!", algorithm="HS256")
    refresh = jwt.encode({**base, "type": "refresh",
                          "exp": int((now + timedelta(minutes=5)).timestamp())},
                         settings.secret_key, algorithm="HS256")
    for token in (expired, forged, refresh):
        res = tclient.get("/api/v1/test/me", headers={"Authorization": f"Bearer {token}"})
        assert res.status_code == 401


def test_org_member_404_for_outsiders_403_for_low_roles(
    tclient: TestClient, make_user: Callable[..., object], make_org: Callable[..., Organization]
) -> None:
    owner, viewer, outsider = make_user(), make_user(), make_user()
    org = make_org(owner, members={viewer: "viewer"})
    read, admin = f"/api/v1/test/orgs/{org.id}/read", f"/api/v1/test/orgs/{org.id}/admin"

    assert tclient.get(read, headers=viewer.headers).json() == {"role": "viewer"}
    res = tclient.get(admin, headers=viewer.headers)
    assert res.status_code == 403 and res.json()["required_role"] == "admin"
    assert tclient.get(admin, headers=owner.headers).json()["role"] == "owner"
    # Outsiders cannot tell an existing org from a missing one.
    existing = tclient.get(read, headers=outsider.headers)
    missing = tclient.get(f"/api/v1/test/orgs/{uuid.uuid4()}/read", headers=outsider.headers)
    assert existing.status_code == missing.status_code == 404
    assert existing.json()["detail"] == missing.json()["detail"]


def test_role_assignment_rules() -> None:
    assert can_assign_role("admin", "member", "viewer")
    assert not can_assign_role("admin", "member", "owner")
    assert not can_assign_role("admin", "owner", "member")
    assert can_assign_role("owner", "admin", "owner")
    assert not can_assign_role("member", None, "viewer")


def test_permissions_doc_matches_matrix() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "permissions.md").read_text()
    assert render_markdown() in doc, "regenerate docs/permissions.md from render_markdown()"


@pytest.mark.redis
def test_health_checks_redis_when_configured(settings: object, database: Database) -> None:
    from api.app import create_app

    up = settings.model_copy(update={"redis_url": REDIS_URL})
    down = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    with TestClient(create_app(up, database)) as c:
        res = c.get("/health")
        if res.json()["checks"]["redis"] == "down":
            service_missing(f"Redis not reachable at {REDIS_URL}")
        assert res.status_code == 200 and res.json()["checks"]["redis"] == "ok"
    with TestClient(create_app(down, database)) as c:
        res = c.get("/health")
        assert res.status_code == 503 and res.json()["checks"]["redis"] == "down"


def test_openapi_documents_422_as_problem_documents(client: TestClient) -> None:
    """Generated clients must see the problem+json the API really answers, not FastAPI's shape."""
    schema = client.get("/openapi.json").json()
    documented = [op["responses"]["422"] for path in schema["paths"].values()
                  for op in path.values() if "422" in op.get("responses", {})]
    assert documented, "some route must document a 422"
    for response in documented:
        assert list(response["content"]) == ["application/problem+json"]
        assert response["content"]["application/problem+json"]["schema"]["$ref"].endswith(
            "/ProblemDocument")
    assert "HTTPValidationError" not in schema["components"]["schemas"]

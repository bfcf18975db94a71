"""Personal access token scopes: every route of the app × every scope against ``ROUTE_SCOPES``.

The routes come from the app's own route table, so a route added without a row in
``api.core.scopes.ROUTE_SCOPES`` fails :func:`test_every_route_declares_a_scope` (and is
refused to every token at run time).
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from api.core.deps import CurrentUser
from api.core.scopes import (
    ROUTE_SCOPES,
    SCOPES,
    SESSION,
    WEBSOCKET,
    render_markdown,
    route_keys,
    token_allows,
)
from tests.api.test_auth import bearer

PATH_PARAM = re.compile(r"\{([a-z_]+)\}")


def mint_pat(client: TestClient, user: Any, scopes: list[str]) -> str:
    """A personal access token of ``user`` carrying ``scopes``."""
    resp = client.post("/api/v1/users/me/tokens", headers=user.headers,
                       json={"name": "-".join(scopes), "scopes": scopes})
    assert resp.status_code == 201, resp.text
    token: str = resp.json()["token"]
    return token


def test_every_route_declares_a_scope(app: FastAPI) -> None:
    keys = route_keys(app.routes)
    assert len(keys) == len(set(keys))
    undeclared = sorted(set(keys) - set(ROUTE_SCOPES))
    assert not undeclared, f"add these routes to api.core.scopes.ROUTE_SCOPES: {undeclared}"
    stale = sorted(set(ROUTE_SCOPES) - set(keys))
    assert not stale, f"ROUTE_SCOPES names routes the app does not have: {stale}"


def test_permissions_doc_lists_the_scope_table() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "permissions.md").read_text()
    assert render_markdown() in doc, "regenerate docs/permissions.md from render_markdown()"


def _url(key_path: str, org_id: uuid.UUID) -> str:
    def fill(match: re.Match[str]) -> str:
        return str(org_id) if match.group(1) == "org_id" else str(uuid.uuid4())

    return PATH_PARAM.sub(fill, key_path)


def test_route_by_scope_walk(client: TestClient, app: FastAPI, make_user: Any,
                             make_org: Any) -> None:
    """An owner's token with one scope: refused (403 naming the scope) exactly where the
    table says so, and never refused where it grants access."""
    owner = make_user()
    org = make_org(owner)
    pats = {scope: bearer(mint_pat(client, owner, [scope])) for scope in SCOPES}
    # Deleting the org goes last, or the routes after it would answer 404.
    keys = sorted((k for k in route_keys(app.routes) if not k.startswith(WEBSOCKET)),
                  key=lambda k: k == "DELETE /api/v1/orgs/{org_id}")
    for key in keys:
        method, path = key.split(" ", 1)
        requirement = ROUTE_SCOPES[key]
        # Refusals first: an allowed call may change what later calls see.
        for scope in sorted(SCOPES, key=lambda s: token_allows(requirement, [s])):
            body = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
            resp = client.request(method, _url(path, org.id), headers=pats[scope], **body)
            where = f"{key} with a {scope!r} token: {resp.status_code} {resp.text[:200]}"
            if token_allows(requirement, [scope]):
                assert resp.status_code not in (401, 403), where
            else:
                assert resp.status_code == 403, where
                assert resp.json()["required_scope"] in (SESSION, *SCOPES) or " + " in \
                    resp.json()["required_scope"], where


def test_scope_cases_from_the_report(client: TestClient, make_user: Any, make_org: Any) -> None:
    """Issue 8, item 6, call by call."""
    owner = make_user()
    org = make_org(owner)
    base = f"/api/v1/orgs/{org.id}"
    inv_read = bearer(mint_pat(client, owner, ["inventory:read"]))
    plan_read = bearer(mint_pat(client, owner, ["planning:read"]))
    plan_write = bearer(mint_pat(client, owner, ["planning:write"]))
    for what in ("plans", "blueprints", "sources", "goals", "crafts"):
        assert client.get(f"{base}/{what}", headers=inv_read).status_code == 403, what
        assert client.get(f"{base}/{what}", headers=plan_read).status_code == 200, what
        assert client.get(f"{base}/{what}", headers=plan_write).status_code == 200, what
    location = {"name": "Locker", "kind": "hangar"}
    assert client.post("/api/v1/users/me/locations", json=location,
                       headers=inv_read).status_code == 403
    assert client.post("/api/v1/users/me/ships", json={"name": "x"},
                       headers=inv_read).status_code == 403
    assert client.delete(f"/api/v1/users/me/ships/{uuid.uuid4()}",
                         headers=inv_read).status_code == 403


def test_scopes_never_exceed_the_role(client: TestClient, make_user: Any, make_org: Any) -> None:
    owner, viewer = make_user(), make_user()
    org = make_org(owner, members={viewer: "viewer"})
    token = bearer(mint_pat(client, viewer, ["planning:write", "inventory:write"]))
    resp = client.post(f"/api/v1/orgs/{org.id}/plans", headers=token, json={"demands": []})
    assert resp.status_code == 403
    assert resp.json()["required_role"] == "member"
    # ...and outsiders still cannot tell the org exists, whatever their token lacks.
    outsider = make_user()
    other = bearer(mint_pat(client, outsider, ["org:read"]))
    assert client.get(f"/api/v1/orgs/{org.id}/plans", headers=other).status_code == 404


def test_route_without_a_row_refuses_tokens(client: TestClient, app: FastAPI,
                                            make_user: Any) -> None:
    @app.get("/api/v1/test/undeclared")
    def undeclared(user: CurrentUser) -> dict[str, str]:
        return {"user": str(user.id)}

    user = make_user()
    pat = bearer(mint_pat(client, user, list(SCOPES)))
    assert client.get("/api/v1/test/undeclared", headers=user.headers).status_code == 200
    assert client.get("/api/v1/test/undeclared", headers=pat).status_code == 403


def test_live_feed_needs_both_read_scopes(client: TestClient, make_user: Any,
                                          make_org: Any) -> None:
    owner = make_user()
    org = make_org(owner)
    url = f"/api/v1/orgs/{org.id}/live?token="
    for scopes in (["inventory:read"], ["planning:read"], ["org:admin"]):
        live = client.websocket_connect(url + mint_pat(client, owner, scopes))
        with pytest.raises(WebSocketDisconnect) as info, live as ws:
            ws.receive_json()
        assert info.value.code == 4403, scopes
    token = mint_pat(client, owner, ["inventory:write", "planning:read"])
    with client.websocket_connect(url + token) as ws:
        assert ws.receive_json()["type"] == "hello"

"""The live moderation queue (issue 9): `WS /commons/live` carries submissions, decisions and
takedowns to curators and moderators, and each decision to its submitter, after commit only;
through the in-process hub and through Redis, on both database backends."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from starlette.websockets import WebSocketDisconnect

from api.app import create_app
from api.commons.service import grant_role
from api.core.db import Database
from api.core.settings import Settings
from api.live.hub import _send, commons_user_channel
from tests.api.planning_helpers import make_item
from tests.conftest import REDIS_URL, redis_available, service_missing

LIVE = "/api/v1/commons/live"
SUBS = "/api/v1/commons/submissions"


@pytest.fixture(params=["memory", "redis"])
def live_client(request: pytest.FixtureRequest, settings: Settings,
                database: Database) -> Iterator[tuple[TestClient, Database, str | None]]:
    """An app whose live events go through the in-process hub or Redis pub/sub."""
    redis_url = None
    if request.param == "redis":
        if not redis_available():
            service_missing(f"needs Redis at {REDIS_URL}")
        redis_url = REDIS_URL
    cfg = settings.model_copy(update={"redis_url": redis_url})
    db = Database(database.url, cfg)
    try:
        with TestClient(create_app(cfg, db)) as client:
            yield client, db, redis_url
    finally:
        db.dispose()


def _open(stack: ExitStack, client: TestClient, user: Any) -> tuple[Any, bool]:
    ws = stack.enter_context(client.websocket_connect(f"{LIVE}?token={user.token}"))
    hello = ws.receive_json()
    assert hello["type"] == "hello"
    return ws, bool(hello["moderator"])


def _next_after_probe(ws: Any, user_id: uuid.UUID, redis_url: str | None) -> dict[str, Any]:
    """A probe sent on the user's own channel; what arrives first (a queued event or the
    probe itself) is returned, so a test can tell 'nothing was delivered' without waiting."""
    _send(commons_user_channel(user_id), '{"type": "probe"}', redis_url)
    out: dict[str, Any] = ws.receive_json()
    return out


def _grant(db: Database, username: str, *, revoke: bool = False) -> None:
    with db.session_scope() as s:
        grant_role(s, username, "moderator", revoke=revoke)


def test_queue_and_decisions_are_live(live_client: Any, session: Session,
                                      make_user: Any) -> None:
    client, db, redis_url = live_client
    mod, author, bystander = make_user(), make_user(), make_user()
    _grant(db, mod.user.username)
    item = make_item(session, "Hadanite")
    session.commit()
    with ExitStack() as stack:
        mod_ws, is_mod = _open(stack, client, mod)
        author_ws, author_is_mod = _open(stack, client, author)
        bystander_ws, _ = _open(stack, client, bystander)
        assert (is_mod, author_is_mod) == (True, False)

        data = {"name": "Hadanite polish", "output_item_id": str(item.id),
                "output_quantity": 1, "ingredients": []}
        r = client.post(SUBS, headers=author.headers,
                        json={"kind": "blueprint", "data": data, "source_ref": "4.0 notes",
                              "anonymous": True})
        assert r.status_code == 201, r.text
        sub_id = r.json()["id"]
        event = mod_ws.receive_json()
        assert (event["type"], event["action"], event["submission_id"], event["status"]) == \
            ("commons.submission", "submit", sub_id, "pending")
        # An anonymous submitter stays anonymous on the queue.
        assert str(author.id) not in str(event) and author.user.username not in str(event)
        # The submitter's own socket hears decisions, not the queue.
        assert _next_after_probe(author_ws, author.id, redis_url)["type"] == "probe"

        r = client.post(f"{SUBS}/{sub_id}/decision", headers=mod.headers,
                        json={"action": "request_changes", "notes": "source please"})
        assert r.status_code == 200, r.text
        for ws in (mod_ws, author_ws):
            event = ws.receive_json()
            assert (event["action"], event["status"]) == ("request_changes", "changes_requested")
        # The submitter's list carries the log, so the moderator's note reaches them.
        mine = client.get(SUBS, headers=author.headers).json()["items"]
        assert [(a["action"], a["actor"], a["notes"]) for a in mine[0]["actions"]] == [
            ("submit", "anonymous", None), ("request_changes", mod.user.username, "source please")]

        r = client.put(f"{SUBS}/{sub_id}", headers=author.headers,
                       json={"data": {**data, "output_quantity": 2}, "source_ref": "wiki"})
        assert r.status_code == 200, r.text
        assert mod_ws.receive_json()["action"] == "resubmit"

        r = client.post(f"{SUBS}/{sub_id}/decision", headers=mod.headers,
                        json={"action": "approve"})
        assert r.status_code == 200, r.text
        entity_id = r.json()["entity_id"]
        for ws in (mod_ws, author_ws):
            event = ws.receive_json()
            assert (event["action"], event["status"], event["entity_id"]) == \
                ("approve", "approved", entity_id)

        # A decision that fails (already decided: 409) is rolled back and announces nothing.
        again = client.post(f"{SUBS}/{sub_id}/decision", headers=mod.headers,
                            json={"action": "reject"})
        assert again.status_code == 409
        r = client.post(f"/api/v1/commons/entities/{entity_id}/takedown", headers=mod.headers,
                        json={"reason": "wrong recipe"})
        assert r.status_code == 200, r.text
        event = mod_ws.receive_json()
        assert (event["type"], event["action"], event["entity_id"], event["reason"]) == \
            ("commons.entity", "takedown", entity_id, "wrong recipe")

        # Someone else's submissions and decisions never reach a plain user.
        assert _next_after_probe(bystander_ws, bystander.id, redis_url)["type"] == "probe"


def test_revoked_moderator_is_closed_and_strangers_refused(live_client: Any,
                                                           make_user: Any) -> None:
    client, db, redis_url = live_client
    mod, plain = make_user(), make_user()
    _grant(db, mod.user.username)
    with ExitStack() as stack:
        mod_ws, is_mod = _open(stack, client, mod)
        plain_ws, _ = _open(stack, client, plain)
        assert is_mod
        _grant(db, mod.user.username, revoke=True)
        with pytest.raises(WebSocketDisconnect) as closed:
            mod_ws.receive_json()
        assert closed.value.code == 4403
        # Only the revoked user's sockets re-check; everyone else's feed stays open.
        assert _next_after_probe(plain_ws, plain.id, redis_url)["type"] == "probe"
    with client.websocket_connect(f"{LIVE}?token=not-a-token") as ws, \
            pytest.raises(WebSocketDisconnect) as refused:
        ws.receive_json()
    assert refused.value.code == 4401

"""WS /users/me/live: a user's socket hears notification.new after the commit that wrote
their notification, and nobody else's (in-process hub and Redis pub/sub)."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

import pytest
from starlette.websockets import WebSocketDisconnect

from api.live.hub import _send, notice_channel
from api.notifications.service import notify
from tests.api.test_commons_live import live_client  # noqa: F401 (the same fixture)

LIVE = "/api/v1/users/me/live"


def _next_after_probe(ws: Any, user_id: Any, redis_url: str | None) -> dict[str, Any]:
    # What arrives first, a queued event or this probe: "nothing was delivered" without a wait.
    _send(notice_channel(user_id), '{"type": "probe"}', redis_url)
    out: dict[str, Any] = ws.receive_json()
    return out


def test_new_notification_is_pushed_to_its_user_only_after_commit(
        live_client: Any, make_user: Any) -> None:  # noqa: F811
    client, db, redis_url = live_client
    alice, bob = make_user(), make_user()
    with ExitStack() as stack:
        sockets = {}
        for user in (alice, bob):
            ws = stack.enter_context(client.websocket_connect(f"{LIVE}?token={user.token}"))
            assert ws.receive_json() == {"type": "hello"}
            sockets[user.id] = ws
        with db.session_scope() as s:
            notify(s, [alice.id], "plan.done", "Rolled back")
            s.rollback()
        assert _next_after_probe(sockets[alice.id], alice.id, redis_url)["type"] == "probe"
        with db.session_scope() as s:
            notify(s, [alice.id], "plan.done", "Plan done")
        assert sockets[alice.id].receive_json() == {"type": "notification.new"}
        assert _next_after_probe(sockets[bob.id], bob.id, redis_url)["type"] == "probe"
        # The bell then reads the count over HTTP.
        count = client.get("/api/v1/users/me/notifications/unread-count", headers=alice.headers)
        assert count.json()["unread"] == 1


def test_bad_token_is_closed_4401(live_client: Any) -> None:  # noqa: F811
    client, _, _ = live_client
    with client.websocket_connect(f"{LIVE}?token=garbage") as ws, \
            pytest.raises(WebSocketDisconnect) as closed:
        ws.receive_json()
    assert closed.value.code == 4401

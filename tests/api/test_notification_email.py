"""Notifications by email for the kinds a user opts into, against the real SMTP sink of
tests/api/test_password_reset.py, through the in-process worker (SQLite and PostgreSQL)."""

from __future__ import annotations

import queue
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.core.db import Database
from api.notifications.service import notify
from tests.api.test_password_reset import (  # noqa: F401 (fixtures)
    MAIL_WAIT_SECONDS,
    Sink,
    mail_client,
    smtp_sink,
)

PREFS = "/api/v1/users/me/notification-preferences"


def _prefs(client: TestClient, user: Any) -> dict[str, dict[str, Any]]:
    r = client.get(PREFS, headers=user.headers)
    assert r.status_code == 200, r.text
    return {p["kind"]: p for p in r.json()}


def _set(client: TestClient, user: Any, *changes: dict[str, Any]) -> None:
    r = client.put(PREFS, headers=user.headers, json={"preferences": list(changes)})
    assert r.status_code == 200, r.text


def test_opted_in_kinds_are_mailed_once_after_commit_and_nothing_else(
        mail_client: TestClient, smtp_sink: tuple[Sink, int], database: Database,  # noqa: F811
        make_user: Any) -> None:
    sink, _ = smtp_sink
    keen, quiet, mail_only = make_user(), make_user(), make_user()
    assert _prefs(mail_client, keen)["plan.done"] == {
        "kind": "plan.done", "in_app": True, "email": False, "email_available": True}
    _set(mail_client, keen, {"kind": "plan.done", "email": True})
    # A field left out keeps its setting: in-app stays on.
    assert _prefs(mail_client, keen)["plan.done"]["in_app"] is True
    _set(mail_client, mail_only, {"kind": "plan.done", "in_app": False, "email": True})
    users = [keen.user.id, quiet.user.id, mail_only.user.id]

    with database.session_scope() as s:  # rolled back: nobody is told
        notify(s, users, "plan.done", "Rolled back plan is done")
        s.rollback()
    with database.session_scope() as s:  # a kind nobody asked by email for
        notify(s, users, "plan.failed", "Some plan failed")
    with database.session_scope() as s:
        notify(s, users, "plan.done", "Plan Gold run is done")

    got = [sink.inbox.get(timeout=MAIL_WAIT_SECONDS) for _ in range(2)]
    assert sorted(m["To"] for m in got) == sorted([keen.user.email, mail_only.user.email])
    assert {m["Subject"] for m in got} == {"[Quartermaster] Plan Gold run is done"}
    body = got[0].get_payload(decode=True)
    assert isinstance(body, bytes) and b"http://ui.test/notifications" in body
    # The rolled-back and the unwanted ones would have been queued before the last commit's
    # mails (one in-process worker, in order): none came.
    with pytest.raises(queue.Empty):
        sink.inbox.get(timeout=1)
    # In-app is independent: the mail-only user has no row, the others do.
    unread = {u.user.id: mail_client.get("/api/v1/users/me/notifications/unread-count",
                                         headers=u.headers).json()["unread"]
              for u in (keen, quiet, mail_only)}
    assert unread == {keen.user.id: 2, quiet.user.id: 2, mail_only.user.id: 1}


def test_email_preferences_are_stored_but_unavailable_without_smtp(
        client: TestClient, make_user: Any) -> None:
    user = make_user()
    _set(client, user, {"kind": "goal.completed", "email": True})
    pref = _prefs(client, user)["goal.completed"]
    assert pref == {"kind": "goal.completed", "in_app": True, "email": True,
                    "email_available": False}
    bad = client.put(PREFS, headers=user.headers,
                     json={"preferences": [{"kind": "goal.completed", "sms": True}]})
    assert bad.status_code == 422

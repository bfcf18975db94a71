"""Optional email verification by a single-use link, against the real SMTP sink; notification
emails only to verified addresses when the server requires it (issue 10)."""

from __future__ import annotations

import re
from email.message import Message
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.notifications.repository import email_recipients
from tests.api.test_password_reset import (  # noqa: F401 (fixtures)
    MAIL_WAIT_SECONDS,
    Sink,
    mail_client,
    smtp_sink,
)

SEND = "/api/v1/users/me/email-verification"
VERIFY = "/api/v1/auth/verify-email"


def _token(mail: Message) -> str:
    body = mail.get_payload(decode=True)
    assert isinstance(body, bytes)
    found = re.search(r"http://ui\.test/verify-email\?token=(\S+)", body.decode())
    assert found, body
    return found.group(1)


def _me(client: TestClient, user: Any) -> dict[str, Any]:
    body: dict[str, Any] = client.get("/api/v1/users/me", headers=user.headers).json()
    return body


def test_link_verifies_once_and_a_new_address_needs_a_new_link(
        mail_client: TestClient, smtp_sink: tuple[Sink, int],  # noqa: F811
        make_user: Any, session: Session) -> None:
    sink, _ = smtp_sink
    user = make_user()
    assert _me(mail_client, user)["email_verified_at"] is None
    sent = mail_client.post(SEND, headers=user.headers)
    assert sent.status_code == 202 and sent.json()["email_enabled"] is True
    mail = sink.inbox.get(timeout=MAIL_WAIT_SECONDS)
    assert mail["To"] == user.user.email
    token = _token(mail)
    assert mail_client.post(VERIFY, json={"token": token}).status_code == 204
    assert _me(mail_client, user)["email_verified_at"] is not None
    again = mail_client.post(VERIFY, json={"token": token})
    assert again.status_code == 422 and again.json()["errors"][0]["field"] == "token"

    # A link sent to the old address does not verify the new one, and the change unverifies.
    assert mail_client.post(SEND, headers=user.headers).status_code == 202
    old_link = _token(sink.inbox.get(timeout=MAIL_WAIT_SECONDS))
    r = mail_client.patch("/api/v1/users/me", headers=user.headers,
                          json={"email": "moved@example.test"})
    assert r.status_code == 200 and r.json()["email_verified_at"] is None
    stale = mail_client.post(VERIFY, json={"token": old_link})
    assert stale.status_code == 422 and stale.json()["errors"][0]["field"] == "token"
    assert _me(mail_client, user)["email_verified_at"] is None


def test_without_smtp_nothing_is_sent_and_bad_tokens_are_422(
        client: TestClient, make_user: Any) -> None:
    user = make_user()
    sent = client.post(SEND, headers=user.headers)
    assert sent.status_code == 202 and sent.json()["email_enabled"] is False
    bad = client.post(VERIFY, json={"token": "qm_verify_made-up-token"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "token"


def test_verified_only_recipients(client: TestClient, session: Session, make_user: Any) -> None:
    plain, checked = make_user(), make_user()
    for user in (plain, checked):
        r = client.put("/api/v1/users/me/notification-preferences", headers=user.headers,
                       json={"preferences": [{"kind": "plan.done", "email": True}]})
        assert r.status_code == 200
    from datetime import UTC, datetime

    from models.accounts import User

    stored = session.get(User, checked.id)
    assert stored is not None
    stored.email_verified_at = datetime.now(UTC)
    session.commit()
    ids = {plain.id, checked.id}
    assert sorted(email_recipients(session, ids, "plan.done")) == sorted(
        [plain.user.email, checked.user.email])
    assert email_recipients(session, ids, "plan.done", verified_only=True) == [
        checked.user.email]

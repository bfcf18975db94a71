"""Password reset by emailed single-use link, against a real SMTP sink (aiosmtpd) started
here on a free port, through the in-process Dramatiq worker (SQLite and PostgreSQL)."""

from __future__ import annotations

import queue
import re
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope
from aiosmtpd.smtp import Session as SmtpSession
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.app import create_app
from api.core.db import Database
from api.core.security import new_opaque_token
from api.core.settings import Settings
from models.accounts import PasswordResetToken

RESET = "/api/v1/auth/password-reset"
MAIL_WAIT_SECONDS = 30  # bounds a hang; nothing is asserted about how long delivery takes


class Sink:
    """aiosmtpd handler keeping every received message."""

    def __init__(self) -> None:
        self.inbox: queue.Queue[Message] = queue.Queue()

    async def handle_DATA(self, server: SMTP, session: SmtpSession,  # noqa: N802
                          envelope: Envelope) -> str:
        """Store the message (aiosmtpd's handler hook)."""
        assert isinstance(envelope.content, bytes)
        self.inbox.put(message_from_bytes(envelope.content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_sink() -> Iterator[tuple[Sink, int]]:
    """A real SMTP server on a free local port."""
    sink, port = Sink(), _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


@pytest.fixture
def mail_client(settings: Settings, database: Database,
                smtp_sink: tuple[Sink, int]) -> Iterator[TestClient]:
    """The app with email on, pointed at the sink."""
    mailing = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp_sink[1],
                                          "smtp_starttls": False,
                                          "public_url": "http://ui.test"})
    with TestClient(create_app(mailing, database)) as test_client:  # type: ignore[arg-type]
        yield test_client


def _token_from(mail: Message) -> str:
    body = mail.get_payload(decode=True)
    assert isinstance(body, bytes)
    found = re.search(r"http://ui\.test/reset-password\?token=(\S+)", body.decode())
    assert found, body
    return found.group(1)


def _login(client: TestClient, user: Any, password: str) -> Any:
    return client.post("/api/v1/auth/token",
                       data={"username": user.user.username, "password": password})


def test_reset_link_arrives_and_works_once(mail_client: TestClient, smtp_sink: tuple[Sink, int],
                                          make_user: Any) -> None:
    sink, _ = smtp_sink
    user = make_user()
    login = _login(mail_client, user, user.password)
    assert login.status_code == 200, login.text
    refresh = login.json()["refresh_token"]

    r = mail_client.post(f"{RESET}/request", json={"email": user.user.email})
    assert r.status_code == 202 and r.json()["email_enabled"] is True
    unknown = mail_client.post(f"{RESET}/request", json={"email": "nobody@example.test"})
    assert unknown.status_code == 202 and unknown.json() == r.json()  # reveals nothing

    mail = sink.inbox.get(timeout=MAIL_WAIT_SECONDS)
    assert mail["To"] == user.user.email and "reset" in mail["Subject"].lower()
    token = _token_from(mail)

    new = "a brand new passphrase 77"
    assert mail_client.post(RESET, json={"token": token, "new_password": new}).status_code == 204
    again = mail_client.post(RESET, json={"token": token, "new_password": new + "x"})
    assert again.status_code == 422 and again.json()["errors"][0]["field"] == "token"
    assert again.headers["content-type"].startswith("application/problem+json")

    assert _login(mail_client, user, new).status_code == 200
    assert _login(mail_client, user, user.password).status_code == 401
    # Every session the account had is over.
    assert mail_client.post("/api/v1/auth/refresh",
                            json={"refresh_token": refresh}).status_code == 401
    assert sink.inbox.empty()  # no mail for the unknown address


def test_expired_unknown_and_weak(mail_client: TestClient, session: Session,
                                  make_user: Any) -> None:
    user = make_user()
    token, token_hash = new_opaque_token("qm_reset_")
    session.add(PasswordResetToken(user_id=user.id, token_hash=token_hash,
                                   expires_at=datetime.now(UTC) - timedelta(minutes=1)))
    session.commit()
    body = {"token": token, "new_password": "a brand new passphrase 77"}
    assert mail_client.post(RESET, json=body).status_code == 422
    assert mail_client.post(RESET, json={**body, "token": "qm_reset_nope"}).status_code == 422

    fresh, fresh_hash = new_opaque_token("qm_reset_")
    session.add(PasswordResetToken(user_id=user.id, token_hash=fresh_hash,
                                   expires_at=datetime.now(UTC) + timedelta(minutes=30)))
    session.commit()
    weak = mail_client.post(RESET, json={"token": fresh, "new_password": user.user.username})
    assert weak.status_code == 422
    # A refused password leaves the link usable (nothing half-written).
    session.expire_all()
    row = session.scalar(select(PasswordResetToken).where(
        PasswordResetToken.token_hash == fresh_hash))
    assert row is not None and row.used_at is None
    ok = mail_client.post(RESET, json={"token": fresh, "new_password": "another fine phrase 9"})
    assert ok.status_code == 204


def test_email_off_by_default(client: TestClient, make_user: Any, session: Session) -> None:
    user = make_user()
    r = client.post(f"{RESET}/request", json={"email": user.user.email})
    assert r.status_code == 202 and r.json()["email_enabled"] is False

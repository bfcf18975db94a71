"""Outgoing email over SMTP (stdlib ``smtplib``), sent by a Dramatiq actor after commit.

No ``QM_SMTP_HOST`` means no email (the embedded default): :func:`email_enabled` is false,
nothing is enqueued and the routes that would mail say so. The actor is declared by the
composition root (``workers/broker.py``) around :func:`send_mail`; request code reaches it
through :class:`Mailer` (``app.state.jobs``) from an after-commit hook, so a rolled-back
request never sends mail.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Protocol, runtime_checkable

from sqlalchemy.orm import Session

from api.core.db import JOBS_KEY, after_commit
from api.core.settings import Settings

EMAIL_ACTOR = "send_email"
SMTP_TIMEOUT_SECONDS = 20


@runtime_checkable
class Mailer(Protocol):
    """Something that queues one email (the worker runtime)."""

    def enqueue_email(self, to: str, subject: str, body: str) -> None:
        """Queue one plain-text email to ``to``."""


@runtime_checkable
class NotificationMailer(Mailer, Protocol):
    """A mailer that knows the server's settings (the worker runtime, reached through
    ``session.info[JOBS_KEY]`` in every session, in the API and in worker processes)."""

    settings: Settings


def session_mailer(session: Session) -> NotificationMailer | None:
    """The mailer of the process that opened ``session``, when it sends email at all."""
    mailer = session.info.get(JOBS_KEY)
    if isinstance(mailer, NotificationMailer) and email_enabled(mailer.settings):
        return mailer
    return None


def email_enabled(settings: Settings) -> bool:
    """Whether this server sends email at all."""
    return bool(settings.smtp_host)


def send_mail(settings: Settings, to: str, subject: str, body: str) -> None:
    """Deliver one plain-text email now (the actor's body; raises so Dramatiq retries)."""
    if not settings.smtp_host:
        return
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port,
                      timeout=SMTP_TIMEOUT_SECONDS) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password or "")
        smtp.send_message(message)


def mail_after_commit(session: Session, mailer: Mailer | None, settings: Settings, to: str,
                      subject: str, body: str) -> None:
    """Queue the email once the session commits; nothing when email is off or no queue."""
    if mailer is None or not email_enabled(settings):
        return
    after_commit(session, lambda: mailer.enqueue_email(to, subject, body))

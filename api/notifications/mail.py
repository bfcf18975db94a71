"""Outgoing email over SMTP (stdlib ``smtplib``), kept with its transaction and sent by a worker.

No ``QM_SMTP_HOST`` means no email (the embedded default): :func:`email_enabled` is false,
nothing is stored or sent and the routes that would mail say so. An email a change decides to
send (a reset link, a notification) is written as an ``outbound_emails`` row with a job-outbox
row in the change's own transaction (:func:`mail_after_commit`): a rolled-back change mails
nobody, and a broker that is down when the change commits only delays the email — the outbox
relays hand it over once the broker answers. The Dramatiq actor (declared by the composition
root, ``workers/broker.py``, around :func:`send_stored_email`) sends the row and deletes it;
an SMTP relay that refuses makes it raise, so Dramatiq retries with backoff.
"""

from __future__ import annotations

import smtplib
import uuid
from email.message import EmailMessage
from typing import Protocol, runtime_checkable

from sqlalchemy.orm import Session

from api.core.db import JOBS_KEY, Database
from api.core.jobs import JobDispatcher
from api.core.outbox import OutboxJobs, OutboxRelay
from api.core.settings import Settings
from api.notifications import repository

# Not the old "send_email" (to, subject, body): a message of that shape left on the queue by
# an earlier version finds no actor instead of failing on its arguments.
EMAIL_ACTOR = "send_stored_email"
SMTP_TIMEOUT_SECONDS = 20


@runtime_checkable
class Mailer(JobDispatcher, Protocol):
    """The worker runtime as an email sender: a job dispatcher (an email travels through the
    job outbox like any job) and the database its outbox rows are relayed from."""

    database: Database


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
    """Keep the email in this transaction and hand it to the broker once it commits; nothing
    when email is off or the process has no queue."""
    if mailer is None or not email_enabled(settings):
        return
    email_id = repository.keep_email(session, to, subject, body)
    # A relay with no loop of its own sends right after the commit; the process's relays retry.
    OutboxJobs(session, OutboxRelay(mailer.database, mailer)).enqueue_email(email_id)


def send_stored_email(database: Database, settings: Settings, email_id: uuid.UUID) -> None:
    """The actor's body: send one stored email, then forget it.

    Nothing when it was sent already (a redelivered message) or another sender holds it. The
    row stays if SMTP refuses (the exception makes Dramatiq retry); at-least-once, as every
    job: a crash between the send and the commit sends it again.
    """
    with database.session_scope() as session:
        email = repository.claim_email(session, email_id)
        if email is None:
            return
        send_mail(settings, email.recipient, email.subject, email.body)
        repository.forget_email(session, email)


def forget_mail_to(session: Session, address: str) -> None:
    """GDPR erasure: unsent emails to ``address`` go with the account (their outbox rows then
    find nothing to send)."""
    repository.forget_emails_to(session, address)

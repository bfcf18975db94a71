"""The delivery actor's work: claim a due delivery, POST it signed, record the outcome.

Declared as a Dramatiq actor in :mod:`workers.broker` (``deliver_webhook``). Three short
transactions, none held open during the HTTP call: claim (a lease on the delivery), send,
record (attempt log row; delivered, a retry scheduled with backoff, or failed). The retry is
a delayed message sent after the record commits. The reaper's :func:`sweep` re-sends
deliveries whose message was lost.
"""

from __future__ import annotations

import functools
import json
import ssl
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import certifi
import httpx
from sqlalchemy.orm import Session

from api.core.db import Database
from api.core.settings import Settings
from api.webhooks import repository, safety, service, signing
from api.webhooks.service import Attempt

USER_AGENT = "Quartermaster-Webhooks/1"


@functools.cache
def _tls() -> ssl.SSLContext:
    # Built once per process: loading the CA bundle costs more than a local delivery.
    return ssl.create_default_context(cafile=certifi.where())

# Bytes of the receiver's answer read (and partly kept in the log); the rest is dropped.
MAX_RESPONSE_BYTES = 4096


@dataclass(frozen=True)
class Message:
    """What one attempt sends."""

    url: str
    msg_id: str
    body: str
    secrets: list[str]


def _claim(session: Session, settings: Settings, delivery_id: uuid.UUID) -> Message | None:
    now = datetime.now(UTC)
    # The lease outlasts an attempt, so a duplicate message cannot start a second one.
    lease = now + timedelta(seconds=settings.webhook_timeout_seconds * 3 + 30)
    if not repository.claim(session, delivery_id, now, lease):
        return None
    found = repository.delivery_with_endpoint(session, delivery_id)
    if found is None:
        return None
    delivery, endpoint = found
    if not endpoint.is_active:
        service.give_up(session, delivery, "endpoint disabled")
        return None
    return Message(url=str(endpoint.configuration.get("url", "")),
                   msg_id=service.message_id(delivery.id),
                   body=json.dumps(delivery.payload, separators=(",", ":"), default=str),
                   secrets=service.signing_secrets(settings, endpoint, now))


def _read_excerpt(response: httpx.Response) -> str:
    data = b""
    for chunk in response.iter_bytes():
        data += chunk
        if len(data) >= MAX_RESPONSE_BYTES:
            break
    return data[:MAX_RESPONSE_BYTES].decode("utf-8", errors="replace")


def send(settings: Settings, message: Message) -> Attempt:
    """One signed POST; never raises (a refusal or transport error is a failed attempt)."""
    try:
        # Checked again now, and the connection goes to the checked address: DNS rebinding
        # between the endpoint's creation and this attempt cannot reach a private host.
        target = safety.check(message.url, settings)
        url = httpx.URL(message.url)
    except (safety.UnsafeURLError, httpx.InvalidURL) as exc:
        return Attempt(url=message.url, error=f"refused: {exc}")
    timestamp = datetime.now(UTC)
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": message.msg_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signing.signature_header(message.secrets, message.msg_id,
                                                      timestamp, message.body),
    }
    default_port = 443 if target.scheme == "https" else 80
    headers["host"] = target.host if target.port == default_port else \
        f"{target.host}:{target.port}"
    pinned = url.copy_with(host=target.address)
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    started = time.perf_counter()
    try:
        with httpx.Client(timeout=settings.webhook_timeout_seconds, follow_redirects=False,
                          trust_env=False, verify=_tls()) as client, \
                client.stream("POST", pinned, content=message.body.encode(), headers=headers,
                              extensions=extensions) as response:
            excerpt = _read_excerpt(response)
            latency = int((time.perf_counter() - started) * 1000)
            return Attempt(url=message.url, status_code=response.status_code,
                           latency_ms=latency, excerpt=excerpt)
    except httpx.HTTPError as exc:
        latency = int((time.perf_counter() - started) * 1000)
        return Attempt(url=message.url, latency_ms=latency,
                       error=f"{type(exc).__name__}: {exc}")


def run_delivery(database: Database, settings: Settings, delivery_id: uuid.UUID) -> bool:
    """One attempt of ``delivery_id`` if it is due; True when an attempt was made."""
    with database.session_scope() as session:
        message = _claim(session, settings, delivery_id)
    if message is None:
        return False
    result = send(settings, message)
    with database.session_scope() as session:
        repository.count_attempt(session, delivery_id)
        found = repository.delivery_with_endpoint(session, delivery_id)
        if found is None:  # the endpoint was deleted meanwhile
            return True
        delay = service.record_attempt(session, settings, found[0], found[1], result)
        if delay is not None:
            service.enqueue_after_commit(session, [delivery_id], delay)
    return True


def sweep(database: Database, settings: Settings) -> int:
    """Re-send deliveries due for longer than the sweep age (lost messages); how many."""
    before = datetime.now(UTC) - timedelta(seconds=settings.webhook_sweep_after_seconds)
    with database.session_scope(writes=False) as session:
        ids = repository.overdue(session, before)
        service.enqueue_after_commit(session, ids)
    return len(ids)

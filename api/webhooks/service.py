"""Webhook rules: endpoints (admins), events -> deliveries, the outcome of each attempt.

Org events reach webhooks through :func:`on_event`, registered with
:func:`api.live.hub.listen`: it runs inside the announcing transaction and writes one
``webhook_deliveries`` row per subscribed endpoint there, so a rolled-back change delivers
nothing. The rows are sent to the delivery actor after the commit (the process's dispatcher
in ``session.info``); a row whose message is lost (broker down, a crash) is found by the
reaper's sweep. The rows are their own outbox.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from api.core.db import JOBS_KEY, after_commit
from api.core.errors import Conflict, InvalidInput, NotFound
from api.core.kept import kept
from api.core.pagination import PageParams
from api.core.settings import Settings
from api.live.hub import announce, listen
from api.webhooks import repository, safety, signing
from api.webhooks.schemas import (
    EVENT_TYPES,
    TEST_EVENT,
    AttemptOut,
    DeliveryDetail,
    DeliveryOut,
    WebhookIn,
    WebhookOut,
    WebhookPatch,
)
from models.integrations import Integration, IntegrationLog, WebhookDelivery

DISABLED_EVENT = "webhook.disabled"
EXCERPT_CHARS = 500


@runtime_checkable
class WebhookSender(Protocol):
    """What sends a delivery to the actor (``workers.broker.Runtime``)."""

    def enqueue_webhook(self, delivery_id: uuid.UUID, delay_seconds: float = 0.0) -> None:
        """Queue one attempt of ``delivery_id`` in ``delay_seconds``."""


def _now() -> datetime:
    return datetime.now(UTC)


def enqueue_after_commit(session: Session, delivery_ids: list[uuid.UUID],
                         delay_seconds: float = 0.0) -> None:
    """Send the deliveries to the actor once the session's transaction commits."""
    sender = session.info.get(JOBS_KEY)
    if not delivery_ids or not isinstance(sender, WebhookSender):
        return  # no dispatcher here: the reaper's sweep sends them

    def send() -> None:
        for delivery_id in delivery_ids:
            sender.enqueue_webhook(delivery_id, delay_seconds)

    after_commit(session, send)


# --- events -> deliveries -------------------------------------------------------------------


def webhook_type(event: dict[str, Any]) -> str | None:
    """The webhook event type of an org event, or None when webhooks do not carry it."""
    kind, status = event.get("type"), event.get("status")
    if kind in ("stock.changed", "plan.applied", "goal.completed", "commons.decision"):
        return str(kind)
    if kind == "plan.status" and status in ("done", "failed"):
        return f"plan.{status}"
    if kind == "craft.status":
        if status == "completed":
            return "craft.completed"
        # Progress on a started craft is announced as in_progress too (with completed_runs).
        if status == "in_progress" and "completed_runs" not in event:
            return "craft.started"
    return None


def _payload(kind: str, org_id: uuid.UUID | str, data: dict[str, Any]) -> dict[str, Any]:
    # The Standard Webhooks payload shape: type, timestamp, data.
    return {"type": kind, "timestamp": _now().isoformat().replace("+00:00", "Z"),
            "data": {"organization_id": str(org_id), **data}}


def _add_deliveries(session: Session, endpoint_ids: list[uuid.UUID], kind: str,
                    payload: dict[str, Any]) -> list[WebhookDelivery]:
    now = _now()
    rows = [WebhookDelivery(id=uuid.uuid4(), integration_id=endpoint_id, event_type=kind,
                            payload=payload, status="pending", attempts=0, next_attempt_at=now)
            for endpoint_id in endpoint_ids]
    session.add_all(rows)
    session.flush()
    enqueue_after_commit(session, [r.id for r in rows])
    return rows


# session.info key: per org, the enabled endpoints and their events, read once per transaction
# (a plan apply announces hundreds of stock changes; one query serves them all).
_SUBSCRIPTIONS_KEY = "qm_webhook_subscriptions"
Subscriptions = tuple[tuple[uuid.UUID, frozenset[str]], ...]


def _subscriptions(session: Session, org_id: uuid.UUID) -> Subscriptions:
    """The org's enabled endpoints and their events: once per transaction, and kept across
    transactions while endpoints are unchanged (every stock change asks; most orgs have none)."""
    cache: dict[uuid.UUID, Subscriptions] = session.info.setdefault(_SUBSCRIPTIONS_KEY, {})
    if org_id not in cache:
        cache[org_id] = kept(session, ("webhook-subscriptions", org_id), lambda: tuple(
            (e.id, frozenset(e.configuration.get("events", [])))
            for e in repository.active_endpoints(session, org_id)))
    return cache[org_id]


def _forget_subscriptions(session: Session) -> None:
    session.info.pop(_SUBSCRIPTIONS_KEY, None)


@sa_event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session: Session, _transaction: Any) -> None:
    # Any end (commit, rollback, a savepoint) drops the cache: the next one reads afresh.
    _forget_subscriptions(session)


@listen
def on_event(session: Session, org_id: uuid.UUID | str, event: dict[str, Any]) -> None:
    """Hub listener: one delivery per enabled endpoint subscribed to the event's type."""
    kind = webhook_type(event)
    if kind is None:
        return
    org = org_id if isinstance(org_id, uuid.UUID) else uuid.UUID(str(org_id))
    targets = [endpoint_id for endpoint_id, events in _subscriptions(session, org)
               if kind in events]
    if targets:
        data = {k: v for k, v in event.items() if k != "type"}
        _add_deliveries(session, targets, kind, _payload(kind, org, data))


# --- endpoints ------------------------------------------------------------------------------


def _safe_url(url: str, settings: Settings) -> str:
    try:
        safety.check(url, settings)
    except safety.UnsafeURLError as exc:
        raise InvalidInput(f"The endpoint URL is refused: {exc}", field="url") from exc
    return url


def describe(endpoint: Integration) -> WebhookOut:
    """The API view of an endpoint (no secret)."""
    config = endpoint.configuration
    return WebhookOut(
        id=endpoint.id, organization_id=endpoint.organization_id or uuid.UUID(int=0),
        name=endpoint.name, url=str(config.get("url", "")), events=list(config.get("events", [])),
        description=config.get("description"), enabled=endpoint.is_active,
        consecutive_failures=endpoint.consecutive_failures, disabled_at=endpoint.disabled_at,
        disabled_reason=endpoint.disabled_reason,
        previous_secret_expires_at=endpoint.previous_secret_expires_at,
        created_at=endpoint.created_at, updated_at=endpoint.updated_at)


def create(session: Session, settings: Settings, org_id: uuid.UUID,
           data: WebhookIn) -> tuple[Integration, str]:
    """A new endpoint and its signing secret (the only time the secret is readable)."""
    if repository.count(session, org_id) >= settings.webhook_max_endpoints_per_org:
        raise Conflict(f"An organisation has at most {settings.webhook_max_endpoints_per_org} "
                       "webhook endpoints", limit=settings.webhook_max_endpoints_per_org)
    url = _safe_url(data.url, settings)
    secret = signing.new_secret()
    endpoint = Integration(
        id=uuid.uuid4(), name=data.name, kind=repository.WEBHOOK, organization_id=org_id,
        configuration={"url": url, "events": sorted(set(data.events)),
                       "description": data.description},
        secret=signing.encrypt(settings, secret), is_active=True, consecutive_failures=0)
    session.add(endpoint)
    session.flush()
    _forget_subscriptions(session)
    return endpoint, secret


def get(session: Session, org_id: uuid.UUID, webhook_id: uuid.UUID) -> Integration:
    """One of the org's endpoints; 404 otherwise."""
    endpoint = repository.get(session, org_id, webhook_id)
    if endpoint is None:
        raise NotFound("webhook", webhook_id)
    return endpoint


def list_endpoints(session: Session, org_id: uuid.UUID,
                   page: PageParams) -> tuple[list[Integration], int]:
    """A page of the org's endpoints."""
    return repository.list_endpoints(session, org_id, page)


def update(session: Session, settings: Settings, org_id: uuid.UUID, webhook_id: uuid.UUID,
           data: WebhookPatch) -> Integration:
    """Change name, URL, events or description; ``enabled`` switches it on or off."""
    endpoint = get(session, org_id, webhook_id)
    config = dict(endpoint.configuration)
    if data.url is not None:
        config["url"] = _safe_url(data.url, settings)
    if data.events is not None:
        config["events"] = sorted(set(data.events))
    if "description" in data.model_fields_set:
        config["description"] = data.description
    if data.name is not None:
        endpoint.name = data.name
    endpoint.configuration = config
    if data.enabled is True and not endpoint.is_active:
        endpoint.is_active, endpoint.consecutive_failures = True, 0
        endpoint.disabled_at = endpoint.disabled_reason = None
    elif data.enabled is False and endpoint.is_active:
        endpoint.is_active, endpoint.disabled_at = False, _now()
        endpoint.disabled_reason = "disabled by an admin"
    session.flush()
    _forget_subscriptions(session)
    return endpoint


def delete(session: Session, org_id: uuid.UUID, webhook_id: uuid.UUID) -> None:
    """Delete an endpoint with its deliveries and log."""
    session.delete(get(session, org_id, webhook_id))
    session.flush()
    _forget_subscriptions(session)


def rotate_secret(session: Session, settings: Settings, org_id: uuid.UUID,
                  webhook_id: uuid.UUID) -> tuple[Integration, str]:
    """A new secret; the current one keeps signing for the grace period (0 = not at all)."""
    endpoint = get(session, org_id, webhook_id)
    grace = timedelta(hours=settings.webhook_secret_grace_hours)
    if grace and endpoint.secret is not None:
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_expires_at = _now() + grace
    else:
        endpoint.previous_secret = endpoint.previous_secret_expires_at = None
    secret = signing.new_secret()
    endpoint.secret = signing.encrypt(settings, secret)
    session.flush()
    return endpoint, secret


def signing_secrets(settings: Settings, endpoint: Integration, now: datetime) -> list[str]:
    """The secrets that sign now: the current one, and the previous during its grace."""
    out = [signing.decrypt(settings, endpoint.secret)] if endpoint.secret else []
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and expires > now:
        out.append(signing.decrypt(settings, endpoint.previous_secret))
    return out


# --- deliveries -----------------------------------------------------------------------------


def message_id(delivery_id: uuid.UUID) -> str:
    """The ``webhook-id`` of a delivery: fixed across attempts, so receivers can de-duplicate."""
    return f"msg_{delivery_id.hex}"


def describe_delivery(delivery: WebhookDelivery) -> DeliveryOut:
    """The API view of a delivery."""
    return DeliveryOut(
        id=delivery.id, webhook_id=delivery.integration_id, message_id=message_id(delivery.id),
        event_type=delivery.event_type, status=delivery.status,
        attempts=delivery.attempts, next_attempt_at=delivery.next_attempt_at,
        last_status_code=delivery.last_status_code, last_error=delivery.last_error,
        delivered_at=delivery.delivered_at, created_at=delivery.created_at)


def list_deliveries(session: Session, org_id: uuid.UUID, webhook_id: uuid.UUID,
                    status: str | None, page: PageParams) -> tuple[list[WebhookDelivery], int]:
    """A page of an endpoint's deliveries (404 for another org's endpoint)."""
    get(session, org_id, webhook_id)
    return repository.list_deliveries(session, org_id, webhook_id, status, page)


def _delivery(session: Session, org_id: uuid.UUID, webhook_id: uuid.UUID,
              delivery_id: uuid.UUID) -> WebhookDelivery:
    delivery = repository.get_delivery(session, org_id, webhook_id, delivery_id)
    if delivery is None:
        raise NotFound("delivery", delivery_id)
    return delivery


def delivery_detail(session: Session, org_id: uuid.UUID, webhook_id: uuid.UUID,
                    delivery_id: uuid.UUID) -> DeliveryDetail:
    """A delivery with its payload and attempt log."""
    delivery = _delivery(session, org_id, webhook_id, delivery_id)
    log = [AttemptOut(attempt=a.attempt, at=a.created_at, success=a.status == "success",
                      status_code=a.status_code, latency_ms=a.latency_ms,
                      response_excerpt=a.response_excerpt, error=a.error_message)
           for a in repository.attempts(session, delivery.id)]
    return DeliveryDetail(**describe_delivery(delivery).model_dump(), payload=delivery.payload,
                          attempt_log=log)


def _require_enabled(endpoint: Integration) -> None:
    if not endpoint.is_active:
        raise Conflict("The endpoint is disabled; enable it first",
                       record=f"webhook/{endpoint.id}", disabled_reason=endpoint.disabled_reason)


def redeliver(session: Session, org_id: uuid.UUID, webhook_id: uuid.UUID,
              delivery_id: uuid.UUID) -> WebhookDelivery:
    """Send a delivery again now (same ``webhook-id``); when its automatic attempts are used
    up this is one more attempt."""
    _require_enabled(get(session, org_id, webhook_id))
    delivery = _delivery(session, org_id, webhook_id, delivery_id)
    delivery.status, delivery.next_attempt_at = "pending", _now()
    session.flush()
    enqueue_after_commit(session, [delivery.id])
    return delivery


def send_test(session: Session, org_id: uuid.UUID, webhook_id: uuid.UUID) -> WebhookDelivery:
    """Queue a ``webhook.test`` event to the endpoint, whatever it subscribes to."""
    endpoint = get(session, org_id, webhook_id)
    _require_enabled(endpoint)
    payload = _payload(TEST_EVENT, org_id, {"webhook_id": str(endpoint.id),
                                            "message": "Test event from Quartermaster"})
    return _add_deliveries(session, [endpoint.id], TEST_EVENT, payload)[0]


# --- attempts (called by the delivery actor) --------------------------------------------------


class Attempt:
    """The outcome of one HTTP attempt."""

    def __init__(self, *, url: str, status_code: int | None = None, latency_ms: int | None = None,
                 excerpt: str | None = None, error: str | None = None) -> None:
        self.url, self.status_code, self.latency_ms = url, status_code, latency_ms
        self.excerpt = excerpt[:EXCERPT_CHARS] if excerpt is not None else None
        self.error = error[:1000] if error is not None else None

    @property
    def ok(self) -> bool:
        """A 2xx answer; anything else (3xx included: redirects are not followed) failed."""
        return self.error is None and self.status_code is not None \
            and 200 <= self.status_code < 300


def backoff_seconds(settings: Settings, attempts: int) -> float:
    """Wait before the next attempt after ``attempts`` failed ones: exponential, capped, with
    "equal jitter" (half fixed, half random) so failed receivers are not hit in lockstep."""
    cap = min(settings.webhook_backoff_max_seconds,
              settings.webhook_backoff_base_seconds * 2 ** max(0, attempts - 1))
    return float(cap / 2 + random.uniform(0, cap / 2))  # jitter, not a secret


def _disable(session: Session, settings: Settings, endpoint: Integration, now: datetime) -> None:
    failures = settings.webhook_disable_after_failures
    reason = f"{failures} delivery attempts in a row failed"
    if repository.disable(session, endpoint.id, now, reason):
        assert endpoint.organization_id is not None
        # The org's admins hear it on the live feed (and whatever listens to org events).
        announce(session, endpoint.organization_id, {
            "type": DISABLED_EVENT, "webhook_id": str(endpoint.id), "name": endpoint.name,
            "reason": reason})


def record_attempt(session: Session, settings: Settings, delivery: WebhookDelivery,
                   endpoint: Integration, result: Attempt) -> float | None:
    """Log the attempt (already counted in ``delivery.attempts``) and move the delivery on;
    the delay before a retry, or None."""
    now = _now()
    session.add(IntegrationLog(
        id=uuid.uuid4(), integration_id=endpoint.id, event_type=delivery.event_type,
        status="success" if result.ok else "failure", delivery_id=delivery.id,
        attempt=delivery.attempts, status_code=result.status_code, latency_ms=result.latency_ms,
        response_excerpt=result.excerpt, error_message=result.error,
        request_data={"url": result.url, "webhook_id": message_id(delivery.id)}))
    delivery.last_status_code, delivery.last_error = result.status_code, result.error
    if result.ok:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = "delivered", now, None
        repository.reset_failures(session, endpoint.id)
        session.flush()
        return None
    if result.error is None:
        delivery.last_error = f"HTTP {result.status_code}"
    disabled = repository.add_failure(session, endpoint.id) >= \
        settings.webhook_disable_after_failures
    if disabled:
        _disable(session, settings, endpoint, now)
    if disabled or delivery.attempts >= settings.webhook_max_attempts:
        delivery.status, delivery.next_attempt_at = "failed", None
        session.flush()
        return None
    delay = backoff_seconds(settings, delivery.attempts)
    delivery.next_attempt_at = now + timedelta(seconds=delay)
    session.flush()
    return delay


def give_up(session: Session, delivery: WebhookDelivery, reason: str) -> None:
    """End a delivery that cannot be attempted (its endpoint is disabled)."""
    delivery.status, delivery.next_attempt_at, delivery.last_error = "failed", None, reason
    session.flush()


def event_types() -> tuple[str, ...]:
    """Every event type an endpoint can subscribe to."""
    return EVENT_TYPES

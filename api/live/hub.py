"""Publishing live events to an org's WebSocket subscribers.

Production (``redis_url`` set): Redis pub/sub on channel ``qm:org:<org_id>``, so events from
any API or worker process reach every API process. Embedded: an in-memory hub in this process
(the in-process worker shares it). Publish from HTTP handlers with
:func:`publish_after_commit` so a rolled-back change is never announced.

A second kind of channel, ``qm:user:<user_id>``, carries control messages that are never
forwarded to clients: :func:`announce_access_changed` tells every socket of a user to
re-check its access (membership removed, role changed, token revoked, account deleted).
See docs/platform.md, "Live updates".
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from api.core.authcache import forget_users
from api.core.db import LIVE_REDIS_URL_KEY, after_commit

logger = logging.getLogger(__name__)

# Per-subscriber buffer: a client that stops reading loses old events rather than our memory.
QUEUE_SIZE = 256


def channel(org_id: uuid.UUID | str) -> str:
    """The Redis channel of an org's events."""
    return f"qm:org:{org_id}"


def user_channel(user_id: uuid.UUID | str) -> str:
    """The channel of a user's control messages (never forwarded to clients)."""
    return f"qm:user:{user_id}"


# The commons moderation queue: every submission, decision and takedown, for curators and
# moderators (docs/commons.md, "Live moderation queue").
COMMONS_QUEUE = "qm:commons:queue"


def commons_user_channel(user_id: uuid.UUID | str) -> str:
    """The channel telling a submitter what became of their commons submissions."""
    return f"qm:commons:user:{user_id}"


def notice_channel(user_id: uuid.UUID | str) -> str:
    """The channel telling a user that a notification arrived (their bell re-reads)."""
    return f"qm:notice:{user_id}"


# (channel, message) as delivered to a subscriber.
Delivery = tuple[str, str]


class MemoryHub:
    """Thread-safe fan-out to asyncio queues (one per WebSocket) in this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: dict[
            str, set[tuple[asyncio.AbstractEventLoop, asyncio.Queue[Delivery]]]
        ] = {}

    def subscribe(self, channels: list[str]) -> asyncio.Queue[Delivery]:
        """One queue receiving ``(channel, message)`` of every channel in ``channels``; call
        from the event loop that will read it."""
        queue: asyncio.Queue[Delivery] = asyncio.Queue(QUEUE_SIZE)
        with self._lock:
            for name in channels:
                self._subs.setdefault(name, set()).add((asyncio.get_running_loop(), queue))
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Delivery]) -> None:
        """Stop delivering to ``queue`` on every channel."""
        with self._lock:
            for name in list(self._subs):
                subs = self._subs[name]
                for entry in [e for e in subs if e[1] is queue]:
                    subs.discard(entry)
                if not subs:
                    del self._subs[name]

    def publish(self, name: str, message: str) -> None:
        """Deliver ``message`` to every subscriber of channel ``name`` (from any thread)."""
        with self._lock:
            targets = list(self._subs.get(name, ()))
        for loop, queue in targets:
            try:
                loop.call_soon_threadsafe(_put_nowait, queue, (name, message))
            except RuntimeError:  # loop closed: the socket is gone
                self.unsubscribe(queue)


def _put_nowait(queue: asyncio.Queue[Delivery], delivery: Delivery) -> None:
    # A subscriber that stopped reading drops events instead of growing without bound.
    with contextlib.suppress(asyncio.QueueFull):
        queue.put_nowait(delivery)


memory_hub = MemoryHub()
_redis_clients: dict[str, Any] = {}


def _redis(url: str) -> Any:
    client = _redis_clients.get(url)
    if client is None:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        _redis_clients[url] = client
    return client


def publish(org_id: uuid.UUID | str, event: dict[str, Any], *, redis_url: str | None) -> None:
    """Send ``event`` (a JSON-able dict with a ``type``) to the org's live subscribers.

    Other packages call this for stock and craft events, e.g.
    ``publish(org_id, {"type": "stock.changed", "item_id": ...}, redis_url=settings.redis_url)``.
    A failure is logged, never raised: live updates are best effort.
    """
    payload = {"org_id": str(org_id), "at": datetime.now(UTC).isoformat(), **event}
    _send(channel(org_id), json.dumps(payload, default=str), redis_url)


def _send(name: str, message: str, redis_url: str | None) -> None:
    try:
        if redis_url:
            _redis(redis_url).publish(name, message)
        else:
            memory_hub.publish(name, message)
    except Exception:
        logger.warning("live publish failed", exc_info=True)


def publish_after_commit(
    session: Session, org_id: uuid.UUID | str, event: dict[str, Any], *, redis_url: str | None
) -> None:
    """:func:`publish` once the session's transaction commits (dropped on rollback)."""
    after_commit(session, lambda: publish(org_id, event, redis_url=redis_url))


# Called inside the announcing transaction: ``listener(session, org_id, event)``.
EventListener = Callable[[Session, uuid.UUID | str, dict[str, Any]], None]
_listeners: list[EventListener] = []


def listen(listener: EventListener) -> EventListener:
    """Register ``listener`` for every :func:`announce`d org event (usable as a decorator).

    Listeners run inside the announcing transaction, before commit, so what they write
    (webhook deliveries, notifications) commits or rolls back with the change itself. They
    must only add rows and after-commit hooks, never commit. Registering twice is a no-op.
    """
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def announce(session: Session, org_id: uuid.UUID | str, event: dict[str, Any]) -> None:
    """The one way an org event leaves a transaction: listeners now, live subscribers after commit.

    ``event`` is a JSON-able dict with a ``type`` (``stock.changed``, ``plan.status``,
    ``plan.applied``, ``craft.status``, ``member.left``...). The live destination (Redis or
    the in-process hub) comes from the session factory, so services deep in a call chain
    (every stock change) need no settings argument.
    """
    for listener in list(_listeners):
        listener(session, org_id, event)
    publish_after_commit(session, org_id, event, redis_url=session.info.get(LIVE_REDIS_URL_KEY))


def announce_access_changed(session: Session, user_ids: Iterable[uuid.UUID]) -> None:
    """After commit, tell every live socket of these users to re-check its access.

    Call it from every change that can take access away: membership removed or role changed,
    token or session revoked, password changed, account or org deleted. The sockets run the
    same check as at connect and close (4403 lost membership or role, 4401 lost
    authentication) when it fails; nothing is checked per forwarded event.
    """
    redis_url = session.info.get(LIVE_REDIS_URL_KEY)
    targets = sorted({str(u) for u in user_ids})
    if not targets:
        return

    def send() -> None:
        forget_users(targets)  # this process's cached callers (api/core/authcache.py)
        for user_id in targets:
            message = json.dumps({"type": ACCESS_CHANGED, "user_id": user_id})
            _send(user_channel(user_id), message, redis_url)

    after_commit(session, send)


ACCESS_CHANGED = "access.changed"
NOTIFICATION_NEW = "notification.new"


def announce_notifications(session: Session, user_ids: Iterable[uuid.UUID]) -> None:
    """After commit, tell these users' sockets that they have a new notification (the
    message carries no content: the client re-reads its count). Dropped on rollback."""
    redis_url = session.info.get(LIVE_REDIS_URL_KEY)
    targets = sorted({str(u) for u in user_ids})
    if not targets:
        return

    def send() -> None:
        for user_id in targets:
            _send(notice_channel(user_id), json.dumps({"type": NOTIFICATION_NEW}), redis_url)

    after_commit(session, send)


def announce_commons(
    session: Session, event: dict[str, Any], *, submitter_id: uuid.UUID | None = None
) -> None:
    """After commit, put a commons event on the moderation queue and, when it concerns a
    submitter (a decision), on that submitter's channel too. Dropped on rollback."""
    redis_url = session.info.get(LIVE_REDIS_URL_KEY)
    message = json.dumps({"at": datetime.now(UTC).isoformat(), **event}, default=str)

    def send() -> None:
        _send(COMMONS_QUEUE, message, redis_url)
        if submitter_id is not None:
            _send(commons_user_channel(submitter_id), message, redis_url)

    after_commit(session, send)


class Feed:
    """A socket's subscription to its channels: e.g. its org's events and its user's control
    messages.

    ``open()`` returns once the subscription is live (Redis has confirmed it), so an access
    change committed after ``open()`` returns cannot be missed.
    """

    def __init__(self, redis_url: str | None, channels: list[str]) -> None:
        self._redis_url = redis_url
        self.channels = channels
        self._queue: asyncio.Queue[Delivery] | None = None
        self._client: Any = None
        self._pubsub: Any = None

    async def open(self) -> None:
        """Subscribe to every channel and wait until the subscription is confirmed."""
        if not self._redis_url:
            self._queue = memory_hub.subscribe(self.channels)
            return
        import redis.asyncio as aioredis

        self._client = aioredis.Redis.from_url(self._redis_url)
        self._pubsub = self._client.pubsub()
        await self._pubsub.subscribe(*self.channels)
        confirmed = 0
        while confirmed < len(self.channels):
            message = await self._pubsub.get_message(timeout=5.0)
            if message is None:
                raise ConnectionError("Redis did not confirm the live subscription")
            if message.get("type") == "subscribe":
                confirmed += 1

    async def next(self) -> Delivery:
        """The next ``(channel, message)``."""
        if self._queue is not None:
            return await self._queue.get()
        while True:
            message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=None)
            if message is not None and message.get("type") == "message":
                name, data = message["channel"], message["data"]
                return (name.decode() if isinstance(name, bytes) else str(name),
                        data.decode() if isinstance(data, bytes) else str(data))

    async def close(self) -> None:
        """Unsubscribe and release the connection."""
        if self._queue is not None:
            memory_hub.unsubscribe(self._queue)
            self._queue = None
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.unsubscribe()
                await self._pubsub.aclose()
            with contextlib.suppress(Exception):
                await self._client.aclose()
            self._pubsub = self._client = None

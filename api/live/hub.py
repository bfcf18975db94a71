"""Publishing live events to an org's WebSocket subscribers.

Production (``redis_url`` set): Redis pub/sub on channel ``qm:org:<org_id>``, so events from
any API or worker process reach every API process. Embedded: an in-memory hub in this process
(the in-process worker shares it). Publish from HTTP handlers with
:func:`publish_after_commit` so a rolled-back change is never announced.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from api.core.db import LIVE_REDIS_URL_KEY, after_commit

logger = logging.getLogger(__name__)

# Per-subscriber buffer: a client that stops reading loses old events rather than our memory.
QUEUE_SIZE = 256


def channel(org_id: uuid.UUID | str) -> str:
    """The Redis channel of an org's events."""
    return f"qm:org:{org_id}"


class MemoryHub:
    """Thread-safe fan-out to asyncio queues (one per WebSocket) in this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Queue[str]]]] = {}

    def subscribe(self, org_id: str) -> asyncio.Queue[str]:
        """A queue receiving the org's events; call from the event loop that will read it."""
        queue: asyncio.Queue[str] = asyncio.Queue(QUEUE_SIZE)
        with self._lock:
            self._subs.setdefault(org_id, set()).add((asyncio.get_running_loop(), queue))
        return queue

    def unsubscribe(self, org_id: str, queue: asyncio.Queue[str]) -> None:
        """Stop delivering to ``queue``."""
        with self._lock:
            subs = self._subs.get(org_id, set())
            for entry in [e for e in subs if e[1] is queue]:
                subs.discard(entry)

    def publish(self, org_id: str, message: str) -> None:
        """Deliver ``message`` to every subscriber of the org (from any thread)."""
        with self._lock:
            targets = list(self._subs.get(org_id, ()))
        for loop, queue in targets:
            try:
                loop.call_soon_threadsafe(_put_nowait, queue, message)
            except RuntimeError:  # loop closed: the socket is gone
                self.unsubscribe(org_id, queue)


def _put_nowait(queue: asyncio.Queue[str], message: str) -> None:
    # A subscriber that stopped reading drops events instead of growing without bound.
    with contextlib.suppress(asyncio.QueueFull):
        queue.put_nowait(message)


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
    message = json.dumps(payload, default=str)
    try:
        if redis_url:
            _redis(redis_url).publish(channel(org_id), message)
        else:
            memory_hub.publish(str(org_id), message)
    except Exception:
        logger.warning("live publish failed", exc_info=True)


def publish_after_commit(
    session: Session, org_id: uuid.UUID | str, event: dict[str, Any], *, redis_url: str | None
) -> None:
    """:func:`publish` once the session's transaction commits (dropped on rollback)."""
    after_commit(session, lambda: publish(org_id, event, redis_url=redis_url))


def announce(session: Session, org_id: uuid.UUID | str, event: dict[str, Any]) -> None:
    """:func:`publish_after_commit` to wherever this session's database announces changes.

    The destination (Redis or the in-process hub) comes from the session factory, so services
    deep in a call chain (every stock change) need no settings argument.
    """
    publish_after_commit(session, org_id, event, redis_url=session.info.get(LIVE_REDIS_URL_KEY))

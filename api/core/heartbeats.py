"""Worker liveness: each worker process stamps its id with the time in one Redis sorted set.

A plan's ``locked_at`` says a *solve* is alive; this says a *worker* is, even an idle one.
``/ready`` and ``/metrics`` read the set; workers write it from their reaper loop
(:mod:`workers.broker`). Embedded mode (no Redis) has no separate workers to watch.
"""

from __future__ import annotations

import time
from typing import Any

# Entries older than this are pruned on the next beat: a worker that left long ago is gone,
# not "down", and the set must not grow with every restart.
FORGET_AFTER_SECONDS = 24 * 3600


def _key(namespace: str) -> str:
    return f"{namespace}:qm-worker-heartbeats"


def beat(client: Any, namespace: str, worker_id: str, now: float | None = None) -> None:
    """Record that ``worker_id`` is alive now (and forget workers silent for a day)."""
    at = time.time() if now is None else now
    pipe = client.pipeline()
    pipe.zadd(_key(namespace), {worker_id: at})
    pipe.zremrangebyscore(_key(namespace), "-inf", at - FORGET_AFTER_SECONDS)
    pipe.execute()


def forget(client: Any, namespace: str, worker_id: str) -> None:
    """Remove a worker that stops cleanly, so it is not reported as a dead one."""
    client.zrem(_key(namespace), worker_id)


def last_seen(client: Any, namespace: str) -> dict[str, float]:
    """Every remembered worker id with the Unix time of its last beat."""
    rows = client.zrange(_key(namespace), 0, -1, withscores=True)
    return {(w.decode() if isinstance(w, bytes) else str(w)): float(s) for w, s in rows}


def live_workers(client: Any, namespace: str, within_seconds: float,
                 now: float | None = None) -> dict[str, float]:
    """Workers whose last beat is at most ``within_seconds`` old."""
    at = time.time() if now is None else now
    return {w: s for w, s in last_seen(client, namespace).items() if at - s <= within_seconds}

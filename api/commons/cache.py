"""A short-TTL cache of public read answers, dropped when anything is published or taken down.

Per process (each API replica has its own): the TTL bounds how stale another replica can be;
in this process a publication empties it right after its transaction commits.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

from api.core.db import after_commit

T = TypeVar("T")
MAX_ENTRIES = 2048


class PublicCache:
    """``(key) -> answer`` for ``ttl`` seconds; :meth:`bust` empties it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, object]] = {}
        self.generation = 0

    def get_or_compute(self, key: str, ttl: float, compute: Callable[[], T]) -> T:
        """The cached answer for ``key``, else ``compute()`` stored for ``ttl`` seconds."""
        now = time.monotonic()
        with self._lock:
            hit = self._entries.get(key)
            generation = self.generation
        if hit is not None and hit[0] > now:
            return hit[1]  # type: ignore[return-value]
        value = compute()
        with self._lock:
            # A publication that committed while computing makes this answer stale: keep it out.
            if generation == self.generation and ttl > 0:
                if len(self._entries) >= MAX_ENTRIES:
                    self._entries.clear()
                self._entries[key] = (now + ttl, value)
        return value

    def bust(self) -> None:
        """Forget every answer."""
        with self._lock:
            self._entries.clear()
            self.generation += 1


CACHE = PublicCache()


def bust_after_commit(session: Session) -> None:
    """Empty the cache once the session's transaction (a publication) commits."""
    after_commit(session, CACHE.bust)

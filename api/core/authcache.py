"""A short-lived cache of verified callers for read requests.

Every authenticated request used to verify its JWT and load the user (and, on org routes,
the membership) from the database: on a 50-row read that was about half the request's CPU.
Reads (GET/HEAD) with a JWT now reuse the answer for at most ``ttl`` seconds
(``QM_AUTH_CACHE_SECONDS``, at most 1; 0 turns the cache off), keyed by the token and the org.

Revocation still wins within a second: an entry never lives longer than ``ttl``, and an
access change announced in this process (:func:`api.live.hub.announce_access_changed`, on
membership removal, role change, logout, password change...) drops the user's entries as soon
as it commits. Writes never use the cache; personal access tokens never do either.

The cached objects are detached copies made when the entry is stored (``expire_on_commit`` is
off, so every column is loaded); a read route must not lazy-load relationships from them.
"""

from __future__ import annotations

import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import inspect

MAX_ENTRIES = 10_000


def detached_copy(obj: Any) -> Any:
    """A new instance of ``obj``'s class holding its column values, bound to no session."""
    mapper = inspect(obj).mapper
    copy = mapper.class_manager.new_instance()  # instrumented, without running __init__
    for attr in mapper.column_attrs:
        setattr(copy, attr.key, getattr(obj, attr.key))
    return copy


@dataclass(frozen=True)
class Entry:
    """One verified caller: the auth context and the membership (None: not a member)."""

    expires: float
    user_id: uuid.UUID
    value: Any


class AuthCache:
    """Token (and org) -> verified caller, for ``ttl`` seconds; thread-safe."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = min(ttl, 1.0)
        self._clock = clock
        self._entries: dict[tuple[str, uuid.UUID | None], Entry] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """False when ``ttl`` is 0."""
        return self.ttl > 0

    def get(self, token: str, org_id: uuid.UUID | None) -> Any | None:
        """The cached value, unless absent or older than ``ttl``."""
        entry = self._entries.get((token, org_id))
        if entry is None:
            return None
        if entry.expires <= self._clock():
            with self._lock:
                self._entries.pop((token, org_id), None)
            return None
        return entry.value

    def put(self, token: str, org_id: uuid.UUID | None, user_id: uuid.UUID, value: Any) -> None:
        """Remember ``value`` for ``ttl`` seconds."""
        if not self.enabled:
            return
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[(token, org_id)] = Entry(self._clock() + self.ttl, user_id, value)

    def forget_users(self, user_ids: Iterable[uuid.UUID | str]) -> None:
        """Drop every entry of these users (their access changed)."""
        gone = {uuid.UUID(str(u)) for u in user_ids}
        with self._lock:
            for key in [k for k, e in self._entries.items() if e.user_id in gone]:
                del self._entries[key]


_caches: weakref.WeakSet[AuthCache] = weakref.WeakSet()


def register(cache: AuthCache) -> AuthCache:
    """Track ``cache`` so :func:`forget_users` reaches it (one per app in this process)."""
    _caches.add(cache)
    return cache


def forget_users(user_ids: Iterable[uuid.UUID | str]) -> None:
    """Drop these users' entries from every cache in this process."""
    ids = list(user_ids)
    for cache in list(_caches):
        cache.forget_users(ids)

"""A short-lived cache of verified callers for read requests.

Every authenticated request used to verify its JWT and load the user (and, on org routes,
the membership) from the database: on a 50-row read that was about half the request's CPU.
Reads (GET/HEAD) with a JWT now reuse the answer for at most ``ttl`` seconds
(``QM_AUTH_CACHE_SECONDS``, at most 1; 0 turns the cache off), keyed by the token and the org.

Revocation still wins within a second: an entry never lives longer than ``ttl``, and an
access change announced in this process (:func:`api.live.hub.announce_access_changed`, on
membership removal, role change, logout, password change...) drops the user's entries as soon
as it commits. With a live :class:`~api.core.changes.ChangeClock` (PostgreSQL), an entry also
dies as soon as any process commits a change to users, memberships, organisations or tokens
(:data:`AUTH_TABLES`); only then may a write reuse an entry, and only on routes that declare
they never change the caller's user or membership objects (they are shared copies).
Personal access tokens never use the cache.

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

from api.core.changes import ChangeClock

MAX_ENTRIES = 10_000
# What a verified caller is read from: a change to any of them drops every entry.
AUTH_TABLES = ("organization_members", "organizations", "personal_access_tokens", "users")
Stamp = tuple[int, ...]


@dataclass(frozen=True)
class Entry:
    """One verified caller: the auth context and the membership (None: not a member)."""

    expires: float
    user_id: uuid.UUID
    value: Any
    # AUTH_TABLES' change counts before the caller was read (None: no live clock then).
    stamp: Stamp | None = None


class AuthCache:
    """Token (and org) -> verified caller, for ``ttl`` seconds; thread-safe."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic,
                 changes: ChangeClock | None = None) -> None:
        self.ttl = min(ttl, 1.0)
        self._clock = clock
        self.changes = changes
        self._entries: dict[tuple[str, uuid.UUID | None], Entry] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """False when ``ttl`` is 0."""
        return self.ttl > 0

    def stamp(self) -> Stamp | None:
        """The counts to store with an entry about to be read (None without a live clock)."""
        changes = self.changes
        return changes.stamp(AUTH_TABLES) if changes is not None and changes.live else None

    def get(self, token: str, org_id: uuid.UUID | None, *, write: bool = False) -> Any | None:
        """The cached value, unless absent, older than ``ttl`` or (live clock) read before a
        change to :data:`AUTH_TABLES`; for a ``write``, only with a live clock."""
        entry = self._entries.get((token, org_id))
        if entry is None:
            return None
        now = self.stamp()
        if entry.expires <= self._clock() or (now is not None and entry.stamp != now):
            with self._lock:
                self._entries.pop((token, org_id), None)
            return None
        if write and now is None:
            return None
        return entry.value

    def put(self, token: str, org_id: uuid.UUID | None, user_id: uuid.UUID, value: Any,
            stamp: Stamp | None = None) -> None:
        """Remember ``value`` for ``ttl`` seconds (``stamp``: from :meth:`stamp`, taken
        before ``value`` was read)."""
        if not self.enabled:
            return
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[(token, org_id)] = Entry(self._clock() + self.ttl, user_id, value,
                                                   stamp)

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

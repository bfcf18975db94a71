"""A cache of verified callers.

Every authenticated request used to verify its JWT and load the user (and, on org routes,
the membership) from the database: on a 50-row read that was about half the request's CPU.
Reads (GET/HEAD) with a JWT now reuse the answer, keyed by the token and the org.

How long an entry is believed:

* **While the change clock hears every change** (PostgreSQL: its listener is connected and
  has read its connection within the last second, :meth:`ChangeClock.heard_within`), until
  any process commits a change to users, memberships, organisations or tokens
  (:data:`AUTH_TABLES`) -- seen within the notification's delivery -- and at most
  :data:`LIVE_SECONDS`, never past the token's own expiry.
* **Otherwise** (SQLite, a listener that is down or behind) for at most ``ttl`` seconds
  (``QM_AUTH_CACHE_SECONDS``, at most 1; 0 turns the cache off).

Either way a revocation made anywhere wins within about a second, and an access change
announced in this process (:func:`api.live.hub.announce_access_changed`, on membership
removal, role change, logout, password change...) drops the user's entries as soon as it
commits. Only with a live clock may a write reuse an entry, and only on routes that declare
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
# How long an entry lives while the change clock hears every change (its end is a change to
# AUTH_TABLES); bounded so that tokens nobody uses any more leave the cache.
LIVE_SECONDS = 300.0
# The clock hears every change when its listener read the connection this recently: the same
# second within which a revocation wins when the clock is not live.
HEARD_SECONDS = 1.0
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
    # Until when (same clock as ``expires``) the entry holds while the change clock hears
    # every change: LIVE_SECONDS, or the token's expiry when sooner.
    lasts: float = float("-inf")


class AuthCache:
    """Token (and org) -> verified caller (see the module's docstring for how long);
    thread-safe."""

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
        """The cached value, unless absent, read before a change to :data:`AUTH_TABLES`
        (live clock), or past its time: ``lasts`` while the clock hears every change, else
        ``ttl`` after it was stored; for a ``write``, only with a live clock."""
        entry = self._entries.get((token, org_id))
        if entry is None:
            return None
        now = self.stamp()
        heard = now is not None and self.changes is not None \
            and self.changes.heard_within(HEARD_SECONDS)
        until = entry.lasts if heard and entry.stamp == now else entry.expires
        if until <= self._clock() or (now is not None and entry.stamp != now):
            with self._lock:
                self._entries.pop((token, org_id), None)
            return None
        if write and now is None:
            return None
        return entry.value

    def put(self, token: str, org_id: uuid.UUID | None, user_id: uuid.UUID, value: Any,
            stamp: Stamp | None = None, token_expires: float | None = None) -> None:
        """Remember ``value`` (``stamp``: from :meth:`stamp`, taken before ``value`` was
        read; ``token_expires``: the token's ``exp``, seconds since the epoch)."""
        if not self.enabled:
            return
        now = self._clock()
        lasts = now + LIVE_SECONDS if stamp is not None else float("-inf")
        if token_expires is not None:
            lasts = min(lasts, now + token_expires - time.time())
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[(token, org_id)] = Entry(now + self.ttl, user_id, value, stamp,
                                                   lasts)

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

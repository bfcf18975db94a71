"""Values read from the database, kept in this process until a table they read changes.

:class:`KeptValues` is a least-recently-used map whose entries carry the tables their build
read (recorded from its statements, :func:`api.core.changes.recording_reads`) and those
tables' change counts when the build began; an entry is served only while the counts are
unchanged and the clock is live (see :mod:`api.core.changes` for who moves it). What a build
read from its own transaction's uncommitted writes is never kept.

:func:`kept` is the form for lookups a request repeats although their answer rarely changes
-- the checks and names every stock change needs, the org's webhook subscriptions and stock
watches. Kept values are shared between threads: they must be immutable, or plain copies
that no caller changes (ORM objects copied with :func:`detached_copy`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Hashable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine, inspect
from sqlalchemy.orm import Session

from api.core.changes import (
    ChangeClock,
    clock_of,
    note_reads,
    recording_reads,
    uncommitted_tables,
)
from api.core.metrics import kept_lookups_total

T = TypeVar("T")
MAX_ENTRIES = 4096


@dataclass(frozen=True)
class Entry(Generic[T]):
    """A kept value: the tables it was read from (sorted) and their counts then."""

    tables: tuple[str, ...]
    stamp: tuple[int, ...]
    value: T


class KeptValues(Generic[T]):
    """Key -> value, valid while the tables the value was read from are unchanged."""

    def __init__(self, clock: ChangeClock, store: str = "lookups",
                 max_entries: int = MAX_ENTRIES) -> None:
        self.clock = clock
        self._max = max_entries
        # Counters of this process (Prometheus adds the workers up).
        self._hit = kept_lookups_total.labels(store, "hit")
        self._miss = kept_lookups_total.labels(store, "miss")
        self._off = kept_lookups_total.labels(store, "off")
        self._entries: OrderedDict[Hashable, Entry[T]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0

    def get(self, key: Hashable, unseen: Collection[str] = ()) -> T | None:
        """The kept value of ``key`` while still valid, else None; None too when it was read
        from one of the ``unseen`` tables (the caller's transaction changed them)."""
        if not self.clock.live:
            self._off.inc()
            return None
        entry = self._entries.get(key)
        if entry is None or self.clock.stamp(entry.tables) != entry.stamp:
            return None
        if unseen and not set(entry.tables).isdisjoint(unseen):
            return None
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
        self.hits += 1
        self._hit.inc()
        note_reads(entry.tables)
        return entry.value

    def build(self, key: Hashable, build: Callable[[], T], *, also_read: Iterable[str] = (),
              keep: Callable[[T], bool] = lambda _value: True) -> T:
        """``build()``, kept under ``key`` when it may be (and ``keep(value)`` agrees);
        ``also_read`` adds tables the value depends on beyond what its statements named."""
        if self.clock.live:
            self._miss.inc()
        # Counted before the build: a change committed during it makes the value stale at once.
        before = self.clock.counts()
        was_live = self.clock.live
        with recording_reads() as recorded:
            value = build()
        if was_live and recorded.keepable and keep(value):
            tables = tuple(sorted(recorded.reads.union(also_read)))
            with self._lock:
                self._entries[key] = Entry(tables, self.clock.stamp(tables, before), value)
                self._entries.move_to_end(key)
                while len(self._entries) > self._max:
                    self._entries.popitem(last=False)
        return value

    def get_or_build(self, key: Hashable, build: Callable[[], T],
                     unseen: Collection[str] = ()) -> T:
        """The kept value of ``key``, or ``build()`` (kept when it may be)."""
        value = self.get(key, unseen)
        return value if value is not None else self.build(key, build)


_stores: dict[int, KeptValues[Any]] = {}
_stores_lock = threading.Lock()


def _store(clock: ChangeClock) -> KeptValues[Any]:
    store = _stores.get(id(clock))
    if store is None:
        with _stores_lock:
            store = _stores.setdefault(id(clock), KeptValues(clock))
    return store


def detached_copy(obj: Any) -> Any:
    """A new instance of ``obj``'s class holding its column values, bound to no session."""
    mapper = inspect(obj).mapper
    copy = mapper.class_manager.new_instance()  # instrumented, without running __init__
    for attr in mapper.column_attrs:
        setattr(copy, attr.key, getattr(obj, attr.key))
    return copy


def kept(session: Session, key: Hashable, build: Callable[[], T]) -> T:
    """``build()``'s value for ``key``, kept in this process while the tables it read are
    unchanged (shared by every session of the same database). ``key`` must name everything
    the value depends on besides the database (ids, and what the lookup is)."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    store: KeptValues[T] = _store(clock_of(engine))
    if not store.clock.live:  # nothing is kept (SQLite, listener down): skip the look below
        return store.get_or_build(key, build)
    return store.get_or_build(key, build, _changed_here(session))


def _changed_here(session: Session) -> set[str]:
    """What ``session``'s transaction has changed and not committed: flushed statements and
    objects still waiting for a flush (a kept value must not hide its own writes from it)."""
    tables = {inspect(obj).mapper.local_table.name
              for obj in (*session.new, *session.dirty, *session.deleted)}
    if session.in_transaction():
        tables |= uncommitted_tables(session.connection())
    return tables

"""Which tables have changed, as this process knows it: the freshness test of cached reads.

A cached answer stays valid while no table it was built from has changed. This module keeps,
per database, a :class:`ChangeClock`: a count of committed changes per table. Two sources
move it:

* **This process's writes.** Every statement any SQLAlchemy engine here executes is classified
  (``INSERT``/``UPDATE``/``DELETE`` name their table; DDL, ``TRUNCATE``, ``COPY`` and whatever
  is not recognised count as "everything"). When the transaction commits, its tables are
  counted twice: just before the commit, and again once a session's commit has returned, so a
  read that began in between cannot keep an answer built from the rows before the commit.
* **Everyone else's writes** (the other uvicorn workers, Dramatiq workers, the CLI, psql): on
  PostgreSQL every table has a statement-level trigger (``models/change_notifications.py``)
  that runs ``pg_notify('qm_changed', <table>)``. PostgreSQL delivers a notification only when the
  writing transaction commits; a :class:`ChangeListener` thread counts it here, within
  milliseconds.

A clock is *live* only while its listener is connected: a change made by another process
while nobody listened would go unseen, so caches neither serve nor store while the clock is
not live, and every (re)connection counts as "everything changed". SQLite has no listener;
its clock is never live, and the embedded default does not cache answers.

What a read touched is found the same way, from the statements it executed
(:func:`recording_reads`): every table of the schema named in them. Over-approximation only
costs a cache miss.
"""

from __future__ import annotations

import contextvars
import functools
import logging
import re
import threading
import time
import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar

import psycopg
from sqlalchemy import Engine, event
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from models import Base
from models.change_notifications import CHANNEL

logger = logging.getLogger(__name__)

EVERYTHING = "*"
# How often the listener proves its connection alive, and how long it waits for
# notifications before looking whether it should stop.
KEEPALIVE_SECONDS = 1.0
WAIT_SECONDS = 0.1
RECONNECT_SECONDS = 1.0
# How the listener's connection shows in pg_stat_activity.
APPLICATION_NAME = "qm-change-listener"

# Statements that change nothing (ours never call writing functions from a SELECT).
_READ_ONLY = ("SELECT", "SHOW", "SET ", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE",
              "LISTEN", "PRAGMA", "EXPLAIN")
_WRITTEN = re.compile(r"\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(?:ONLY\s+)?\"?(\w+)\"?",
                      re.IGNORECASE)


@functools.lru_cache(maxsize=8192)
def written_tables(statement: str) -> frozenset[str]:
    """The tables ``statement`` may change; ``{EVERYTHING}`` when that cannot be told."""
    head = statement.lstrip()[:10].upper()
    if head.startswith(_READ_ONLY):
        return frozenset()
    if head.startswith(("INSERT", "UPDATE", "DELETE", "WITH")):
        found = frozenset(name.lower() for name in _WRITTEN.findall(statement))
        if found or head.startswith("WITH"):  # a WITH that names no write is a read
            return found
    return frozenset({EVERYTHING})


@functools.cache
def _schema_tables() -> re.Pattern[str]:
    names = sorted(Base.metadata.tables, key=len, reverse=True)
    return re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\b")


@functools.lru_cache(maxsize=8192)
def named_tables(statement: str) -> frozenset[str]:
    """Every table of the schema that ``statement`` names (what a read may depend on)."""
    return frozenset(_schema_tables().findall(statement))


class ChangeClock:
    """Counts of committed changes per table of one database, as seen by this process."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._everything = 0
        self._lock = threading.Lock()
        self._listeners = 0
        self.live = False
        # When (time.monotonic) the listener last began a read of its connection that has
        # since finished: every change committed (and delivered) before then is counted.
        self.heard_at = float("-inf")

    def heard_within(self, seconds: float) -> bool:
        """True while live and the listener finished reading its connection, from a start
        at most ``seconds`` ago: a change committed before that has been counted (give or
        take the notification's delivery, milliseconds)."""
        return self.live and time.monotonic() - self.heard_at <= seconds

    def counts(self) -> tuple[int, dict[str, int]]:
        """A snapshot: the "everything" count and a copy of the per-table counts."""
        with self._lock:
            return self._everything, dict(self._counts)

    def stamp(self, tables: Iterable[str], snapshot: tuple[int, dict[str, int]] | None = None
              ) -> tuple[int, ...]:
        """The counts of ``tables`` (sorted by the caller), now or in ``snapshot``."""
        everything, counts = snapshot if snapshot is not None else (self._everything,
                                                                    self._counts)
        return (everything, *(counts.get(t, 0) for t in tables))

    def changed(self, tables: Iterable[str]) -> None:
        """Count one committed change of each of ``tables``."""
        with self._lock:
            for table in tables:
                if table == EVERYTHING:
                    self._everything += 1
                else:
                    self._counts[table] = self._counts.get(table, 0) + 1


_clocks: dict[tuple[str | None, int | None, str | None], ChangeClock] = {}
_clocks_lock = threading.Lock()
_engine_clocks: weakref.WeakKeyDictionary[Engine, ChangeClock] = weakref.WeakKeyDictionary()


def clock_for(url: URL) -> ChangeClock:
    """The one clock of the database at ``url`` in this process (every engine shares it)."""
    key = (url.host, url.port, url.database)
    with _clocks_lock:
        clock = _clocks.get(key)
        if clock is None:
            clock = _clocks[key] = ChangeClock()
        return clock


def clock_of(engine: Engine) -> ChangeClock:
    """The clock of ``engine``'s database."""
    clock = _engine_clocks.get(engine)
    if clock is None:
        clock = _engine_clocks[engine] = clock_for(engine.url)
    return clock


# --- this process's writes ---------------------------------------------------------------

_PENDING = "qm_written_tables"
# Tables counted just before a commit on this thread, counted again after the session's
# commit returns (see the module docstring).
_committing = threading.local()


@dataclass
class Recording:
    """What the statements run inside :func:`recording_reads` named, and what their
    transaction had written (uncommitted) by then."""

    reads: set[str] = field(default_factory=set)
    dirty: set[str] = field(default_factory=set)

    @property
    def keepable(self) -> bool:
        """True when what was read can be kept: something was read from the database (not
        only from a session's identity map), and none of it from this transaction's own
        uncommitted writes (they may yet roll back)."""
        return bool(self.reads) and EVERYTHING not in self.dirty \
            and self.reads.isdisjoint(self.dirty)


_recording: contextvars.ContextVar[Recording | None] = contextvars.ContextVar(
    "qm_recording", default=None)


@event.listens_for(Engine, "before_cursor_execute")
def _note_statement(conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any,
                    _many: bool) -> None:
    written = written_tables(statement)
    if written:
        conn.info.setdefault(_PENDING, set()).update(written)
    recording = _recording.get()
    if recording is not None:
        recording.reads.update(named_tables(statement))
        recording.dirty.update(conn.info.get(_PENDING, ()))


def uncommitted_tables(connection: Any) -> set[str]:
    """The tables written on ``connection``'s transaction so far (not yet committed)."""
    return set(connection.info.get(_PENDING, ()))


@event.listens_for(Engine, "commit")
def _count_before_commit(conn: Any) -> None:
    tables: set[str] | None = conn.info.pop(_PENDING, None)
    if tables:
        clock = clock_of(conn.engine)
        clock.changed(tables)
        # One set per clock (bounded, even on a thread that commits without sessions).
        pending: dict[int, tuple[ChangeClock, set[str]]] = _committing.__dict__.setdefault(
            "pending", {})
        pending.setdefault(id(clock), (clock, set()))[1].update(tables)


@event.listens_for(Engine, "rollback")
def _forget_rolled_back(conn: Any) -> None:
    conn.info.pop(_PENDING, None)


@event.listens_for(Session, "after_commit")
def _count_after_commit(_session: Session) -> None:
    pending: dict[int, tuple[ChangeClock, set[str]]] = _committing.__dict__.pop("pending", {})
    for clock, tables in pending.values():
        clock.changed(tables)


@contextmanager
def recording_reads() -> Iterator[Recording]:
    """Record the schema tables named by the statements run inside the block (this context);
    an enclosing recording gets them too (a kept value built inside a kept answer)."""
    recording = Recording()
    token = _recording.set(recording)
    try:
        yield recording
    finally:
        _recording.reset(token)
        note_reads(recording.reads, recording.dirty)


def note_reads(tables: Iterable[str], dirty: Iterable[str] = ()) -> None:
    """Count ``tables`` as read by the recording under way, if any (a kept value used instead
    of running its statements still makes what it was read from a dependency)."""
    recording = _recording.get()
    if recording is not None:
        recording.reads.update(tables)
        recording.dirty.update(dirty)


# --- everyone else's writes ----------------------------------------------------------------


class ChangeListener:
    """``LISTEN qm_changed`` on its own connection, counting each notification on the clock.

    One per database per process, shared by every app of that database (reference-counted:
    :meth:`acquire` starts it, the last :meth:`release` stops it).
    """

    _running: ClassVar[dict[int, ChangeListener]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, url: URL, clock: ChangeClock) -> None:
        self._conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._clock = clock
        self._users = 0
        self._stop = threading.Event()
        self._listening = threading.Event()
        self._thread = threading.Thread(target=self._run, name="qm-change-listener",
                                        daemon=True)

    @classmethod
    def acquire(cls, url: URL, wait: float = 2.0) -> ChangeListener:
        """The running listener for ``url`` (started if none is), once it listens or after
        ``wait`` seconds (a database that is down does not hold up start-up; until the
        listener connects, reads are simply not kept)."""
        clock = clock_for(url)
        with cls._lock:
            listener = cls._running.get(id(clock))
            if listener is None:
                listener = cls._running[id(clock)] = ChangeListener(url, clock)
                listener._thread.start()
            listener._users += 1
        listener._listening.wait(wait)
        return listener

    def release(self) -> None:
        """Stop listening once the last user has released it."""
        with ChangeListener._lock:
            self._users -= 1
            if self._users > 0:
                return
            ChangeListener._running.pop(id(self._clock), None)
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True,
                                     application_name=APPLICATION_NAME) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    # Whatever happened while nobody listened is unknown: count everything.
                    self._clock.changed({EVERYTHING})
                    self._clock.live = True
                    self._listening.set()
                    proven = time.monotonic()
                    while not self._stop.is_set():
                        # Short waits: stopping (an app's shutdown) is not held up for long.
                        began = time.monotonic()
                        for note in conn.notifies(timeout=WAIT_SECONDS):
                            self._clock.changed({note.payload or EVERYTHING})
                        self._clock.heard_at = began
                        if time.monotonic() - proven >= KEEPALIVE_SECONDS:
                            conn.execute("SELECT 1")  # a dead connection raises here
                            proven = time.monotonic()
            except psycopg.Error as exc:
                logger.warning("change listener lost its connection; cached reads paused",
                               extra={"error": str(exc)})
            finally:
                self._clock.live = False
                self._clock.heard_at = float("-inf")
                self._clock.changed({EVERYTHING})
            self._stop.wait(RECONNECT_SECONDS)

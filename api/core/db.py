"""Database engine, sessions, the per-request transaction and the after-commit hook buffer.

Rules this module enforces (see DEVELOPERS.md):

* The request (or the worker actor) owns the transaction: :func:`get_session` commits when the
  endpoint returns and rolls back when it raises. Services only ``flush()``.
* Side effects that must not happen for a rolled-back transaction (enqueue a job, publish a
  live update) are registered with :func:`after_commit`; they run only after a successful
  commit of the outermost transaction and are dropped on rollback.
* The schema is made by Alembic only (:func:`migrate`), never ``create_all``.
* A unit of work says whether it will write (:meth:`Database.session`): on SQLite a writing
  one takes the database's one write lock at ``BEGIN`` (``BEGIN IMMEDIATE``), see
  :func:`_install_sqlite_pragmas`. HTTP requests write unless their method is safe.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from fastapi import Depends, Request
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from api.core.settings import Settings, get_settings

logger = logging.getLogger(__name__)

AFTER_COMMIT_KEY = "qm_after_commit"
REPO_ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS_DIR = REPO_ROOT / "models" / "migrations"

AfterCommitHook = Callable[[], object]

# Execution option on the engine of sessions that will write (:meth:`Database.session`).
WRITES_OPTION = "qm_writes"
# Methods whose requests only read: their transactions begin without SQLite's write lock,
# unless the endpoint is marked with :func:`writes_when_read` (the rate limiter's write
# limits count the others).
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_WRITES_WHEN_READ = "qm_writes_when_read"

EndpointT = TypeVar("EndpointT", bound=Callable[..., Any])


def writes_when_read(endpoint: EndpointT) -> EndpointT:
    """Mark a GET endpoint that may write on the way (a goal completed when its progress is
    read, old usage events deleted when the dashboard is read): its request gets a writing
    session (:meth:`Database.session`), as a POST does."""
    setattr(endpoint, _WRITES_WHEN_READ, True)
    return endpoint


def request_writes(request: Request) -> bool:
    """Whether ``request``'s unit of work will write: its method is not safe, or its
    endpoint is marked with :func:`writes_when_read`."""
    return request.method not in SAFE_METHODS or getattr(
        request.scope.get("endpoint"), _WRITES_WHEN_READ, False)


def _prepare_sqlite_file(url: str) -> None:
    """Create the directory of a SQLite file so the embedded default works on a fresh clone."""
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _install_sqlite_pragmas(engine: Engine, busy_seconds: float) -> None:
    # pysqlite's own transaction handling issues BEGIN lazily and breaks SAVEPOINT; the
    # SQLAlchemy-documented recipe takes it over so BEGIN is emitted when SQLAlchemy begins.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        # WAL lets readers proceed while one writer writes; busy_timeout makes writers queue
        # instead of failing at once; FKs are off by default in SQLite.
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_seconds * 1000)}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    # A unit of work that will write takes the one write lock at BEGIN (other writers queue
    # for it, up to busy_timeout). Begun DEFERRED, its first write would have to turn a read
    # snapshot into a write, and WAL refuses that at once, without the busy wait, whenever
    # another connection committed since the snapshot was taken ("database is locked"): two
    # people saving at the same moment, or a job finishing, failed one of them.
    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        writes = conn.get_execution_options().get(WRITES_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


def writer_engine(engine: Engine) -> Engine:
    """The engine of units of work that will write (see :data:`WRITES_OPTION`): on SQLite the
    same pool with the option set; PostgreSQL's transactions need no notice, so ``engine``."""
    if engine.dialect.name != "sqlite":
        return engine
    return engine.execution_options(**{WRITES_OPTION: True})


def sqlite_busy(exc: BaseException) -> bool:
    """True for SQLite's "database is locked": another connection kept the one write lock
    past the busy timeout (a long import holds it to its commit), or committed under work
    begun as a reader that then wrote. Nothing of the refused work was written; run again, it
    succeeds once that writer has finished."""
    code = getattr(getattr(exc, "orig", None), "sqlite_errorcode", None)
    return isinstance(exc, OperationalError) and code is not None \
        and code & 0xFF == sqlite3.SQLITE_BUSY


def make_engine(url: str, settings: Settings | None = None) -> Engine:
    """Build an engine for SQLite (embedded) or PostgreSQL via psycopg 3."""
    settings = settings or get_settings()
    if url.startswith("sqlite"):
        _prepare_sqlite_file(url)
        engine = create_engine(
            url,
            echo=settings.db_echo,
            # FastAPI runs sync dependencies and endpoints on different pool threads.
            connect_args={"check_same_thread": False, "timeout": settings.sqlite_busy_seconds},
        )
        _install_sqlite_pragmas(engine, settings.sqlite_busy_seconds)
        return engine
    engine = create_engine(
        url,
        echo=settings.db_echo,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
    )
    _install_idle_ping(engine)
    return engine


# A connection back in the pool for less than this was alive a moment ago: not pinged.
PING_AFTER_IDLE_SECONDS = 1.0


def _install_idle_ping(engine: Engine) -> None:
    """Pessimistic disconnect handling, only where it can matter.

    ``pool_pre_ping`` costs a round trip (``SELECT 1``) on every checkout, i.e. on every
    request; under load a connection is reused within milliseconds of its last successful
    query. Here only connections idle for :data:`PING_AFTER_IDLE_SECONDS` or more are pinged
    (a database restart during a quiet period is the case pre-ping exists for); a dead one
    is replaced, as with pre-ping. A restart under load still fails the statements in flight
    (pre-ping could not prevent that either) and SQLAlchemy then invalidates the pool.
    """

    @event.listens_for(engine, "connect")
    def _fresh(_dbapi_conn: Any, record: Any) -> None:
        record.info["qm_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_conn: Any, record: Any) -> None:
        record.info["qm_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("qm_idle_since")
        if since is not None and time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:
            # The pool discards this connection and checks out (or makes) another one.
            raise DisconnectionError("stale pooled connection") from exc


# ``session.info`` key holding where live updates go (a Redis URL, or None for the in-process
# hub), so code deep in a service can announce a change without threading settings through.
LIVE_REDIS_URL_KEY = "qm_live_redis_url"


# ``session.info`` key holding the process's job dispatcher (workers.broker.Runtime), so code
# running inside any transaction (an event listener writing webhook deliveries) can enqueue
# after commit. Absent when no dispatcher is attached; the work then waits for a sweeper.
JOBS_KEY = "qm_jobs"


def make_sessionmaker(engine: Engine, *, redis_url: str | None = None) -> sessionmaker[Session]:
    """Session factory; objects stay usable after commit so responses can be built from them."""
    return sessionmaker(engine, expire_on_commit=False, autoflush=True,
                        info={LIVE_REDIS_URL_KEY: redis_url})


class Database:
    """An engine plus its session factory; one per app (``app.state.db``) or worker process."""

    def __init__(self, url: str, settings: Settings | None = None) -> None:
        self.url = url
        self.engine = make_engine(url, settings)
        self.writer = writer_engine(self.engine)  # what sessions that will write bind to
        self.sessionmaker = make_sessionmaker(
            self.engine, redis_url=settings.redis_url if settings is not None else None)

    def session(self, *, writes: bool = True) -> Session:
        """A new session. ``writes``: the work will write, so on SQLite its transaction holds
        the write lock from ``BEGIN`` and its writes cannot be refused for having read first;
        ``False`` for work that only reads (it then never waits behind a long writer)."""
        return self.sessionmaker(bind=self.writer if writes else self.engine)

    def attach_jobs(self, jobs: object | None) -> None:
        """Make ``jobs`` visible as ``session.info[JOBS_KEY]`` in every new session."""
        info: dict[str, object] = self.sessionmaker.kw.setdefault("info", {})
        if jobs is None:
            info.pop(JOBS_KEY, None)
        else:
            info[JOBS_KEY] = jobs

    def detach_jobs(self, jobs: object) -> None:
        """Forget ``jobs`` if it is the attached dispatcher (a stopped runtime)."""
        info: dict[str, object] = self.sessionmaker.kw.get("info", {})
        if info.get(JOBS_KEY) is jobs:
            info.pop(JOBS_KEY, None)

    @contextmanager
    def session_scope(self, *, writes: bool = True) -> Iterator[Session]:
        """A unit of work outside HTTP (CLI, workers, tests): commit on success, else roll back.

        ``writes=False`` for work that only reads (see :meth:`session`)."""
        with self.session(writes=writes) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        """Close all pooled connections."""
        self.engine.dispose()


# --- after-commit hooks -------------------------------------------------------------------


def after_commit(session: Session, hook: AfterCommitHook) -> None:
    """Run ``hook()`` once the session's outermost transaction commits; drop it on rollback.

    Use for side effects that must never be seen for a rolled-back change: enqueueing a job,
    publishing a live update. Hooks must not use ``session`` (it is between transactions);
    a failing hook is logged and does not affect the already-committed data or other hooks.
    """
    session.info.setdefault(AFTER_COMMIT_KEY, []).append(hook)


def write_after_commit(session: Session, work: Callable[[Session], object]) -> None:
    """Once ``session`` commits, run ``work`` in a short writing transaction of its own.

    For bookkeeping a read should neither hold SQLite's write lock for nor fail over (when a
    token was last used). Best effort, like every after-commit hook: a failure is logged and
    nothing of ``work`` is written.
    """
    bind = session.get_bind()
    engine = writer_engine(bind if isinstance(bind, Engine) else bind.engine)

    def run() -> None:
        with Session(engine) as own, own.begin():
            work(own)

    after_commit(session, run)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    hooks: list[AfterCommitHook] = session.info.pop(AFTER_COMMIT_KEY, [])
    for hook in hooks:
        try:
            hook()
        except Exception:
            logger.exception("after-commit hook failed", extra={"hook": repr(hook)})


@event.listens_for(Session, "after_rollback")
def _drop_after_commit(session: Session) -> None:
    session.info.pop(AFTER_COMMIT_KEY, None)


# --- FastAPI dependency ---------------------------------------------------------------------


def get_database(request: Request) -> Database:
    """The app's :class:`Database` (set by ``create_app``)."""
    db: Database = request.app.state.db
    return db


def _finish(session: Session, error: bool) -> None:
    try:
        if error:
            session.rollback()
        else:
            try:
                session.commit()
            except BaseException:
                session.rollback()
                raise
    finally:
        session.close()


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request; commit when the endpoint returns, roll back when it raises.

    Registered with ``scope="function"`` (see :data:`DbSession`) so the commit happens before
    the response is sent: a failing commit (e.g. a unique violation) becomes an error
    response instead of a 200 for data that was never stored. A request whose method is not
    safe (POST, PUT, PATCH, DELETE) gets a writing session (:meth:`Database.session`), as
    does a GET whose endpoint is marked :func:`writes_when_read`.

    ``async`` on purpose: making a session does no I/O, so it is made on the event loop
    rather than in a threadpool hop; only the commit (or rollback) runs in a worker thread,
    and only when a transaction was begun. That thread comes from a limiter of its own, as
    FastAPI does for sync generators: a request holding a pooled connection must be able to
    finish even when every threadpool thread waits for a connection.
    """
    session = get_database(request).session(writes=request_writes(request))
    try:
        yield session
    except BaseException:
        await anyio.to_thread.run_sync(_finish, session, True, limiter=CapacityLimiter(1))
        raise
    if session.in_transaction():
        await anyio.to_thread.run_sync(_finish, session, False, limiter=CapacityLimiter(1))
    else:
        session.close()  # nothing was begun: no I/O


def commit_here(session: Session) -> None:
    """Commit the request's transaction now, in the calling thread (a sync endpoint's own).

    :func:`get_session` then finds nothing begun and skips its threadpool hop, which on a hot
    write route cost more CPU than the commit. Nothing else changes: after-commit hooks run,
    and a failing commit raises into the endpoint, so :func:`get_session` rolls back and the
    error handlers answer, as when it commits itself.
    """
    session.commit()


DbSession = Annotated[Session, Depends(get_session, scope="function")]
"""Use as a parameter type in endpoints and dependencies: ``def f(session: DbSession)``."""


# --- migrations -----------------------------------------------------------------------------


def alembic_config(url: str) -> Any:
    """An Alembic ``Config`` for ``url`` that works from any working directory."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation would choke on '%' in passwords.
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    return cfg


def migrate(url: str, revision: str = "head") -> None:
    """Upgrade the database at ``url`` to ``revision`` (default: head)."""
    from alembic import command

    if url.startswith("sqlite"):
        _prepare_sqlite_file(url)
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    """Downgrade the database at ``url`` to ``revision`` (default: base)."""
    from alembic import command

    command.downgrade(alembic_config(url), revision)

"""Shared fixtures: every test that takes ``db_url``/``client`` runs on SQLite and PostgreSQL.

Databases are built by ``alembic upgrade head`` once per backend per test session and emptied
between tests. Write ``def test_x(client, make_user, make_org): ...`` and it runs twice.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import psycopg
import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import delete, text, update
from sqlalchemy.orm import Session

import models
from api.app import create_app
from api.core.db import Database, migrate
from api.core.security import create_access_token, hash_password
from api.core.settings import Settings
from models.accounts import User
from models.orgs import Organization, OrganizationMember

# Where throwaway PostgreSQL databases are created (trust auth on the CI/dev machine).
PG_HOST = os.environ.get("QM_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("QM_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("QM_TEST_PG_USER", "postgres")
# Each parallel test run sets its own database number; 0 is the local default.
REDIS_URL = os.environ.get("QM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
TEST_SECRET = "test-secret-key-with-enough-length-for-hs256"
TEST_PASSWORD = "correct horse battery staple"
# Rate limits stay on in tests (the code paths run) but far above what any unrelated test
# does; tests of the limits themselves set low ones.
RELAXED_LIMITS: dict[str, object] = {
    **{f"rate_limit_{rule}": "100000/minute" for rule in (
        "login_per_client", "login_failures_per_account_client", "login_failures_per_account",
        "register_per_client", "refresh_per_client", "refresh_per_account",
        "plans_per_account", "plans_per_client",
        "writes_per_account", "writes_per_client",
        "commons_submissions_per_account", "public_reads_per_client",
        "password_reset_per_client")},
    "password_hash_concurrency": 8,
    "password_hash_wait_seconds": 30.0,
    "plan_max_active_per_org": 1000,
    "whatif_max_active_per_org": 1000,
}


def pg_url(dbname: str) -> str:
    """SQLAlchemy URL of a database on the test PostgreSQL server."""
    return f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{dbname}"


def _pg_admin() -> psycopg.Connection:
    return psycopg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True,
        connect_timeout=3,
    )


def pg_available() -> bool:
    """True when the PostgreSQL server answers."""
    try:
        with _pg_admin():
            return True
    except psycopg.OperationalError:
        return False


def redis_available(url: str = REDIS_URL) -> bool:
    """True when the Redis server at ``url`` answers a PING."""
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def in_ci() -> bool:
    """True when ``CI`` is set to a true value (``true``, ``1``, ``yes``), as CI services do."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def service_missing(reason: str) -> NoReturn:
    """Skip a test whose PostgreSQL/Redis server is unreachable - locally only.

    In CI a missing server is a broken environment: skipping half the suite would let
    ``make test`` pass without testing the production backends, so it fails there instead.
    """
    if in_ci():
        pytest.fail(f"{reason} (CI=true: a missing service fails the run)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def pg_and_redis() -> None:
    """Require both servers (the Redis-worker and end-to-end tests)."""
    if not pg_available() or not redis_available():
        service_missing(f"needs PostgreSQL on {PG_HOST}:{PG_PORT} and Redis at {REDIS_URL}")


def create_pg_database(prefix: str = "qm_test") -> str:
    """Create an empty, uniquely named database; return its name."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with _pg_admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_pg_database(name: str) -> None:
    """Drop a test database, disconnecting stragglers."""
    with _pg_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def _sqlite_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    migrate(url)
    yield url


@pytest.fixture(scope="session")
def _postgres_database() -> Iterator[str]:
    if not pg_available():
        service_missing(f"PostgreSQL not reachable on {PG_HOST}:{PG_PORT}")
    name = create_pg_database()
    url = pg_url(name)
    try:
        migrate(url)
        yield url
    finally:
        _databases.pop(url, None)
        drop_pg_database(name)


_databases: dict[str, Database] = {}


def _clean(db: Database) -> None:
    tables = [t for t in reversed(models.Base.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            # SQLite checks a self-referencing RESTRICT key (locations.parent_id) row by row,
            # not at the end of the statement, so a nested tree cannot be deleted in one go:
            # cut the self-links first. Cross-table keys are handled by the FK-sorted order.
            for table in tables:
                for fk in table.foreign_keys:
                    if fk.column.table is table and fk.parent.nullable:
                        column = table.c[fk.parent.name]
                        conn.execute(
                            update(table).where(column.is_not(None)).values({column: None})
                        )
            for table in tables:
                conn.execute(delete(table))


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def db_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """URL of a migrated, empty database; parametrised over SQLite and PostgreSQL."""
    fixture = "_sqlite_database" if request.param == "sqlite" else "_postgres_database"
    url: str = request.getfixturevalue(fixture)
    yield url
    if url in _databases:
        _clean(_databases[url])


@pytest.fixture
def database(db_url: str, settings: Settings) -> Database:
    """The :class:`Database` (engine + sessionmaker) for ``db_url``, shared across tests."""
    if db_url not in _databases:
        _databases[db_url] = Database(db_url, settings)
    return _databases[db_url]


@pytest.fixture(scope="session", autouse=True)
def _dispose_databases() -> Iterator[None]:
    yield
    for db in _databases.values():
        db.dispose()
    _databases.clear()


@pytest.fixture
def settings(db_url: str, request: pytest.FixtureRequest) -> Settings:
    """Test settings bound to ``db_url``: embedded broker, cheap Argon2, fixed secret."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        environment="test",
        database_url=db_url,
        redis_url=None,
        secret_key=TEST_SECRET,
        log_json=False,
        log_level="WARNING",
        # Tests own their items and places; an app of a test marked ``reference_data`` loads
        # the universe and the shared catalogue at start-up, as in production.
        load_reference_data=request.node.get_closest_marker("reference_data") is not None,
        **RELAXED_LIMITS,  # type: ignore[arg-type]
    )


@pytest.fixture
def app(settings: Settings, database: Database) -> object:
    """A fresh app bound to the test database (add test-only routers to it freely)."""
    return create_app(settings, database)


@pytest.fixture
def client(app: object) -> Iterator[TestClient]:
    """A TestClient; server errors raise in the test so bugs surface with a traceback."""
    with TestClient(app) as test_client:  # type: ignore[arg-type]
        yield test_client


@pytest.fixture
def open_client() -> Iterator[Callable[..., TestClient]]:
    """Factory: ``open_client(app, host="testclient")`` — a started TestClient calling from
    ``host`` (what per-client rate limits count), shut down after the test."""
    clients: list[TestClient] = []

    def factory(app: object, host: str = "testclient") -> TestClient:
        client = TestClient(app, client=(host, 50000))  # type: ignore[arg-type]
        client.__enter__()
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def session(database: Database) -> Iterator[Session]:
    """A session for arranging and inspecting data; commit yourself to make data visible."""
    with database.sessionmaker() as s:
        yield s


@dataclass(eq=False)  # hashable by identity: used as a key in make_org(members=...)
class TestUser:
    """A user made by ``make_user`` with its password and a ready Authorization header."""

    __test__ = False  # not a test class despite the name

    user: User
    password: str
    token: str

    @property
    def id(self) -> uuid.UUID:
        """The user's id."""
        return self.user.id

    @property
    def headers(self) -> dict[str, str]:
        """``Authorization: Bearer <access token>``."""
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def make_user(database: Database, settings: Settings) -> Callable[..., TestUser]:
    """Factory: ``make_user(username=None, password=TEST_PASSWORD, **fields) -> TestUser``."""

    def factory(
        username: str | None = None, password: str = TEST_PASSWORD, **fields: object
    ) -> TestUser:
        username = username or f"user_{uuid.uuid4().hex[:10]}"
        with database.session_scope() as s:
            user = User(
                username=username,
                email=f"{username}@example.test",
                password_hash=hash_password(password, settings),
                **fields,
            )
            s.add(user)
        token = create_access_token(user.id, settings).token
        return TestUser(user=user, password=password, token=token)

    return factory


@pytest.fixture
def make_org(database: Database) -> Callable[..., Organization]:
    """Factory: ``make_org(owner: TestUser | None, name=None, members={user: role})``."""

    def factory(
        owner: TestUser | None = None,
        name: str | None = None,
        members: dict[TestUser, str] | None = None,
    ) -> Organization:
        with database.session_scope() as s:
            org = Organization(name=name or f"org_{uuid.uuid4().hex[:10]}")
            s.add(org)
            s.flush()
            if owner is not None:
                s.add(OrganizationMember(organization_id=org.id, user_id=owner.id, role="owner"))
            for member, role in (members or {}).items():
                s.add(OrganizationMember(organization_id=org.id, user_id=member.id, role=role))
        return org

    return factory


@pytest.fixture
def add_member(database: Database) -> Callable[[Organization, TestUser, str], None]:
    """Factory: ``add_member(org, user, role)``."""

    def factory(org: Organization, user: TestUser, role: str) -> None:
        with database.session_scope() as s:
            s.add(OrganizationMember(organization_id=org.id, user_id=user.id, role=role))

    return factory


@pytest.fixture
def fresh_sqlite_url(tmp_path: Path) -> str:
    """An empty (unmigrated) SQLite database URL."""
    return f"sqlite:///{tmp_path / 'fresh.db'}"


@pytest.fixture
def fresh_pg_url() -> Iterator[str]:
    """An empty (unmigrated) PostgreSQL database, dropped afterwards."""
    if not pg_available():
        service_missing(f"PostgreSQL not reachable on {PG_HOST}:{PG_PORT}")
    name = create_pg_database("qm_fresh")
    try:
        yield pg_url(name)
    finally:
        drop_pg_database(name)

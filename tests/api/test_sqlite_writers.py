"""The embedded default (SQLite) under concurrent writers: every write lands or answers 503.

SQLite has one write lock. A transaction begun with a plain ``BEGIN`` that reads and then
writes is refused at once ("database is locked", no busy wait) when another connection
committed since its read: under WAL a stale snapshot cannot become a write. Units of work
that write therefore begin ``BEGIN IMMEDIATE`` (``Database.session(writes=True)``, every
request whose method is not safe); these tests fail with a plain ``BEGIN``.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select

from api.app import create_app
from api.core.db import Database
from api.core.outbox import OutboxRelay
from api.core.security import PAT_PREFIX, new_opaque_token
from api.core.settings import Settings
from api.stock import service
from models.accounts import PersonalAccessToken
from models.inventory import ItemHistory, ItemStock
from tests.api import test_stock
from tests.api.test_stock import World, adjust
from tests.api.test_stock_concurrency import parallel, row, seed

world = test_stock.world
# PostgreSQL has row locks and no such lock (tests/api/test_stock_concurrency.py).
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def sqlite_file(database: Database) -> str:
    """The test database's file."""
    path = database.engine.url.database
    assert path
    return path


@contextmanager
def write_lock_held(path: str) -> Iterator[sqlite3.Connection]:
    """Another connection holding the database's write lock until the block ends."""
    other = sqlite3.connect(path, timeout=0.1, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield other
        other.execute("ROLLBACK")
    finally:
        other.close()


def test_parallel_adjustments_all_land(sqlite_file: str, database: Database,
                                       world: World) -> None:
    sid = seed(database, world, 100)
    threads, rounds = 8, 10

    def work(i: int) -> None:
        for r in range(rounds):
            with database.session_scope() as s:
                service.adjust_stock(
                    s, org_id=world.org.id, actor_id=world.member.id, item_id=world.ore,
                    location_id=world.hangar, quality=0, delta=Decimal(1 + (i + r) % 3),
                )

    results = parallel(threads, work)
    assert [r for r in results if r is not None] == []
    quantity, reserved, history = row(database, sid)
    expected = 100 + sum(1 + (i + r) % 3 for i in range(threads) for r in range(rounds))
    assert quantity == expected == history and reserved == 0


def test_parallel_http_adjustments_all_answer_200(sqlite_file: str, client: TestClient,
                                                  database: Database, world: World) -> None:
    threads, rounds = 6, 5

    def work(i: int) -> list[int]:
        return [adjust(client, world, world.member, "2").status_code for _ in range(rounds)]

    results = parallel(threads, work)
    assert results == [[200] * rounds] * threads
    with database.sessionmaker() as s:
        total = s.scalar(select(func.sum(ItemStock.quantity)).where(
            ItemStock.item_id == world.ore, ItemStock.location_id == world.hangar))
        moves = s.scalar(select(func.count()).select_from(ItemHistory).where(
            ItemHistory.item_id == world.ore))
    assert total == Decimal(2 * threads * rounds)
    assert moves == threads * rounds


@contextmanager
def commit_before_first_write(app: Any, path: str) -> Iterator[list[str]]:
    """Just before the app's next write statement, another connection tries to commit a
    change (a row in a table of its own); yields what became of that attempt."""
    engine = app.state.db.engine
    other: list[str] = []
    with sqlite3.connect(path, isolation_level=None) as setup:
        setup.execute("CREATE TABLE IF NOT EXISTS side_writes (n INTEGER)")

    def commit_elsewhere(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if other or not statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            return
        side = sqlite3.connect(path, timeout=0.2, isolation_level=None)
        try:
            side.execute("INSERT INTO side_writes VALUES (1)")
            other.append("committed")
        except sqlite3.OperationalError as exc:
            other.append(str(exc))
        finally:
            side.close()

    event.listen(engine, "before_cursor_execute", commit_elsewhere)
    try:
        yield other
    finally:
        event.remove(engine, "before_cursor_execute", commit_elsewhere)


def test_a_commit_between_a_requests_read_and_write_does_not_fail_it(
    sqlite_file: str, client: TestClient, app: Any, world: World,
) -> None:
    """Another connection tries to commit just before the request's first write: with the
    write lock taken at BEGIN it has to wait instead, and the request succeeds."""
    with commit_before_first_write(app, sqlite_file) as other:
        r = adjust(client, world, world.member, "5")
    assert r.status_code == 200, r.text
    assert other == ["database is locked"]  # the request held the lock; the other waited


def test_a_get_that_completes_a_goal_holds_the_lock_too(
    sqlite_file: str, client: TestClient, app: Any, world: World,
) -> None:
    """Reading a goal whose targets are met completes it: a GET that writes."""
    url = world.url().replace("/stock", "/goals")
    r = client.post(url, headers=world.owner.headers, json={
        "name": "stockpile", "targets": [{"item_id": str(world.ore), "quantity": 5}]})
    assert r.status_code == 201 and r.json()["status"] == "active", r.text
    assert adjust(client, world, world.member, "5").status_code == 200
    with commit_before_first_write(app, sqlite_file) as other:
        r = client.get(f"{url}/{r.json()['id']}", headers=world.member.headers)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "completed"
    assert other == ["database is locked"]


@pytest.fixture
def impatient(settings: Settings, database: Database) -> Iterator[TestClient]:
    """An app whose writers wait only 0.3 s for SQLite's write lock."""
    quick = settings.model_copy(update={"sqlite_busy_seconds": 0.3})
    db = Database(database.url, quick)
    with TestClient(create_app(quick, db)) as test_client:
        yield test_client
    db.dispose()


def test_a_writer_kept_waiting_gets_503_busy_and_writes_nothing(
    sqlite_file: str, impatient: TestClient, database: Database, world: World,
) -> None:
    with write_lock_held(sqlite_file):
        started = time.monotonic()
        r = adjust(impatient, world, world.member, "5")
        waited = time.monotonic() - started
    assert r.status_code == 503, r.text
    assert r.headers["Retry-After"] == "2"
    assert r.json()["type"].endswith("/busy")
    assert "nothing was written" in r.json()["detail"]
    assert waited >= 0.3  # it queued for the lock before giving up
    with database.sessionmaker() as s:
        assert s.scalar(select(func.count()).select_from(ItemHistory)) == 0
    assert adjust(impatient, world, world.member, "5").status_code == 200  # lock gone: lands


def test_reads_do_not_queue_behind_a_writer(
    sqlite_file: str, impatient: TestClient, world: World,
) -> None:
    assert adjust(impatient, world, world.member, "5").status_code == 200
    with write_lock_held(sqlite_file):
        r = impatient.get(world.url(), headers=world.member.headers)
    assert r.status_code == 200, r.text
    assert r.json()["total"] == 1


def test_the_outbox_relays_look_does_not_queue_behind_a_writer(
    sqlite_file: str, settings: Settings, database: Database,
) -> None:
    """The relay looks every couple of seconds: with nothing to send, a long writer (an
    import) must not make each look wait for the lock and fail."""
    db = Database(database.url, settings.model_copy(update={"sqlite_busy_seconds": 0.2}))
    relay = OutboxRelay(db, dispatcher=None)  # type: ignore[arg-type]  # nothing to send
    try:
        with write_lock_held(sqlite_file):
            assert relay.drain() == 0
    finally:
        db.dispose()


def test_threads_of_writers_and_a_long_writer(sqlite_file: str, database: Database,
                                              world: World) -> None:
    """A long transaction holding the lock (an import) delays the others; none fails."""
    sid = seed(database, world, 1)
    release = threading.Event()

    def long_writer() -> None:
        with database.session_scope() as s:
            service.adjust_stock(s, org_id=world.org.id, actor_id=world.owner.id,
                                 item_id=world.ore, location_id=world.hangar, quality=0,
                                 delta=Decimal(10))
            release.wait(1.0)

    holder = threading.Thread(target=long_writer)
    holder.start()
    time.sleep(0.2)
    results = parallel(4, lambda i: seed(database, world, 1))
    release.set()
    holder.join()
    assert all(r == sid for r in results)
    quantity, _, history = row(database, sid)
    assert quantity == 15 == history


def test_a_token_read_records_its_use_without_making_the_read_a_writer(
    sqlite_file: str, client: TestClient, app: Any, database: Database, world: World,
) -> None:
    """A personal access token's last use is written after the GET, in a writing
    transaction of its own: a commit elsewhere cannot fail the read."""
    token, digest = new_opaque_token(PAT_PREFIX)
    with database.session_scope() as s:
        s.add(PersonalAccessToken(user_id=world.member.id, name="bot", token_prefix=token[:12],
                                  token_hash=digest, scopes=["inventory:read"]))
    with commit_before_first_write(app, sqlite_file) as other:
        r = client.get(world.url(), headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    assert other == ["database is locked"]  # the touch held the lock when it wrote
    with database.sessionmaker() as s:
        used = s.scalar(select(PersonalAccessToken.last_used_at)
                        .where(PersonalAccessToken.token_hash == digest))
    assert used is not None

"""Kept answers of hot reads (api/core/readcache.py, api/core/changes.py), on PostgreSQL.

An answer is served again only while no table it read has changed, whoever changed it: this
process (seen as it commits), or anyone else (heard through the database's NOTIFY, here a raw
psycopg connection that SQLAlchemy's events never see).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from sqlalchemy import text

from api.core.authcache import AuthCache
from api.core.changes import (
    APPLICATION_NAME,
    EVERYTHING,
    ChangeListener,
    clock_for,
    written_tables,
)
from api.core.db import Database
from api.core.readcache import ReadCache
from api.names import service as names
from models.inventory import Item
from tests.api.test_stock import World, adjust, world  # noqa: F401  (world is a fixture)

pytestmark = pytest.mark.postgres

WAIT_SECONDS = 10.0


def _raw(database: Database) -> psycopg.Connection[Any]:
    """A connection SQLAlchemy knows nothing of: its writes reach the app only as NOTIFY."""
    url = database.engine.url.set(drivername="postgresql")
    return psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)


def _until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {WAIT_SECONDS} s: {what}")
        time.sleep(0.02)


def _kept_metric(store: str, outcome: str) -> float:
    return REGISTRY.get_sample_value("qm_kept_total", {"store": store, "outcome": outcome}) or 0.0


@pytest.fixture
def cache(client: TestClient, db_url: str) -> Iterator[ReadCache]:
    if not db_url.startswith("postgresql"):
        pytest.skip("answers are kept on PostgreSQL only")
    kept: ReadCache = client.app.state.read_cache  # type: ignore[attr-defined]
    assert kept is not None and kept.clock.live  # the lifespan waited for the listener
    yield kept


def test_statements_name_what_they_change() -> None:
    assert written_tables("SELECT * FROM items FOR UPDATE") == frozenset()
    assert written_tables('INSERT INTO item_history (id) VALUES (1)') == {"item_history"}
    assert written_tables("UPDATE item_stocks SET quantity = quantity + 1") == {"item_stocks"}
    assert written_tables('DELETE FROM "items" WHERE id = 1') == {"items"}
    assert written_tables("WITH RECURSIVE t AS (SELECT 1) SELECT * FROM t") == frozenset()
    assert written_tables("WITH d AS (DELETE FROM ships RETURNING id) SELECT 1") == {"ships"}
    assert written_tables("TRUNCATE items CASCADE") == {EVERYTHING}
    assert written_tables("ALTER TABLE items ADD COLUMN x int") == {EVERYTHING}


def test_an_answer_is_kept_until_a_table_it_read_changes(
    client: TestClient, cache: ReadCache, world: World,  # noqa: F811
) -> None:
    url = f"/api/v1/orgs/{world.org.id}/items?scope=all"
    first = client.get(url, headers=world.owner.headers)
    hits = cache.answers.hits
    counted = _kept_metric("answers", "hit")
    again = client.get(url, headers=world.owner.headers)
    assert again.status_code == 200 and cache.answers.hits == hits + 1
    assert _kept_metric("answers", "hit") == counted + 1  # what /metrics reports
    assert again.content == first.content and again.headers["etag"] == first.headers["etag"]
    # A stock change does not touch what the item list read: still kept.
    assert adjust(client, world, world.owner, 5).status_code == 200
    assert client.get(url, headers=world.owner.headers).content == first.content
    assert cache.answers.hits == hits + 2
    # A new item does.
    made = client.post(f"/api/v1/orgs/{world.org.id}/items", headers=world.owner.headers,
                       json={"name": "Kept Answer Probe", "unit": "piece"})
    assert made.status_code == 201, made.text
    names = [i["name"] for i in client.get(url, headers=world.owner.headers).json()["items"]]
    assert "Kept Answer Probe" in names and cache.answers.hits == hits + 2


def test_a_change_by_another_process_is_heard(
    client: TestClient, cache: ReadCache, world: World, database: Database,  # noqa: F811
) -> None:
    url = f"/api/v1/orgs/{world.org.id}/stock/where?item_id={world.ore}"
    assert adjust(client, world, world.owner, 5).status_code == 200

    def available() -> list[str]:
        rows = client.get(url, headers=world.owner.headers).json()["items"]
        return [r["available"] for r in rows]

    assert [float(a) for a in available()] == [5.0]
    hits = cache.answers.hits
    assert [float(a) for a in available()] == [5.0] and cache.answers.hits == hits + 1
    with _raw(database) as conn:
        conn.execute("UPDATE item_stocks SET quantity = quantity + 2, version = version + 1 "
                     "WHERE item_id = %s", (world.ore,))
    _until(lambda: [float(a) for a in available()] == [7.0], "the raw update is seen")


def test_answers_depend_on_who_asks(
    client: TestClient, cache: ReadCache, world: World,  # noqa: F811
) -> None:
    url = world.url(f"?item_id={world.ore}")  # the stock list shows your own stock too
    for caller in (world.owner, world.member):  # both keep an empty answer
        assert client.get(url, headers=caller.headers).json()["items"] == []
    assert adjust(client, world, world.member, 8, owner="me").status_code == 200
    mine = client.get(url, headers=world.member.headers).json()["items"]
    assert [float(r["quantity"]) for r in mine] == [8.0]
    # The owner's answer is rebuilt (stock changed) and still without the member's own stock.
    assert client.get(url, headers=world.owner.headers).json()["items"] == []
    hits = cache.answers.hits
    assert client.get(url, headers=world.owner.headers).json()["items"] == []
    assert cache.answers.hits == hits + 1


def test_a_lost_listener_pauses_keeping_and_its_return_forgets_everything(
    client: TestClient, cache: ReadCache, world: World, database: Database,  # noqa: F811
) -> None:
    url = f"/api/v1/orgs/{world.org.id}/items?scope=org"
    name = f"Before {uuid.uuid4().hex[:6]}"
    client.post(f"/api/v1/orgs/{world.org.id}/items", headers=world.owner.headers,
                json={"name": name, "unit": "piece"})
    assert [i["name"] for i in client.get(url, headers=world.owner.headers).json()["items"]] \
        == [name]
    with database.engine.connect() as conn:
        killed = conn.scalar(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = :name AND datname = current_database()"),
            {"name": APPLICATION_NAME})
    assert killed == 1
    _until(lambda: not cache.clock.live, "the listener notices it is gone")
    with _raw(database) as conn:  # nobody hears this NOTIFY
        conn.execute("UPDATE items SET name = 'After' WHERE organization_id = %s",
                     (world.org.id,))
    hits = cache.answers.hits
    body = client.get(url, headers=world.owner.headers).json()  # not live: built, not kept
    assert [i["name"] for i in body["items"]] == ["After"] and cache.answers.hits == hits
    _until(lambda: cache.clock.live, "the listener is back")
    assert [i["name"] for i in client.get(url, headers=world.owner.headers).json()["items"]] \
        == ["After"]


def test_every_table_announces_its_changes(database: Database, db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL triggers")
    with database.engine.connect() as conn:
        tables = set(conn.scalars(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
            "AND tablename <> 'alembic_version'")))
        announced = set(conn.scalars(text(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = 'qm_announce_changes'")))
    assert tables and tables == announced


def test_sqlite_keeps_nothing(client: TestClient, db_url: str, world: World) -> None:  # noqa: F811
    if not db_url.startswith("sqlite"):
        pytest.skip("the embedded default")
    assert client.app.state.read_cache is None  # type: ignore[attr-defined]
    url = world.url(f"/where?item_id={world.ore}")
    first = client.get(url, headers=world.owner.headers)
    assert first.status_code == 200 and first.headers["etag"]
    assert adjust(client, world, world.owner, 3).status_code == 200
    assert [float(r["available"]) for r in
            client.get(url, headers=world.owner.headers).json()["items"]] == [3.0]


@pytest.fixture
def live(database: Database, db_url: str) -> Iterator[None]:
    """A listening clock for ``database`` (what an app's lifespan starts)."""
    if not db_url.startswith("postgresql"):
        pytest.skip("values are kept on PostgreSQL only")
    listener = ChangeListener.acquire(database.engine.url)
    try:
        assert clock_for(database.engine.url).live
        yield
    finally:
        listener.release()


def test_a_kept_value_never_hides_a_transaction_s_own_writes(
    live: None, database: Database, world: World,  # noqa: F811
) -> None:
    with database.sessionmaker() as s:
        assert names.resolve(s, items=[world.ore]).item(world.ore) is not None
        kept_name = names.resolve(s, items=[world.ore]).item(world.ore)
    with database.sessionmaker() as s:
        s.get_one(Item, world.ore).name = "Renamed, not committed"
        # Unflushed, then flushed: the transaction sees its own name both times.
        assert names.resolve(s, items=[world.ore]).item(world.ore) == "Renamed, not committed"
        s.flush()
        assert names.resolve(s, items=[world.ore]).item(world.ore) == "Renamed, not committed"
        made = Item(name="Rolled back", unit="scu")
        s.add(made)
        s.flush()
        assert names.resolve(s, items=[made.id]).item(made.id) == "Rolled back"
        s.rollback()
    with database.sessionmaker() as s:
        # Neither the rolled-back name nor the rolled-back item was kept.
        assert names.resolve(s, items=[world.ore]).item(world.ore) == kept_name
        assert names.resolve(s, items=[made.id]).item(made.id) is None


def test_a_write_reuses_the_verified_caller_only_until_access_changes(
    client: TestClient, cache: ReadCache, world: World, database: Database,  # noqa: F811
) -> None:
    # Time stands still for this cache: only a change can end an entry.
    client.app.state.auth_cache = AuthCache(1.0, clock=lambda: 0.0,  # type: ignore[attr-defined]
                                            changes=cache.clock)
    assert adjust(client, world, world.member, 2).status_code == 200
    assert adjust(client, world, world.member, 2).status_code == 200  # verified caller reused
    heard = cache.clock.stamp(["organization_members"])
    with _raw(database) as conn:  # another process demotes the member to viewer
        conn.execute("UPDATE organization_members SET role = 'viewer' "
                     "WHERE organization_id = %s AND user_id = %s",
                     (world.org.id, world.member.id))
    _until(lambda: cache.clock.stamp(["organization_members"]) != heard, "the change is heard")
    refused = adjust(client, world, world.member, 1)
    assert refused.status_code == 403, refused.text

"""Concurrency on PostgreSQL with real parallel connections: no lost update, no double
reservation, no deadlock between opposite transfers, an idempotency key applies once.

Each thread runs its own unit of work (``Database.session_scope()``: its own session and
connection) through the service layer, the same code the HTTP routes call. SQLite is
skipped: it serialises writers on one database lock; that every write then lands (none is
refused for having read first) is tests/api/test_sqlite_writers.py.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any, TypeVar

import pytest
from pydantic import BaseModel
from sqlalchemy import func, select

from api.core.db import Database
from api.core.errors import InsufficientStock
from api.core.idempotency import run_idempotent
from api.core.settings import Settings
from api.stock import service
from models.inventory import ItemHistory, ItemStock, StockReservation
from tests.api import test_stock
from tests.api.test_stock import World

# The same arranged org, items and location tree as the functional tests.
world = test_stock.world

THREADS = 24
T = TypeVar("T")


@pytest.fixture
def pg(database: Database, settings: Settings) -> Iterator[Database]:
    """A second engine on the same PostgreSQL database with a pool big enough for THREADS."""
    if database.engine.dialect.name != "postgresql":
        pytest.skip("concurrency is proven against PostgreSQL")
    db = Database(database.url, settings.model_copy(update={"db_pool_size": THREADS}))
    yield db
    db.dispose()


def parallel(n: int, fn: Callable[[int], T]) -> list[T | BaseException]:
    """Run ``fn(i)`` in ``n`` threads released together; return results or exceptions."""
    barrier = threading.Barrier(n)

    def run(i: int) -> T | BaseException:
        barrier.wait()
        try:
            return fn(i)
        except BaseException as exc:  # collected and asserted on by the test
            return exc

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def seed(db: Database, w: World, quantity: int, location: uuid.UUID | None = None) -> uuid.UUID:
    with db.session_scope() as s:
        change = service.adjust_stock(
            s, org_id=w.org.id, actor_id=w.owner.id, item_id=w.ore,
            location_id=location or w.hangar, quality=0, delta=Decimal(quantity),
        )
        return change.stock.id


def row(db: Database, stock_id: uuid.UUID) -> tuple[Decimal, Decimal, Decimal]:
    """(quantity, reserved, sum of history deltas) of a stock row."""
    with db.sessionmaker() as s:
        stock = s.get(ItemStock, stock_id)
        assert stock is not None
        total = s.scalar(
            select(func.coalesce(func.sum(ItemHistory.delta), 0)).where(
                ItemHistory.stock_id == stock_id
            )
        )
        return stock.quantity, stock.reserved, Decimal(total)


def test_parallel_adjustments_lose_nothing(pg: Database, world: World) -> None:
    sid = seed(pg, world, 100)
    rounds = 10

    def work(i: int) -> None:
        for r in range(rounds):
            delta = Decimal(3) if (i + r) % 2 else Decimal(-1)
            with pg.session_scope() as s:
                service.adjust_stock(
                    s, org_id=world.org.id, actor_id=world.member.id, item_id=world.ore,
                    location_id=world.hangar, quality=0, delta=delta,
                )

    results = parallel(THREADS, work)
    assert [r for r in results if r is not None] == []
    expected = 100 + sum(
        3 if (i + r) % 2 else -1 for i in range(THREADS) for r in range(rounds)
    )
    quantity, reserved, history = row(pg, sid)
    assert quantity == expected == history and reserved == 0


def test_parallel_removals_never_go_below_zero(pg: Database, world: World) -> None:
    seed(pg, world, 10)

    def work(i: int) -> str:
        with pg.session_scope() as s:
            service.adjust_stock(
                s, org_id=world.org.id, actor_id=world.member.id, item_id=world.ore,
                location_id=world.hangar, quality=0, delta=Decimal(-1),
            )
        return "ok"

    results = parallel(THREADS, work)
    assert results.count("ok") == 10
    assert all(isinstance(r, InsufficientStock) for r in results if r != "ok")


def test_parallel_reservations_never_over_reserve(pg: Database, world: World) -> None:
    sid = seed(pg, world, 10)

    def work(i: int) -> uuid.UUID:
        with pg.session_scope() as s:
            return service.reserve_stock(
                s, org_id=world.org.id, actor_id=world.member.id, stock_id=sid,
                quantity=Decimal(1), reason=f"craft {i}",
            ).id

    results = parallel(THREADS, work)
    won = [r for r in results if isinstance(r, uuid.UUID)]
    lost = [r for r in results if not isinstance(r, uuid.UUID)]
    assert len(won) == 10  # exactly the number that fit
    assert all(isinstance(e, InsufficientStock) for e in lost)
    with pg.sessionmaker() as s:
        active = s.scalar(
            select(func.sum(StockReservation.quantity)).where(
                StockReservation.stock_id == sid, StockReservation.released_at.is_(None)
            )
        )
    quantity, reserved, _ = row(pg, sid)
    assert active == reserved == 10 <= quantity


def test_parallel_release_applies_once(pg: Database, world: World) -> None:
    sid = seed(pg, world, 10)
    with pg.session_scope() as s:
        rid = service.reserve_stock(
            s, org_id=world.org.id, actor_id=world.member.id, stock_id=sid, quantity=Decimal(4)
        ).id

    def work(i: int) -> str:
        with pg.session_scope() as s:
            if i % 2:
                service.release_reservation(s, rid, world.member.id, org_id=world.org.id)
            else:
                service.consume_reservation(s, rid, world.member.id, org_id=world.org.id)
        return "ok"

    results = parallel(8, work)
    assert results.count("ok") == 1
    quantity, reserved, history = row(pg, sid)
    assert reserved == 0 and quantity == history and quantity in (Decimal(6), Decimal(10))


def test_opposite_transfers_do_not_deadlock(pg: Database, world: World) -> None:
    a = seed(pg, world, 1000, world.hangar)
    b = seed(pg, world, 1000, world.cargo)
    rounds = 10

    def work(i: int) -> None:
        src, dst = (a, world.cargo) if i % 2 else (b, world.hangar)
        for _ in range(rounds):
            with pg.session_scope() as s:
                service.transfer_stock(
                    s, org_id=world.org.id, actor_id=world.member.id, stock_id=src,
                    to_location_id=dst, quantity=Decimal(1 + i % 3),
                )

    results = parallel(THREADS, work)
    assert [r for r in results if r is not None] == []
    qa, _, ha = row(pg, a)
    qb, _, hb = row(pg, b)
    assert qa + qb == 2000 and qa == ha and qb == hb
    moved = sum((1 + i % 3) * rounds * (1 if i % 2 else -1) for i in range(THREADS))
    assert qa == 1000 - moved


class _Echo(BaseModel):
    quantity: Decimal
    history_id: uuid.UUID


def test_idempotency_key_under_parallel_retries(pg: Database, world: World) -> None:
    sid = seed(pg, world, 0 + 1)

    def work(i: int) -> Any:
        with pg.session_scope() as s:

            def call() -> _Echo:
                change = service.adjust_stock(
                    s, org_id=world.org.id, actor_id=world.member.id, item_id=world.ore,
                    location_id=world.hangar, quality=0, delta=Decimal(5),
                )
                return _Echo(quantity=change.stock.quantity, history_id=change.history[0].id)

            response = run_idempotent(
                s, user_id=world.member.id, key="retry-me", method="POST",
                path="/adjust", payload={"delta": "5"}, status=200, call=call,
            )
            return bytes(response.body)

    results = parallel(THREADS, work)
    assert all(isinstance(r, bytes) for r in results), results
    assert len(set(results)) == 1  # every retry got the first response
    quantity, _, history = row(pg, sid)
    assert quantity == 6 == history

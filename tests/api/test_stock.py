"""Stock API on both backends: adjust, transfer, reserve/release/consume, share, idempotency,
queries, scoping, and bad input that must change nothing."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.core.db import Database
from api.stock import service
from models.inventory import (
    IdempotencyKey,
    Item,
    ItemHistory,
    ItemStock,
    Location,
    Ship,
    StockReservation,
)
from models.orgs import Organization

PROBLEM = "application/problem+json"



@dataclass
class World:
    """An org with an owner, a member, a viewer, an outsider org, items and locations."""

    org: Organization
    other_org: Organization
    owner: Any
    member: Any
    viewer: Any
    outsider: Any
    ore: uuid.UUID
    other_item: uuid.UUID  # private to other_org
    system: uuid.UUID
    station: uuid.UUID
    hangar: uuid.UUID  # org hangar under station
    cargo: uuid.UUID  # org ship cargo grid, ship parked at hangar
    far: uuid.UUID  # universe location outside the station subtree
    other_loc: uuid.UUID  # other_org's hangar

    def url(self, path: str = "", org: Organization | None = None) -> str:
        return f"/api/v1/orgs/{(org or self.org).id}/stock{path}"


@pytest.fixture
def world(
    database: Database, make_user: Callable[..., Any], make_org: Callable[..., Any]
) -> Iterator[World]:
    owner, member, viewer, outsider = (make_user() for _ in range(4))
    org = make_org(owner, members={member: "member", viewer: "viewer"})
    other_org = make_org(outsider)
    with database.session_scope() as s:
        ore = Item(name=f"Quantanium {uuid.uuid4().hex[:6]}", unit="scu")
        other_item = Item(name="Secret alloy", unit="scu", organization_id=other_org.id)
        system = Location(name="Stanton", kind="system")
        s.add_all([ore, other_item, system])
        s.flush()
        station = Location(name="Port Olisar", kind="station", parent_id=system.id)
        far = Location(name="Pyro", kind="system")
        s.add_all([station, far])
        s.flush()
        hangar = Location(
            name="Hangar", kind="hangar", parent_id=station.id, organization_id=org.id
        )
        other_loc = Location(name="Theirs", kind="hangar", organization_id=other_org.id)
        cargo = Location(name="C2 grid", kind="ship_cargo", organization_id=org.id)
        s.add_all([hangar, other_loc, cargo])
        s.flush()
        s.add(
            Ship(
                name="C2", ship_type="Hercules C2", cargo_capacity_scu=Decimal(696),
                organization_id=org.id, cargo_location_id=cargo.id, current_location_id=hangar.id,
            )
        )
    yield World(
        org, other_org, owner, member, viewer, outsider, ore.id, other_item.id, system.id,
        station.id, hangar.id, cargo.id, far.id, other_loc.id,
    )
    # The shared cleanup deletes whole tables; SQLite checks the self-referencing RESTRICT
    # key row by row, so flatten the tree first.
    with database.session_scope() as s:
        s.execute(text("UPDATE locations SET parent_id = NULL"))


def adjust(
    client: TestClient, w: World, user: Any, delta: Any, *, location: uuid.UUID | None = None,
    quality: int = 500, owner: str = "org", headers: dict[str, str] | None = None,
) -> Any:
    body = {
        "item_id": str(w.ore), "location_id": str(location or w.hangar), "quality": quality,
        "delta": str(delta), "owner": owner,
    }
    return client.post(w.url("/adjust"), json=body, headers={**user.headers, **(headers or {})})


def counts(database: Database) -> tuple[int, int, int, int]:
    with database.sessionmaker() as s:
        return (
            s.scalar(select(func.count()).select_from(ItemStock)) or 0,
            s.scalar(select(func.count()).select_from(ItemHistory)) or 0,
            s.scalar(select(func.count()).select_from(StockReservation)) or 0,
            s.scalar(select(func.count()).select_from(IdempotencyKey)) or 0,
        )


def snapshot(database: Database) -> list[tuple[Any, ...]]:
    with database.sessionmaker() as s:
        rows = s.execute(
            select(
                ItemStock.id, ItemStock.quantity, ItemStock.reserved, ItemStock.shared_with_org_id
            ).order_by(ItemStock.id)
        )
        return [tuple(r) for r in rows]


def history_sum(database: Database, stock_id: Any) -> tuple[Decimal, Decimal]:
    with database.sessionmaker() as s:
        d, r = s.execute(
            select(func.sum(ItemHistory.delta), func.sum(ItemHistory.reserved_delta)).where(
                ItemHistory.stock_id == uuid.UUID(str(stock_id))
            )
        ).one()
        return Decimal(str(d or 0)), Decimal(str(r or 0))


# --- adjust ----------------------------------------------------------------------------------


def test_adjust_creates_row_and_history(
    client: TestClient, world: World, database: Database
) -> None:
    r = adjust(client, world, world.member, "32.5")
    assert r.status_code == 200, r.text
    body = r.json()
    stock = body["stock"]
    assert Decimal(stock["quantity"]) == Decimal("32.5")
    assert Decimal(stock["available"]) == Decimal("32.5")
    assert stock["organization_id"] == str(world.org.id) and stock["owner_user_id"] is None
    assert [h["kind"] for h in body["history"]] == ["add"]
    r = adjust(client, world, world.owner, "-2.5")
    assert r.status_code == 200
    assert Decimal(r.json()["stock"]["quantity"]) == 30
    assert r.json()["stock"]["id"] == stock["id"]  # same row, upserted
    assert history_sum(database, stock["id"]) == (Decimal(30), Decimal(0))


def test_adjust_below_reserved_is_409_and_changes_nothing(
    client: TestClient, world: World, database: Database
) -> None:
    sid = adjust(client, world, world.member, 10).json()["stock"]["id"]
    res = client.post(
        world.url("/reservations"), json={"stock_id": sid, "quantity": "6"},
        headers=world.member.headers,
    )
    assert res.status_code == 201, res.text
    before, before_n = snapshot(database), counts(database)
    r = adjust(client, world, world.member, -5)
    assert r.status_code == 409
    assert r.headers["content-type"] == PROBLEM
    p = r.json()
    assert p["type"] == "/problems/insufficient-stock"
    assert Decimal(p["available"]) == 4 and Decimal(p["reserved"]) == 6
    assert snapshot(database) == before and counts(database) == before_n
    # removing from a row that does not exist is the same 409, and creates no row
    r = adjust(client, world, world.member, -1, quality=1)
    assert r.status_code == 409 and counts(database) == before_n


def test_viewer_reads_but_cannot_write(
    client: TestClient, world: World, database: Database
) -> None:
    assert adjust(client, world, world.viewer, 5).status_code == 403
    assert counts(database) == (0, 0, 0, 0)
    assert client.get(world.url(), headers=world.viewer.headers).status_code == 200


def test_outsider_gets_404_everywhere(client: TestClient, world: World, database: Database) -> None:
    sid = adjust(client, world, world.member, 5).json()["stock"]["id"]
    before = counts(database)
    h = world.outsider.headers
    assert adjust(client, world, world.outsider, 5).status_code == 404
    assert client.get(world.url(), headers=h).status_code == 404
    assert client.get(world.url(f"/{sid}"), headers=h).status_code == 404
    # ...and through their own org, our stock id is unknown
    assert client.get(world.url(f"/{sid}", world.other_org), headers=h).status_code == 404
    r = client.post(
        world.url("/reservations", world.other_org), json={"stock_id": sid, "quantity": 1},
        headers=h,
    )
    assert r.status_code == 404
    r = client.post(
        world.url("/transfer", world.other_org),
        json={"stock_id": sid, "to_location_id": str(world.other_loc), "quantity": 1}, headers=h,
    )
    assert r.status_code == 404
    assert client.get(world.url("/history", world.other_org), headers=h).json()["items"] == []
    assert counts(database) == before


@pytest.mark.parametrize(
    "patch",
    [
        {"delta": "-1e12"},
        {"delta": "1000000001"},
        {"delta": "0"},
        {"delta": "abc"},
        {"delta": "0.0000001"},
        {"quality": 1001},
        {"quality": -1},
        {"quality": "high"},
        {"item_id": "not-a-uuid"},
        {"owner": "someone"},
        {"note": "x" * 501},
        {"unexpected": 1},
        {"delta": None},
    ],
)
def test_adjust_bad_input_is_422_and_writes_nothing(
    client: TestClient, world: World, database: Database, patch: dict[str, Any]
) -> None:
    body: dict[str, Any] = {
        "item_id": str(world.ore), "location_id": str(world.hangar), "quality": 1, "delta": "1",
    }
    body.update(patch)
    body = {k: v for k, v in body.items() if v is not None}
    r = client.post(world.url("/adjust"), json=body, headers=world.member.headers)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == PROBLEM
    assert r.json()["errors"][0]["field"]
    assert counts(database) == (0, 0, 0, 0)


@pytest.mark.parametrize("which", ["unknown_item", "foreign_item", "unknown_loc", "foreign_loc"])
def test_adjust_unknown_or_foreign_ids_404(
    client: TestClient, world: World, database: Database, which: str
) -> None:
    body = {"item_id": str(world.ore), "location_id": str(world.hangar), "delta": "1"}
    if which == "unknown_item":
        body["item_id"] = str(uuid.uuid4())
    elif which == "foreign_item":
        body["item_id"] = str(world.other_item)
    elif which == "unknown_loc":
        body["location_id"] = str(uuid.uuid4())
    else:
        body["location_id"] = str(world.other_loc)
    r = client.post(world.url("/adjust"), json=body, headers=world.member.headers)
    assert r.status_code == 404
    assert r.json()["type"] == "/problems/not-found"
    assert counts(database) == (0, 0, 0, 0)


def test_database_check_constraint_fires(world: World, database: Database) -> None:
    with database.session_scope() as s:
        stock = ItemStock(
            item_id=world.ore, location_id=world.hangar, organization_id=world.org.id,
            quantity=Decimal(5),
        )
        s.add(stock)
    for stmt in (
        "UPDATE item_stocks SET reserved = 6",
        "UPDATE item_stocks SET reserved = -1, quantity = 0",
        "UPDATE item_stocks SET quantity = -1",
    ):
        with pytest.raises(IntegrityError), database.session_scope() as s:
            s.execute(text(stmt))
    assert snapshot(database)[0][1:3] == (Decimal(5), Decimal(0))


# --- transfer ----------------------------------------------------------------------------------


def test_transfer_conserves_and_writes_two_history_rows(
    client: TestClient, world: World, database: Database
) -> None:
    sid = adjust(client, world, world.member, 20).json()["stock"]["id"]
    r = client.post(
        world.url("/transfer"),
        json={"stock_id": sid, "to_location_id": str(world.cargo), "quantity": "7"},
        headers=world.member.headers,
    )
    assert r.status_code == 200, r.text
    t = r.json()
    assert Decimal(t["source"]["quantity"]) == 13 and Decimal(t["destination"]["quantity"]) == 7
    kinds = {h["kind"]: h for h in t["history"]}
    assert set(kinds) == {"transfer_out", "transfer_in"}
    assert kinds["transfer_out"]["transfer_id"] == kinds["transfer_in"]["transfer_id"]
    # by (item, from_location, quality) and back again
    r = client.post(
        world.url("/transfer"),
        json={
            "item_id": str(world.ore), "from_location_id": str(world.cargo), "quality": 500,
            "to_location_id": str(world.hangar), "quantity": "2",
        },
        headers=world.member.headers,
    )
    assert r.status_code == 200, r.text
    with database.sessionmaker() as s:
        assert s.scalar(select(func.sum(ItemStock.quantity))) == 20
    for stock_id, expected in ((sid, 15), (t["destination"]["id"], 5)):
        assert history_sum(database, stock_id)[0] == expected


def test_transfer_refusals_change_nothing(
    client: TestClient, world: World, database: Database
) -> None:
    sid = adjust(client, world, world.member, 5).json()["stock"]["id"]
    before, n = snapshot(database), counts(database)
    h = world.member.headers
    cases = [
        ({"stock_id": sid, "to_location_id": str(world.cargo), "quantity": "6"}, 409),
        ({"stock_id": sid, "to_location_id": str(world.other_loc), "quantity": "1"}, 404),
        ({"stock_id": sid, "to_location_id": str(uuid.uuid4()), "quantity": "1"}, 404),
        ({"stock_id": str(uuid.uuid4()), "to_location_id": str(world.cargo), "quantity": "1"}, 404),
        ({"stock_id": sid, "to_location_id": str(world.hangar), "quantity": "1"}, 422),
        ({"stock_id": sid, "to_location_id": str(world.cargo), "quantity": "-1"}, 422),
        ({"to_location_id": str(world.cargo), "quantity": "1"}, 422),
    ]
    for body, status in cases:
        r = client.post(world.url("/transfer"), json=body, headers=h)
        assert r.status_code == status, (body, r.text)
        assert r.headers["content-type"] == PROBLEM
    assert snapshot(database) == before and counts(database) == n


# --- quality omitted (issue 12) ---------------------------------------------------------------


def _move(client: TestClient, w: World, quantity: str, **fields: Any) -> Any:
    body = {"item_id": str(w.ore), "from_location_id": str(w.hangar),
            "to_location_id": str(w.cargo), "quantity": quantity, **fields}
    return client.post(w.url("/transfer"), json=body, headers=w.member.headers)


def _change(client: TestClient, w: World, delta: str, **fields: Any) -> Any:
    body = {"item_id": str(w.ore), "location_id": str(w.hangar), "delta": delta, **fields}
    return client.post(w.url("/adjust"), json=body, headers=w.member.headers)


def test_omitted_quality_means_the_only_quality_held(
    client: TestClient, world: World, database: Database
) -> None:
    sid = adjust(client, world, world.member, 10, quality=600).json()["stock"]["id"]
    r = _move(client, world, "4")  # no quality: used to be 404 for .../q0
    assert r.status_code == 200, r.text
    assert r.json()["source"]["id"] == sid and r.json()["destination"]["quality"] == 600
    r = _change(client, world, "-1")
    assert r.status_code == 200, r.text
    assert r.json()["stock"]["id"] == sid and Decimal(r.json()["stock"]["quantity"]) == 5
    r = _change(client, world, "2")  # adding joins the stack held there, no quality-0 row
    assert r.status_code == 200 and r.json()["stock"]["id"] == sid
    with database.sessionmaker() as s:
        assert sorted(s.scalars(select(ItemStock.quality))) == [600, 600]  # hangar, cargo
    # nothing held anywhere for the item at the destination: adding there starts quality 0
    r = client.post(world.url("/adjust"), json={"item_id": str(world.ore),
                    "location_id": str(world.far), "delta": "1"}, headers=world.member.headers)
    assert r.status_code == 200 and r.json()["stock"]["quality"] == 0


def test_omitted_quality_with_several_held_is_422_listing_them(
    client: TestClient, world: World, database: Database
) -> None:
    adjust(client, world, world.member, 10, quality=600)
    adjust(client, world, world.member, 3, quality=300)
    before, n = snapshot(database), counts(database)
    for r in (_move(client, world, "1"), _change(client, world, "-1"),
              _change(client, world, "1")):
        assert r.status_code == 422, r.text
        assert r.headers["content-type"] == PROBLEM
        p = r.json()
        assert p["errors"][0]["field"] == "quality"
        assert p["errors"][0]["record"] == f"stock/{world.ore}@{world.hangar}"
        assert p["held_qualities"] == [300, 600]
        assert "300, 600" in p["detail"]
    assert snapshot(database) == before and counts(database) == n


def test_no_row_at_the_quality_asked_says_which_are_held(
    client: TestClient, world: World, database: Database
) -> None:
    adjust(client, world, world.member, 10, quality=600)
    before, n = snapshot(database), counts(database)
    r = _move(client, world, "1", quality=0)
    assert r.status_code == 404, r.text
    p = r.json()
    assert p["held_qualities"] == [600]
    assert "at quality 0" in p["detail"] and "held there at quality 600" in p["detail"]
    assert p["errors"][0]["record"] == f"stock/{world.ore}@{world.hangar}/q0"
    r = _change(client, world, "-1", quality=0)
    assert r.status_code == 409, r.text
    assert r.json()["held_qualities"] == [600]
    assert "held there at quality 600" in r.json()["detail"]
    # nothing of the item at the location at all, quality omitted
    r = _move(client, world, "1", from_location_id=str(world.far))
    assert r.status_code == 404 and r.json()["held_qualities"] == []
    assert "none of this item is held there" in r.json()["detail"]
    r = _change(client, world, "-1", location_id=str(world.far))
    assert r.status_code == 409 and r.json()["held_qualities"] == []
    assert snapshot(database) == before and counts(database) == n


def test_problem_documents_print_quantities_with_their_unit(
    client: TestClient, world: World, database: Database
) -> None:
    sid = adjust(client, world, world.member, "10.5").json()["stock"]["id"]
    r = adjust(client, world, world.member, -25)
    assert r.status_code == 409
    assert r.json()["detail"] == (
        "Not enough stock to remove 25 SCU: 10.5 SCU available (10.5 SCU held, 0 SCU reserved)"
    )
    r = client.post(world.url("/transfer"), headers=world.member.headers, json={
        "stock_id": sid, "to_location_id": str(world.cargo), "quantity": "1250.25"})
    assert r.json()["detail"].startswith("Not enough stock to transfer 1,250.25 SCU: 10.5 SCU")
    with database.session_scope() as s:
        rifle = Item(name=f"P4-AR {uuid.uuid4().hex[:6]}", unit="piece", volume_scu=Decimal("0.05"))
        s.add(rifle)
        s.flush()
        rifle_id = rifle.id
    body = {"item_id": str(rifle_id), "location_id": str(world.hangar), "quality": 500}
    h = world.member.headers
    assert client.post(world.url("/adjust"), json={**body, "delta": "1"}, headers=h).is_success
    r = client.post(world.url("/adjust"), json={**body, "delta": "-3"}, headers=h)
    assert r.json()["detail"] == (
        "Not enough stock to remove 3 pieces: 1 piece available (1 piece held, 0 pieces reserved)"
    )
    assert "000" not in r.json()["detail"]


# --- reservations ---------------------------------------------------------------------------


def test_reserve_release_once(client: TestClient, world: World, database: Database) -> None:
    sid = adjust(client, world, world.member, 10).json()["stock"]["id"]
    h = world.member.headers
    r = client.post(world.url("/reservations"), json={"stock_id": sid, "quantity": "11"}, headers=h)
    assert r.status_code == 409 and Decimal(r.json()["available"]) == 10
    r = client.post(
        world.url("/reservations"),
        json={"stock_id": sid, "quantity": "4", "reason": "refit"}, headers=h,
    )
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    assert r.json()["active"] is True
    stock = client.get(world.url(f"/{sid}"), headers=h).json()
    assert Decimal(stock["reserved"]) == 4 and Decimal(stock["available"]) == 6
    listed = client.get(world.url("/reservations?active=true"), headers=h).json()["items"]
    assert [x["id"] for x in listed] == [rid]
    r = client.post(world.url(f"/reservations/{rid}/release"), headers=h)
    assert r.status_code == 200 and r.json()["active"] is False
    n = counts(database)
    r = client.post(world.url(f"/reservations/{rid}/release"), headers=h)
    assert r.status_code == 409 and counts(database) == n
    stock = client.get(world.url(f"/{sid}"), headers=h).json()
    assert Decimal(stock["reserved"]) == 0 and Decimal(stock["quantity"]) == 10
    assert history_sum(database, sid) == (Decimal(10), Decimal(0))
    # another org cannot release it
    r = client.post(
        world.url(f"/reservations/{rid}/release", world.other_org), headers=world.outsider.headers
    )
    assert r.status_code == 404


def test_consume_reservation_service(client: TestClient, world: World, database: Database) -> None:
    sid = uuid.UUID(adjust(client, world, world.member, 10).json()["stock"]["id"])
    with database.session_scope() as s:
        res = service.reserve_stock(
            s, org_id=world.org.id, actor_id=world.member.id, stock_id=sid, quantity=Decimal(3)
        )
        rid = res.id
    with database.session_scope() as s:
        done = service.consume_reservation(s, rid, world.member.id, org_id=world.org.id)
        assert done.consumed_at is not None
    with database.sessionmaker() as s:
        stock = s.get(ItemStock, sid)
        assert stock is not None and (stock.quantity, stock.reserved) == (7, 0)
    from api.core.errors import Conflict

    with pytest.raises(Conflict), database.session_scope() as s:
        service.release_reservation(s, rid, world.member.id)
    with database.session_scope() as s:
        service.add_output(
            s, org_id=world.org.id, actor_id=None, item_id=world.ore, location_id=world.hangar,
            quality=500, quantity=Decimal(2),
        )
    assert history_sum(database, sid) == (Decimal(9), Decimal(0))
    with database.sessionmaker() as s:
        kinds = sorted(s.scalars(select(ItemHistory.kind)))
    assert kinds == ["add", "consume", "craft_output", "reserve"]


# --- member stock sharing ---------------------------------------------------------------------


def test_share_withdraw_member_stock(client: TestClient, world: World, database: Database) -> None:
    r = adjust(client, world, world.member, 8, owner="me")
    assert r.status_code == 200
    sid = r.json()["stock"]["id"]
    assert r.json()["stock"]["owner_user_id"] == str(world.member.id)
    # unshared personal stock: invisible to other members, not reservable, not in history
    oh = world.owner.headers
    assert client.get(world.url(f"/{sid}"), headers=oh).status_code == 404
    assert client.get(world.url("/history"), headers=oh).json()["items"] == []
    r = client.post(world.url("/reservations"), json={"stock_id": sid, "quantity": 1}, headers=oh)
    assert r.status_code == 404
    where = client.get(world.url(f"/where?item_id={world.ore}"), headers=oh).json()
    assert where["items"] == []
    # someone else cannot share it
    assert client.post(world.url(f"/{sid}/share"), headers=oh).status_code == 404
    r = client.post(world.url(f"/{sid}/share"), headers=world.member.headers)
    assert r.status_code == 200 and r.json()["stock"]["shared_with_org_id"] == str(world.org.id)
    assert r.json()["history"][0]["kind"] == "share"
    where = client.get(world.url(f"/where?item_id={world.ore}"), headers=oh).json()["items"]
    assert [(w["tier"], Decimal(w["available"])) for w in where] == [("member", 8)]
    # the org reserves it; the member cannot withdraw until released
    r = client.post(world.url("/reservations"), json={"stock_id": sid, "quantity": 3}, headers=oh)
    assert r.status_code == 201
    rid = r.json()["id"]
    n = counts(database)
    r = client.post(world.url(f"/{sid}/withdraw"), headers=world.member.headers)
    assert r.status_code == 409 and counts(database) == n
    # only the owner moves member stock
    r = client.post(
        world.url("/transfer"),
        json={"stock_id": sid, "to_location_id": str(world.far), "quantity": 1}, headers=oh,
    )
    assert r.status_code == 409
    client.post(world.url(f"/reservations/{rid}/release"), headers=oh)
    r = client.post(world.url(f"/{sid}/withdraw"), headers=world.member.headers)
    assert r.status_code == 200 and r.json()["stock"]["shared_with_org_id"] is None
    assert client.get(world.url(f"/{sid}"), headers=oh).status_code == 404
    kinds = [h["kind"] for h in client.get(world.url("/history"), headers=oh).json()["items"]]
    assert kinds == ["unshare", "release", "reserve", "share"]


# --- idempotency --------------------------------------------------------------------------------


def test_idempotency_key_replays_once(client: TestClient, world: World, database: Database) -> None:
    key = {"Idempotency-Key": "adjust-0001"}
    first = adjust(client, world, world.member, 5, headers=key)
    assert first.status_code == 200
    n = counts(database)
    again = adjust(client, world, world.member, 5, headers=key)
    assert again.status_code == 200 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert counts(database) == n
    different = adjust(client, world, world.member, 6, headers=key)
    assert different.status_code == 422 and counts(database) == n
    # the key is per user: another member's identical key is independent
    other = adjust(client, world, world.owner, 5, headers=key)
    assert other.status_code == 200 and Decimal(other.json()["stock"]["quantity"]) == 10
    # a failed request stores no key: the retry after fixing the cause applies
    k2 = {"Idempotency-Key": "remove-big"}
    assert adjust(client, world, world.member, -50, headers=k2).status_code == 409
    adjust(client, world, world.member, 50)
    assert adjust(client, world, world.member, -50, headers=k2).status_code == 200
    too_long = {"Idempotency-Key": "x" * 201}
    assert adjust(client, world, world.member, 1, headers=too_long).status_code == 422


# --- queries --------------------------------------------------------------------------------------


def test_inventory_subtree_includes_parked_ship_grid(
    client: TestClient, world: World
) -> None:
    adjust(client, world, world.member, 1, location=world.hangar)
    adjust(client, world, world.member, 2, location=world.cargo)
    adjust(client, world, world.member, 3, location=world.far)
    h = world.member.headers
    def qty(loc: uuid.UUID) -> list[Decimal]:
        r = client.get(world.url(f"?location_id={loc}"), headers=h)
        assert r.status_code == 200
        return sorted(Decimal(x["quantity"]) for x in r.json()["items"])
    assert qty(world.system) == [1, 2]
    assert qty(world.station) == [1, 2]
    assert qty(world.cargo) == [2]
    assert qty(world.far) == [3]
    page = client.get(world.url("?limit=2"), headers=h).json()
    assert len(page["items"]) == 2 and page["next_offset"] == 2
    page = client.get(world.url("?limit=2&offset=2"), headers=h).json()
    assert len(page["items"]) == 1 and page["next_offset"] is None
    assert client.get(world.url("?limit=501"), headers=h).status_code == 422


def test_history_filters(client: TestClient, world: World) -> None:
    adjust(client, world, world.member, 4)
    adjust(client, world, world.owner, -1)
    adjust(client, world, world.owner, 9, location=world.far)
    h = world.viewer.headers
    def kinds(query: str) -> list[str]:
        r = client.get(world.url(f"/history?{query}"), headers=h)
        assert r.status_code == 200, r.text
        return [x["kind"] for x in r.json()["items"]]
    assert kinds("") == ["add", "remove", "add"]
    assert kinds("kind=remove") == ["remove"]
    assert kinds(f"actor_id={world.member.id}") == ["add"]
    assert kinds(f"location_id={world.far}") == ["add"]
    assert kinds(f"item_id={uuid.uuid4()}") == []
    assert kinds("since=2999-01-01T00:00:00Z") == []
    assert kinds("until=2999-01-01T00:00:00Z") == ["add", "remove", "add"]
    assert client.get(world.url("/history?kind=steal"), headers=h).status_code == 422


def test_reserved_arithmetic_stays_exact_on_every_backend(session: Session) -> None:
    """0.3 + 0.4 − 0.3 must leave exactly 0.4 reserved, so consuming 0.4 succeeds.

    SQLite stores NUMERIC as a binary float; without rounding at the column's scale the
    reserved amount drifts to 0.39999999999999997 and the consume is refused.
    """
    from api.stock import repository

    item = Item(name="Drift test ore", unit="scu")
    location = Location(name="Drift test station", kind="station")
    session.add_all([item, location])
    session.flush()
    org = Organization(name="Drift test org")
    session.add(org)
    session.flush()
    stock = ItemStock(item_id=item.id, location_id=location.id, quality=0,
                      organization_id=org.id, quantity=Decimal("1"), reserved=Decimal("0"))
    session.add(stock)
    session.flush()
    for delta in (Decimal("0.3"), Decimal("0.4")):
        assert repository.add_reserved(session, stock.id, delta, org.id, None)
    assert repository.take_back_reserved(session, stock.id, Decimal("0.3"), consume=False,
                                         actor_id=None)
    assert repository.take_back_reserved(session, stock.id, Decimal("0.4"), consume=True,
                                         actor_id=None)
    session.expire_all()
    row = session.get(ItemStock, stock.id)
    assert row is not None
    assert row.reserved == 0
    assert row.quantity == Decimal("0.6")

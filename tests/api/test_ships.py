"""Ships: cargo grid created with the ship, moves re-parent the grid, guarded deletes."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.locations import repository as loc_repo
from api.locations.repository import Owner
from models.inventory import Item, ItemStock, Location, Ship
from tests.api.catalogue_helpers import universe_loc_id

API = "/api/v1"
# The app loads the universe and the shared catalogue at start-up, as in production.
pytestmark = pytest.mark.reference_data



def _ship(client: TestClient, org_id: Any, headers: dict[str, str], **body: Any) -> Any:
    return client.post(f"{API}/orgs/{org_id}/ships", json=body, headers=headers)


def _subtree_stock(session: Session, org_id: uuid.UUID, root: str) -> Decimal:
    """Org stock in a location subtree, through the recursive CTE other packages use."""
    ids = loc_repo.subtree_ids_cte([uuid.UUID(root)], loc_repo.visible_clause(Owner.org(org_id)))
    total = session.scalar(
        select(func.coalesce(func.sum(ItemStock.quantity), 0)).where(
            ItemStock.organization_id == org_id, ItemStock.location_id.in_(ids)
        )
    )
    session.commit()
    return Decimal(str(total))


def test_ship_types_catalogue(client: TestClient, make_user: Any) -> None:
    user = make_user()
    types = {t["name"]: t for t in client.get(f"{API}/ship-types", headers=user.headers).json()}
    assert Decimal(types["C2 Hercules"]["cargo_capacity_scu"]) == 696
    assert Decimal(types["Hull C"]["cargo_capacity_scu"]) == 4608
    assert len(types) == 9


def test_create_makes_cargo_location(
    client: TestClient, session: Session, make_user: Any, make_org: Any
) -> None:
    owner = make_user()
    org = make_org(owner)
    area18 = universe_loc_id(session, "stanton.arccorp.area18")
    resp = _ship(
        client,
        org.id,
        owner.headers,
        name="Big Red",
        ship_type="c2 hercules",
        current_location_id=area18,
    )
    assert resp.status_code == 201, resp.text
    ship = resp.json()
    assert Decimal(ship["cargo_capacity_scu"]) == 696  # from the catalogue, case-insensitive
    assert ship["current_location_path"] == "Stanton / ArcCorp / Area 18"
    grid = session.get(Location, uuid.UUID(ship["cargo_location_id"]))
    assert grid is not None and grid.kind == "ship_cargo"
    assert grid.organization_id == org.id and str(grid.parent_id) == area18
    session.commit()

    # Capacity is editable (tools are often wrong); unknown types need one.
    patched = client.patch(
        f"{API}/orgs/{org.id}/ships/{ship['id']}",
        json={"cargo_capacity_scu": "690"},
        headers=owner.headers,
    )
    assert Decimal(patched.json()["cargo_capacity_scu"]) == 690
    unknown = _ship(client, org.id, owner.headers, name="X", ship_type="Idris-P")
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "cargo_capacity_scu"
    custom = _ship(
        client, org.id, owner.headers, name="X", ship_type="Idris-P", cargo_capacity_scu=995
    )
    assert custom.status_code == 201 and custom.json()["current_location_id"] is None

    listing = client.get(f"{API}/orgs/{org.id}/ships", params={"limit": 1}, headers=owner.headers)
    assert listing.json()["total"] == 2 and len(listing.json()["items"]) == 1

    # The grid is managed through the ship.
    grid_patch = client.patch(
        f"{API}/orgs/{org.id}/locations/{ship['cargo_location_id']}",
        json={"parent_id": area18},
        headers=owner.headers,
    )
    assert grid_patch.status_code == 409


def test_move_reparents_grid_and_keeps_stock_rows(
    client: TestClient, session: Session, make_user: Any, make_org: Any
) -> None:
    owner = make_user()
    org = make_org(owner)
    area18 = universe_loc_id(session, "stanton.arccorp.area18")
    arc_l1 = universe_loc_id(session, "stanton.arc-l1.station")
    hangar = client.post(
        f"{API}/orgs/{org.id}/locations",
        json={"name": "Org Hangar", "kind": "hangar", "parent_id": area18},
        headers=owner.headers,
    ).json()
    ship = _ship(
        client,
        org.id,
        owner.headers,
        name="Connie",
        ship_type="Constellation Andromeda",
        current_location_id=hangar["id"],
    ).json()
    grid_id = uuid.UUID(ship["cargo_location_id"])

    item = Item(name="Test Iron", unit="scu", category="refined", organization_id=org.id, meta={})
    session.add(item)
    session.flush()
    stock = ItemStock(
        item_id=item.id,
        location_id=grid_id,
        organization_id=org.id,
        quantity=Decimal(40),
        quality=500,
    )
    session.add(stock)
    session.commit()
    before = (stock.id, stock.location_id, stock.quantity, stock.updated_at)

    assert _subtree_stock(session, org.id, area18) == 40
    assert _subtree_stock(session, org.id, arc_l1) == 0

    moved = client.post(
        f"{API}/orgs/{org.id}/ships/{ship['id']}/move",
        json={"location_id": arc_l1},
        headers=owner.headers,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["current_location_path"] == (
        "Stanton / ArcCorp / ARC-L1 / ARC-L1 Wide Forest Station"
    )
    session.expire_all()
    after = session.get(ItemStock, stock.id)
    assert after is not None
    assert (after.id, after.location_id, after.quantity, after.updated_at) == before
    assert _subtree_stock(session, org.id, arc_l1) == 40
    assert _subtree_stock(session, org.id, area18) == 0
    sub = client.get(
        f"{API}/orgs/{org.id}/locations/{arc_l1}/subtree", headers=owner.headers
    ).json()
    assert str(grid_id) in {r["id"] for r in sub}
    chain = client.get(f"{API}/orgs/{org.id}/locations/{grid_id}/ancestors", headers=owner.headers)
    assert [c["name"] for c in chain.json()][-2:] == [
        "ARC-L1 Wide Forest Station",
        "Connie cargo grid",
    ]

    # PATCH current_location_id moves too; null = in flight (grid becomes a root).
    back = client.patch(
        f"{API}/orgs/{org.id}/ships/{ship['id']}",
        json={"current_location_id": None},
        headers=owner.headers,
    )
    assert back.status_code == 200 and back.json()["current_location_id"] is None
    session.expire_all()
    assert session.get(Location, grid_id).parent_id is None  # type: ignore[union-attr]
    session.commit()

    # A ship cannot park in its own (or any) cargo grid.
    self_park = client.post(
        f"{API}/orgs/{org.id}/ships/{ship['id']}/move",
        json={"location_id": str(grid_id)},
        headers=owner.headers,
    )
    assert self_park.status_code == 422


def test_delete_refused_while_grid_holds_stock(
    client: TestClient, session: Session, make_user: Any, make_org: Any
) -> None:
    owner = make_user()
    org = make_org(owner)
    ship = _ship(client, org.id, owner.headers, name="Cat", ship_type="Caterpillar").json()
    grid_id = uuid.UUID(ship["cargo_location_id"])
    item = Item(name="Test Gold", unit="scu", category="refined", organization_id=org.id, meta={})
    session.add(item)
    session.flush()
    stock = ItemStock(item_id=item.id, location_id=grid_id, organization_id=org.id, quantity=3)
    session.add(stock)
    session.commit()

    refused = client.delete(f"{API}/orgs/{org.id}/ships/{ship['id']}", headers=owner.headers)
    assert refused.status_code == 409 and refused.json()["stock_rows"] == 1
    session.expire_all()
    assert session.get(Ship, uuid.UUID(ship["id"])) is not None
    # Emptied (row kept at zero, as the stock service does): the ship goes, the grid stays
    # archived because the stock row still points at it.
    session.get(ItemStock, stock.id).quantity = Decimal(0)  # type: ignore[union-attr]
    session.commit()
    assert (
        client.delete(f"{API}/orgs/{org.id}/ships/{ship['id']}", headers=owner.headers).status_code
        == 204
    )
    session.expire_all()
    assert session.get(Ship, uuid.UUID(ship["id"])) is None
    grid = session.get(Location, grid_id)
    assert grid is not None and grid.meta["archived"] is True
    session.commit()

    # A never-used ship takes its grid with it.
    empty = _ship(client, org.id, owner.headers, name="Tiny", ship_type="Mustang Alpha").json()
    assert (
        client.delete(f"{API}/orgs/{org.id}/ships/{empty['id']}", headers=owner.headers).status_code
        == 204
    )
    assert session.get(Location, uuid.UUID(empty["cargo_location_id"])) is None


def test_cross_org_personal_and_bad_input(
    client: TestClient, session: Session, make_user: Any, make_org: Any
) -> None:
    alice, bob, viewer = make_user(), make_user(), make_user()
    org_a = make_org(alice, members={viewer: "viewer"})
    org_b = make_org(bob)
    area18 = universe_loc_id(session, "stanton.arccorp.area18")
    a_hangar = client.post(
        f"{API}/orgs/{org_a.id}/locations",
        json={"name": "A", "kind": "hangar", "parent_id": area18},
        headers=alice.headers,
    ).json()
    ship = _ship(client, org_a.id, alice.headers, name="Herc", ship_type="C2 Hercules").json()

    for method, path, body in [
        ("get", f"/orgs/{org_b.id}/ships/{ship['id']}", None),
        ("patch", f"/orgs/{org_b.id}/ships/{ship['id']}", {"name": "mine"}),
        ("post", f"/orgs/{org_b.id}/ships/{ship['id']}/move", {"location_id": area18}),
        ("delete", f"/orgs/{org_b.id}/ships/{ship['id']}", None),
        ("get", f"/orgs/{org_a.id}/ships", None),
    ]:
        resp = client.request(method, API + path, json=body, headers=bob.headers)
        assert resp.status_code == 404, (method, path)
    assert client.get(f"{API}/orgs/{org_b.id}/ships", headers=bob.headers).json()["total"] == 0
    # Bob cannot park his ship in org A's hangar.
    parked = _ship(
        client,
        org_b.id,
        bob.headers,
        name="B",
        ship_type="135c",
        current_location_id=a_hangar["id"],
    )
    assert parked.status_code == 422
    # Viewers read, not write.
    assert (
        client.get(f"{API}/orgs/{org_a.id}/ships/{ship['id']}", headers=viewer.headers).status_code
        == 200
    )
    assert _ship(client, org_a.id, viewer.headers, name="V", ship_type="135c").status_code == 403

    for body in [
        {"name": "", "ship_type": "135c"},
        {"name": "x" * 101, "ship_type": "135c"},
        {"name": "n", "ship_type": "135c", "cargo_capacity_scu": -1},
        {"name": "n", "ship_type": "135c", "cargo_capacity_scu": "1e12"},
        {"name": "n"},
        {"name": "n", "ship_type": "135c", "current_location_id": "nope"},
    ]:
        assert _ship(client, org_a.id, alice.headers, **body).status_code == 422, body
    assert (
        client.patch(
            f"{API}/orgs/{org_a.id}/ships/{ship['id']}", json={"name": None}, headers=alice.headers
        ).status_code
        == 422
    )

    # Personal ships are the owner's only.
    mine = client.post(
        f"{API}/users/me/ships",
        json={"name": "Mine", "ship_type": "Zeus CL", "current_location_id": area18},
        headers=bob.headers,
    )
    assert mine.status_code == 201 and mine.json()["owner"] == "user"
    assert (
        client.get(f"{API}/users/me/ships/{mine.json()['id']}", headers=alice.headers).status_code
        == 404
    )
    assert client.get(f"{API}/users/me/ships", headers=bob.headers).json()["total"] == 1
    assert (
        client.get(
            f"{API}/orgs/{org_b.id}/ships/{mine.json()['id']}", headers=bob.headers
        ).status_code
        == 404
    )

"""Names next to ids: responses the UI shows carry item name and unit, location name and
path, and who holds or changed a row — never only UUIDs."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.core.db import Database
from models.inventory import Item, Location

API = "/api/v1"


@dataclass
class Place:
    owner: Any
    member: Any
    org: Any
    rifle: uuid.UUID
    ore: uuid.UUID
    hangar: uuid.UUID
    personal: uuid.UUID
    tag: str

    def url(self, path: str) -> str:
        return f"{API}/orgs/{self.org.id}{path}"


@pytest.fixture
def place(
    database: Database, make_user: Callable[..., Any], make_org: Callable[..., Any]
) -> Iterator[Place]:
    tag = uuid.uuid4().hex[:6]
    owner = make_user(display_name="Quartermaster Vex")
    member = make_user()
    org = make_org(owner, name=f"Names Org {tag}", members={member: "member"})
    with database.session_scope() as s:
        system = Location(name=f"Stanton {tag}", kind="system")
        s.add(system)
        s.flush()
        planet = Location(name="ArcCorp", kind="planet", parent_id=system.id)
        s.add(planet)
        s.flush()
        city = Location(name="Area 18", kind="city", parent_id=planet.id)
        s.add(city)
        s.flush()
        hangar = Location(name="Org Hangar", kind="hangar", parent_id=city.id,
                          organization_id=org.id)
        personal = Location(name="Vault", kind="hangar", parent_id=city.id,
                            owner_user_id=member.id)
        rifle = Item(name=f"P4-AR {tag}", unit="piece", organization_id=org.id)
        ore = Item(name=f"Quantanium {tag}", unit="scu", organization_id=org.id)
        s.add_all([hangar, personal, rifle, ore])
    yield Place(owner, member, org, rifle.id, ore.id, hangar.id, personal.id, tag)
    with database.session_scope() as s:
        s.execute(text("UPDATE locations SET parent_id = NULL"))


def _adjust(client: TestClient, p: Place, user: Any, item: uuid.UUID, loc: uuid.UUID,
            delta: str, owner: str = "org") -> Any:
    body = {"item_id": str(item), "location_id": str(loc), "delta": delta, "owner": owner}
    r = client.post(p.url("/stock/adjust"), json=body, headers=user.headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_stock_rows_history_and_reservations_carry_names(
    client: TestClient, place: Place
) -> None:
    p = place
    path = f"Stanton {p.tag} / ArcCorp / Area 18 / Org Hangar"
    change = _adjust(client, p, p.owner, p.ore, p.hangar, "32")
    stock = change["stock"]
    assert (stock["item_name"], stock["item_unit"]) == (f"Quantanium {p.tag}", "scu")
    assert (stock["location_name"], stock["location_path"]) == ("Org Hangar", path)
    assert stock["owner_name"] == p.org.name
    assert change["history"][0]["actor_name"] == "Quartermaster Vex"
    assert change["history"][0]["location_path"] == path

    listed = client.get(p.url("/stock"), headers=p.owner.headers).json()["items"]
    assert [(r["item_name"], r["location_path"], r["owner_name"]) for r in listed] == [
        (f"Quantanium {p.tag}", path, p.org.name)
    ]
    one = client.get(p.url(f"/stock/{stock['id']}"), headers=p.owner.headers).json()
    assert one["location_path"] == path and one["item_unit"] == "scu"

    history = client.get(p.url("/stock/history"), headers=p.owner.headers).json()["items"]
    assert [(h["item_name"], h["location_name"], h["actor_name"]) for h in history] == [
        (f"Quantanium {p.tag}", "Org Hangar", "Quartermaster Vex")
    ]
    r = client.post(p.url("/stock/reservations"), headers=p.owner.headers,
                    json={"stock_id": stock["id"], "quantity": "4"})
    assert r.status_code == 201, r.text
    res = r.json()
    assert (res["item_id"], res["location_id"]) == (str(p.ore), str(p.hangar))
    assert (res["item_name"], res["location_path"]) == (f"Quantanium {p.tag}", path)
    assert res["reserved_by_name"] == "Quartermaster Vex"
    listed_res = client.get(p.url("/stock/reservations"), headers=p.owner.headers).json()
    assert listed_res["items"][0]["location_name"] == "Org Hangar"
    where = client.get(p.url(f"/stock/where?item_id={p.ore}"), headers=p.owner.headers).json()
    assert [w["location_path"] for w in where["items"]] == [path]


def test_transfer_answer_names_both_rows(client: TestClient, place: Place) -> None:
    p = place
    _adjust(client, p, p.owner, p.rifle, p.hangar, "3")
    other = client.post(
        f"{API}/orgs/{p.org.id}/locations", headers=p.owner.headers,
        json={"name": "Annex", "kind": "storage", "parent_id": str(p.hangar)},
    ).json()
    r = client.post(p.url("/stock/transfer"), headers=p.owner.headers, json={
        "item_id": str(p.rifle), "from_location_id": str(p.hangar),
        "to_location_id": other["id"], "quantity": "1",
    })
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["source"]["location_name"] == "Org Hangar"
    assert body["destination"]["location_path"].endswith("Org Hangar / Annex")
    assert {h["item_unit"] for h in body["history"]} == {"piece"}
    assert {h["location_name"] for h in body["history"]} == {"Org Hangar", "Annex"}


def test_org_reads_the_location_of_a_members_shared_stock(
    client: TestClient, place: Place, make_user: Callable[..., Any],
    make_org: Callable[..., Any],
) -> None:
    p = place
    vault_path = f"Stanton {p.tag} / ArcCorp / Area 18 / Vault"
    loc_url = f"{API}/orgs/{p.org.id}/locations/{p.personal}"
    row = _adjust(client, p, p.member, p.ore, p.personal, "12", owner="me")["stock"]
    # Unshared personal stock: the org sees neither the row nor where it is.
    assert client.get(loc_url, headers=p.owner.headers).status_code == 404
    r = client.post(p.url(f"/stock/{row['id']}/share"), headers=p.member.headers)
    assert r.status_code == 200, r.text

    listed = client.get(p.url("/stock"), headers=p.owner.headers).json()["items"]
    assert [(s["location_name"], s["location_path"], s["owner_name"]) for s in listed] == [
        ("Vault", vault_path, p.member.user.username)
    ]
    r = client.get(loc_url, headers=p.owner.headers)
    assert r.status_code == 200, r.text
    assert (r.json()["name"], r.json()["path"], r.json()["owner"]) == ("Vault", vault_path, "user")
    up = client.get(f"{loc_url}/ancestors", headers=p.owner.headers).json()
    assert [a["name"] for a in up][-2:] == ["Area 18", "Vault"]
    # Read-only: the org can neither edit it nor does it join the org's own listing.
    r = client.patch(loc_url, headers=p.owner.headers, json={"name": "Mine now"})
    assert r.status_code == 403, r.text
    own = client.get(f"{API}/orgs/{p.org.id}/locations?include_universe=false",
                     headers=p.owner.headers).json()["items"]
    assert str(p.personal) not in {loc["id"] for loc in own}
    # Another org sees nothing; once withdrawn, the org's view goes too.
    stranger = make_user()
    other = make_org(stranger)
    r = client.get(f"{API}/orgs/{other.id}/locations/{p.personal}", headers=stranger.headers)
    assert r.status_code == 404
    r = client.post(p.url(f"/stock/{row['id']}/withdraw"), headers=p.member.headers)
    assert r.status_code == 200, r.text
    assert client.get(loc_url, headers=p.owner.headers).status_code == 404

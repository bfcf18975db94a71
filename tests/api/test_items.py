"""Items: shared catalogue (read-only), org-private items, aliases and matching, paging."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.items.catalogue import ensure_catalogue, load_catalogue
from models.inventory import Item

API = "/api/v1"
# The app loads the universe and the shared catalogue at start-up, as in production.
pytestmark = pytest.mark.reference_data



def test_catalogue_loads_idempotently(session: Session) -> None:
    _version, entries = load_catalogue()
    assert ensure_catalogue(session) > len(entries)  # items plus their aliases
    session.commit()
    assert ensure_catalogue(session) == 0
    assert session.scalar(select(func.count()).select_from(Item)) == len(entries)
    names = set(session.scalars(select(Item.name)))
    assert {"Agricium (Ore)", "Agricium", "Hadanite", "P4-AR Rifle", "MISC Ore Pod"} <= names
    hadanite = session.scalar(select(Item).where(Item.code == "material.hadanite"))
    assert hadanite is not None and hadanite.unit == "piece"


def test_shared_catalogue_paging_and_filters(client: TestClient, make_user: Any) -> None:
    user = make_user()
    total = len(load_catalogue()[1])
    first = client.get(f"{API}/items", params={"limit": 10}, headers=user.headers).json()
    assert first["total"] == total and len(first["items"]) == 10
    seen: list[str] = []
    for offset in range(0, total, 10):
        page = client.get(
            f"{API}/items", params={"limit": 10, "offset": offset}, headers=user.headers
        )
        seen += [i["id"] for i in page.json()["items"]]
    assert len(seen) == len(set(seen)) == total
    ores = client.get(
        f"{API}/items", params={"category": "ore", "limit": 200}, headers=user.headers
    )
    assert ores.json()["total"] == 21 and all(i["unit"] == "scu" for i in ores.json()["items"])
    q = client.get(f"{API}/items", params={"q": "gricium"}, headers=user.headers).json()
    assert {i["name"] for i in q["items"]} == {"Agricium", "Agricium (Ore)"}
    pct = client.get(f"{API}/items", params={"q": "%"}, headers=user.headers).json()
    assert pct["total"] == 0  # wildcards are literal
    for params in ({"limit": 0}, {"limit": 501}, {"offset": -1}, {"match": "x" * 201}):
        assert client.get(f"{API}/items", params=params, headers=user.headers).status_code == 422
    quant = client.get(f"{API}/items", params={"match": "QUANTAINIUM"}, headers=user.headers).json()
    assert [i["code"] for i in quant["items"]] == ["refined.quantanium"]
    one = client.get(f"{API}/items/{quant['items'][0]['id']}", headers=user.headers).json()
    assert [a["alias"] for a in one["aliases"]] == ["Quantainium"]
    # The shared catalogue is read-only through the API.
    assert client.post(f"{API}/items", json={"name": "x"}, headers=user.headers).status_code == 405
    assert client.delete(f"{API}/items/{one['id']}", headers=user.headers).status_code == 405


def test_private_items_aliases_and_match(client: TestClient, make_user: Any, make_org: Any) -> None:
    admin, member, other = make_user(), make_user(), make_user()
    org = make_org(admin, members={member: "member"})
    org_b = make_org(other)
    created = client.post(
        f"{API}/orgs/{org.id}/items",
        json={"name": "Org Trophy", "unit": "piece", "volume_scu": "0.25", "aliases": ["Trophy"]},
        headers=admin.headers,
    )
    assert created.status_code == 201, created.text
    item = created.json()
    assert item["shared"] is False and [a["alias"] for a in item["aliases"]] == ["Trophy"]

    # Members read but only admins manage items (items.manage).
    assert (
        client.post(
            f"{API}/orgs/{org.id}/items", json={"name": "Nope"}, headers=member.headers
        ).status_code
        == 403
    )
    matched = client.get(
        f"{API}/orgs/{org.id}/items", params={"match": "trophy"}, headers=member.headers
    ).json()
    assert [i["id"] for i in matched["items"]] == [item["id"]]
    shared_match = client.get(
        f"{API}/orgs/{org.id}/items", params={"match": "aluminium (ore)"}, headers=member.headers
    ).json()
    assert [i["code"] for i in shared_match["items"]] == ["ore.aluminum"]
    own_only = client.get(
        f"{API}/orgs/{org.id}/items", params={"scope": "org"}, headers=member.headers
    ).json()
    assert own_only["total"] == 1

    alias = client.post(
        f"{API}/orgs/{org.id}/items/{item['id']}/aliases",
        json={"alias": "Big Cup", "source": "uex"},
        headers=admin.headers,
    )
    assert alias.status_code == 201
    dup = client.post(
        f"{API}/orgs/{org.id}/items/{item['id']}/aliases",
        json={"alias": "big cup"},
        headers=admin.headers,
    )
    assert dup.status_code == 409
    assert (
        client.get(
            f"{API}/orgs/{org.id}/items", params={"match": "BIG CUP"}, headers=admin.headers
        ).json()["total"]
        == 1
    )
    assert (
        client.delete(
            f"{API}/orgs/{org.id}/items/{item['id']}/aliases/{alias.json()['id']}",
            headers=admin.headers,
        ).status_code
        == 204
    )
    assert (
        client.get(
            f"{API}/orgs/{org.id}/items", params={"match": "big cup"}, headers=admin.headers
        ).json()["total"]
        == 0
    )

    # Another org sees neither the item nor its alias, and cannot touch it.
    assert (
        client.get(f"{API}/orgs/{org_b.id}/items/{item['id']}", headers=other.headers).status_code
        == 404
    )
    assert (
        client.get(
            f"{API}/orgs/{org_b.id}/items", params={"match": "trophy"}, headers=other.headers
        ).json()["total"]
        == 0
    )
    assert client.get(f"{API}/orgs/{org.id}/items", headers=other.headers).status_code == 404
    for method, path in [
        ("patch", f"/orgs/{org_b.id}/items/{item['id']}"),
        ("delete", f"/orgs/{org_b.id}/items/{item['id']}"),
        ("post", f"/orgs/{org_b.id}/items/{item['id']}/aliases"),
    ]:
        resp = client.request(method, API + path, json={"alias": "x"}, headers=other.headers)
        assert resp.status_code in (404, 422) if method == "patch" else resp.status_code == 404
    assert client.get(f"{API}/items/{item['id']}", headers=other.headers).status_code == 404

    # Shared items are read-only for orgs too.
    gold = client.get(f"{API}/orgs/{org.id}/items", params={"match": "gold"}, headers=admin.headers)
    gold_id = gold.json()["items"][0]["id"]
    assert (
        client.patch(
            f"{API}/orgs/{org.id}/items/{gold_id}", json={"name": "Mine"}, headers=admin.headers
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"{API}/orgs/{org.id}/items/{gold_id}/aliases",
            json={"alias": "Au"},
            headers=admin.headers,
        ).status_code
        == 403
    )

    patched = client.patch(
        f"{API}/orgs/{org.id}/items/{item['id']}", json={"volume_scu": "0.5"}, headers=admin.headers
    )
    assert patched.status_code == 200 and float(patched.json()["volume_scu"]) == 0.5
    assert (
        client.delete(f"{API}/orgs/{org.id}/items/{item['id']}", headers=admin.headers).status_code
        == 204
    )


def test_bad_item_input(
    client: TestClient, session: Session, make_user: Any, make_org: Any
) -> None:
    admin = make_user()
    org = make_org(admin)
    for body in [
        {},
        {"name": ""},
        {"name": "x" * 201},
        {"name": "n", "unit": "litre"},
        {"name": "n", "volume_scu": -1},
        {"name": "n", "volume_scu": "1e15"},
        {"name": "n", "category": "Not A Slug!"},
        {"name": "n", "aliases": ["a"] * 21},
        {"name": "n", "extra": True},
        {"name": 5},
    ]:
        resp = client.post(f"{API}/orgs/{org.id}/items", json=body, headers=admin.headers)
        assert resp.status_code == 422, (body, resp.text)
        assert resp.headers["content-type"].startswith("application/problem+json")
    assert (
        client.post(
            f"{API}/orgs/{org.id}/items", json={"name": "Same"}, headers=admin.headers
        ).status_code
        == 201
    )
    assert (
        client.post(
            f"{API}/orgs/{org.id}/items", json={"name": "same"}, headers=admin.headers
        ).status_code
        == 409
    )
    assert (
        client.get(f"{API}/orgs/{org.id}/items/not-a-uuid", headers=admin.headers).status_code
        == 422
    )
    assert session.scalar(select(func.count()).where(Item.organization_id == org.id)) == 1


def test_list_page_carries_the_same_aliases_as_the_item_read(
    client: TestClient, make_user: Any, make_org: Any
) -> None:
    # The list aggregates aliases inside its page query (per database); one item's read
    # fetches them separately. Both must say the same, in the same order.
    admin = make_user()
    org = make_org(admin)
    names = ["zeta", "Alpha", "beta", "Ärger"]
    made = client.post(f"{API}/orgs/{org.id}/items", headers=admin.headers,
                       json={"name": "Many Names", "aliases": names})
    assert made.status_code == 201, made.text
    bare = client.post(f"{API}/orgs/{org.id}/items", headers=admin.headers,
                       json={"name": "No Names"}).json()
    page = client.get(f"{API}/orgs/{org.id}/items", params={"scope": "org"},
                      headers=admin.headers).json()
    listed = {i["id"]: i["aliases"] for i in page["items"]}
    one = client.get(f"{API}/orgs/{org.id}/items/{made.json()['id']}",
                     headers=admin.headers).json()
    assert listed[one["id"]] == one["aliases"]
    assert sorted(a["alias"] for a in one["aliases"]) == sorted(names)
    assert listed[bare["id"]] == []

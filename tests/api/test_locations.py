"""Locations: the universe tree, org and personal locations, recursive CTEs on both backends."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.core.pagination import PageParams
from api.locations import repository as repo
from api.locations.repository import Owner
from api.locations.schemas import LocationFilters
from api.locations.universe import ensure_universe, load_universe, universe_id
from models.inventory import Location
from tests.api.catalogue_helpers import universe_loc_id

API = "/api/v1"
# The app loads the universe and the shared catalogue at start-up, as in production.
pytestmark = pytest.mark.reference_data



def _create(client: TestClient, org_id: Any, headers: dict[str, str], **body: Any) -> Any:
    return client.post(f"{API}/orgs/{org_id}/locations", json=body, headers=headers)


def test_universe_loaded_idempotently_with_game_version(session: Session) -> None:
    first = ensure_universe(session)
    session.commit()
    assert first == len(load_universe().nodes)
    assert ensure_universe(session) == 0  # second run touches nothing
    count = session.scalar(select(func.count()).select_from(Location))
    assert count == len(load_universe().nodes)
    stanton = session.scalar(select(Location).where(Location.code == "stanton"))
    assert stanton is not None and stanton.meta["game_version"] == load_universe().game_version


def test_universe_listing_flat_tree_and_kind_filter(client: TestClient, make_user: Any) -> None:
    user = make_user()
    flat = client.get(f"{API}/universe/locations", params={"limit": 200}, headers=user.headers)
    assert flat.status_code == 200
    body = flat.json()
    assert body["total"] == len(load_universe().nodes)
    paths = {row["path"] for row in body["items"]}
    assert "Stanton / ArcCorp / Area 18" in paths
    assert "Stanton / ArcCorp / ARC-L1 / ARC-L1 Wide Forest Station" in paths
    assert "Pyro / Ruin Station" in paths

    systems = client.get(
        f"{API}/universe/locations", params={"kind": "system"}, headers=user.headers
    ).json()
    assert sorted(r["name"] for r in systems["items"]) == ["Nyx", "Pyro", "Stanton"]

    page = client.get(
        f"{API}/universe/locations", params={"limit": 5, "offset": 5}, headers=user.headers
    ).json()
    assert len(page["items"]) == 5 and page["offset"] == 5

    tree = client.get(f"{API}/universe/locations", params={"format": "tree"}, headers=user.headers)
    roots = {n["name"]: n for n in tree.json()}
    assert set(roots) == {"Stanton", "Pyro", "Nyx"}
    planets = {c["name"] for c in roots["Stanton"]["children"]}
    assert {"Hurston", "Crusader", "ArcCorp", "microTech"} <= planets

    too_big = client.get(
        f"{API}/universe/locations", params={"limit": 10_000}, headers=user.headers
    )
    assert too_big.status_code == 422
    bad_kind = client.get(
        f"{API}/universe/locations", params={"kind": "castle"}, headers=user.headers
    )
    assert bad_kind.status_code == 422
    assert client.get(f"{API}/universe/locations").status_code == 401


def test_universe_is_read_only(
    client: TestClient, session: Session, make_user: Any, make_org: Any
) -> None:
    user = make_user()
    org = make_org(user)
    area18 = universe_loc_id(session, "stanton.arccorp.area18")
    assert (
        client.post(f"{API}/universe/locations", json={}, headers=user.headers).status_code == 405
    )
    assert (
        client.delete(f"{API}/universe/locations/{area18}", headers=user.headers).status_code == 405
    )
    patch = client.patch(
        f"{API}/orgs/{org.id}/locations/{area18}", json={"name": "Mine"}, headers=user.headers
    )
    assert patch.status_code == 403
    assert patch.headers["content-type"].startswith("application/problem+json")
    delete = client.delete(f"{API}/orgs/{org.id}/locations/{area18}", headers=user.headers)
    assert delete.status_code == 403
    session.expire_all()
    assert session.get(Location, uuid.UUID(area18)).name == "Area 18"  # type: ignore[union-attr]


def test_universe_subtree_and_ancestors(
    client: TestClient, session: Session, make_user: Any
) -> None:
    user = make_user()
    arccorp = universe_loc_id(session, "stanton.arccorp")
    sub = client.get(f"{API}/universe/locations/{arccorp}/subtree", headers=user.headers).json()
    names = {r["name"]: r["depth"] for r in sub}
    assert names["ArcCorp"] == 0 and names["Area 18"] == 1
    assert names["ARC-L1 Wide Forest Station"] == 2
    assert "Lorville" not in names
    shallow = client.get(
        f"{API}/universe/locations/{arccorp}/subtree", params={"depth": 1}, headers=user.headers
    ).json()
    assert max(r["depth"] for r in shallow) == 1

    station = universe_loc_id(session, "stanton.arc-l1.station")
    chain = client.get(f"{API}/universe/locations/{station}/ancestors", headers=user.headers).json()
    assert [c["name"] for c in chain] == [
        "Stanton",
        "ArcCorp",
        "ARC-L1",
        "ARC-L1 Wide Forest Station",
    ]
    one = client.get(f"{API}/universe/locations/{station}", headers=user.headers).json()
    assert one["path"] == "Stanton / ArcCorp / ARC-L1 / ARC-L1 Wide Forest Station"
    missing = client.get(f"{API}/universe/locations/{uuid.uuid4()}", headers=user.headers)
    assert missing.status_code == 404


def test_org_location_crud_path_and_trip_cost(
    client: TestClient, session: Session, make_user: Any, make_org: Any
) -> None:
    owner = make_user()
    org = make_org(owner)
    area18 = universe_loc_id(session, "stanton.arccorp.area18")
    created = _create(
        client,
        org.id,
        owner.headers,
        name="Org Hangar",
        kind="hangar",
        parent_id=area18,
        trip_cost="1500",
    )
    assert created.status_code == 201, created.text
    hangar = created.json()
    assert hangar["path"] == "Stanton / ArcCorp / Area 18 / Org Hangar"
    assert hangar["owner"] == "org" and hangar["trip_cost"] in ("1500", "1500.000000")
    assert created.headers["Location"].endswith(hangar["id"])

    locker = _create(
        client, org.id, owner.headers, name="Locker", kind="storage", parent_id=hangar["id"]
    ).json()
    assert locker["path"] == "Stanton / ArcCorp / Area 18 / Org Hangar / Locker"

    listing = client.get(
        f"{API}/orgs/{org.id}/locations", params={"limit": 200}, headers=owner.headers
    ).json()
    assert listing["total"] == len(load_universe().nodes) + 2
    own = client.get(
        f"{API}/orgs/{org.id}/locations",
        params={"include_universe": "false"},
        headers=owner.headers,
    ).json()
    assert [r["path"] for r in own["items"]] == [
        "Stanton / ArcCorp / Area 18 / Org Hangar",
        "Stanton / ArcCorp / Area 18 / Org Hangar / Locker",
    ]
    hangars = client.get(
        f"{API}/orgs/{org.id}/locations", params={"kind": "hangar"}, headers=owner.headers
    ).json()
    assert [r["name"] for r in hangars["items"]] == ["Org Hangar"]
    # Filters combine: children of the hangar, of two kinds, with their full paths.
    children = client.get(
        f"{API}/orgs/{org.id}/locations",
        params={"parent_id": hangar["id"], "kind": ["storage", "hangar"]},
        headers=owner.headers,
    ).json()
    assert [(r["name"], r["depth"], r["owner"]) for r in children["items"]] == [
        ("Locker", 4, "org")]
    assert client.get(
        f"{API}/orgs/{org.id}/locations",
        params={"parent_id": hangar["id"], "kind": "hangar"}, headers=owner.headers,
    ).json()["total"] == 0

    patched = client.patch(
        f"{API}/orgs/{org.id}/locations/{hangar['id']}",
        json={"trip_cost": "900", "name": "Main Hangar"},
        headers=owner.headers,
    )
    assert patched.status_code == 200
    assert patched.json()["path"] == "Stanton / ArcCorp / Area 18 / Main Hangar"
    assert float(patched.json()["trip_cost"]) == 900
    cleared = client.patch(
        f"{API}/orgs/{org.id}/locations/{hangar['id']}",
        json={"trip_cost": None},
        headers=owner.headers,
    )
    assert cleared.json()["trip_cost"] is None

    # Move the hangar to Everus Harbor; the locker follows (adjacency list).
    everus = universe_loc_id(session, "stanton.hurston.everus-harbor")
    moved = client.patch(
        f"{API}/orgs/{org.id}/locations/{hangar['id']}",
        json={"parent_id": everus},
        headers=owner.headers,
    )
    assert moved.status_code == 200
    chain = client.get(
        f"{API}/orgs/{org.id}/locations/{locker['id']}/ancestors", headers=owner.headers
    )
    assert [c["name"] for c in chain.json()] == [
        "Stanton",
        "Hurston",
        "Everus Harbor",
        "Main Hangar",
        "Locker",
    ]
    sub = client.get(
        f"{API}/orgs/{org.id}/locations/{everus}/subtree", headers=owner.headers
    ).json()
    assert {r["name"] for r in sub} == {"Everus Harbor", "Main Hangar", "Locker"}

    # Cycles are refused.
    cycle = client.patch(
        f"{API}/orgs/{org.id}/locations/{hangar['id']}",
        json={"parent_id": locker["id"]},
        headers=owner.headers,
    )
    assert cycle.status_code == 422 and cycle.json()["errors"][0]["field"] == "parent_id"
    itself = client.patch(
        f"{API}/orgs/{org.id}/locations/{hangar['id']}",
        json={"parent_id": hangar["id"]},
        headers=owner.headers,
    )
    assert itself.status_code == 422

    # Deleting a location with children is refused; leaves go first.
    refused = client.delete(f"{API}/orgs/{org.id}/locations/{hangar['id']}", headers=owner.headers)
    assert refused.status_code == 409 and refused.json()["children"] == 1
    assert (
        client.delete(
            f"{API}/orgs/{org.id}/locations/{locker['id']}", headers=owner.headers
        ).status_code
        == 204
    )
    assert (
        client.delete(
            f"{API}/orgs/{org.id}/locations/{hangar['id']}", headers=owner.headers
        ).status_code
        == 204
    )
    assert (
        client.get(
            f"{API}/orgs/{org.id}/locations/{hangar['id']}", headers=owner.headers
        ).status_code
        == 404
    )


def test_bad_input_is_4xx(
    client: TestClient, session: Session, make_user: Any, make_org: Any
) -> None:
    owner = make_user()
    org = make_org(owner)
    area18 = universe_loc_id(session, "stanton.arccorp.area18")
    cases: list[dict[str, Any]] = [
        {"name": "", "kind": "hangar", "parent_id": area18},
        {"name": "x" * 201, "kind": "hangar", "parent_id": area18},
        {"name": "H", "kind": "station", "parent_id": area18},
        {"name": "H", "kind": "hangar", "parent_id": "not-a-uuid"},
        {"name": "H", "kind": "hangar", "parent_id": area18, "trip_cost": "-1"},
        {"name": "H", "kind": "hangar", "parent_id": area18, "trip_cost": "1e12"},
        {"name": "H", "kind": "hangar"},
        {"name": "H", "kind": "hangar", "parent_id": area18, "bogus": 1},
    ]
    for body in cases:
        resp = client.post(f"{API}/orgs/{org.id}/locations", json=body, headers=owner.headers)
        assert resp.status_code == 422, (body, resp.text)
    unknown = _create(
        client, org.id, owner.headers, name="H", kind="hangar", parent_id=str(uuid.uuid4())
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "parent_id"
    assert session.scalar(select(func.count()).where(Location.organization_id == org.id)) == 0


def test_cross_org_and_roles(
    client: TestClient, session: Session, make_user: Any, make_org: Any
) -> None:
    alice, bob, viewer = make_user(), make_user(), make_user()
    org_a = make_org(alice, members={viewer: "viewer"})
    org_b = make_org(bob)
    area18 = universe_loc_id(session, "stanton.arccorp.area18")
    a_hangar = _create(
        client, org_a.id, alice.headers, name="A", kind="hangar", parent_id=area18
    ).json()

    # Bob cannot see, use as parent, edit, delete or walk org A's location; nor list org A.
    for path in ("", "/subtree", "/ancestors"):
        r = client.get(
            f"{API}/orgs/{org_b.id}/locations/{a_hangar['id']}{path}", headers=bob.headers
        )
        assert r.status_code == 404
    assert client.get(f"{API}/orgs/{org_a.id}/locations", headers=bob.headers).status_code == 404
    child = _create(
        client, org_b.id, bob.headers, name="B", kind="hangar", parent_id=a_hangar["id"]
    )
    assert child.status_code == 422
    assert (
        client.patch(
            f"{API}/orgs/{org_b.id}/locations/{a_hangar['id']}",
            json={"name": "x"},
            headers=bob.headers,
        ).status_code
        == 404
    )
    assert (
        client.delete(
            f"{API}/orgs/{org_b.id}/locations/{a_hangar['id']}", headers=bob.headers
        ).status_code
        == 404
    )
    b_list = client.get(
        f"{API}/orgs/{org_b.id}/locations", params={"limit": 200}, headers=bob.headers
    ).json()
    assert a_hangar["id"] not in {r["id"] for r in b_list["items"]}
    # Org A's hangar does not show in Bob's view of the shared station's subtree.
    b_sub = client.get(
        f"{API}/orgs/{org_b.id}/locations/{area18}/subtree", headers=bob.headers
    ).json()
    assert a_hangar["id"] not in {r["id"] for r in b_sub}

    # A viewer reads but may not write.
    assert (
        client.get(
            f"{API}/orgs/{org_a.id}/locations/{a_hangar['id']}", headers=viewer.headers
        ).status_code
        == 200
    )
    assert (
        _create(
            client, org_a.id, viewer.headers, name="V", kind="hangar", parent_id=area18
        ).status_code
        == 403
    )


def test_personal_locations_are_private(
    client: TestClient, session: Session, make_user: Any, make_org: Any
) -> None:
    alice, bob = make_user(), make_user()
    org = make_org(alice)
    everus = universe_loc_id(session, "stanton.hurston.everus-harbor")
    mine = client.post(
        f"{API}/users/me/locations",
        json={"name": "My Hangar", "kind": "hangar", "parent_id": everus},
        headers=alice.headers,
    )
    assert mine.status_code == 201
    loc = mine.json()
    assert loc["owner"] == "user" and loc["path"] == "Stanton / Hurston / Everus Harbor / My Hangar"
    listing = client.get(f"{API}/users/me/locations", headers=alice.headers).json()
    assert [r["id"] for r in listing["items"]] == [loc["id"]]
    assert client.get(f"{API}/users/me/locations", headers=bob.headers).json()["total"] == 0
    assert (
        client.get(f"{API}/users/me/locations/{loc['id']}", headers=bob.headers).status_code == 404
    )
    assert (
        client.patch(
            f"{API}/users/me/locations/{loc['id']}", json={"name": "x"}, headers=bob.headers
        ).status_code
        == 404
    )
    # Personal locations are not org locations.
    assert (
        client.get(f"{API}/orgs/{org.id}/locations/{loc['id']}", headers=alice.headers).status_code
        == 404
    )
    renamed = client.patch(
        f"{API}/users/me/locations/{loc['id']}", json={"trip_cost": "10"}, headers=alice.headers
    )
    assert renamed.status_code == 200
    assert (
        client.delete(f"{API}/users/me/locations/{loc['id']}", headers=alice.headers).status_code
        == 204
    )


def test_deep_tree_ctes(session: Session, make_org: Any) -> None:
    """A 40-level chain plus a wide level: subtree, ancestors and paths by recursive CTE."""
    org, other = make_org(None), make_org(None)
    ensure_universe(session)
    parent_id = universe_id(session, "stanton.microtech.new-babbage")
    chain: list[Location] = []
    for depth in range(40):
        loc = Location(
            name=f"L{depth}", kind="storage", parent_id=parent_id, organization_id=org.id, meta={}
        )
        session.add(loc)
        session.flush()
        chain.append(loc)
        parent_id = loc.id
    for i in range(30):
        session.add(
            Location(
                name=f"W{i}", kind="storage", parent_id=chain[0].id, organization_id=org.id, meta={}
            )
        )
    session.add(
        Location(
            name="Other", kind="hangar", parent_id=chain[5].id, organization_id=other.id, meta={}
        )
    )
    session.commit()

    owner = Owner.org(org.id)
    sub = repo.subtree(session, chain[0].id, repo.visible_clause(owner))
    assert len(sub) == 40 + 30  # chain + wide level, not the other org's node
    assert max(d for _, d in sub) == 39
    up = repo.ancestors(session, chain[-1].id)
    assert [loc.name for loc in up][:3] == ["Stanton", "microTech", "New Babbage"]
    assert len(up) == 3 + 40
    rows, total = repo.page_with_paths(
        session, owner, PageParams(limit=5), LocationFilters(owned_only=True)
    )
    assert total == 70 and len(rows) == 5
    assert all(row["path"].startswith("Stanton / microTech / New Babbage") for row in rows)
    deepest = [
        p
        for _, p, _ in repo.list_with_paths(
            session, repo.visible_clause(owner), only=Location.id == chain[-1].id
        )
    ]
    assert deepest[0].startswith("Stanton / microTech / New Babbage / L0 / L1 /")
    assert deepest[0].endswith("/ L39")
    ids = set(session.scalars(repo.subtree_ids_cte([chain[10].id], repo.visible_clause(owner))))
    assert ids == {loc.id for loc in chain[10:]}
    assert repo.is_descendant(session, chain[20].id, chain[3].id)
    assert not repo.is_descendant(session, chain[3].id, chain[20].id)

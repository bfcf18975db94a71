"""One page shape on every list endpoint: ``items``, ``total``, ``limit``, ``offset``,
``next_offset``; ``limit`` 1..500 (default 50) and ``offset`` >= 0, a bad one a 422 naming it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.core.db import Database
from models.inventory import Item, Location

API = "/api/v1"
ORG_LISTS = [
    "items", "locations", "ships", "stock", "stock/where?item_id={item}", "stock/history",
    "stock/reservations", "goals", "blueprints", "crafts", "plans", "sources",
]
OWN_LISTS = ["/items", "/universe/locations", "/users/me/locations", "/users/me/ships"]


def _setup(
    database: Database, make_user: Callable[..., Any], make_org: Callable[..., Any]
) -> tuple[Any, Any, uuid.UUID, uuid.UUID]:
    owner = make_user()
    org = make_org(owner)
    with database.session_scope() as s:
        item = Item(name=f"Page ore {uuid.uuid4().hex[:6]}", unit="scu", organization_id=org.id)
        hangar = Location(name="Page hangar", kind="hangar", organization_id=org.id)
        s.add_all([item, hangar])
    return owner, org, item.id, hangar.id


def _urls(org_id: uuid.UUID, item_id: uuid.UUID) -> list[str]:
    org_urls = [f"{API}/orgs/{org_id}/{p.format(item=item_id)}" for p in ORG_LISTS]
    return org_urls + [API + p for p in OWN_LISTS]


def _with(url: str, query: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{query}"


def test_every_list_answers_the_one_page_shape(
    client: TestClient, database: Database, make_user: Callable[..., Any],
    make_org: Callable[..., Any],
) -> None:
    owner, org, item_id, _ = _setup(database, make_user, make_org)
    for url in _urls(org.id, item_id):
        r = client.get(url, headers=owner.headers)
        assert r.status_code == 200, (url, r.text)
        body = r.json()
        assert set(body) == {"items", "total", "limit", "offset", "next_offset"}, url
        assert (body["limit"], body["offset"]) == (50, 0), url
        assert isinstance(body["items"], list) and body["total"] >= len(body["items"]), url
        assert body["next_offset"] == (50 if body["total"] > 50 else None), url


@pytest.mark.parametrize(
    ("query", "field"),
    [("limit=0", "limit"), ("limit=501", "limit"), ("offset=-1", "offset"),
     ("limit=x", "limit")],
)
def test_bad_paging_is_a_422_naming_the_parameter(
    client: TestClient, database: Database, make_user: Callable[..., Any],
    make_org: Callable[..., Any], query: str, field: str,
) -> None:
    owner, org, item_id, _ = _setup(database, make_user, make_org)
    for url in _urls(org.id, item_id):
        r = client.get(_with(url, query), headers=owner.headers)
        assert r.status_code == 422, (url, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in r.json()["errors"]] == [field], url


def test_pages_walk_the_rows_with_total_and_next_offset(
    client: TestClient, database: Database, make_user: Callable[..., Any],
    make_org: Callable[..., Any],
) -> None:
    owner, org, item_id, hangar = _setup(database, make_user, make_org)
    for quality in (100, 200, 300):
        body = {"item_id": str(item_id), "location_id": str(hangar), "quality": quality,
                "delta": "5"}
        r = client.post(f"{API}/orgs/{org.id}/stock/adjust", json=body, headers=owner.headers)
        assert r.status_code == 200, r.text
        goal = {"name": f"goal {quality}", "targets": [{"item_id": str(item_id), "quantity": 99}]}
        r = client.post(f"{API}/orgs/{org.id}/goals", json=goal, headers=owner.headers)
        assert r.status_code == 201, r.text
    for url in (f"{API}/orgs/{org.id}/stock", f"{API}/orgs/{org.id}/goals",
                f"{API}/orgs/{org.id}/stock/history"):
        first = client.get(_with(url, "limit=2"), headers=owner.headers).json()
        second = client.get(_with(url, "limit=2&offset=2"), headers=owner.headers).json()
        past = client.get(_with(url, "limit=2&offset=10"), headers=owner.headers).json()
        assert (first["total"], len(first["items"]), first["next_offset"]) == (3, 2, 2), url
        assert (second["total"], len(second["items"]), second["next_offset"]) == (3, 1, None)
        # A page past the end still says how many rows there are.
        assert (past["total"], past["items"], past["next_offset"]) == (3, [], None), url
        ids = [row["id"] for row in first["items"] + second["items"]]
        assert len(set(ids)) == 3, url

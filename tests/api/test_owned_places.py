"""Locations and ships, of an org or of one user: one set of routes (``api.core.owner_routes``)
and one set of rules, so each test here runs for every resource and both owners."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from models.inventory import Item, ItemStock
from tests.api.catalogue_helpers import universe_loc_id

API = "/api/v1"
pytestmark = pytest.mark.reference_data

# resource -> (path segment, creation body without its place, the field naming the place)
RESOURCES: dict[str, tuple[str, dict[str, Any], str]] = {
    "location": ("locations", {"name": "H", "kind": "hangar"}, "parent_id"),
    "ship": ("ships", {"name": "Cat", "ship_type": "Caterpillar"}, "current_location_id"),
}


@pytest.mark.parametrize("owner", ["org", "me"])
@pytest.mark.parametrize("resource", list(RESOURCES))
def test_delete_refused_while_stock_is_there(
    client: TestClient, session: Session, make_user: Any, make_org: Any, resource: str,
    owner: str,
) -> None:
    user = make_user()
    org = make_org(user)
    base = f"{API}/orgs/{org.id}" if owner == "org" else f"{API}/users/me"
    segment, body, place = RESOURCES[resource]
    area18 = universe_loc_id(session, "stanton.arccorp.area18")
    made = client.post(f"{base}/{segment}", json={**body, place: area18}, headers=user.headers)
    assert made.status_code == 201, made.text
    record = made.json()
    url = f"{base}/{segment}/{record['id']}"
    assert made.headers["Location"] == url
    # A ship's stock sits in its cargo grid.
    holder = record["id"] if resource == "location" else record["cargo_location_id"]
    item = Item(name="Test Ore", unit="scu", category="ore", organization_id=org.id, meta={})
    session.add(item)
    session.flush()
    owned = {"organization_id": org.id} if owner == "org" else {"owner_user_id": user.id}
    session.add(ItemStock(item_id=item.id, location_id=uuid.UUID(holder), quantity=5, **owned))
    session.commit()

    refused = client.delete(url, headers=user.headers)
    assert refused.status_code == 409, refused.text
    assert refused.json()["stock_rows"] == 1
    assert client.get(url, headers=user.headers).status_code == 200

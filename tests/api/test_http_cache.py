"""ETag / If-None-Match on the catalogue and the location tree (api/core/httpcache.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.core.httpcache import etag_of
from models.orgs import Organization
from tests.api.catalogue_helpers import universe_loc_id
from tests.conftest import TestUser

API = "/api/v1"
# The app loads the universe and the shared catalogue at start-up, as in production.
pytestmark = pytest.mark.reference_data



def _revalidate(client: TestClient, url: str, headers: dict[str, str]) -> tuple[str, Any]:
    first = client.get(url, headers=headers)
    assert first.status_code == 200, first.text
    etag = first.headers["etag"]
    assert etag == etag_of(first.content)
    assert first.headers["cache-control"] == "private, no-cache"
    again = client.get(url, headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    return etag, first.json()


def test_catalogue_answers_304_while_unchanged(
    client: TestClient, make_user: Callable[..., TestUser], make_org: Callable[..., Organization],
) -> None:
    owner = make_user()
    org = make_org(owner)
    etag, body = _revalidate(client, f"{API}/items?limit=5", owner.headers)
    assert len(body["items"]) == 5 and body["total"] >= 5
    # Another version's tag (or a list without ours) gets the full body.
    other = client.get(f"{API}/items?limit=5",
                       headers={**owner.headers, "If-None-Match": 'W/"stale", W/"older"'})
    assert other.status_code == 200 and other.headers["etag"] == etag
    url = f"{API}/orgs/{org.id}/items?scope=org"
    org_etag, _ = _revalidate(client, url, owner.headers)
    created = client.post(f"{API}/orgs/{org.id}/items", headers=owner.headers,
                          json={"name": "Org Trophy", "unit": "piece"})
    assert created.status_code == 201, created.text
    changed = client.get(url, headers={**owner.headers, "If-None-Match": org_etag})
    assert changed.status_code == 200 and changed.headers["etag"] != org_etag
    assert [i["name"] for i in changed.json()["items"]] == ["Org Trophy"]


def test_location_tree_changes_its_etag_when_a_location_is_added(
    client: TestClient, session: Session, make_user: Callable[..., TestUser],
    make_org: Callable[..., Organization],
) -> None:
    owner = make_user()
    org = make_org(owner)
    url = f"{API}/orgs/{org.id}/locations?include_universe=false"
    etag, body = _revalidate(client, url, owner.headers)
    assert body["items"] == []
    area18 = universe_loc_id(session, "stanton.arccorp.area18")
    resp = client.post(f"{API}/orgs/{org.id}/locations", headers=owner.headers,
                       json={"name": "Hangar 1", "kind": "hangar", "parent_id": str(area18)})
    assert resp.status_code == 201, resp.text
    changed = client.get(url, headers={**owner.headers, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert [x["name"] for x in changed.json()["items"]] == ["Hangar 1"]

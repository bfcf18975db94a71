"""Reference data in the commons (issue 9): the shared catalogue and universe that the app
loads at start-up are published as version-1 entities, so the public read API lists and finds
them, and loading again publishes nothing twice."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.items.catalogue import load_catalogue
from api.reference import ensure_reference_data
from models.commons import CommonsEntity, CommonsVersion
from models.inventory import Item

pytestmark = pytest.mark.reference_data


def _all(client: TestClient, kind: str) -> list[dict]:
    out: list[dict] = []
    while True:
        page = client.get(f"/api/v1/public/{kind}", params={"limit": 200, "offset": len(out)})
        assert page.status_code == 200, page.text
        body = page.json()
        out += body["items"]
        if body.get("next_offset") is None:
            return out


def test_loaded_catalogue_and_universe_are_published_once(client: TestClient,
                                                          session: Session) -> None:
    shared = session.scalar(select(func.count()).select_from(Item)
                            .where(Item.organization_id.is_(None)))
    assert shared and shared >= len(load_catalogue()[1])
    items = _all(client, "items")
    assert len(items) == shared
    assert any(e["name"] == "Quantanium" for e in items)
    locations = {e["name"] for e in _all(client, "locations")}
    assert {"Stanton", "ArcCorp"} <= locations
    # Found by an alias players write, with the version record behind it.
    hits = client.get("/api/v1/public/search", params={"q": "quantainium", "kind": "item"}).json()
    assert [h["name"] for h in hits][:1] == ["Quantanium"]
    versions = client.get(f"/api/v1/public/entities/{hits[0]['id']}/versions").json()
    assert [(v["version"], v["data"]["unit"]) for v in versions] == [(1, "scu")]

    entities = session.scalar(select(func.count()).select_from(CommonsEntity))
    assert ensure_reference_data(session) == 0
    session.commit()
    assert session.scalar(select(func.count()).select_from(CommonsEntity)) == entities
    assert session.scalar(select(func.count()).select_from(CommonsVersion)
                          .where(CommonsVersion.version == 1)) >= entities

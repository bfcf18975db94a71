"""Crafts get a crafter (an org member) and an ETA; ``?crafter=me`` is a member's queue."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.planning import Craft
from tests.api.test_apply import _world


def test_crafter_eta_and_my_queue(
    client: TestClient, session: Session, make_user: Any, make_org: Any
) -> None:
    owner, smith, outsider = make_user(), make_user(display_name="Smith"), make_user()
    org = make_org(owner, members={smith: "member"})
    w = _world(client, session, owner, org.id)
    w["bp"].minutes = Decimal("12.5")
    session.commit()
    base = f"/api/v1/orgs/{org.id}/crafts"
    body = {"blueprint_id": str(w["bp"].id), "runs": 2, "location_id": str(w["hangar"].id)}

    # Only a member may be the crafter: 422 naming the field, nothing created.
    r = client.post(base, headers=owner.headers, json={**body, "crafter_id": str(outsider.id)})
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "crafter_id"
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Craft)
                          .where(Craft.organization_id == org.id)) == 0

    r = client.post(base, headers=owner.headers, json={**body, "crafter_id": str(smith.id)})
    assert r.status_code == 201, r.text
    craft = r.json()
    assert (craft["crafter_id"], craft["crafter_name"]) == (str(smith.id), "Smith")
    assert Decimal(craft["minutes"]) == 25 and craft["eta"] is None  # not started yet
    other = client.post(base, headers=owner.headers, json=body).json()
    assert other["crafter_id"] is None

    def queue(user: Any, crafter: str) -> list[str]:
        r = client.get(f"{base}?crafter={crafter}", headers=user.headers)
        assert r.status_code == 200, r.text
        return [c["id"] for c in r.json()["items"]]

    assert queue(smith, "me") == [craft["id"]]
    assert queue(owner, "me") == []
    assert queue(owner, str(smith.id)) == [craft["id"]]
    assert client.get(f"{base}?crafter=someone", headers=owner.headers).status_code == 422

    # PATCH assigns (a member only) and null unassigns.
    url = f"{base}/{other['id']}"
    r = client.patch(url, headers=owner.headers, json={"crafter_id": str(outsider.id)})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "crafter_id"
    r = client.patch(url, headers=owner.headers, json={"crafter_id": str(owner.id)})
    assert r.status_code == 200 and r.json()["crafter_id"] == str(owner.id)
    assert queue(owner, "me") == [other["id"]]
    r = client.patch(url, headers=owner.headers, json={"crafter_id": None})
    assert r.status_code == 200 and r.json()["crafter_id"] is None
    assert queue(owner, "me") == []

    # Started: eta = started_at + blueprint minutes x runs.
    r = client.post(f"{base}/{craft['id']}/start", headers=smith.headers)
    assert r.status_code == 200, r.text
    started = r.json()
    eta = datetime.fromisoformat(started["eta"])
    assert eta - datetime.fromisoformat(started["started_at"]) == timedelta(minutes=25)
    r = client.post(f"{base}/{craft['id']}/complete", headers=smith.headers)
    assert r.status_code == 200 and r.json()["eta"] is None
    r = client.patch(f"{base}/{craft['id']}", headers=owner.headers, json={"crafter_id": None})
    assert r.status_code == 409

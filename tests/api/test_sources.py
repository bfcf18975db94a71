"""Market listings and votes: derived reliability, one vote per member per day (both backends)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.core.db import Database
from api.sources.service import HALF_LIFE_DAYS, reliability_from_votes
from models.planning import ResourceSource
from tests.api.planning_helpers import make_item, make_location


def test_reliability_formula() -> None:
    now = datetime.now(UTC)
    assert reliability_from_votes([], now) == 0.8  # the Beta(4, 1) prior mean
    assert reliability_from_votes([(False, now)], now) == 4 / 6
    old = now - timedelta(days=HALF_LIFE_DAYS)
    assert abs(reliability_from_votes([(False, old)], now) - 4 / 5.5) < 1e-12
    many_bad = [(False, now)] * 50
    assert 0 < reliability_from_votes(many_bad, now) < 0.1


def test_listing_votes_and_reliability(client: TestClient, session: Session, make_user: Any,
                                       make_org: Any) -> None:
    owner, member = make_user(), make_user()
    org = make_org(owner, members={member: "member"})
    item, loc = make_item(session), make_location(session)
    session.commit()
    url = f"/api/v1/orgs/{org.id}/sources"
    r = client.post(url, headers=owner.headers, json={
        "item_id": str(item.id), "location_id": str(loc.id), "price": 2539, "available": 120,
        "holder_name": "TDD Area 18"})
    assert r.status_code == 201, r.text
    src = r.json()
    assert src["reliability"] == 0.8 and src["votes"] == 0
    vote_url = f"{url}/{src['id']}/votes"
    r = client.post(vote_url, headers=member.headers, json={"accurate": False})
    assert r.status_code == 201 and abs(r.json()["reliability"] - 4 / 6) < 1e-6
    # One vote per member per listing per day.
    r = client.post(vote_url, headers=member.headers, json={"accurate": True})
    assert r.status_code == 409
    # Said in words: no internal constraint name (uq_source_verification_log_...).
    assert r.json()["detail"].startswith("You have already voted on this listing today")
    assert "uq_" not in r.text
    r = client.post(vote_url, headers=owner.headers, json={"accurate": True})
    assert r.status_code == 201 and abs(r.json()["reliability"] - 5 / 7) < 1e-6
    got = client.get(f"{url}/{src['id']}", headers=owner.headers).json()
    assert got["votes"] == 2 and abs(got["reliability"] - 5 / 7) < 1e-6
    # Reliability is never written directly.
    body = {"item_id": str(item.id), "location_id": str(loc.id), "price": 1, "reliability": 1}
    assert client.post(url, headers=owner.headers, json=body).status_code == 422


def test_bad_input_and_tenancy(client: TestClient, session: Session, make_user: Any,
                               make_org: Any) -> None:
    owner, outsider, viewer = make_user(), make_user(), make_user()
    org = make_org(owner, members={viewer: "viewer"})
    other = make_org(outsider)
    item, loc = make_item(session), make_location(session)
    foreign_loc = make_location(session, kind="hangar", org_id=other.id)
    session.commit()
    url = f"/api/v1/orgs/{org.id}/sources"
    base = {"item_id": str(item.id), "location_id": str(loc.id), "price": 10}
    r = client.post(url, headers=owner.headers, json={**base, "location_id": str(foreign_loc.id)})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "location_id"
    r = client.post(url, headers=owner.headers, json={**base, "item_id": str(uuid.uuid4())})
    assert r.status_code == 422
    assert client.post(url, headers=owner.headers, json={**base, "price": -1}).status_code == 422
    assert client.post(url, headers=owner.headers,
                       json={**base, "available": 1e13}).status_code == 422
    assert client.post(url, headers=viewer.headers, json=base).status_code == 403
    src_id = client.post(url, headers=owner.headers, json=base).json()["id"]
    other_url = f"/api/v1/orgs/{other.id}/sources/{src_id}"
    assert client.get(other_url, headers=outsider.headers).status_code == 404
    assert client.post(f"{other_url}/votes", headers=outsider.headers,
                       json={"accurate": True}).status_code == 404
    assert client.get(url, headers=outsider.headers).status_code == 404


def test_lot_size_create_update_read(client: TestClient, session: Session, make_user: Any,
                                     make_org: Any, database: Database) -> None:
    owner = make_user()
    org = make_org(owner)
    ore, rifle = make_item(session), make_item(session, unit="piece", volume=0.1)
    loc = make_location(session)
    session.commit()
    url = f"/api/v1/orgs/{org.id}/sources"
    base = {"item_id": str(ore.id), "location_id": str(loc.id), "price": 10}
    r = client.post(url, headers=owner.headers, json={**base, "lot_size": 0.125})
    assert r.status_code == 201, r.text
    assert r.json()["lot_size"] == 0.125
    src_url = f"{url}/{r.json()['id']}"
    r = client.put(src_url, headers=owner.headers, json={**base, "lot_size": 24})
    assert r.status_code == 200 and r.json()["lot_size"] == 24
    assert client.get(src_url, headers=owner.headers).json()["lot_size"] == 24
    # Leaving it out (or null) means "any amount".
    r = client.put(src_url, headers=owner.headers, json=base)
    assert r.status_code == 200 and r.json()["lot_size"] is None
    assert client.post(url, headers=owner.headers, json=base).json()["lot_size"] is None
    for bad in (0, -8, 1e-9, 1e13, "NaN", "eight"):
        r = client.post(url, headers=owner.headers, json={**base, "lot_size": bad})
        assert r.status_code == 422, (bad, r.text)
        assert "lot_size" in str(r.json()["errors"]), (bad, r.json())
    # Pieces come in whole boxes.
    piece = {**base, "item_id": str(rifle.id)}
    r = client.post(url, headers=owner.headers, json={**piece, "lot_size": 2.5})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "lot_size"
    assert client.post(url, headers=owner.headers,
                       json={**piece, "lot_size": 5}).status_code == 201
    # The database refuses a non-positive lot size whatever writes it.
    with pytest.raises(IntegrityError), database.session_scope() as s:
        s.add(ResourceSource(item_id=ore.id, location_id=loc.id, organization_id=org.id,
                             price=Decimal(1), lot_size=Decimal(0)))

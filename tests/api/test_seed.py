"""Demo seed: idempotent, realistic, and its login works."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

import models
from api.app import create_app
from api.core.db import Database
from api.core.security import verify_password
from api.core.settings import Settings
from models.accounts import User
from models.base import utc_now
from models.inventory import Item, ItemHistory, ItemStock, Location, Ship
from models.orgs import Organization
from models.planning import Blueprint, Goal, ResourceSource
from scenarios.demo import SEED_NOTE, seed_demo


def _counts(database: Database) -> dict[str, int]:
    with database.sessionmaker() as s:
        return {
            t.name: int(s.scalar(select(func.count()).select_from(t)) or 0)
            for t in models.Base.metadata.sorted_tables
        }


def test_seed_twice_changes_nothing(database: Database, settings: Settings) -> None:
    login = seed_demo(database, settings)
    assert login == {"username": "demo", "password": "quartermaster-demo"}
    first = _counts(database)
    assert seed_demo(database, settings) == login
    assert _counts(database) == first

    with database.sessionmaker() as s:
        org = s.scalar(select(Organization).where(Organization.name == "Demo org"))
        assert org is not None
        assert first["organization_members"] == 5
        ships = {sh.name: sh for sh in s.scalars(select(Ship))}
        assert {"Stargazer", "Big Red", "Dragline"} <= set(ships)
        # Through the stock service: each row has its "add" history row, each shared one
        # its "share" row too.
        shared = s.scalar(select(func.count()).where(ItemStock.shared_with_org_id == org.id))
        assert shared == 2
        kinds = {(h.kind, h.note) for h in s.scalars(select(ItemHistory))}
        assert kinds == {("add", SEED_NOTE), ("share", None)}
        assert first["item_stocks"] + shared == first["item_history"] > 10
        # A member's goods sit in the universe, the org's places or that member's own.
        for row in s.scalars(select(ItemStock).where(ItemStock.owner_user_id.is_not(None))):
            where = s.get(Location, row.location_id)
            assert where is not None and where.owner_user_id in (None, row.owner_user_id)
            assert where.organization_id in (None, org.id)
        # Big Red sits at ARC-L1 and its grid hangs there.
        grid = s.get(Location, ships["Big Red"].cargo_location_id)
        station = s.get(Location, ships["Big Red"].current_location_id)
        assert grid is not None and station is not None and grid.parent_id == station.id
        assert station.code == "stanton.arc-l1.station"
        assert s.scalar(select(func.count()).where(Blueprint.kind == "refine")) == 7 * 9
        assert {"demo.bp.p4-ar", "demo.bp.m3a"} <= set(s.scalars(select(Blueprint.code)))
        m3a = s.scalar(select(Blueprint).where(Blueprint.code == "demo.bp.m3a"))
        assert m3a is not None and [i.min_quality for i in m3a.ingredients] == [1, 0, 0]
        tdd = s.scalar(select(Location).where(Location.code == "stanton.arccorp.area18.tdd"))
        assert tdd is not None
        listings = s.scalar(select(func.count()).where(ResourceSource.location_id == tdd.id))
        assert listings == 4
        # Listings sell in crates (1/8 to 32 SCU).
        lots = {float(lot) for lot in s.scalars(select(ResourceSource.lot_size))}
        assert lots == {0.125, 1, 2, 4, 8, 32}
        # One active goal to plan for, due in two weeks, not duplicated by the rerun.
        goals = s.scalars(select(Goal).where(Goal.organization_id == org.id)).all()
        assert [(g.name, g.status) for g in goals] == [("Arm the ArcCorp wing", "active")]
        assert goals[0].due_at is not None and goals[0].due_at > utc_now()
        codes = dict(s.execute(select(Item.id, Item.code)).tuples().all())
        assert {(codes[t.item_id], float(t.quantity)) for t in goals[0].targets} == {
            ("product.p4-ar", 16), ("product.m3a", 2)}
        owner = s.scalar(select(User).where(User.username == "demo"))
        assert owner is not None and verify_password(
            "quartermaster-demo", owner.password_hash, settings
        )
        others = s.scalars(select(User).where(User.username != "demo")).all()
        assert all(u.password_hash is None for u in others)


def test_demo_login_via_api(settings: Settings, database: Database) -> None:
    seed_demo(database, settings)
    app: Any = create_app(settings, database)
    with TestClient(app) as client:
        token = client.post(
            "/api/v1/auth/token", data={"username": "demo", "password": "quartermaster-demo"}
        )
        assert token.status_code == 200, token.text
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        with database.sessionmaker() as s:
            org_id = s.scalar(select(Organization.id).where(Organization.name == "Demo org"))
        ships = client.get(f"/api/v1/orgs/{org_id}/ships", headers=headers)
        assert ships.status_code == 200 and ships.json()["total"] == 3
        hangars = client.get(
            f"/api/v1/orgs/{org_id}/locations",
            params={"kind": "hangar", "include_universe": "false"},
            headers=headers,
        ).json()
        assert "Stanton / ArcCorp / Area 18 / Org Hangar" in {h["path"] for h in hangars["items"]}

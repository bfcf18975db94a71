"""The migrations are the schema: they must match the models exactly, on both backends."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import IntegrityError

import models
from api.core.db import Database, downgrade, migrate
from models.accounts import User
from models.commons import include_object
from models.inventory import Item, ItemStock, Location
from models.orgs import Organization, OrganizationMember


def _drift(url: str) -> list[object]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True,
                                                      "include_object": include_object})
            return list(compare_metadata(ctx, models.Base.metadata))
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest) -> str:
    name = "fresh_sqlite_url" if request.param == "sqlite" else "fresh_pg_url"
    url: str = request.getfixturevalue(name)
    return url


def test_upgrade_head_matches_models(fresh_url: str) -> None:
    migrate(fresh_url)
    assert _drift(fresh_url) == []
    engine = create_engine(fresh_url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert set(models.Base.metadata.tables) <= tables


def test_downgrade_to_base_and_back(fresh_url: str) -> None:
    migrate(fresh_url)
    downgrade(fresh_url, "base")
    engine = create_engine(fresh_url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    migrate(fresh_url)
    assert _drift(fresh_url) == []


def _stock_fixture(db: Database) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    with db.session_scope() as s:
        org = Organization(name=f"o-{uuid.uuid4().hex[:8]}")
        item = Item(name=f"Quantanium-{uuid.uuid4().hex[:6]}", unit="scu", category="ore")
        loc = Location(name="Port Olisar", kind="station")
        s.add_all([org, item, loc])
    return org.id, item.id, loc.id


def test_stock_invariants_enforced_by_database(database: Database) -> None:
    org_id, item_id, loc_id = _stock_fixture(database)
    bad_rows = [
        {"quantity": Decimal(1), "reserved": Decimal(2)},  # quantity < reserved
        {"quantity": Decimal(1), "reserved": Decimal(-1)},  # negative reserved
        {"quantity": Decimal(1), "quality": 1001},  # quality out of range
    ]
    for fields in bad_rows:
        with pytest.raises(IntegrityError), database.session_scope() as s:
            s.add(ItemStock(item_id=item_id, location_id=loc_id, organization_id=org_id, **fields))
    # No owner at all is refused too.
    with pytest.raises(IntegrityError), database.session_scope() as s:
        s.add(ItemStock(item_id=item_id, location_id=loc_id, quantity=Decimal(1)))
    # One row per (item, location, quality, owner).
    with database.session_scope() as s:
        s.add(ItemStock(item_id=item_id, location_id=loc_id, organization_id=org_id, quality=500))
    with pytest.raises(IntegrityError), database.session_scope() as s:
        s.add(ItemStock(item_id=item_id, location_id=loc_id, organization_id=org_id, quality=500))


def test_role_check_and_unique_membership(database: Database) -> None:
    with database.session_scope() as s:
        user = User(username=f"u{uuid.uuid4().hex[:8]}")
        org = Organization(name=f"o-{uuid.uuid4().hex[:8]}")
        s.add_all([user, org])
        s.flush()
        s.add(OrganizationMember(organization_id=org.id, user_id=user.id, role="member"))
    with pytest.raises(IntegrityError), database.session_scope() as s:
        s.add(OrganizationMember(organization_id=org.id, user_id=user.id, role="admin"))
    with pytest.raises(IntegrityError), database.session_scope() as s:
        other = User(username=f"u{uuid.uuid4().hex[:8]}")
        s.add(other)
        s.flush()
        s.add(OrganizationMember(organization_id=org.id, user_id=other.id, role="emperor"))


def test_shared_item_names_unique_but_org_items_may_reuse(database: Database) -> None:
    with database.session_scope() as s:
        org = Organization(name=f"o-{uuid.uuid4().hex[:8]}")
        s.add(org)
        s.flush()
        s.add(Item(name="Laranite", unit="scu"))
        s.add(Item(name="Laranite", unit="scu", organization_id=org.id))
    with pytest.raises(IntegrityError), database.session_scope() as s:
        s.add(Item(name="Laranite", unit="scu"))


def test_timestamps_are_timezone_aware(database: Database) -> None:
    with database.session_scope() as s:
        user = User(username=f"u{uuid.uuid4().hex[:8]}")
        s.add(user)
    with database.sessionmaker() as s:
        loaded = s.get(User, user.id)
        assert loaded is not None and loaded.created_at.tzinfo is not None
        # The server default works as well (raw insert without the ORM default).
        s.execute(
            text("INSERT INTO organizations (id, name) VALUES (:id, 'raw-org')"),
            {"id": uuid.uuid4().hex if s.bind.dialect.name == "sqlite" else str(uuid.uuid4())},
        )
        s.commit()

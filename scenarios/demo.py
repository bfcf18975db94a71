"""The demo organisation: ``scenarios/orgs/demo-org.yaml`` loaded into a database.

Used by ``quartermaster seed demo`` and ``serve --seed-demo`` (the composition root,
``api.cli``), the end-to-end test and the planning benchmark. Not part of the API: it stands
outside ``api/`` and uses the API's services where they own a rule (stock goes through
``api.stock.service``, so its rows and history are written as any member's adjust and share
would write them). Idempotent: every record is looked up by a natural key first.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.core.db import Database
from api.core.security import hash_password
from api.core.settings import Settings, get_settings
from api.items.catalogue import item_id_by_code
from api.reference import ensure_reference_data
from api.ships.service import known_capacity
from api.stock import service as stock
from models.accounts import User
from models.base import utc_now
from models.inventory import ItemStock, Location, Ship
from models.orgs import Organization, OrganizationMember
from models.planning import Blueprint, BlueprintIngredient, Goal, GoalTarget, ResourceSource

DEMO_FILE = Path(__file__).resolve().parent / "orgs" / "demo-org.yaml"
SEED_NOTE = "demo seed"


def seed_demo(
    database: Database, settings: Settings | None = None, path: Path = DEMO_FILE
) -> dict[str, str]:
    """Load the demo org from ``path`` in one transaction (idempotent).

    Returns the owner's ``{"username", "password"}`` for the CLI to print.
    """
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    settings = settings or get_settings()
    with database.session_scope() as session:
        ensure_reference_data(session)
        _DemoLoader(session, doc, settings).run()
    owner = next(m for m in doc["members"] if m["role"] == "owner")
    return {"username": owner["username"], "password": owner["password"]}


class _DemoLoader:
    """Looks every record up by a natural key before inserting it (so reruns are no-ops)."""

    def __init__(self, session: Session, doc: dict[str, Any], settings: Settings) -> None:
        self.s = session
        self.doc = doc
        self.settings = settings
        self.users: dict[str, User] = {}
        self.places: dict[str, uuid.UUID] = {}
        self.org: Organization | None = None

    @property
    def org_id(self) -> uuid.UUID:
        assert self.org is not None
        return self.org.id

    def run(self) -> None:
        self._org_and_members()
        self._locations()
        self._ships()
        self._stock()
        self._sources()
        self._blueprints()
        self._refining()
        self._goals()
        self.s.flush()

    def _place(self, ref: str) -> uuid.UUID:
        if ref in self.places:
            return self.places[ref]
        if ref.startswith("ship:"):
            raise KeyError(f"unknown ship {ref!r} in demo file")
        loc_id = self.s.scalar(select(Location.id).where(Location.code == ref))
        if loc_id is None:
            raise KeyError(f"unknown location {ref!r} in demo file")
        self.places[ref] = loc_id
        return loc_id

    def _org_and_members(self) -> None:
        spec = self.doc["org"]
        org = self.s.scalar(select(Organization).where(Organization.name == spec["name"]))
        if org is None:
            org = Organization(name=spec["name"], description=spec.get("description"))
            self.s.add(org)
            self.s.flush()
        self.org = org
        for m in self.doc["members"]:
            user = self.s.scalar(select(User).where(User.username == m["username"]))
            if user is None:
                password = m.get("password")
                user = User(
                    username=m["username"],
                    email=f"{m['username']}@demo.quartermaster.invalid",
                    display_name=m.get("display_name"),
                    password_hash=hash_password(password, self.settings) if password else None,
                )
                self.s.add(user)
                self.s.flush()
            self.users[m["username"]] = user
            member = self.s.scalar(
                select(OrganizationMember).where(
                    OrganizationMember.organization_id == org.id,
                    OrganizationMember.user_id == user.id,
                )
            )
            if member is None:
                self.s.add(
                    OrganizationMember(organization_id=org.id, user_id=user.id, role=m["role"])
                )
        if org.created_by is None:
            org.created_by = self.users[self.doc["members"][0]["username"]].id
        self.s.flush()

    def _location(
        self, spec: dict[str, Any], org_id: uuid.UUID | None, user_id: uuid.UUID | None
    ) -> None:
        parent_id = self._place(spec["parent"])
        loc = self.s.scalar(
            select(Location).where(
                Location.name == spec["name"],
                Location.parent_id == parent_id,
                Location.organization_id == org_id if org_id else Location.owner_user_id == user_id,
            )
        )
        if loc is None:
            trip = spec.get("trip_cost")
            loc = Location(
                name=spec["name"],
                kind=spec["kind"],
                parent_id=parent_id,
                organization_id=org_id,
                owner_user_id=user_id,
                trip_cost=Decimal(str(trip)) if trip is not None else None,
                meta={},
            )
            self.s.add(loc)
            self.s.flush()
        self.places[spec["key"]] = loc.id

    def _locations(self) -> None:
        for spec in self.doc.get("org_locations", []):
            self._location(spec, self.org_id, None)
        for spec in self.doc.get("personal_locations", []):
            self._location(spec, None, self.users[spec["owner"]].id)

    def _ships(self) -> None:
        for spec in self.doc.get("ships", []):
            user_id = self.users[spec["owner"]].id if spec.get("owner") else None
            org_id = None if user_id else self.org_id
            owner_clause = (
                Ship.owner_user_id == user_id if user_id else Ship.organization_id == org_id
            )
            ship = self.s.scalar(select(Ship).where(Ship.name == spec["name"], owner_clause))
            if ship is None:
                at = self._place(spec["at"])
                grid = Location(
                    name=f"{spec['name']} cargo grid",
                    kind="ship_cargo",
                    parent_id=at,
                    organization_id=org_id,
                    owner_user_id=user_id,
                    meta={},
                )
                self.s.add(grid)
                self.s.flush()
                capacity = spec.get("cargo_capacity_scu") or known_capacity(spec["ship_type"])
                ship = Ship(
                    name=spec["name"],
                    ship_type=spec["ship_type"],
                    cargo_capacity_scu=Decimal(str(capacity or 0)),
                    organization_id=org_id,
                    owner_user_id=user_id,
                    cargo_location_id=grid.id,
                    current_location_id=at,
                )
                self.s.add(ship)
                self.s.flush()
                grid.meta = {"ship_id": str(ship.id)}
            self.places[f"ship:{spec['name']}"] = ship.cargo_location_id

    def _stock(self) -> None:
        # Through the stock service, as a member's adjust and share would be: the same checks
        # (the location must be usable by the row's owner) and history rows as any change.
        for spec in self.doc.get("stock", []):
            item_id = item_id_by_code(self.s, spec["item"])
            location_id = self._place(spec["at"])
            quality = int(spec.get("quality", 0))
            owner = spec.get("owner", "org")
            user_id = None if owner == "org" else self.users[owner].id
            if self._held(item_id, location_id, quality, user_id):
                continue
            actor = user_id or self.users[self.doc["members"][0]["username"]].id
            change = stock.adjust_stock(
                self.s, org_id=self.org_id, actor_id=actor, item_id=item_id,
                location_id=location_id, quality=quality,
                delta=Decimal(str(spec["quantity"])), owner_user_id=user_id, note=SEED_NOTE,
            )
            if spec.get("shared") and user_id is not None:
                stock.share_stock(self.s, org_id=self.org_id, user_id=user_id,
                                  stock_id=change.stock.id)

    def _held(self, item_id: uuid.UUID, location_id: uuid.UUID, quality: int,
              user_id: uuid.UUID | None) -> bool:
        """Whether the row is there already (a rerun leaves it as it is)."""
        owner = (ItemStock.owner_user_id == user_id if user_id
                 else ItemStock.organization_id == self.org_id)
        return self.s.scalar(select(ItemStock.id).where(
            ItemStock.item_id == item_id, ItemStock.location_id == location_id,
            ItemStock.quality == quality, owner)) is not None

    def _sources(self) -> None:
        now = utc_now()
        for spec in self.doc.get("sources", []):
            item_id = item_id_by_code(self.s, spec["item"])
            location_id = self._place(spec["at"])
            quality = int(spec.get("quality", 0))
            exists = self.s.scalar(
                select(ResourceSource.id).where(
                    ResourceSource.organization_id == self.org_id,
                    ResourceSource.item_id == item_id,
                    ResourceSource.location_id == location_id,
                    ResourceSource.holder_name == spec.get("holder"),
                    ResourceSource.quality == quality,
                )
            )
            if exists is not None:
                continue
            available = spec.get("available")
            lot_size = spec.get("lot_size")
            self.s.add(
                ResourceSource(
                    item_id=item_id,
                    location_id=location_id,
                    organization_id=self.org_id,
                    price=Decimal(str(spec["price"])),
                    available=Decimal(str(available)) if available is not None else None,
                    lot_size=Decimal(str(lot_size)) if lot_size is not None else None,
                    quality=quality,
                    holder_name=spec.get("holder"),
                    last_verified_at=now - timedelta(days=int(spec.get("verified_days_ago", 0))),
                    verified_by=self.users[self.doc["members"][0]["username"]].id,
                )
            )

    def _goals(self) -> None:
        # Keyed by (org, name): a rerun, or a goal the org has since completed or cancelled,
        # leaves the row alone.
        now = utc_now()
        for spec in self.doc.get("goals", []):
            exists = self.s.scalar(select(Goal.id).where(Goal.organization_id == self.org_id,
                                                         Goal.name == spec["name"]))
            if exists is not None:
                continue
            due = spec.get("due_in_days")
            author = self.users[spec.get("created_by", self.doc["members"][0]["username"])]
            goal = Goal(
                organization_id=self.org_id,
                name=spec["name"],
                description=spec.get("description"),
                due_at=now + timedelta(days=int(due)) if due is not None else None,
                status="active",
                created_by=author.id,
            )
            goal.targets = [
                GoalTarget(
                    item_id=item_id_by_code(self.s, t["item"]),
                    quantity=Decimal(str(t["quantity"])),
                    min_quality=int(t.get("min_quality", 0)),
                )
                for t in spec["targets"]
            ]
            self.s.add(goal)

    def _blueprint(
        self,
        code: str,
        name: str,
        kind: str,
        output: uuid.UUID,
        output_quantity: Decimal,
        minutes: Decimal,
        run_cost: Decimal,
        org_id: uuid.UUID | None,
        ingredients: list[tuple[uuid.UUID, Decimal, int]],
    ) -> None:
        if self.s.scalar(select(Blueprint.id).where(Blueprint.code == code)) is not None:
            return
        bp = Blueprint(
            code=code,
            name=name,
            kind=kind,
            output_item_id=output,
            output_quantity=output_quantity,
            minutes=minutes,
            run_cost=run_cost,
            organization_id=org_id,
        )
        bp.ingredients = [
            BlueprintIngredient(position=i, item_id=item, quantity=qty, min_quality=minq)
            for i, (item, qty, minq) in enumerate(ingredients)
        ]
        self.s.add(bp)
        self.s.flush()

    def _blueprints(self) -> None:
        for spec in self.doc.get("blueprints", []):
            self._blueprint(
                spec["code"],
                spec["name"],
                "craft",
                item_id_by_code(self.s, spec["output"]),
                Decimal(str(spec.get("output_quantity", 1))),
                Decimal(str(spec["minutes"])),
                Decimal(str(spec.get("run_cost", 0))),
                self.org_id,
                [
                    (
                        item_id_by_code(self.s, ing["item"]),
                        Decimal(str(ing["quantity"])),
                        int(ing.get("min_quality", 0)),
                    )
                    for ing in spec["ingredients"]
                ],
            )

    def _refining(self) -> None:
        spec = self.doc.get("refining")
        if not spec:
            return
        batch = Decimal(str(spec["batch_scu"]))
        for ore in spec["ores"]:
            ore_id = item_id_by_code(self.s, f"ore.{ore}")
            refined_id = item_id_by_code(self.s, f"refined.{ore}")
            for method in spec["methods"]:
                slug = method["name"].lower().replace(" ", "-")
                self._blueprint(
                    f"refine.{ore}.{slug}",
                    f"Refine {ore.capitalize()} ({method['name']})",
                    "refine",
                    refined_id,
                    batch * Decimal(str(method["yield"])),
                    Decimal(str(method["time"])) * Decimal(str(spec["minutes_per_time_unit"])),
                    Decimal(str(method["cost"])) * Decimal(str(spec["cost_per_cost_unit"])),
                    None,
                    [(ore_id, batch, 0)],
                )

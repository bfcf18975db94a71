"""Two organisations full of real records, built through the API, for the QA suites.

``build_world`` makes org A and org B (each with an owner, a member, nested locations, items
with aliases, a ship, stock, a reservation, a member's shared personal stock, a blueprint, a
goal, a market listing with a vote, a queued plan and a personal access token) plus an
outsider who belongs to no org. Every name carries the org's unique ``tag`` so a leak of B's
data into a response is found by searching for the tag and B's ids.
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, text

import models
from api.app import create_app
from api.core.db import Database
from api.core.settings import Settings
from models.inventory import Location

API = "/api/v1"


class RecordingJobs:
    """A job dispatcher that only records: no solver runs inside the QA suites."""

    def __init__(self) -> None:
        self.plans: list[uuid.UUID] = []
        self.variants: list[uuid.UUID] = []
        self.imports: list[uuid.UUID] = []
        self.emails: list[uuid.UUID] = []

    def enqueue_plan(self, plan_id: uuid.UUID) -> None:
        """Record a plan solve."""
        self.plans.append(plan_id)

    def enqueue_variants(self, variant_ids: Sequence[uuid.UUID]) -> None:
        """Record what-if variant solves."""
        self.variants.extend(variant_ids)

    def enqueue_import(self, job_id: uuid.UUID) -> None:
        """Record a background import."""
        self.imports.append(job_id)

    def enqueue_email(self, email_id: uuid.UUID) -> None:
        """Record a stored email's send."""
        self.emails.append(email_id)


def qa_app(settings: Settings, database: Database | None) -> FastAPI:
    """The real app (every router) with a recording job dispatcher."""
    jobs = RecordingJobs()
    kwargs: dict[str, Any] = {}
    if "jobs" in inspect.signature(create_app).parameters:
        kwargs["jobs"] = jobs
    # Webhook endpoints of the world point at this machine (never called: jobs are recorded).
    settings = settings.model_copy(update={"webhook_allow_hosts": ["127.0.0.1"]})
    app = create_app(settings, database, **kwargs)
    app.state.jobs = jobs
    return app


@dataclass
class OrgData:
    """One org's records (ids as strings) and the users who made them."""

    tag: str
    org_id: str
    owner: Any  # TestUser
    member: Any  # TestUser
    ids: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, key: str) -> str:
        return self.ids[key]

    def secrets(self) -> set[str]:
        """Strings that must never reach another org's caller: ids, names, usernames."""
        values = {self.tag, self.org_id, str(self.owner.id), str(self.member.id)}
        values |= {self.owner.user.username, self.member.user.username}
        return values | set(self.ids.values())


@dataclass
class World:
    """Org A (the caller's), org B (the victim), a shared station and an outsider."""

    a: OrgData
    b: OrgData
    outsider: Any
    station: str
    system: str


def _ok(resp: Any, *expected: int) -> Any:
    assert resp.status_code in expected, (resp.request.method, resp.request.url, resp.text)
    return resp.json() if resp.content else None


def seed_org(
    client: TestClient, owner: Any, member: Any, org_id: str, station: str, tag: str
) -> OrgData:
    """Fill one org with records through its HTTP API (owner and member act)."""
    d = OrgData(tag=tag, org_id=org_id, owner=owner, member=member)
    o = f"{API}/orgs/{org_id}"
    h, mh = owner.headers, member.headers

    def post(url: str, body: Any, headers: dict[str, str] = h, status: int = 201) -> Any:
        return _ok(client.post(url, json=body, headers=headers), status, 200)

    d.ids["location_id"] = post(
        f"{o}/locations", {"name": f"{tag} hangar", "kind": "hangar", "parent_id": station}
    )["id"]
    d.ids["storage_id"] = post(
        f"{o}/locations", {"name": f"{tag} storage", "kind": "storage",
                           "parent_id": d["location_id"]}
    )["id"]
    item = post(f"{o}/items", {"name": f"{tag} alloy", "aliases": [f"{tag} alias"]})
    d.ids["item_id"] = item["id"]
    d.ids["alias_id"] = item["aliases"][0]["id"]
    d.ids["ore_id"] = post(f"{o}/items", {"name": f"{tag} ore", "unit": "scu"})["id"]
    ship = post(f"{o}/ships", {"name": f"{tag} ship", "ship_type": "C2 Hercules",
                               "current_location_id": d["location_id"]})
    d.ids["ship_id"] = ship["id"]
    d.ids["cargo_id"] = ship["cargo_location_id"]
    d.ids["stock_id"] = post(
        f"{o}/stock/adjust", {"item_id": d["item_id"], "location_id": d["location_id"],
                              "quality": 500, "delta": "100", "note": f"{tag} note"}, status=200
    )["stock"]["id"]
    post(f"{o}/stock/adjust", {"item_id": d["ore_id"], "location_id": d["storage_id"],
                               "delta": "50"}, status=200)
    d.ids["reservation_id"] = post(
        f"{o}/stock/reservations",
        {"stock_id": d["stock_id"], "quantity": "5", "reason": f"{tag} reason"},
    )["id"]
    # A member's personal stock, shared with the org (member-tier supply).
    d.ids["personal_location_id"] = post(
        f"{API}/users/me/locations",
        {"name": f"{tag} personal", "kind": "hangar", "parent_id": station}, headers=mh,
    )["id"]
    d.ids["personal_stock_id"] = post(
        f"{o}/stock/adjust", {"item_id": d["ore_id"], "location_id": d["personal_location_id"],
                              "delta": "7", "owner": "me"}, headers=mh, status=200
    )["stock"]["id"]
    post(f"{o}/stock/{d['personal_stock_id']}/share", None, headers=mh, status=200)
    d.ids["personal_ship_id"] = post(
        f"{API}/users/me/ships", {"name": f"{tag} personal ship", "ship_type": "C2 Hercules"},
        headers=mh,
    )["id"]
    d.ids["blueprint_id"] = post(f"{o}/blueprints", {
        "name": f"{tag} blueprint", "output_item_id": d["item_id"], "output_quantity": 1,
        "ingredients": [{"item_id": d["ore_id"], "quantity": 2}],
    })["id"]
    d.ids["goal_id"] = post(f"{o}/goals", {
        "name": f"{tag} goal", "targets": [{"item_id": d["item_id"], "quantity": 3}],
    })["id"]
    d.ids["watch_id"] = post(f"{o}/stock-watches", {"item_id": d["item_id"], "threshold": 1})["id"]
    d.ids["source_id"] = post(f"{o}/sources", {
        "item_id": d["ore_id"], "location_id": station, "price": 10,
        "holder_name": f"{tag} holder",
    })["id"]
    post(f"{o}/sources/{d['source_id']}/votes", {"accurate": True}, headers=mh)
    d.ids["plan_id"] = post(f"{o}/plans", {
        "name": f"{tag} plan", "demands": [{"item_id": d["item_id"], "quantity": 1}],
        "delivery_location_id": d["location_id"],
    }, status=202)["id"]
    crafts = client.post(f"{o}/crafts", json={
        "blueprint_id": d["blueprint_id"], "runs": 1, "location_id": d["storage_id"]}, headers=h)
    if crafts.status_code != 404:  # the crafts router exists (it is being written concurrently)
        d.ids["craft_id"] = _ok(crafts, 201)["id"]
        post(f"{o}/crafts/{d['craft_id']}/start", None, status=200)
    # The plan's outcome notified its requester (the owner): a notification of this org's
    # owner, for the notification routes' foreign-id cases.
    notes = _ok(client.get(f"{API}/users/me/notifications", headers=h), 200)["items"]
    d.ids["notification_id"] = notes[0]["id"]
    d.ids["webhook_id"] = post(f"{o}/webhooks", {
        "name": f"{tag} hook", "url": "http://127.0.0.1:9/qa", "events": ["plan.done"]})["id"]
    d.ids["delivery_id"] = post(f"{o}/webhooks/{d['webhook_id']}/test", None, status=202)["id"]
    # A background import (queued: the QA app records jobs instead of running them).
    d.ids["import_job_id"] = _ok(client.post(
        f"{o}/imports", params={"kind": "items", "apply": "true", "background": "true"},
        files={"file": ("items.csv", f"name\n{tag} imported\n".encode())}, headers=h,
    ), 202)["id"]
    d.ids["invitation_id"] = post(
        f"{o}/invitations", {"email": f"guest-{uuid.uuid4().hex[:8]}@example.test"}
    )["id"]
    d.ids["token_id"] = post(
        f"{API}/users/me/tokens", {"name": f"{tag} pat", "scopes": ["inventory:read"]},
        headers=mh,
    )["id"]
    return d


def build_world(
    client: TestClient,
    database: Database,
    make_user: Callable[..., Any],
    make_org: Callable[..., Any],
    letters: str = "ab",
) -> World:
    """Org A and org B with their records, a shared universe station and an outsider.

    ``letters="a"`` builds org A only (``world.b`` is then org A too): for callers that need
    one org full of data and not the attacker/victim pair.
    """
    with database.session_scope() as s:
        system = Location(name=f"QA system {uuid.uuid4().hex[:6]}", kind="system")
        s.add(system)
        s.flush()
        station = Location(name="QA station", kind="station", parent_id=system.id)
        s.add(station)
        s.flush()
        system_id, station_id = str(system.id), str(station.id)
    orgs = []
    for letter in letters:
        tag = f"QA{letter.upper()}{uuid.uuid4().hex[:8]}"
        owner = make_user(f"{tag.lower()}_owner")
        member = make_user(f"{tag.lower()}_member")
        org = make_org(owner, name=f"{tag} org", members={member: "member"})
        orgs.append(seed_org(client, owner, member, str(org.id), station_id, tag))
    outsider = make_user()
    return World(a=orgs[0], b=orgs[-1], outsider=outsider, station=station_id, system=system_id)


def snapshot(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (sorted): equal snapshots mean nothing changed."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with database.engine.connect() as conn:
        for table in models.Base.metadata.sorted_tables:
            rows = conn.execute(select(table)).all()
            out[table.name] = sorted(tuple(map(repr, r)) for r in rows)
    return out


def row_counts(database: Database) -> dict[str, int]:
    """Row count of every table."""
    with database.engine.connect() as conn:
        return {
            t.name: int(conn.execute(text(f'SELECT count(*) FROM "{t.name}"')).scalar_one())
            for t in models.Base.metadata.sorted_tables
        }


def diff_snapshots(
    before: dict[str, list[tuple[Any, ...]]], after: dict[str, list[tuple[Any, ...]]]
) -> list[str]:
    """Names of the tables whose rows differ, with a hint of what changed."""
    changed = []
    for name, rows in before.items():
        if rows != after.get(name):
            added = set(after.get(name, [])) - set(rows)
            removed = set(rows) - set(after.get(name, []))
            changed.append(f"{name}: +{len(added)} -{len(removed)} {sorted(added)[:1]}")
    return changed

"""Load a planning problem (e.g. ``engine.generate.generate("org", seed)``) into the database as
one org's data, so the plan service snapshots it back (benchmarks/planning_load.py).

Mapping (problem record → rows):

* a new org, an owner user, one member user per member-tier ``holder`` (role ``member``);
* items → org-private ``items`` (name, unit, ``volume_scu`` for pieces);
* locations → org-owned ``locations`` with the same tree (``parent_id``) and ``trip_cost``
  (kind ``system``/``planet``/``station``, ``hangar`` for the delivery location);
* blueprints → org ``blueprints`` (kind ``refine`` for ``refine-*`` ids) with ingredient rows;
* own sources → org ``item_stocks`` rows; member sources → the holder's rows shared with the
  org; each with its ``add`` history row (the stock rule: every change has its history).
  Rows are unique per (item, location, quality, owner), so duplicates are merged (summed);
* market sources → ``resource_sources`` (price, available or NULL = unlimited, lot size,
  quality, holder name) and up to three same-day votes per listing from members, chosen so
  that the derived reliability ``(4 + accurate) / (5 + votes)`` is the nearest to the problem's;
* demands → the plan request's explicit ``demands``; the policy → request overrides.

What the schema cannot hold is reported in :attr:`LoadedProblem.notes`, and
:attr:`LoadedProblem.expected` is the problem as the service will see it (reliabilities as
derived, member tier at reliability 1, duplicates merged), in the problem's own ids: solving
it directly must give the service's objective.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from engine.problem import Problem, Tier, parse_problem
from models.accounts import User
from models.inventory import Item, ItemHistory, ItemStock, Location
from models.orgs import Organization, OrganizationMember
from models.planning import Blueprint, BlueprintIngredient, ResourceSource, SourceVerification

# Votes per listing (accurate, inaccurate) we may cast to approximate a reliability; the
# service's prior is Beta(4, 1), so (4 + a) / (5 + a + i).
VOTE_CHOICES: tuple[tuple[int, int], ...] = tuple(
    (a, i) for a in range(4) for i in range(4) if a + i <= 3)
LOAD_NOTE = "benchmark load"


def derived_reliability(accurate: int, inaccurate: int) -> float:
    """The service's reliability for fresh votes (weight 1): Beta(4, 1) prior updated."""
    return (4 + accurate) / (5 + accurate + inaccurate)


def votes_for(reliability: float) -> tuple[int, int]:
    """(accurate, inaccurate) same-day votes whose derived reliability is nearest."""
    return min(VOTE_CHOICES, key=lambda c: (abs(derived_reliability(*c) - reliability),
                                             sum(c)))


@dataclass
class LoadedProblem:
    """What the loader wrote and what the benchmark needs to drive the service."""

    org_id: uuid.UUID
    owner_id: uuid.UUID
    delivery_location_id: uuid.UUID
    items: dict[str, uuid.UUID]
    locations: dict[str, uuid.UUID]
    blueprints: dict[str, uuid.UUID]
    usernames: dict[str, str]  # problem holder -> username (member tier)
    snapshot_ids: dict[str, str]  # problem source id -> service snapshot id
    request: dict[str, Any]  # body of POST /orgs/{org}/plans
    expected: Problem
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _dec(value: float) -> Decimal:
    return Decimal(str(value))


def _kind(problem: Problem, location_id: str, depth: dict[str, int]) -> str:
    if location_id == problem.policy.delivery_location:
        return "hangar"
    return {0: "system", 1: "planet"}.get(depth[location_id], "station")


def load_problem(session: Session, problem: Problem, *, prefix: str = "pb",
                 time_limit: float = 30.0) -> LoadedProblem:
    """Write ``problem`` as a new org's data (flush only; the caller commits)."""
    now = datetime.now(UTC)
    org_id, owner_id = uuid.uuid4(), uuid.uuid4()
    tag = uuid.uuid4().hex[:6]
    notes: list[str] = []
    session.execute(insert(User), [{"id": owner_id, "username": f"{prefix}-owner-{tag}",
                                    "password_hash": "!"}])
    session.execute(insert(Organization), [{"id": org_id, "name": f"{problem.name} {tag}"[:100],
                                            "created_by": owner_id}])
    holders = sorted({s.holder or "?" for s in problem.sources if s.tier is Tier.MEMBER})
    users = {h: uuid.uuid4() for h in holders}
    usernames = {h: f"{prefix}-{h}-{tag}"[:64] for h in holders}
    if users:
        session.execute(insert(User), [{"id": users[h], "username": usernames[h],
                                        "password_hash": "!"} for h in holders])
    session.execute(insert(OrganizationMember), [
        {"id": uuid.uuid4(), "organization_id": org_id, "user_id": owner_id, "role": "owner"},
        *({"id": uuid.uuid4(), "organization_id": org_id, "user_id": users[h],
           "role": "member"} for h in holders)])

    # Locations: parents first (the tree's foreign key is checked row by row).
    parents = {loc.id: loc.parent for loc in problem.locations}
    depth: dict[str, int] = {}
    for loc in problem.locations:
        d, cur = 0, loc.parent
        while cur is not None:
            d, cur = d + 1, parents.get(cur)
        depth[loc.id] = d
    locations = {loc.id: uuid.uuid4() for loc in problem.locations}
    for loc in sorted(problem.locations, key=lambda x: depth[x.id]):
        session.execute(insert(Location), [{
            "id": locations[loc.id], "name": loc.name or loc.id,
            "kind": _kind(problem, loc.id, depth),
            "parent_id": locations[loc.parent] if loc.parent else None,
            "organization_id": org_id,
            "trip_cost": _dec(loc.trip_cost) if loc.trip_cost is not None else None,
            "meta": {"problem_id": loc.id}}])

    items = {i.id: uuid.uuid4() for i in problem.items}
    session.execute(insert(Item), [{
        "id": items[i.id], "name": i.name or i.id, "unit": i.unit.value,
        "volume_scu": _dec(i.volume_scu) if i.volume_scu is not None else None,
        "category": "benchmark", "organization_id": org_id,
        "meta": {"problem_id": i.id}} for i in problem.items])

    blueprints = {b.id: uuid.uuid4() for b in problem.blueprints}
    session.execute(insert(Blueprint), [{
        "id": blueprints[b.id], "name": (b.name or b.id)[:200],
        "kind": "refine" if b.id.startswith("refine-") else "craft",
        "output_item_id": items[b.output.item], "output_quantity": _dec(b.output.quantity),
        "minutes": _dec(b.minutes), "run_cost": _dec(b.run_cost),
        "organization_id": org_id, "created_by": owner_id} for b in problem.blueprints])
    ingredients = [{"id": uuid.uuid4(), "blueprint_id": blueprints[b.id], "position": k,
                    "item_id": items[ing.item], "quantity": _dec(ing.quantity),
                    "min_quality": ing.min_quality}
                   for b in problem.blueprints for k, ing in enumerate(b.ingredients)]
    if ingredients:
        session.execute(insert(BlueprintIngredient), ingredients)

    # Stock: one row per (item, location, quality, owner); duplicates in the problem merge.
    stock: dict[tuple[str, str, int, str | None], dict[str, Any]] = {}
    snapshot_ids: dict[str, str] = {}
    merged_into: dict[str, str] = {}  # problem source id -> first source id of its row
    listings: list[dict[str, Any]] = []
    votes: list[dict[str, Any]] = []
    reliability: dict[str, float] = {}
    voters = [owner_id, *users.values()]
    for src in problem.sources:
        quality = src.effective_quality
        if src.tier is Tier.MARKET:
            listing_id = uuid.uuid4()
            snapshot_ids[src.id] = f"market:{listing_id}"
            listings.append({
                "id": listing_id, "item_id": items[src.item],
                "location_id": locations[src.location], "organization_id": org_id,
                "price": _dec(src.unit_price or 0.0),
                "available": _dec(src.available) if src.available is not None else None,
                "lot_size": _dec(src.lot_size) if src.lot_size is not None else None,
                "quality": quality, "holder_name": src.holder, "last_verified_at": now,
                "verified_by": owner_id, "created_by": owner_id})
            good, bad = votes_for(src.reliability)
            reliability[src.id] = derived_reliability(good, bad)
            for k in range(good + bad):
                votes.append({"id": uuid.uuid4(), "source_id": listing_id,
                              "user_id": voters[k % len(voters)], "was_accurate": k < good,
                              "day": now.date(), "created_at": now, "note": LOAD_NOTE})
            continue
        holder = src.holder if src.tier is Tier.MEMBER else None
        key = (src.item, src.location, quality, holder)
        row = stock.get(key)
        if row is None:
            row = stock[key] = {
                "id": uuid.uuid4(), "item_id": items[src.item],
                "location_id": locations[src.location], "quality": quality,
                "organization_id": org_id if holder is None else None,
                "owner_user_id": users[holder] if holder is not None else None,
                "shared_with_org_id": org_id if holder is not None else None,
                "quantity": Decimal(0), "reserved": Decimal(0), "first": src.id}
        row["quantity"] += _dec(src.available if src.available is not None else 0.0)
        merged_into[src.id] = row["first"]
        snapshot_ids[src.id] = f"{src.tier.value}:{row['id']}"
        if src.available is None:
            notes.append(f"{src.id}: stock without 'available' (unlimited) stored as 0")
    rows = [{k: v for k, v in r.items() if k != "first"} for r in stock.values()]
    if rows:
        session.execute(insert(ItemStock), rows)
        session.execute(insert(ItemHistory), [{
            "id": uuid.uuid4(), "stock_id": r["id"], "item_id": r["item_id"],
            "location_id": r["location_id"], "quality": r["quality"], "delta": r["quantity"],
            "kind": "add", "organization_id": r["organization_id"],
            "owner_user_id": r["owner_user_id"], "note": LOAD_NOTE} for r in rows])
    if listings:
        session.execute(insert(ResourceSource), listings)
    if votes:
        session.execute(insert(SourceVerification), votes)
    session.flush()

    off = sum(1 for s in problem.sources if s.tier is Tier.MARKET
              and abs(reliability[s.id] - s.reliability) > 1e-9)
    if off:
        notes.append(f"{off} market reliabilities are approximated by votes (derived "
                     "(4 + accurate) / (5 + votes), at most 3 votes per listing)")
    members = sum(1 for s in problem.sources if s.tier is Tier.MEMBER and s.reliability != 1)
    if members:
        notes.append(f"{members} member-tier sources carry a reliability: the service "
                     "snapshots member stock without one (1.0)")
    merged = len(merged_into) - len(stock)
    if merged:
        notes.append(f"{merged} own/member sources share (item, location, quality, holder) "
                     "with another and were merged into one stock row")

    expected = _expected(problem, stock, merged_into, reliability, usernames)
    policy = problem.policy
    request: dict[str, Any] = {
        "name": problem.name[:200],
        "demands": [{"item_id": str(items[d.item]), "quantity": d.quantity,
                     "min_quality": d.min_quality} for d in problem.demands],
        "delivery_location_id": str(locations[policy.delivery_location]),
        "policy": {"ship_capacity_scu": policy.ship_capacity_scu,
                   "member_unit_cost": policy.member_unit_cost,
                   "reliability_weight": policy.reliability_weight,
                   "default_trip_cost": policy.default_trip_cost,
                   "shortfall_penalty": policy.shortfall_penalty,
                   "strict_priority": policy.strict_priority},
        "time_limit": time_limit}
    counts = {"items": len(items), "locations": len(locations), "blueprints": len(blueprints),
              "ingredients": len(ingredients), "own_rows": sum(
                  1 for r in rows if r["organization_id"] is not None),
              "member_rows": sum(1 for r in rows if r["owner_user_id"] is not None),
              "listings": len(listings), "votes": len(votes), "members": len(users) + 1,
              "demands": len(problem.demands)}
    return LoadedProblem(
        org_id=org_id, owner_id=owner_id,
        delivery_location_id=locations[policy.delivery_location], items=items,
        locations=locations, blueprints=blueprints, usernames=usernames,
        snapshot_ids=snapshot_ids, request=request, expected=expected, counts=counts,
        notes=notes)


def _expected(problem: Problem, stock: dict[tuple[str, str, int, str | None], dict[str, Any]],
              merged_into: dict[str, str], reliability: dict[str, float],
              usernames: dict[str, str]) -> Problem:
    """The problem as the service will snapshot it, in the problem's own ids."""
    doc = problem.to_document()
    sources: list[dict[str, Any]] = []
    totals = {r["first"]: float(r["quantity"]) for r in stock.values()}
    for src in doc["sources"]:
        if src["tier"] == "market":
            src = dict(src)
            src["reliability"] = reliability[src["id"]]
            src["quality"] = src.get("quality") or 0
            sources.append(src)
            continue
        if merged_into[src["id"]] != src["id"]:
            continue  # folded into the first source of its row
        src = {k: v for k, v in src.items() if k not in ("reliability", "holder")}
        src["available"] = totals[src["id"]]
        src["quality"] = src.get("quality") or 0
        holder = problem.source(src["id"]).holder
        if src["tier"] == "member" and holder is not None:
            src["holder"] = usernames[holder]
        sources.append(src)
    doc["sources"] = sources
    return parse_problem(doc)

"""Plan requests: snapshot the org's data as a planning problem, store it, queue the solve.

The snapshot follows ``quartermaster.problem/1``: org stock is tier ``own`` (available =
quantity − reserved), members' shared stock tier ``member`` (holder = username), market
listings tier ``market`` with their derived reliability, every blueprint the org can use,
the locations involved with their trip costs, and the ship's capacity as
``policy.ship_capacity_scu``. Ids in the problem are the database UUIDs (sources are prefixed
``own:``, ``member:``, ``market:``), so a plan maps straight back to rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from api.blueprints import repository as blueprints_repo
from api.blueprints.service import engine_blueprint
from api.core.db import after_commit
from api.core.errors import InvalidInput, NotFound
from api.goals import repository as goals_repo
from api.goals.service import compute_progress
from api.plans import repository
from api.plans.schemas import PlanRequestIn
from api.sources import repository as sources_repo
from api.sources.service import reliabilities
from engine import problem as ep
from models.planning import Plan

Enqueue = Callable[[uuid.UUID], None]


def _demands(session: Session, org_id: uuid.UUID, body: PlanRequestIn) -> list[dict[str, Any]]:
    demands: list[dict[str, Any]] = []
    if body.goal_ids:
        goals = {g.id: g for g in goals_repo.get_many(session, org_id, set(body.goal_ids))}
        for k, goal_id in enumerate(body.goal_ids):
            goal = goals.get(goal_id)
            if goal is None:
                raise InvalidInput("Unknown goal", field=f"goal_ids.{k}", record=f"goal/{goal_id}")
            if goal.status != "active":
                raise InvalidInput(f"Goal is {goal.status}", field=f"goal_ids.{k}",
                                   record=f"goal/{goal_id}")
        progress = compute_progress(session, list(goals.values()))
        for goal_id in dict.fromkeys(body.goal_ids):
            for n, line in enumerate(progress[goal_id].targets):
                # Output of crafts already running will arrive anyway; plan the rest. Own
                # stock is not subtracted: it is a supply the plan takes from.
                need = line.quantity - line.in_crafts
                if need > 1e-9:
                    demands.append({"id": f"goal:{goal_id}:{n}", "item": str(line.item_id),
                                    "quantity": need, "min_quality": line.min_quality})
    wanted = {d.item_id for d in body.demands}
    known = blueprints_repo.visible_item_ids(session, org_id, wanted)
    for k, d in enumerate(body.demands):
        if d.item_id not in known:
            raise InvalidInput("Unknown item", field=f"demands.{k}.item_id",
                               record=f"item/{d.item_id}")
        demands.append({"id": f"demand:{k}", "item": str(d.item_id), "quantity": d.quantity,
                        "min_quality": d.min_quality})
    return demands


def snapshot_problem(session: Session, org_id: uuid.UUID, user_id: uuid.UUID,
                     body: PlanRequestIn) -> ep.Problem:
    """Build and validate (engine.parse_problem) the problem for a plan request."""
    delivery = repository.visible_location(session, org_id, body.delivery_location_id)
    if delivery is None:
        raise InvalidInput("Unknown location", field="delivery_location_id",
                           record=f"location/{body.delivery_location_id}")
    policy: dict[str, Any] = {"delivery_location": str(delivery.id)}
    if body.ship_id is not None:
        ship = repository.usable_ship(session, org_id, user_id, body.ship_id)
        if ship is None:
            raise InvalidInput("Unknown ship", field="ship_id", record=f"ship/{body.ship_id}")
        if ship.cargo_capacity_scu > 0:
            policy["ship_capacity_scu"] = float(ship.cargo_capacity_scu)
    policy.update(body.policy.model_dump(exclude_none=True))

    demands = _demands(session, org_id, body)
    sources: list[dict[str, Any]] = []
    for row in repository.own_stock(session, org_id):
        sources.append({"id": f"own:{row.id}", "item": str(row.item_id),
                        "location": str(row.location_id), "tier": "own",
                        "available": float(row.quantity - row.reserved),
                        "quality": row.quality})
    for row, holder in repository.shared_member_stock(session, org_id):
        sources.append({"id": f"member:{row.id}", "item": str(row.item_id),
                        "location": str(row.location_id), "tier": "member", "holder": holder,
                        "available": float(row.quantity - row.reserved),
                        "quality": row.quality})
    listings = sources_repo.list_sources(session, org_id)
    trust = reliabilities(session, [s.id for s in listings])
    for src in listings:
        source: dict[str, Any] = {
            "id": f"market:{src.id}", "item": str(src.item_id),
            "location": str(src.location_id), "tier": "market",
            "unit_price": float(src.price), "quality": src.quality,
            "reliability": trust[src.id][0]}
        if src.available is not None:
            source["available"] = float(src.available)
        if src.holder_name:
            source["holder"] = src.holder_name
        sources.append(source)
    blueprints = [engine_blueprint(bp).model_dump(mode="json")
                  for bp in blueprints_repo.all_visible(session, org_id)]

    item_ids = {uuid.UUID(d["item"]) for d in demands} | {uuid.UUID(s["item"]) for s in sources}
    for bp in blueprints:
        item_ids.add(uuid.UUID(bp["output"]["item"]))
        item_ids.update(uuid.UUID(i["item"]) for i in bp["ingredients"])
    items = []
    for item in repository.items(session, org_id, item_ids):
        record: dict[str, Any] = {"id": str(item.id), "name": item.name, "unit": item.unit}
        if item.volume_scu is not None and item.volume_scu > 0:
            record["volume_scu"] = float(item.volume_scu)
        items.append(record)
    location_ids = {delivery.id} | {uuid.UUID(s["location"]) for s in sources}
    locations = []
    for loc in repository.locations(session, location_ids):
        record = {"id": str(loc.id), "name": loc.name}
        if loc.trip_cost is not None:
            record["trip_cost"] = float(loc.trip_cost)
        locations.append(record)

    document = {"format": ep.PROBLEM_FORMAT, "name": body.name or "plan request",
                "items": items, "locations": locations, "blueprints": blueprints,
                "sources": sources, "demands": demands, "policy": policy}
    try:
        return ep.parse_problem(document)
    except ep.ProblemValidationError as exc:
        first = exc.issues[0]
        raise InvalidInput(
            f"The org's data does not make a valid planning problem: {first}",
            field=first.field, record=f"{first.kind}/{first.record_id}",
            issues=[i.to_dict() for i in exc.issues[:50]],
        ) from exc


def request_plan(session: Session, org_id: uuid.UUID, user_id: uuid.UUID,
                 body: PlanRequestIn, enqueue: Enqueue) -> Plan:
    """Snapshot, store a ``queued`` plan and enqueue its solve once the transaction commits."""
    problem = snapshot_problem(session, org_id, user_id, body)
    plan = Plan(id=uuid.uuid4(), organization_id=org_id, status="queued",
                request=body.model_dump(mode="json"), problem=problem.to_document(),
                created_by=user_id)
    session.add(plan)
    session.flush()
    plan_id = plan.id
    after_commit(session, lambda: enqueue(plan_id))
    return plan


def get_plan(session: Session, org_id: uuid.UUID, plan_id: uuid.UUID) -> Plan:
    """One of the org's plans or 404."""
    plan = repository.get(session, org_id, plan_id)
    if plan is None:
        raise NotFound("plan", plan_id)
    return plan

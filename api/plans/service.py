"""Plan requests: snapshot the org's data as a planning problem, store it, queue the solve.

The snapshot follows ``quartermaster.problem/1``: org stock is tier ``own`` (available =
quantity − reserved), members' shared stock tier ``member`` (holder = username), market
listings tier ``market`` with their derived reliability (members' stock at the member's
``stock_reliability``, else the org's ``member_stock_reliability``), every blueprint the org
can use (refining blueprints continuous: a refinery job takes any quantity of ore), the
locations involved with their trip costs and their ``parent`` chains up to the root (so
what-if ``close_location`` on a station or planet reaches everything below it, and the
engine hauls a cargo grid with the station it is parked at and nothing inside the delivery
location), and the ship's capacity as ``policy.ship_capacity_scu``. Ids in the problem are
the database UUIDs (sources are prefixed ``own:``, ``member:``, ``market:``), so a plan maps
straight back to rows.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from api.blueprints import service as blueprint_service
from api.blueprints.service import engine_blueprint
from api.commons import service as commons
from api.core.errors import Conflict, InvalidInput, NotFound, TooManyRequests
from api.core.outputs import columns_of
from api.crafts.schemas import CraftIn
from api.crafts.service import create_craft
from api.goals import service as goal_service
from api.goals.service import compute_progress
from api.items import service as item_service
from api.live.hub import announce
from api.locations.service import MAX_DEPTH, PATH_SEPARATOR
from api.plans import repository
from api.plans.schemas import (
    AppliedCraft,
    AppliedReservation,
    ApplyOut,
    ItemName,
    PlaceName,
    PlanNames,
    PlanOut,
    PlanRequestIn,
    RefineryJob,
    ShoppingLine,
    SourceName,
    TripLine,
    VariantOut,
    WhatIfIn,
    WhatIfOut,
)
from api.sources import service as source_service
from api.sources.service import reliabilities
from api.stock import repository as stock_repo
from api.stock.service import reserve_stock
from engine import problem as ep
from engine.plan import parse_plan
from engine.whatif import WHATIF_FORMAT, WhatIfValidationError, apply_changes, parse_variants
from models.inventory import Location
from models.planning import Craft, JobStatus, Plan, PlanVariant

# Reads with no rule beyond tenant scoping, which the repository's statement owns: the
# router reaches them here, so it never imports the repository.
list_plans = repository.list_plans

# Enqueues are transactional (the request's ``Jobs``: an outbox row in this session), so they
# are called inside the transaction, not from an after-commit hook.
Enqueue = Callable[[uuid.UUID], None]
# Seconds a client is told to wait when its org is at a job cap: about one org-preset solve.
ADMISSION_RETRY_AFTER = 5


def _demands(session: Session, org_id: uuid.UUID, body: PlanRequestIn) -> list[dict[str, Any]]:
    demands: list[dict[str, Any]] = []
    if body.goal_ids:
        goals = {g.id: g for g in goal_service.get_many(session, org_id, set(body.goal_ids))}
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
    known = item_service.visible_ids(session, org_id, wanted)
    for k, d in enumerate(body.demands):
        if d.item_id not in known:
            raise InvalidInput("Unknown item", field=f"demands.{k}.item_id",
                               record=f"item/{d.item_id}")
        demands.append({"id": f"demand:{k}", "item": str(d.item_id), "quantity": d.quantity,
                        "min_quality": d.min_quality})
    return demands


def _locations(rows: Sequence[Location]) -> list[dict[str, Any]]:
    """Problem locations with their ``parent`` chains and their own trip costs.

    Every ancestor of a referenced location is in ``rows``. Transport goes by stops
    (planning-problem.md): the engine itself treats everything inside the delivery location as
    free and a location without a trip cost as travelling with the nearest ancestor that has
    one, so the tree is handed over as stored.
    """
    records: list[dict[str, Any]] = []
    for loc in rows:
        record: dict[str, Any] = {"id": str(loc.id), "name": loc.name,
                                  "parent": str(loc.parent_id) if loc.parent_id else None}
        if loc.trip_cost is not None:
            record["trip_cost"] = float(loc.trip_cost)
        records.append(record)
    return records


def snapshot_problem(session: Session, org_id: uuid.UUID, user_id: uuid.UUID,
                     body: PlanRequestIn, commons_info: dict[str, Any] | None = None
                     ) -> ep.Problem:
    """Build and validate (engine.parse_problem) the problem for a plan request.

    ``commons_info`` (when given) receives the public versions used and the public records
    left out because they conflict with the org's own data (:func:`api.commons.service.plannable`).
    """
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
    for row, holder, stock_trust in repository.shared_member_stock(session, org_id):
        sources.append({"id": f"member:{row.id}", "item": str(row.item_id),
                        "location": str(row.location_id), "tier": "member", "holder": holder,
                        "reliability": float(stock_trust),
                        "available": float(row.quantity - row.reserved),
                        "quality": row.quality})
    listings = source_service.all_sources(session, org_id)
    trust = reliabilities(session, [s.id for s in listings])
    for src in listings:
        source: dict[str, Any] = {
            "id": f"market:{src.id}", "item": str(src.item_id),
            "location": str(src.location_id), "tier": "market",
            "unit_price": float(src.price), "quality": src.quality,
            "reliability": trust[src.id][0]}
        if src.available is not None:
            source["available"] = float(src.available)
        if src.lot_size is not None:
            source["lot_size"] = float(src.lot_size)
        if src.holder_name:
            source["holder"] = src.holder_name
        sources.append(source)
    visible = blueprint_service.all_visible(session, org_id)
    usable, info = commons.plannable(session, org_id, visible)
    if commons_info is not None:
        commons_info.update(info)
    blueprints = [engine_blueprint(bp).model_dump(mode="json") for bp in usable]

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
    locations = _locations(repository.locations_with_ancestors(session, location_ids))

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


def _admit(session: Session, org_id: uuid.UUID, *, adding: int, cap: int,
           variants: bool) -> None:
    """429 when ``adding`` more jobs would put the org over its cap of queued/solving ones.

    Shared workers serve every org; without a cap one member can queue hundreds of long
    solves that the fair dispatch (``api.plans.tasks``) still has to carry.
    """
    repository.lock_org_for_jobs(session, org_id)
    active = (repository.count_active_variants if variants
              else repository.count_active_plans)(session, org_id)
    if active + adding > cap:
        what = "what-if variants" if variants else "plans"
        raise TooManyRequests(
            f"This organisation has {active} {what} queued or solving (at most {cap}); "
            "retry when some have finished",
            retry_after=ADMISSION_RETRY_AFTER,
            limit="whatif_max_active_per_org" if variants else "plan_max_active_per_org",
            active=active, max_active=cap)


_TIER_NAMES = {"own": "Org stock", "member": "Member stock", "market": "Market"}


def plan_names(problem: dict[str, Any] | None) -> PlanNames | None:
    """Names of the ids a plan uses, from its stored problem (a snapshot: the names as they
    were when the plan was made, with no query). Location paths follow the snapshot's parent
    links; a source reads as its holder (terminal or member) at the location's name."""
    if not problem:
        return None
    items = {i["id"]: ItemName(name=i.get("name") or i["id"], unit=i.get("unit", "scu"))
             for i in problem.get("items", [])}
    locs = {loc["id"]: loc for loc in problem.get("locations", [])}

    def path(loc_id: str) -> str:
        parts: list[str] = []
        node = locs.get(loc_id)
        while node is not None and len(parts) <= MAX_DEPTH:
            parts.append(node.get("name") or node["id"])
            node = locs.get(node.get("parent") or "")
        return PATH_SEPARATOR.join(reversed(parts))

    places = {lid: PlaceName(name=loc.get("name") or lid, path=path(lid))
              for lid, loc in locs.items()}
    sources = {}
    for src in problem.get("sources", []):
        place = places.get(src["location"])
        holder = src.get("holder") or _TIER_NAMES.get(src.get("tier", ""), src["id"])
        sources[src["id"]] = SourceName(
            name=f"{holder} @ {place.name}" if place else holder, tier=src.get("tier", ""),
            item_id=src["item"], location_id=src["location"])
    demands = {}
    for d in problem.get("demands", []):
        item = items.get(d["item"])
        demands[d["id"]] = f"{d['quantity']:g} {item.name if item else d['item']}"
    return PlanNames(
        items=items, locations=places, sources=sources,
        blueprints={bp["id"]: bp.get("name") or bp["id"] for bp in problem.get("blueprints", [])},
        demands=demands,
    )


def request_plan(session: Session, org_id: uuid.UUID, user_id: uuid.UUID,
                 body: PlanRequestIn, enqueue: Enqueue, *, max_active: int) -> Plan:
    """Snapshot, store a ``queued`` plan and enqueue its solve in the same transaction.

    429 when the org already has ``max_active`` plans queued or solving."""
    _admit(session, org_id, adding=1, cap=max_active, variants=False)
    commons_info: dict[str, Any] = {}
    problem = snapshot_problem(session, org_id, user_id, body, commons_info)
    plan = Plan(id=uuid.uuid4(), organization_id=org_id, status=JobStatus.QUEUED,
                request=body.model_dump(mode="json"), problem=problem.to_document(),
                commons=commons_info, created_by=user_id)
    session.add(plan)
    session.flush()
    enqueue(plan.id)
    return plan


def get_plan(session: Session, org_id: uuid.UUID, plan_id: uuid.UUID) -> Plan:
    """One of the org's plans or 404."""
    plan = repository.get(session, org_id, plan_id)
    if plan is None:
        raise NotFound("plan", plan_id)
    return plan


# Shortfall codes that reserved stock can be the cause of (the snapshot offers only
# quantity − reserved, so the engine cannot tell reserved stock from no stock).
_RESERVABLE = ("sources_exhausted", "no_source")


def explanation_view(session: Session, plan: Plan) -> dict[str, Any] | None:
    """The stored explanation; a raw shortage of an item with stock the org could draw on but
    that is reserved (by applied plans, crafts) now says so: code ``stock_reserved``.

    Read time, not solve time: what is reserved *now* is what a planner can act on. The stored
    document is never changed (a copy is returned when something is added).
    """
    explanation = plan.explanation
    if not explanation:
        return explanation
    short = [raw for dem in explanation.get("demands", []) for raw in dem.get("short_raw", [])
             if raw.get("code") in _RESERVABLE]
    ids = {_uuid(raw.get("item")) for raw in short} - {None}
    if not ids:
        return explanation
    reserved = repository.reserved_by_item(session, plan.organization_id,
                                           sorted(i for i in ids if i is not None))
    if not reserved:
        return explanation
    out = copy.deepcopy(explanation)
    for dem in out.get("demands", []):
        for raw in dem.get("short_raw", []):
            held = reserved.get(_uuid(raw.get("item")))  # type: ignore[arg-type]
            if raw.get("code") in _RESERVABLE and held:
                raw["code"] = "stock_reserved"
                raw["reason"] = (f"{raw.get('reason')}; {held.normalize():f} more is in stock "
                                 "but reserved (applied plans, crafts)")
    return out


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


# -- apply ---------------------------------------------------------------------------------------

_STEP = Decimal("0.000001")  # the Quantity column's scale


def _dec(value: float) -> Decimal:
    return Decimal(str(value)).quantize(_STEP)


def source_ref(source_id: str) -> tuple[str, uuid.UUID]:
    """Map a snapshot source id back to its row: ``own:<stock id>`` / ``member:<stock id>``
    are ``item_stocks`` rows, ``market:<listing id>`` a ``resource_sources`` row."""
    tier, _, raw = source_id.partition(":")
    if tier not in ("own", "member", "market"):
        raise ValueError(f"not a snapshot source id: {source_id!r}")
    return tier, uuid.UUID(raw)


def _refuse_changed_stock(plan_id: uuid.UUID, org_id: uuid.UUID, takes: dict[str, Decimal],
                          stock_ids: dict[str, uuid.UUID], locked: dict[uuid.UUID, Any],
                          snapshot: dict[str, Any]) -> None:
    """409 ``changes`` when a locked row the plan takes is gone, no longer serves the org, or
    has less available than the plan takes (compared with the plan's snapshot)."""
    changes: list[dict[str, Any]] = []
    for sid, stock_id in sorted(stock_ids.items()):
        src = snapshot[sid]
        row = locked.get(stock_id)
        serves = row is not None and (row.organization_id == org_id
                                      or row.shared_with_org_id == org_id)
        now = (row.quantity - row.reserved) if row is not None and serves else Decimal(0)
        if now < takes[sid]:
            changes.append({"source": sid, "stock_id": str(stock_id), "item_id": src.item,
                            "location_id": src.location,
                            "snapshot_available": src.available, "now_available": float(now),
                            "plan_takes": float(takes[sid]),
                            "reason": "gone" if row is None else
                            "no longer shared" if not serves else "less available"})
    if changes:
        raise Conflict(f"Stock changed since the plan was made ({len(changes)} row(s)); "
                       "request a new plan", plan_id=plan_id, changes=changes)


def _shopping_list(session: Session, problem: Any, takes: dict[str, Decimal],
                   snapshot: dict[str, Any]) -> list[ShoppingLine]:
    """The market takes of a plan with their expected cost, by source id."""
    market = {sid: source_ref(sid)[1] for sid in takes if sid.startswith("market:")}
    listings = repository.listings(session, set(market.values()))
    names = {i.id: i.name for i in problem.items}
    places = {loc.id: loc.name for loc in problem.locations}
    shopping: list[ShoppingLine] = []
    for sid, listing_id in sorted(market.items()):
        src = snapshot[sid]
        listing = listings.get(listing_id)
        price = src.unit_price or 0.0
        qty = float(takes[sid])
        shopping.append(ShoppingLine(
            item_id=uuid.UUID(src.item), item=names.get(src.item, src.item),
            listing_id=listing_id,
            terminal=(listing.holder_name if listing is not None else None) or src.holder,
            location_id=uuid.UUID(src.location), location=places.get(src.location, src.location),
            quantity=qty, unit_price=price, expected_cost=round(qty * price, 4)))
    return shopping


def apply_plan(session: Session, org_id: uuid.UUID, user_id: uuid.UUID,
               plan_id: uuid.UUID) -> ApplyOut:
    """Turn a done plan into planned crafts and reservations, in the caller's transaction.

    * Exactly once: ``plans.applied_at`` is set by a conditional UPDATE (409 the second time,
      409 for a plan that is not ``done``).
    * Every own/member row the plan takes is locked ``FOR UPDATE`` in id order, then compared
      with the snapshot: a row that is gone, no longer serves the org, or has less available
      than the plan takes refuses the apply with 409 ``changes`` (row, item, location,
      snapshot vs now). Two plans competing for the same units: the second waits on the lock,
      sees the first's reservations and is refused.
    * One craft (``planned``, linked to the plan) per plan craft line, at the delivery
      location. Each allocation from an own/member source becomes a reservation: for the
      craft whose ingredient it feeds (the craft's start uses it instead of reserving again),
      or for the plan (delivered directly to a demand / surplus).
    * Returns the shopping list (market takes with expected cost) and the trip list.
    """
    plan = get_plan(session, org_id, plan_id)
    if plan.status != JobStatus.DONE or plan.plan is None or plan.problem is None:
        raise Conflict(f"Only a done plan can be applied; this one is {plan.status}",
                       plan_id=plan.id, state=plan.status)
    if not repository.mark_applied(session, org_id, plan.id, user_id):
        raise Conflict("Plan was already applied", plan_id=plan.id,
                       applied_at=plan.applied_at.isoformat() if plan.applied_at else None)
    problem = ep.parse_problem(plan.problem)
    result = parse_plan(plan.plan)
    snapshot = {s.id: s for s in problem.sources}

    takes: dict[str, Decimal] = {}
    for take in result.takes:
        takes[take.source] = takes.get(take.source, Decimal(0)) + _dec(take.quantity)
    stock_ids = {sid: source_ref(sid)[1] for sid in takes if not sid.startswith("market:")}
    locked = stock_repo.lock_stocks(session, sorted(stock_ids.values())) if stock_ids else {}
    _refuse_changed_stock(plan.id, org_id, takes, stock_ids, locked, snapshot)

    delivery = uuid.UUID(problem.policy.delivery_location)
    crafts: dict[str, Craft] = {}
    jobs: list[RefineryJob] = []
    for line in result.crafts:
        if line.runs != int(line.runs):
            bp = problem.blueprint(line.blueprint)
            jobs.append(RefineryJob(blueprint_id=uuid.UUID(bp.id), runs=line.runs,
                                    output_item_id=uuid.UUID(bp.output.item),
                                    output_quantity=bp.output.quantity * line.runs))
            continue
        crafts[line.blueprint] = create_craft(
            session, org_id, user_id,
            CraftIn(blueprint_id=uuid.UUID(line.blueprint), runs=int(line.runs),
                    location_id=delivery), plan_id=plan.id)

    reservations: list[AppliedReservation] = []

    def reserve(sid: str, quantity: Decimal, craft: Craft | None, purpose: str) -> None:
        if quantity <= 0:
            return
        res = reserve_stock(session, org_id=org_id, actor_id=user_id, stock_id=stock_ids[sid],
                            quantity=quantity, reason=f"plan {plan.id}: {purpose}"[:200],
                            craft_id=craft.id if craft else None, plan_id=plan.id)
        reservations.append(AppliedReservation(
            id=res.id, stock_id=res.stock_id, source=sid, quantity=float(quantity),
            craft_id=res.craft_id, purpose=purpose))

    left = dict(takes)
    for alloc in result.allocations:
        origin = alloc.from_.source
        if origin is None or origin not in stock_ids:
            continue
        quantity = min(_dec(alloc.quantity), left[origin])
        left[origin] -= quantity
        if alloc.to.blueprint is not None:
            reserve(origin, quantity, crafts.get(alloc.to.blueprint),
                    f"ingredient {alloc.to.ingredient} of blueprint {alloc.to.blueprint}")
        else:
            reserve(origin, quantity, None, f"demand {alloc.to.demand}")
    for sid, rest in left.items():
        if sid in stock_ids:
            reserve(sid, rest, None, "surplus taken by the plan")

    shopping = _shopping_list(session, problem, takes, snapshot)
    places = {loc.id: loc.name for loc in problem.locations}
    trips = [TripLine(location_id=uuid.UUID(t.location),
                      location=places.get(t.location, t.location),
                      trips=t.trips, volume_scu=t.volume_scu) for t in result.trips]
    session.flush()
    announce(session, org_id, {"type": "plan.applied", "plan_id": str(plan.id),
                               "crafts": [str(c.id) for c in crafts.values()]})
    session.refresh(plan)
    assert plan.applied_at is not None
    return ApplyOut(
        plan_id=plan.id, applied_at=plan.applied_at,
        crafts=[AppliedCraft(id=c.id, blueprint_id=c.blueprint_id, runs=c.runs,
                             location_id=c.location_id) for c in crafts.values()],
        refinery_jobs=jobs, reservations=reservations, shopping_list=shopping,
        shopping_total=round(sum(s.expected_cost for s in shopping), 4), trips=trips)


# -- what-if -------------------------------------------------------------------------------------

EnqueueMany = Callable[[list[uuid.UUID]], None]


def request_variants(session: Session, org_id: uuid.UUID, plan_id: uuid.UUID, body: WhatIfIn,
                     enqueue: EnqueueMany, *, max_active: int) -> list[PlanVariant]:
    """Store what-if variants of a done plan and queue one solve message per variant.

    The change lists are checked against the stored problem first (``engine.whatif``), so a
    dangling reference is a 422 naming the variant and change, not a failed job later. 429
    when the batch would put the org over ``max_active`` variants queued or solving.
    """
    plan = get_plan(session, org_id, plan_id)
    _admit(session, org_id, adding=len(body.variants), cap=max_active, variants=True)
    if plan.status != JobStatus.DONE or plan.problem is None or plan.plan is None:
        raise Conflict(f"What-if needs a done plan; this one is {plan.status}",
                       plan_id=plan.id, state=plan.status)
    try:
        parsed = parse_variants({"format": WHATIF_FORMAT, "variants": [
            v.model_dump(exclude_none=True) for v in body.variants]})
        problem = ep.parse_problem(plan.problem)
        for variant in parsed.variants:
            apply_changes(problem, variant.changes, variant=variant.name)
    except WhatIfValidationError as exc:
        issues = [str(i) for i in exc.issues][:50]
        raise InvalidInput(f"Invalid variants: {issues[0] if issues else exc}",
                           field="variants", record=f"plan/{plan.id}", issues=issues) from exc
    taken = {v.name for v in repository.variants(session, org_id, plan.id)}
    for k, variant in enumerate(parsed.variants):
        if variant.name in taken:
            raise Conflict(f"Variant {variant.name!r} exists for this plan",
                           field=f"variants.{k}.name", plan_id=plan.id)
    # Store only the fields the caller gave (and the kind): the worker re-parses these, and an
    # explicit null means "set to null" (a set_policy would wipe every other policy field).
    rows = [PlanVariant(id=uuid.uuid4(), plan_id=plan.id, name=v.name, status=JobStatus.QUEUED,
                        changes=[{**c.model_dump(mode="json", exclude_unset=True), "kind": c.kind}
                                 for c in v.changes])
            for v in parsed.variants]
    session.add_all(rows)
    session.flush()
    enqueue([r.id for r in rows])
    return rows


def whatif_report(session: Session, org_id: uuid.UUID, plan_id: uuid.UUID) -> WhatIfOut:
    """The base plan's figures and every variant side by side (cost delta, changed lines)."""
    plan = get_plan(session, org_id, plan_id)
    out: list[VariantOut] = []
    for v in repository.variants(session, org_id, plan.id):
        r = v.result or {}
        out.append(VariantOut(
            id=v.id, name=v.name, status=v.status,
            changes=v.changes, objective=r.get("objective"),
            objective_delta=r.get("objective_delta"), cost_delta=r.get("cost_delta"),
            changed_lines=r.get("changes"), complete=r.get("complete"), plan=r.get("plan"),
            error=v.error))
    base = plan.plan or {}
    return WhatIfOut(plan_id=plan.id, base_objective=base.get("objective"),
                     base_costs=base.get("costs"), variants=out)


def plan_url(plan: Plan) -> str:
    """The plan's URL (its ``Location``)."""
    return f"/api/v1/orgs/{plan.organization_id}/plans/{plan.id}"


def to_out(plan: Plan, *, full: bool = True, session: Session | None = None) -> PlanOut:
    """The response model of a plan; ``full`` adds the plan body, its explanation (with the
    names ``session`` resolves) and the id -> name lookup, which list rows leave out."""
    commons = plan.commons or {}
    return PlanOut.model_validate({
        **columns_of(plan),
        "plan": plan.plan if full else None,
        "explanation": (
            (explanation_view(session, plan) if session is not None else plan.explanation)
            if full else None),
        "names": plan_names(plan.problem) if full else None,
        "warnings": commons.get("warnings", []),
        "commons_versions": commons.get("versions", {}),
        "problem_url": plan_url(plan) + "/problem",
    })

"""Craft rules: planned → in_progress → completed | cancelled, with partial completion.

Every function is one step of the caller's transaction (flush, never commit); stock changes
go through :mod:`api.stock.service`, which writes the history rows.

* **Start** reserves every ingredient for all runs against specific stock rows at or under
  the craft's location (the org's own or members' shared rows), quality ≥ the ingredient's
  ``min_quality``. Rows are locked ``FOR UPDATE`` in id order first (no deadlock between
  parallel starts), then taken lowest sufficient quality first (ties by id), so better
  material is saved and the choice is deterministic. A shortfall refuses the start (409
  ``insufficient-stock`` naming the item and the shortfall) and the transaction rolls back.
  Reservations a plan apply already made for the craft count and are not taken twice.
* **Complete k runs** consumes exactly ``k × per-run quantity`` of the craft's own
  reservations (whole reservations first; the one that straddles the boundary is split by
  release + two reserves + consume, all in this transaction, so the stock service's
  whole-reservation consume stays exact) and adds ``k × output`` at the craft's location.
  The last completion consumes whatever the craft still holds for the ingredient.
  Output quality = the lowest quality among the stock consumed by that completion (a craft
  is as good as its worst input); 0 for a blueprint without ingredients.
* **Cancel** releases whatever the craft still holds; completed runs stay done.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from api.blueprints import service as blueprint_service
from api.core.errors import Conflict, InsufficientStock, InvalidInput, NotFound
from api.crafts import repository as repo
from api.crafts.schemas import (
    CraftIn,
    CraftIngredientOut,
    CraftOut,
    CraftPatch,
    CraftReservationOut,
)
from api.goals.service import refresh_org_goals
from api.live.hub import announce
from api.names import service as names
from api.orgs.service import is_member
from api.stock import repository as stock_repo
from api.stock.service import (
    add_output,
    consume_reservation,
    release_reservation,
    reserve_stock,
)
from engine.quantity import format_quantity
from models.inventory import Item, ItemStock, StockReservation
from models.planning import Blueprint, Craft, CraftIngredient

# Reads with no rule beyond tenant scoping, which the repository's statement owns: the
# router reaches them here, so it never imports the repository.
list_crafts = repo.list_crafts


def _now() -> datetime:
    return datetime.now(UTC)


def get_craft(session: Session, org_id: uuid.UUID, craft_id: uuid.UUID) -> Craft:
    """One of the org's crafts or 404 (also for other orgs' crafts)."""
    craft = repo.get(session, org_id, craft_id)
    if craft is None:
        raise NotFound("craft", craft_id)
    return craft


def _require_member(session: Session, org_id: uuid.UUID, crafter_id: uuid.UUID | None) -> None:
    if crafter_id is not None and not is_member(session, org_id, crafter_id):
        raise InvalidInput("The crafter must be a member of the organisation",
                           field="crafter_id", record=f"user/{crafter_id}")


def update_craft(session: Session, org_id: uuid.UUID, craft_id: uuid.UUID,
                 data: CraftPatch) -> Craft:
    """Assign or clear the crafter (a member) and/or change the priority of an open craft."""
    craft = get_craft(session, org_id, craft_id)
    if craft.status in ("completed", "cancelled"):
        raise Conflict(f"A {craft.status} craft cannot be changed", craft_id=craft_id,
                       state=craft.status)
    if "crafter_id" in data.model_fields_set:
        _require_member(session, org_id, data.crafter_id)
        craft.crafter_id = data.crafter_id
    if data.priority is not None:
        craft.priority = data.priority
    session.flush()
    return craft


def create_craft(session: Session, org_id: uuid.UUID, user_id: uuid.UUID | None,
                 data: CraftIn, *, plan_id: uuid.UUID | None = None) -> Craft:
    """A ``planned`` craft of ``data.runs`` runs; ingredient needs are fixed now (runs ×
    the blueprint's per-run quantities) so a later blueprint edit cannot change them."""
    blueprint = blueprint_service.get_blueprint(session, org_id, data.blueprint_id)
    if repo.craft_location(session, org_id, data.location_id) is None:
        raise NotFound("location", data.location_id)
    _require_member(session, org_id, data.crafter_id)
    craft = Craft(id=uuid.uuid4(), blueprint_id=blueprint.id, organization_id=org_id,
                  runs=data.runs, status="planned", priority=data.priority,
                  location_id=data.location_id, requested_by=user_id, plan_id=plan_id,
                  crafter_id=data.crafter_id)
    craft.ingredients = [
        CraftIngredient(position=ing.position, item_id=ing.item_id, min_quality=ing.min_quality,
                        required_quantity=ing.quantity * data.runs,
                        reserved_quantity=Decimal(0), consumed_quantity=Decimal(0))
        for ing in blueprint.ingredients
    ]
    session.add(craft)
    session.flush()
    return craft


def _blueprint(session: Session, craft: Craft) -> Blueprint:
    blueprint = session.get(Blueprint, craft.blueprint_id)
    assert blueprint is not None  # FK ON DELETE RESTRICT
    return blueprint


def _sync_ingredients(session: Session, craft: Craft) -> None:
    """Recompute each ingredient's reserved/consumed from the reservations (the truth)."""
    held: dict[uuid.UUID, Decimal] = defaultdict(Decimal)
    used: dict[uuid.UUID, Decimal] = defaultdict(Decimal)
    for res, stock in repo.reservations(session, craft.organization_id, craft.id):
        if res.consumed_at is not None:
            used[stock.item_id] += res.quantity
        elif res.released_at is None:
            held[stock.item_id] += res.quantity
    # Ingredients of one item share the pool in position order.
    for ing in craft.ingredients:
        ing.consumed_quantity = min(used[ing.item_id], ing.required_quantity)
        used[ing.item_id] -= ing.consumed_quantity
        ing.reserved_quantity = min(held[ing.item_id],
                                    ing.required_quantity - ing.consumed_quantity)
        held[ing.item_id] -= ing.reserved_quantity
    session.flush()


def _publish(session: Session, craft: Craft, **extra: object) -> None:
    event: dict[str, object] = {"type": "craft.status", "craft_id": str(craft.id),
                                "status": craft.status, "runs": craft.runs,
                                "runs_completed": craft.runs_completed, **extra}
    announce(session, craft.organization_id, event)


def _item_name(session: Session, item_id: uuid.UUID) -> str:
    item = session.get(Item, item_id)
    return item.name if item is not None else str(item_id)


def start_craft(session: Session, org_id: uuid.UUID, actor_id: uuid.UUID | None,
                craft_id: uuid.UUID) -> Craft:
    """Reserve all runs' ingredients and move the craft to ``in_progress`` (see module doc)."""
    craft = get_craft(session, org_id, craft_id)
    if not repo.set_status(session, craft.id, expected=["planned"], status="in_progress",
                           started_at=_now()):
        raise Conflict(f"Craft is {craft.status}, only a planned craft can start",
                       craft_id=craft.id, state=craft.status)
    # What a plan apply already reserved for this craft counts first.
    held: dict[uuid.UUID, Decimal] = defaultdict(Decimal)
    for res, stock in repo.reservations(session, org_id, craft.id, active=True):
        held[stock.item_id] += res.quantity
    needs: list[tuple[CraftIngredient, Decimal]] = []
    for ing in craft.ingredients:
        covered = min(held[ing.item_id], ing.required_quantity)
        held[ing.item_id] -= covered
        if ing.required_quantity - covered > 0:
            needs.append((ing, ing.required_quantity - covered))
    candidates = repo.candidate_stock(session, org_id, craft.location_id,
                                      {ing.item_id for ing, _ in needs})
    # Lock in id order (deadlock-free against other starts), then read fresh quantities.
    locked = stock_repo.lock_stocks(session, [row.id for row in candidates]) if candidates else {}
    available = {sid: row.quantity - row.reserved for sid, row in locked.items()}
    for ing, need in needs:
        rows = sorted((r for r in locked.values()
                       if r.item_id == ing.item_id and r.quality >= ing.min_quality
                       and available[r.id] > 0), key=lambda r: (r.quality, r.id))
        total = sum((available[r.id] for r in rows), Decimal(0))
        if total < need:
            name = _item_name(session, ing.item_id)
            unit = stock_repo.item_unit(session, ing.item_id)
            need_text, total_text, short_text = (
                format_quantity(q, unit) for q in (need, total, need - total)
            )
            raise InsufficientStock(
                f"Not enough {name} (quality ≥ {ing.min_quality}) at the craft's location: "
                f"need {need_text}, {total_text} available, short {short_text}",
                item_id=ing.item_id, item=name, min_quality=ing.min_quality,
                location_id=craft.location_id, requested=need, available=total,
                shortfall=need - total)
        for row in rows:
            if need <= 0:
                break
            take = min(available[row.id], need)
            reserve_stock(session, org_id=org_id, actor_id=actor_id, stock_id=row.id,
                          quantity=take, reason=f"craft {craft.id}", craft_id=craft.id,
                          plan_id=craft.plan_id)
            available[row.id] -= take
            need -= take
    craft = get_craft(session, org_id, craft.id)
    _sync_ingredients(session, craft)
    _publish(session, craft)
    return craft


def _consume(session: Session, org_id: uuid.UUID, actor_id: uuid.UUID | None, craft: Craft,
             res: StockReservation, take: Decimal) -> StockReservation:
    """Consume ``take`` of ``res`` exactly: whole, or split (release, re-reserve the rest and
    the part, consume the part) inside this transaction. Returns the rest (or ``res``)."""
    if take >= res.quantity:
        consume_reservation(session, res.id, actor_id, org_id=org_id)
        return res
    release_reservation(session, res.id, actor_id, org_id=org_id)
    rest = reserve_stock(session, org_id=org_id, actor_id=actor_id, stock_id=res.stock_id,
                         quantity=res.quantity - take, reason=res.reason, craft_id=craft.id,
                         plan_id=res.plan_id)
    part = reserve_stock(session, org_id=org_id, actor_id=actor_id, stock_id=res.stock_id,
                         quantity=take, reason=res.reason, craft_id=craft.id,
                         plan_id=res.plan_id)
    consume_reservation(session, part.id, actor_id, org_id=org_id)
    return rest


def complete_craft(session: Session, org_id: uuid.UUID, actor_id: uuid.UUID | None,
                   craft_id: uuid.UUID, runs: int | None = None) -> Craft:
    """Complete ``runs`` more runs (default: all remaining) from the craft's reservations."""
    craft = get_craft(session, org_id, craft_id)
    if craft.status != "in_progress":
        raise Conflict(f"Craft is {craft.status}, only a craft in progress can complete",
                       craft_id=craft.id, state=craft.status)
    left = craft.runs - craft.runs_completed
    k = left if runs is None else runs
    if k > left:
        raise InvalidInput(f"Only {left} of {craft.runs} runs remain", field="runs",
                           record=f"craft/{craft.id}", remaining=left)
    if not repo.add_completed_runs(session, craft.id, k):
        raise Conflict("Craft changed meanwhile; read it again", craft_id=craft.id)
    final = craft.runs_completed + k == craft.runs
    blueprint = _blueprint(session, craft)
    per_run = {ing.position: ing.quantity for ing in blueprint.ingredients}
    pools: dict[uuid.UUID, list[tuple[StockReservation, ItemStock]]] = defaultdict(list)
    for res, stock in repo.reservations(session, org_id, craft.id, active=True):
        pools[stock.item_id].append((res, stock))
    quality: int | None = None
    for ing in craft.ingredients:
        want = (ing.required_quantity - ing.consumed_quantity) if final \
            else per_run.get(ing.position, ing.required_quantity / craft.runs) * k
        pool = pools[ing.item_id]
        while want > 0:
            if not pool:
                # Unreachable while start reserves everything; refuse rather than invent stock.
                raise Conflict(f"Craft holds too little {_item_name(session, ing.item_id)} "
                               f"to complete {k} runs", craft_id=craft.id,
                               item_id=ing.item_id, missing=want)
            res, stock = pool[0]
            take = min(want, res.quantity)
            rest = _consume(session, org_id, actor_id, craft, res, take)
            if rest is res:
                pool.pop(0)
            else:
                pool[0] = (rest, stock)
            quality = stock.quality if quality is None else min(quality, stock.quality)
            want -= take
    add_output(session, org_id=org_id, actor_id=actor_id, item_id=blueprint.output_item_id,
               location_id=craft.location_id, quality=quality or 0,
               quantity=blueprint.output_quantity * k, craft_id=craft.id, plan_id=craft.plan_id,
               note=f"craft {craft.id}: {k} run(s)")
    if final:
        repo.set_status(session, craft.id, expected=["in_progress"], status="completed",
                        completed_at=_now())
    craft = get_craft(session, org_id, craft.id)
    _sync_ingredients(session, craft)
    refresh_org_goals(session, org_id)
    _publish(session, craft, completed_runs=k)
    return craft


def cancel_craft(session: Session, org_id: uuid.UUID, actor_id: uuid.UUID | None,
                 craft_id: uuid.UUID) -> Craft:
    """Cancel a planned or running craft and release what it still holds."""
    craft = get_craft(session, org_id, craft_id)
    if not repo.set_status(session, craft.id, expected=["planned", "in_progress"],
                           status="cancelled", cancelled_at=_now()):
        raise Conflict(f"Craft is {craft.status}, it can no longer be cancelled",
                       craft_id=craft.id, state=craft.status)
    for res, _stock in repo.reservations(session, org_id, craft.id, active=True):
        release_reservation(session, res.id, actor_id, org_id=org_id)
    craft = get_craft(session, org_id, craft.id)
    _sync_ingredients(session, craft)
    refresh_org_goals(session, org_id)
    _publish(session, craft)
    return craft


def describe(session: Session, craft: Craft) -> CraftOut:
    """The response body: the craft, its ingredients and its reservations."""
    return describe_many(session, [craft])[0]


def describe_many(session: Session, crafts: list[Craft]) -> list[CraftOut]:
    """Response bodies of several crafts with their names (one name lookup for all)."""
    blueprints = {c.id: _blueprint(session, c) for c in crafts}
    held = {c.id: repo.reservations(session, c.organization_id, c.id) for c in crafts}
    found = names.resolve(
        session,
        items=[bp.output_item_id for bp in blueprints.values()]
        + [i.item_id for c in crafts for i in c.ingredients]
        + [stock.item_id for rows in held.values() for _, stock in rows],
        locations=[c.location_id for c in crafts]
        + [stock.location_id for rows in held.values() for _, stock in rows],
        people=[c.requested_by for c in crafts] + [c.crafter_id for c in crafts],
    )
    return [_describe(c, blueprints[c.id], held[c.id], found) for c in crafts]


def _describe(craft: Craft, blueprint: Blueprint,
              held: Sequence[tuple[StockReservation, ItemStock]], found: names.Names) -> CraftOut:
    minutes = blueprint.minutes * craft.runs
    reservations = []
    for res, stock in held:
        state = "consumed" if res.consumed_at else "released" if res.released_at else "active"
        reservations.append(CraftReservationOut(
            id=res.id, stock_id=stock.id, location_id=stock.location_id,
            location_name=found.location(stock.location_id),
            location_path=found.path(stock.location_id), quality=stock.quality,
            item_id=stock.item_id, item_name=found.item(stock.item_id),
            item_unit=found.unit(stock.item_id), quantity=res.quantity, state=state))
    return CraftOut(
        id=craft.id, organization_id=craft.organization_id, blueprint_id=craft.blueprint_id,
        blueprint_name=blueprint.name, output_item_id=blueprint.output_item_id,
        output_item_name=found.item(blueprint.output_item_id),
        output_item_unit=found.unit(blueprint.output_item_id),
        output_quantity_per_run=blueprint.output_quantity,
        runs=craft.runs, runs_completed=craft.runs_completed,
        status=craft.status,
        priority=craft.priority, location_id=craft.location_id,
        location_name=found.location(craft.location_id),
        location_path=found.path(craft.location_id), plan_id=craft.plan_id,
        requested_by=craft.requested_by, requested_by_name=found.person(craft.requested_by),
        crafter_id=craft.crafter_id, crafter_name=found.person(craft.crafter_id),
        minutes=minutes,
        eta=craft.started_at + timedelta(minutes=float(minutes))
        if craft.started_at is not None and craft.status == "in_progress" else None,
        created_at=craft.created_at,
        started_at=craft.started_at, completed_at=craft.completed_at,
        cancelled_at=craft.cancelled_at,
        ingredients=[CraftIngredientOut(
            item_id=i.item_id, item_name=found.item(i.item_id), item_unit=found.unit(i.item_id),
            min_quality=i.min_quality, required_quantity=i.required_quantity,
            reserved_quantity=i.reserved_quantity, consumed_quantity=i.consumed_quantity)
            for i in craft.ingredients],
        reservations=reservations)

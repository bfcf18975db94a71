"""Goal rules: progress is computed from stock and crafts in progress; met goals complete."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from api.core.errors import Conflict, InvalidInput, NotFound
from api.core.outputs import columns_of
from api.goals import repository
from api.goals.schemas import GoalIn, GoalOut, TargetProgress
from api.items import service as items
from api.live.hub import announce
from api.names import service as names
from models.planning import Goal, GoalTarget

# Reads with no rule beyond tenant scoping, which the repository's statement owns: the
# router reaches them here, so it never imports the repository.
list_goals = repository.list_goals


@dataclass(frozen=True)
class GoalProgress:
    """A goal's computed progress."""

    targets: list[TargetProgress]
    progress: float
    met: bool


def _dec(value: float) -> Decimal:
    return Decimal(str(value))


def compute_progress(session: Session, goals: Sequence[Goal]) -> dict[uuid.UUID, GoalProgress]:
    """Progress of each goal: free org stock at or above the target's quality, stock held
    for the goal by an applied plan, and the output of planned and in-progress crafts
    (counted at any quality) — so applying a plan never makes progress drop."""
    out: dict[uuid.UUID, GoalProgress] = {}
    by_org: dict[uuid.UUID, list[Goal]] = {}
    for goal in goals:
        by_org.setdefault(goal.organization_id, []).append(goal)
    found = names.resolve(session, items=(t.item_id for g in goals for t in g.targets))
    for org_id, org_goals in by_org.items():
        item_ids = {t.item_id for g in org_goals for t in g.targets}
        stock = repository.stock_by_quality(session, org_id, item_ids)
        crafting = repository.craft_output(session, org_id, item_ids)
        held = repository.held_for_plans(session, org_id, item_ids)
        for goal in org_goals:
            lines = []
            wanted = done = 0.0
            for t in goal.targets:
                free = float(sum((q for quality, q in stock.get(t.item_id, [])
                                  if quality >= t.min_quality), Decimal(0)))
                reserved = float(sum(
                    (q for goal_ids, item_id, quality, q in held
                     if str(goal.id) in goal_ids and item_id == t.item_id
                     and quality >= t.min_quality), Decimal(0)))
                started = float(crafting.get((t.item_id, "in_progress"), Decimal(0)))
                in_crafts = started + float(crafting.get((t.item_id, "planned"), Decimal(0)))
                have = free + reserved + in_crafts
                quantity = float(t.quantity)
                lines.append(TargetProgress(
                    item_id=t.item_id, item_name=found.item(t.item_id),
                    item_unit=found.unit(t.item_id), quantity=quantity,
                    min_quality=t.min_quality, free=free, reserved=reserved,
                    in_stock=free + reserved, in_crafts=in_crafts, have=have,
                    remaining=max(0.0, quantity - have),
                    progress=min(have, quantity) / quantity if quantity else 1.0,
                    met=free + reserved + started >= quantity - 1e-9))
                wanted += quantity
                done += min(have, quantity)
            out[goal.id] = GoalProgress(
                targets=lines, progress=done / wanted if wanted else 1.0,
                met=all(line.met for line in lines))
    return out


def refresh(session: Session, goals: Iterable[Goal]) -> dict[uuid.UUID, GoalProgress]:
    """Compute progress and mark active goals whose targets are all met ``completed``."""
    goal_list = list(goals)
    progress = compute_progress(session, goal_list)
    now = datetime.now(UTC)
    completed: list[Goal] = []
    for goal in goal_list:
        if goal.status == "active" and progress[goal.id].met:
            goal.status = "completed"
            goal.completed_at = now
            completed.append(goal)
    session.flush()
    # Org events (live feed, webhooks, notifications), committed or rolled back with the
    # completion; announced after the flush so listeners see the completed rows.
    for goal in completed:
        announce(session, goal.organization_id, {
            "type": "goal.completed", "goal_id": str(goal.id), "name": goal.name,
            "completed_at": now.isoformat()})
    return progress


def refresh_org_goals(session: Session, org_id: uuid.UUID) -> list[uuid.UUID]:
    """Call after stock or craft changes: completes the org's met goals; returns their ids."""
    active = list(repository.active_goals(session, org_id))
    before = {g.id for g in active}
    refresh(session, active)
    return [g.id for g in active if g.id in before and g.status == "completed"]


def _targets(session: Session, org_id: uuid.UUID, data: GoalIn) -> list[GoalTarget]:
    ids = {t.item_id for t in data.targets}
    known = items.visible_ids(session, org_id, ids)
    seen: set[tuple[uuid.UUID, int]] = set()
    for k, t in enumerate(data.targets):
        if t.item_id not in known:
            raise InvalidInput("Unknown item", field=f"targets.{k}.item_id",
                               record=f"item/{t.item_id}")
        if (t.item_id, t.min_quality) in seen:
            raise InvalidInput("Duplicate target (same item and min_quality)",
                               field=f"targets.{k}", record=f"item/{t.item_id}")
        seen.add((t.item_id, t.min_quality))
    items.require_whole_pieces(session, (
        (t.item_id, t.quantity, f"targets.{k}.quantity") for k, t in enumerate(data.targets)
    ))
    return [GoalTarget(item_id=t.item_id, quantity=_dec(t.quantity), min_quality=t.min_quality)
            for t in data.targets]


def create_goal(session: Session, org_id: uuid.UUID, user_id: uuid.UUID, data: GoalIn) -> Goal:
    """Create an active goal."""
    goal = Goal(organization_id=org_id, name=data.name, description=data.description,
                due_at=data.due_at, status="active", created_by=user_id,
                targets=_targets(session, org_id, data))
    session.add(goal)
    session.flush()
    return goal


def get_many(session: Session, org_id: uuid.UUID, ids: set[uuid.UUID]) -> Sequence[Goal]:
    """The org's goals among ``ids`` (others' ids are simply not there)."""
    return repository.get_many(session, org_id, ids)


def get_goal(session: Session, org_id: uuid.UUID, goal_id: uuid.UUID) -> Goal:
    """One of the org's goals or 404."""
    goal = repository.get(session, org_id, goal_id)
    if goal is None:
        raise NotFound("goal", goal_id)
    return goal


def update_goal(session: Session, org_id: uuid.UUID, goal_id: uuid.UUID, data: GoalIn) -> Goal:
    """Replace name, due date and targets of an active goal."""
    goal = get_goal(session, org_id, goal_id)
    if goal.status == "cancelled":
        raise Conflict("A cancelled goal cannot be edited", record=f"goal/{goal_id}")
    targets = _targets(session, org_id, data)
    if goal.due_at != data.due_at:
        goal.due_soon_notified_at = None  # a new due date is worth a new reminder
    goal.name, goal.description, goal.due_at = data.name, data.description, data.due_at
    goal.targets.clear()
    session.flush()  # old rows go before new ones could collide on (goal, item, quality)
    goal.targets.extend(targets)
    # New targets may not be met any more: the status follows the targets.
    goal.status, goal.completed_at = "active", None
    session.flush()
    return goal


def cancel_goal(session: Session, org_id: uuid.UUID, goal_id: uuid.UUID) -> Goal:
    """Cancel a goal (idempotent)."""
    goal = get_goal(session, org_id, goal_id)
    goal.status = "cancelled"
    session.flush()
    return goal


def to_out(goal: Goal, progress: GoalProgress) -> GoalOut:
    """The response model of a goal with its progress (:func:`refresh` computes it)."""
    return GoalOut.model_validate({
        **columns_of(goal), "progress": progress.progress, "targets": progress.targets,
    })

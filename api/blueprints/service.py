"""Blueprint rules: visible items only, acyclic bill of materials, shared ones read-only."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from decimal import Decimal

from pydantic import ValidationError
from sqlalchemy.orm import Session

from api.blueprints import repository
from api.blueprints.schemas import BlueprintIn, BlueprintOut, IngredientIn, RefiningIn
from api.core.errors import Forbidden, InvalidInput, NotFound
from api.core.outputs import columns_of
from api.items import service as items
from engine import problem as ep
from engine.bom import find_cycles
from models.planning import Blueprint, BlueprintIngredient

# Reads with no rule beyond tenant scoping, which the repository's statement owns: the
# router reaches them here, so it never imports the repository.
list_visible = repository.list_visible

# From the facts file: yield of refined material per unit of ore, relative time, relative cost.
REFINING_METHODS: dict[str, tuple[float, float, float]] = {
    "Dinyx Solventation": (0.5293, 12, 1),
    "Ferron Exchange": (0.5293, 4, 2),
    "Pyrometric Chromalysis": (0.5293, 2, 6),
    "Electrostarolysis": (0.45, 1, 2),
    "Gaskin Process": (0.45, 0.5, 6),
    "Thermonatic Deposition": (0.45, 3, 1),
    "Cormack": (0.3705, 0.25, 2),
    "Kazen Winnowing": (0.3705, 0.75, 1),
    "XCR Reaction": (0.3705, 0.125, 6),
}


def _dec(value: float) -> Decimal:
    return Decimal(str(value))


def engine_blueprint(bp: Blueprint) -> ep.Blueprint:
    """The engine's view of a stored blueprint (ids are the UUID strings)."""
    return ep.Blueprint(
        id=str(bp.id),
        name=bp.name,
        output=ep.Output(item=str(bp.output_item_id), quantity=float(bp.output_quantity)),
        ingredients=[
            ep.Ingredient(item=str(i.item_id), quantity=float(i.quantity),
                          min_quality=i.min_quality)
            for i in bp.ingredients
        ],
        run_cost=float(bp.run_cost),
        minutes=float(bp.minutes),
        # A refinery job takes any quantity of ore; crafting stays in whole runs.
        continuous=bp.kind == "refine",
    )


def bom_cycles(blueprints: Iterable[ep.Blueprint]) -> list[list[str]]:
    """Cycles of the bill of materials formed by ``blueprints`` (engine's find_cycles)."""
    bps = list(blueprints)
    item_ids = {bp.output.item for bp in bps} | {i.item for bp in bps for i in bp.ingredients}
    problem = ep.Problem(
        items=[ep.Item(id=i) for i in sorted(item_ids)],
        blueprints=bps,
        policy=ep.Policy(delivery_location="-"),
    )
    return find_cycles(problem)


def _check_items(session: Session, org_id: uuid.UUID, output_item_id: uuid.UUID,
                 output_quantity: float, ingredients: list[IngredientIn]) -> None:
    wanted = {output_item_id} | {i.item_id for i in ingredients}
    known = items.visible_ids(session, org_id, wanted)
    if output_item_id not in known:
        raise InvalidInput("Unknown item", field="output_item_id",
                           record=f"item/{output_item_id}")
    for k, ing in enumerate(ingredients):
        if ing.item_id not in known:
            raise InvalidInput("Unknown item", field=f"ingredients.{k}.item_id",
                               record=f"item/{ing.item_id}")
        if ing.item_id == output_item_id:
            raise InvalidInput("A blueprint cannot use its own output as an ingredient",
                               field=f"ingredients.{k}.item_id", record=f"item/{ing.item_id}")
    items.require_whole_pieces(session, [
        (output_item_id, output_quantity, "output_quantity"),
        *((i.item_id, i.quantity, f"ingredients.{k}.quantity") for k, i in enumerate(ingredients)),
    ])


def _check_acyclic(session: Session, org_id: uuid.UUID, bp_id: uuid.UUID,
                   data: BlueprintIn) -> None:
    candidate = ep.Blueprint(
        id=str(bp_id),
        name=data.name,
        output=ep.Output(item=str(data.output_item_id), quantity=data.output_quantity),
        ingredients=[ep.Ingredient(item=str(i.item_id), quantity=i.quantity,
                                   min_quality=i.min_quality) for i in data.ingredients],
    )
    # Only the org's own recipes: a public one that would close the cycle is left out of the
    # org's plans instead (its data wins; issue 9), so it can never block the org's edits.
    others = [engine_blueprint(bp) for bp in repository.own(session, org_id)
              if bp.id != bp_id]
    mine = [c for c in bom_cycles([*others, candidate]) if str(bp_id) in c]
    if mine:
        cycle = mine[0]
        names = " -> ".join([*cycle, cycle[0]])
        raise InvalidInput(f"This blueprint would close a bill-of-materials cycle: {names}",
                           field="ingredients", record=f"blueprint/{bp_id}", cycle=cycle)


def _apply(bp: Blueprint, data: BlueprintIn) -> None:
    bp.name = data.name
    bp.code = data.code
    bp.description = data.description
    bp.kind = data.kind
    bp.output_item_id = data.output_item_id
    bp.output_quantity = _dec(data.output_quantity)
    bp.minutes = _dec(data.minutes)
    bp.run_cost = _dec(data.run_cost)
    bp.ingredients = [
        BlueprintIngredient(position=k, item_id=i.item_id, quantity=_dec(i.quantity),
                            min_quality=i.min_quality)
        for k, i in enumerate(data.ingredients)
    ]


def create_blueprint(session: Session, org_id: uuid.UUID, user_id: uuid.UUID,
                     data: BlueprintIn) -> Blueprint:
    """Create an org blueprint; 422 for unknown items or a BOM cycle (named)."""
    _check_items(session, org_id, data.output_item_id, data.output_quantity, data.ingredients)
    bp = Blueprint(id=uuid.uuid4(), organization_id=org_id, created_by=user_id)
    _check_acyclic(session, org_id, bp.id, data)
    _apply(bp, data)
    session.add(bp)
    session.flush()
    return bp


def get_blueprint(session: Session, org_id: uuid.UUID, blueprint_id: uuid.UUID) -> Blueprint:
    """A visible blueprint or 404."""
    bp = repository.get_visible(session, org_id, blueprint_id)
    if bp is None:
        raise NotFound("blueprint", blueprint_id)
    return bp


def all_visible(session: Session, org_id: uuid.UUID) -> Sequence[Blueprint]:
    """Every blueprint the org may plan with: its own and the public ones it has not hidden
    (the plan snapshot; the commons then leaves out conflicting public ones)."""
    return repository.all_visible(session, org_id)


def _own(session: Session, org_id: uuid.UUID, blueprint_id: uuid.UUID) -> Blueprint:
    bp = get_blueprint(session, org_id, blueprint_id)
    if bp.organization_id != org_id:
        raise Forbidden("Shared and other orgs' public blueprints are read-only",
                        record=f"blueprint/{blueprint_id}")
    return bp


def update_blueprint(session: Session, org_id: uuid.UUID, blueprint_id: uuid.UUID,
                     data: BlueprintIn) -> Blueprint:
    """Replace an org blueprint (same rules as create)."""
    bp = _own(session, org_id, blueprint_id)
    _check_items(session, org_id, data.output_item_id, data.output_quantity, data.ingredients)
    # Checked before touching the row, so a refused update leaves it as it was.
    _check_acyclic(session, org_id, bp.id, data)
    bp.ingredients.clear()
    session.flush()
    _apply(bp, data)
    session.flush()
    return bp


def delete_blueprint(session: Session, org_id: uuid.UUID, blueprint_id: uuid.UUID) -> None:
    """Delete an org blueprint (409 via the FK while crafts use it)."""
    bp = _own(session, org_id, blueprint_id)
    session.delete(bp)
    session.flush()


def refining_blueprint_in(data: RefiningIn) -> BlueprintIn:
    """The blueprint a refining method makes: ore in, ``yield × ore`` refined out."""
    method = REFINING_METHODS.get(data.method)
    if method is None:
        raise InvalidInput(f"Unknown refining method {data.method!r}", field="method",
                           choices=sorted(REFINING_METHODS))
    yield_, time_factor, cost_factor = method
    try:
        return BlueprintIn(
            name=data.name or f"Refine ({data.method})",
            kind="refine",
            output_item_id=data.refined_item_id,
            output_quantity=round(data.ore_quantity * yield_, 6),
            minutes=data.base_minutes * time_factor,
            run_cost=data.base_cost * cost_factor,
            description=f"Refining method {data.method}: yield {yield_}, time x{time_factor}, "
                        f"cost x{cost_factor}",
            ingredients=[IngredientIn(item_id=data.ore_item_id, quantity=data.ore_quantity)],
        )
    except ValidationError as exc:
        # Valid input can still scale out of range (a tiny ore quantity yields 0, a long base
        # time times the method's factor exceeds the limit): a 422 on the input field, not a 500.
        derived = str(exc.errors()[0]["loc"][0])
        field = _REFINING_INPUT_OF.get(derived, "method")
        raise InvalidInput(
            f"With method {data.method!r} this {field} gives a {derived} out of range "
            f"({exc.errors()[0]['msg']})",
            field=field,
        ) from None


# Which RefiningIn field a derived BlueprintIn field comes from.
_REFINING_INPUT_OF = {
    "output_quantity": "ore_quantity",
    "ingredients": "ore_quantity",
    "minutes": "base_minutes",
    "run_cost": "base_cost",
    "output_item_id": "refined_item_id",
    "ingredients.0.item_id": "ore_item_id",
    "ingredients.0.quantity": "ore_quantity",
}


def create_refining_blueprint(session: Session, org_id: uuid.UUID, user_id: uuid.UUID,
                              data: RefiningIn) -> Blueprint:
    """Create the blueprint a refining method makes; errors name the caller's fields
    (``ore_item_id``, not the derived ``ingredients.0.item_id``)."""
    try:
        return create_blueprint(session, org_id, user_id, refining_blueprint_in(data))
    except InvalidInput as exc:
        for entry in exc.errors:
            field = _REFINING_INPUT_OF.get(str(entry.get("field")))
            if field is not None:
                entry["field"], entry["loc"] = field, [field]
        raise


def to_out(bp: Blueprint) -> BlueprintOut:
    """The response model of a blueprint (quantities as JSON numbers)."""
    return BlueprintOut.model_validate({
        **columns_of(bp),
        # Public means published in the commons: a shared row, never an org's own.
        "is_public": bp.organization_id is None,
        "output_quantity": float(bp.output_quantity),
        "minutes": float(bp.minutes),
        "run_cost": float(bp.run_cost),
        "ingredients": [
            {"position": i.position, "item_id": i.item_id, "quantity": float(i.quantity),
             "min_quality": i.min_quality}
            for i in bp.ingredients
        ],
    })

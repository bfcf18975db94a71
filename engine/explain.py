"""Plans that explain themselves: how each demand is met, what it costs, and why it runs short.

:func:`explain` turns a plan into an :class:`Explanation` (pydantic, JSON-able):

- for every demand, the tree of how it is met: taken from which source (tier, holder,
  location), or crafted by which blueprint, recursively down to the sources of the
  ingredients. A craft that serves several uses is split between them in proportion to the
  output each receives (a use given q of a blueprint's output gets q / (output × runs) of its
  runs, ingredients and costs);
- the cost breakdown by tier (own, member, market, crafting, trips, shortfall) and by location;
- the trips, the surplus;
- for each shortfall, the raw items that run short on the way to it, traced through the BOM.

:func:`render_text` renders it as plain text for logs and terminals.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from typing import Literal

from pydantic import BaseModel, Field

from engine.plan import Allocation, Plan
from engine.problem import Blueprint, Problem, Source
from engine.quantity import format_quantity
from engine.sensitivity import PriceRange, Sensitivity, sensitivity
from engine.tolerances import DUST, ceil_whole, floor_whole, loads

logger = logging.getLogger(__name__)

# Attributed quantities below this are not worth a line.
EPS = DUST
# Plans come from outside: a malformed one could nest blueprints without end.
MAX_DEPTH = 50


class SupplyNode(BaseModel):
    """One way (part of) a use is met: a take from a source, or (a share of) a craft."""

    kind: Literal["source", "craft"]
    item: str
    quantity: float
    cost: float = Field(description="sourcing + crafting cost attributed to this quantity")
    source: str | None = None
    tier: str | None = None
    holder: str | None = None
    location: str | None = None
    stop: str | None = Field(default=None, description="where the take is hauled from "
                             "(none: inside the delivery location, no trip)")
    quality: int | None = None
    unit_cost: float | None = None
    blueprint: str | None = None
    runs: float | None = Field(default=None, description="runs attributed to this use")
    total_runs: int | float | None = None
    ingredients: list[IngredientNode] = Field(default_factory=list)


class IngredientNode(BaseModel):
    """An ingredient line of a craft, scaled to the share of the craft above it."""

    index: int
    item: str
    quantity: float
    min_quality: int = 0
    supplies: list[SupplyNode] = Field(default_factory=list)


# stock_reserved is set by the service (api/plans/service.explanation_view): reserved stock
# never reaches the engine.
ShortCode = Literal["no_source", "recipe_cycle", "quality_floor", "lot_size",
                    "sources_exhausted", "ship_capacity", "cost", "stock_reserved"]


class RawShortage(BaseModel):
    """A raw item that ran short on the way to a short demand, with the binding constraint."""

    item: str
    quantity: float = Field(description="how much more of the raw item the demand needed")
    remaining: float | None = Field(
        description="usable stock left in its sources (null = unlimited)")
    reason: str
    code: ShortCode = Field(default="sources_exhausted", description=(
        "the binding constraint: no_source (no source, no recipe), recipe_cycle (only "
        "craftable from itself), quality_floor (no source meets the minimum quality), "
        "lot_size (what is left does not come in whole lots, or a whole lot costs more than "
        "falling short), sources_exhausted (eligible stock all taken), ship_capacity (the "
        "trips to haul it cost more than falling short), cost (its price is above the "
        "shortfall penalty), stock_reserved (set by the service: there is stock, reserved)"))
    path: list[str] = Field(description="demand item, blueprint, item, … down to the raw item")


class DemandExplanation(BaseModel):
    """How one demand is met."""

    demand: str
    item: str
    quantity: float
    min_quality: int
    allocated: float
    shortfall: float
    cost: float = Field(description="sourcing + crafting cost attributed to this demand")
    supplies: list[SupplyNode] = Field(default_factory=list)
    short_raw: list[RawShortage] = Field(default_factory=list)


class CostBreakdown(BaseModel):
    """The objective split by tier and by location."""

    by_tier: dict[str, float]
    by_location: dict[str, float]
    total: float


class TripLine(BaseModel):
    """Trips from one location, with their cost."""

    location: str
    trips: int
    volume_scu: float
    cost: float


class SurplusLine(BaseModel):
    """Surplus of an item."""

    item: str
    quantity: float


class Explanation(BaseModel):
    """Everything a human needs to read a plan."""

    status: str
    objective: float | None
    complete: bool
    demands: list[DemandExplanation]
    costs: CostBreakdown
    trips: list[TripLine]
    surplus: list[SurplusLine]
    sensitivity: Sensitivity | None = Field(default=None, description=(
        "per take, the unit prices over which it stays optimal and what replaces it above "
        "them (docs/engine/explain.md)"))


SupplyNode.model_rebuild()


def _usable_left(problem: Problem, taken: dict[str, float], item: str, floor: int) -> float:
    """Stock still untaken in sources of an item that meet a floor (inf when unlimited)."""
    left = 0.0
    for src in problem.sources:
        if src.item != item or src.effective_quality < floor:
            continue
        if src.available is None:
            return math.inf
        left += max(0.0, src.available - taken.get(src.id, 0.0))
    return left


# Codes that say the stock was there but falling short cost less than using it.
_CHEAPER = frozenset({"cost", "ship_capacity"})


def _diagnose(problem: Problem, taken: dict[str, float], item: str, qty: float, floor: int,
              has_recipe: bool) -> tuple[ShortCode, str]:
    """The binding constraint that left `qty` of a raw `item` (floor `floor`) short.

    In order: no source at all; no source meets the quality floor; eligible stock smaller
    than the need (exhausted); stock there but not in whole lots; then, stock usable but left
    on cost: its price above the shortfall penalty, a whole lot dearer than falling short, or
    the trips to haul it dearer than falling short.
    """
    sources = [s for s in problem.sources if s.item == item]
    if not sources:
        if has_recipe:
            return "recipe_cycle", "only craftable from itself"
        return "no_source", "no source and no recipe"
    eligible = [s for s in sources if s.effective_quality >= floor]
    if not eligible:
        best = max(s.effective_quality for s in sources)
        return "quality_floor", (f"quality floor {floor} excludes all {len(sources)} "
                                 f"source(s) (best quality {best})")
    room = {s.id: math.inf if s.available is None else max(0.0, s.available - taken.get(s.id, 0.0))
            for s in eligible}
    if sum(room.values()) < qty - EPS:
        return "sources_exhausted", "sources exhausted"
    whole = sum(r if s.lot_size is None or math.isinf(r)
                else s.lot_size * floor_whole(r / s.lot_size)
                for s in eligible for r in (room[s.id],))
    if whole < qty - EPS:
        return "lot_size", (f"sources exhausted in whole lots ({format_quantity(whole)} of "
                            "the stock left comes in whole lots)")
    policy = problem.policy
    penalty = policy.shortfall_penalty * qty
    piece = problem.item(item).is_piece
    best_option: tuple[float, float, float, Source] | None = None
    for s in eligible:
        units = ceil_whole(qty) if piece else qty
        if s.lot_size is not None:
            units = s.lot_size * ceil_whole(units / s.lot_size)
        if units > room[s.id] + EPS:
            continue
        price = problem.effective_cost(s) * units
        stop = problem.stop(s.location)
        trips = 0.0
        if stop is not None:
            volume = units * problem.item(item).volume
            trips = problem.trip_cost(stop) * loads(volume, policy.ship_capacity_scu)
        option = (price + trips, price, trips, s)
        if best_option is None or option[:2] < best_option[:2]:
            best_option = option
    if best_option is None:
        return "lot_size", "no single source holds the need in whole lots"
    _, price, trips, s = best_option
    if problem.effective_cost(s) > policy.shortfall_penalty:
        return "cost", (f"falling short was cheaper: the cheapest eligible source {s.id} costs "
                        f"{problem.effective_cost(s):,.2f} a unit, above the shortfall "
                        f"penalty {policy.shortfall_penalty:,.2f}")
    if s.lot_size is not None and price > penalty:
        return "lot_size", (f"falling short was cheaper: a whole lot of "
                            f"{format_quantity(s.lot_size)} from {s.id} costs {price:,.2f}, "
                            f"more than the shortfall ({penalty:,.2f})")
    if trips > 0:
        return "ship_capacity", (
            f"falling short was cheaper: hauling it from {problem.stop(s.location)} takes trips "
            f"({format_quantity(policy.ship_capacity_scu)} SCU a load) costing {trips:,.2f}; "
            f"with the price {price:,.2f} that is more than the shortfall ({penalty:,.2f})")
    return "cost", "stock left untaken (falling short was cheaper)"


class _Explainer:
    def __init__(self, problem: Problem, plan: Plan) -> None:
        self.problem = problem
        self.plan = plan
        self.sources = {s.id: s for s in problem.sources}
        self.blueprints = {b.id: b for b in problem.blueprints}
        self.by_output: dict[str, list[Blueprint]] = defaultdict(list)
        for bp in problem.blueprints:
            self.by_output[bp.output.item].append(bp)
        self.taken: dict[str, float] = defaultdict(float)
        for t in plan.takes:
            self.taken[t.source] += t.quantity
        self.runs: dict[str, float] = defaultdict(float)
        for c in plan.crafts:
            self.runs[c.blueprint] += c.runs
        self.into_demand: dict[str, list[Allocation]] = defaultdict(list)
        self.into_ingredient: dict[tuple[str, int], list[Allocation]] = defaultdict(list)
        for a in plan.allocations:
            if a.to.demand is not None:
                self.into_demand[a.to.demand].append(a)
            elif a.to.blueprint is not None and a.to.ingredient is not None:
                self.into_ingredient[(a.to.blueprint, a.to.ingredient)].append(a)

    def supplies(self, allocations: list[Allocation], scale: float, depth: int,
                 path: frozenset[str]) -> list[SupplyNode]:
        nodes = []
        for a in allocations:
            q = a.quantity * scale
            if q <= EPS:
                continue
            node = self.supply(a, q, depth, path)
            if node is not None:
                nodes.append(node)
        return nodes

    def supply(self, a: Allocation, q: float, depth: int,
               path: frozenset[str]) -> SupplyNode | None:
        if a.from_.source is not None:
            src = self.sources.get(a.from_.source)
            if src is None:
                return None
            unit = self.problem.effective_cost(src)
            return SupplyNode(kind="source", item=src.item, quantity=q, cost=unit * q,
                              source=src.id, tier=src.tier.value, holder=src.holder,
                              location=src.location, stop=self.problem.stop(src.location),
                              quality=src.quality, unit_cost=unit)
        bp = self.blueprints.get(a.from_.blueprint or "")
        if bp is None:
            return None
        total = self.runs.get(bp.id, 0)
        made = bp.output.quantity * total
        node = SupplyNode(kind="craft", item=bp.output.item, quantity=q, cost=0.0,
                          blueprint=bp.id, runs=q / bp.output.quantity, total_runs=total)
        if made <= EPS or depth >= MAX_DEPTH or bp.id in path:
            return node
        share = q / made
        node.cost = bp.run_cost * total * share
        for k, ing in enumerate(bp.ingredients):
            inner = self.supplies(self.into_ingredient.get((bp.id, k), []), share, depth + 1,
                                  path | {bp.id})
            node.cost += sum(s.cost for s in inner)
            node.ingredients.append(IngredientNode(
                index=k, item=ing.item, quantity=ing.quantity * total * share,
                min_quality=ing.min_quality, supplies=inner))
        return node

    def short_raw(self, item: str, qty: float, floor: int, path: list[str],
                  seen: frozenset[str]) -> list[RawShortage]:
        """Raw items that ran short, exploding `qty` of `item` through the BOM."""
        left = _usable_left(self.problem, self.taken, item, floor)
        bps = self.by_output.get(item, [])
        if not bps or item in seen or len(path) > 2 * MAX_DEPTH:
            code, reason = _diagnose(self.problem, self.taken, item, qty, floor, bool(bps))
            return [RawShortage(item=item, quantity=qty, remaining=None if math.isinf(left)
                                else left, reason=reason, code=code, path=[*path, item])]
        # Follow the recipe the plan relies on most (else the first): that is the path the
        # shortage took.
        bp = max(bps, key=lambda b: (self.runs.get(b.id, 0), -bps.index(b)))
        found: list[RawShortage] = []
        for ing in bp.ingredients:
            need = ing.quantity * qty / bp.output.quantity
            found.extend(self.short_raw(ing.item, need, ing.min_quality,
                                        [*path, item, bp.id], seen | {item}))
        scarce = [r for r in found if r.code not in _CHEAPER]
        if scarce:
            return scarce
        # Every raw input is still available: the item itself was left short on cost.
        return [RawShortage(item=item, quantity=qty,
                            remaining=None if math.isinf(left) else left,
                            reason="inputs left untaken (falling short was cheaper)",
                            code="cost", path=[*path, item])]

    def demands(self) -> list[DemandExplanation]:
        short: dict[str, float] = defaultdict(float)
        for s in self.plan.shortfalls:
            short[s.demand] += s.quantity
        out = []
        for dem in self.problem.demands:
            nodes = self.supplies(self.into_demand.get(dem.id, []), 1.0, 0, frozenset())
            gap = short.get(dem.id, 0.0)
            out.append(DemandExplanation(
                demand=dem.id, item=dem.item, quantity=dem.quantity,
                min_quality=dem.min_quality, allocated=sum(n.quantity for n in nodes),
                shortfall=gap, cost=sum(n.cost for n in nodes), supplies=nodes,
                short_raw=self.short_raw(dem.item, gap, dem.min_quality, [], frozenset())
                if gap > EPS else []))
        return out

    def costs(self) -> tuple[CostBreakdown, list[TripLine]]:
        problem = self.problem
        tiers = {"own": 0.0, "member": 0.0, "market": 0.0, "crafting": 0.0, "trips": 0.0,
                 "shortfall": 0.0}
        locations: dict[str, float] = defaultdict(float)
        for source_id, q in self.taken.items():
            src = self.sources.get(source_id)
            if src is None:
                continue
            cost = problem.effective_cost(src) * q
            tiers[src.tier.value] += cost
            locations[src.location] += cost
        for bp_id, r in self.runs.items():
            bp = self.blueprints.get(bp_id)
            if bp is not None:
                tiers["crafting"] += bp.run_cost * r
        trips = []
        known = {loc.id for loc in problem.locations}
        for t in self.plan.trips:
            cost = problem.trip_cost(t.location) * t.trips if t.location in known else 0.0
            tiers["trips"] += cost
            locations[t.location] += cost
            trips.append(TripLine(location=t.location, trips=t.trips, volume_scu=t.volume_scu,
                                  cost=cost))
        tiers["shortfall"] = problem.policy.shortfall_penalty * sum(
            s.quantity for s in self.plan.shortfalls)
        return CostBreakdown(by_tier=tiers, by_location=dict(sorted(locations.items())),
                             total=sum(tiers.values())), trips


def explain(problem: Problem, plan: Plan, *, ranges: bool = True) -> Explanation:
    """Explain a plan: demand trees, costs by tier and location, trips, surplus, shortages
    with their binding constraint and, with ``ranges``, each take's price range
    (:func:`engine.sensitivity.sensitivity`)."""
    ex = _Explainer(problem, plan)
    costs, trips = ex.costs()
    return Explanation(
        status=plan.status.value, objective=plan.objective, complete=plan.complete,
        demands=ex.demands(), costs=costs, trips=trips,
        surplus=[SurplusLine(item=s.item, quantity=s.quantity) for s in plan.surplus],
        sensitivity=_ranges(problem, plan) if ranges else None)


def _ranges(problem: Problem, plan: Plan) -> Sensitivity:
    """Price ranges; a failure there must not cost the rest of the explanation (nor the
    service's plan, which stores it), so it is logged and noted instead."""
    try:
        return sensitivity(problem, plan)
    except Exception as exc:
        logger.warning("price ranges failed; explanation without them", exc_info=True)
        return Sensitivity(note=f"price ranges could not be computed: {exc}")


def _q(value: float) -> str:
    return format_quantity(value)


def _money(value: float) -> str:
    return f"{value:,.2f}"


def _render_supply(node: SupplyNode, indent: int, lines: list[str]) -> None:
    pad = "  " * indent
    if node.kind == "source":
        who = f", {node.holder}" if node.holder else ""
        lines.append(f"{pad}{_q(node.quantity)} {node.item} from {node.tier} source "
                     f"{node.source} ({node.location}{who}) at {_money(node.unit_cost or 0)} "
                     f"= {_money(node.cost)}")
        return
    lines.append(f"{pad}{_q(node.quantity)} {node.item} crafted by {node.blueprint} "
                 f"({_q(node.runs or 0)} of {_q(node.total_runs or 0)} runs) = {_money(node.cost)}")
    for ing in node.ingredients:
        lines.append(f"{pad}  ingredient {ing.index}: {_q(ing.quantity)} {ing.item}"
                     + (f" (min quality {ing.min_quality})" if ing.min_quality else ""))
        for inner in ing.supplies:
            _render_supply(inner, indent + 2, lines)


def render_text(explanation: Explanation) -> str:
    """The explanation as plain text (one tree per demand, then costs, trips, surplus)."""
    ex = explanation
    objective = "n/a" if ex.objective is None else _money(ex.objective)
    head = "complete" if ex.complete else "INCOMPLETE"
    lines = [f"Plan {ex.status}, {head}: objective {objective}", ""]
    for dem in ex.demands:
        lines.append(f"Demand {dem.demand}: {_q(dem.quantity)} {dem.item}"
                     + (f" (min quality {dem.min_quality})" if dem.min_quality else "")
                     + f" - cost {_money(dem.cost)}")
        for node in dem.supplies:
            _render_supply(node, 1, lines)
        if dem.shortfall > EPS:
            lines.append(f"  SHORT {_q(dem.shortfall)} {dem.item}")
            for raw in dem.short_raw:
                left = "unlimited" if raw.remaining is None else _q(raw.remaining)
                lines.append(f"    raw {raw.item} short by {_q(raw.quantity)} [{raw.code}] "
                             f"({raw.reason}; left {left}) via {' > '.join(raw.path)}")
        lines.append("")
    lines.append("Costs by tier:")
    lines.extend(f"  {tier:<10} {_money(v):>16}" for tier, v in ex.costs.by_tier.items()
                 if v > EPS)
    lines.append(f"  {'total':<10} {_money(ex.costs.total):>16}")
    if ex.costs.by_location:
        lines.append("Costs by location (sourcing + trips):")
        lines.extend(f"  {loc:<20} {_money(v):>16}" for loc, v in ex.costs.by_location.items())
    if ex.trips:
        lines.append("Trips:")
        lines.extend(f"  {t.location}: {t.trips} trip(s), {_q(t.volume_scu)} SCU, "
                     f"{_money(t.cost)}" for t in ex.trips)
    if ex.surplus:
        lines.append("Surplus:")
        lines.extend(f"  {s.item}: {_q(s.quantity)}" for s in ex.surplus)
    if ex.sensitivity is not None and (ex.sensitivity.lines or ex.sensitivity.note):
        lines.append(f"Price ranges ({ex.sensitivity.basis}):")
        if ex.sensitivity.note:
            lines.append(f"  {ex.sensitivity.note}")
        lines.extend(f"  {render_range(r)}" for r in ex.sensitivity.lines)
        lines.extend(f"  not buying {r.item} from {r.source} ({r.location}) at "
                     f"{_money(r.unit_price)} stays optimal while its price is above "
                     f"{_money(r.lower or 0)}" for r in ex.sensitivity.alternatives)
    return "\n".join(lines) + "\n"


def render_range(r: PriceRange) -> str:
    """One take's price range as a sentence."""
    head = (f"buying {_q(r.quantity)} {r.item} from {r.source} ({r.location}) at "
            f"{_money(r.unit_price)}")
    if r.fixed or r.note:
        return f"{head}: {r.note}"
    low = "0" if r.lower is None else _money(r.lower)
    if r.upper is None:
        return f"{head} stays optimal at any price from {low} up"
    text = f"{head} stays optimal while its price is within [{low}, {_money(r.upper)}]"
    nb = r.next_best
    if nb is None:
        return text
    if nb.kind == "source":
        return (f"{text}; above it the next best is {nb.source} ({nb.location}) at "
                f"{_money(nb.unit_price or 0)}")
    if nb.kind == "craft":
        return f"{text}; above it the next best is crafting {nb.item} by {nb.blueprint}"
    if nb.kind == "shortfall":
        return f"{text}; above it demand {nb.demand} falls short"
    return f"{text}; above it less is taken"

"""The compact mixed-integer model of the planning problem (see docs/engine/formulation.md).

No (source, use) pair variables: quality compatibility is nested, so for each item one
coverage row per distinct use threshold decides whether the uses can be served (Hall's
theorem); the allocation lines are rebuilt after the solve (engine/solve.py). Each constraint
family is built by one function named as in the document:

- ``lot_sizes``               taken(p) = L·n(p), n integer
- ``supply_limits``           taken(p) <= available(p), and <= the useful cap
- ``piece_integrality``       takes, runs, shortfalls and rounded lines of piece items integral
- ``craft_runs``              runs(b) in [0, runs_max(b)], integer unless b is continuous
- ``shortfalls``              0 <= shortfall(d) <= quantity(d)
- ``piece_line_rounding``     w(b,k) >= quantity(b,k)·runs(b) for fractional piece lines
- ``piece_output_rounding``   h(b) <= out(b)·runs(b), h integral, for continuous blueprints
                              making piece items (only whole pieces are handed on)
- ``quality_coverage``        the threshold rows (ingredient lines met in full, crafted output
                              serving any quality, demands met up to their shortfall)
- ``trip_capacity``           cap·trips(l) >= volume(l) per stop l (nothing inside the delivery
                              location travels)
- ``trip_opening``            trips(l) >= x(p)/u(p) per pool hauled from l (a valid strengthening)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from engine.bom import max_runs_and_needs
from engine.problem import Blueprint, Problem, Tier
from engine.reduce import Pool, drop_dominated, pool_sources, take_cap, use_thresholds
from engine.tolerances import WHOLE, ceil_whole, floor_whole

INF = math.inf


@dataclass
class LinearModel:
    """A solver-neutral MILP: columns with bounds and integrality, rows ``lb <= a·x <= ub``."""

    names: list[str] = field(default_factory=list)
    lb: list[float] = field(default_factory=list)
    ub: list[float] = field(default_factory=list)
    integer: list[bool] = field(default_factory=list)
    row_names: list[str] = field(default_factory=list)
    row_lb: list[float] = field(default_factory=list)
    row_ub: list[float] = field(default_factory=list)
    row_index: list[list[int]] = field(default_factory=list)
    row_coef: list[list[float]] = field(default_factory=list)

    def add_var(self, name: str, lb: float, ub: float, integer: bool) -> int:
        """Add a column and return its index."""
        self.names.append(name)
        self.lb.append(lb)
        self.ub.append(ub)
        self.integer.append(integer)
        return len(self.names) - 1

    def add_row(self, name: str, lb: float, ub: float, terms: dict[int, float]) -> int:
        """Add a row ``lb <= Σ coef·x <= ub`` (zero coefficients dropped) and return its index."""
        index = sorted(k for k, v in terms.items() if v != 0.0)
        self.row_names.append(name)
        self.row_lb.append(lb)
        self.row_ub.append(ub)
        self.row_index.append(index)
        self.row_coef.append([terms[k] for k in index])
        return len(self.row_names) - 1

    @property
    def num_vars(self) -> int:
        """Number of columns."""
        return len(self.names)

    @property
    def num_rows(self) -> int:
        """Number of rows."""
        return len(self.row_names)

    @property
    def num_integer(self) -> int:
        """Number of integer columns."""
        return sum(self.integer)

    @property
    def num_nonzeros(self) -> int:
        """Number of nonzero row coefficients."""
        return sum(len(r) for r in self.row_index)


@dataclass
class Formulation:
    """The model plus the maps from problem records to its columns."""

    problem: Problem
    strict: bool
    model: LinearModel = field(default_factory=LinearModel)
    pools: list[Pool] = field(default_factory=list)
    take_var: dict[str, int] = field(default_factory=dict)        # pool id -> column
    take_scale: dict[str, float] = field(default_factory=dict)    # pool id -> lot (or 1)
    runs_var: dict[str, int] = field(default_factory=dict)        # blueprint id -> column
    shortfall_var: dict[str, int] = field(default_factory=dict)   # demand id -> column
    line_var: dict[tuple[str, int], int] = field(default_factory=dict)  # piece line -> column
    output_var: dict[str, int] = field(default_factory=dict)  # whole pieces handed by b
    trips_var: dict[str, int] = field(default_factory=dict)       # location id -> column
    max_runs: dict[str, int] = field(default_factory=dict)
    max_need: dict[str, float] = field(default_factory=dict)
    objectives: dict[str, dict[int, float]] = field(default_factory=dict)

    def pool(self, pool_id: str) -> Pool:
        """The pool with this id."""
        return next(p for p in self.pools if p.id == pool_id)


def build_formulation(problem: Problem, *, strict: bool | None = None,
                      pool: bool = True, dominance: bool = True) -> Formulation:
    """Build the compact model of a pruned, acyclic problem.

    ``strict`` defaults to the policy's ``strict_priority`` (it only changes how sources are
    pooled and which objectives are prepared). ``pool=False`` keeps one column per source;
    ``dominance=False`` keeps dominated pools (both for measurements and tests).
    """
    if strict is None:
        strict = problem.policy.strict_priority
    f = Formulation(problem=problem, strict=strict)
    f.max_runs, f.max_need = max_runs_and_needs(problem)
    f.pools = pool_sources(problem, strict=strict, pool=pool)
    if dominance:
        f.pools = drop_dominated(problem, f.pools, strict=strict)
    declare_variables(f)
    piece_line_rounding(f)
    piece_output_rounding(f)
    quality_coverage(f)
    trip_capacity(f)
    f.objectives = {"weighted": weighted_objective(f), **priority_objectives(f)}
    return f


# -- columns (docs/engine/formulation.md §2), all declared before any row -----------------

def declare_variables(f: Formulation) -> None:
    """Every column of §2's table, with its bounds and domain, in this order: x(p), r(b),
    z(d), w(b,k), h(b), t(l). Each bound only reads columns declared before it, so the row
    families after this can be added in any order."""
    take_columns(f)
    run_columns(f)
    shortfall_columns(f)
    line_columns(f)
    output_columns(f)
    trip_columns(f)


def take_columns(f: Formulation) -> None:
    """x(p) per pool (lot_sizes, supply_limits, piece_integrality of §3).

    taken(p) = L·x(p) with x(p) a whole number when p has a lot size (the column counts lots);
    taken(p) <= available(p) rounded down to whole lots / pieces, and <= the most any use could
    need (an exact bound); x(p) is whole for piece items.
    """
    for p in f.pools:
        piece = f.problem.item(p.item).is_piece
        scale = float(p.lot) if p.lot is not None else 1.0
        cap = take_cap(f.max_need.get(p.item, 0.0), piece=piece, lot=p.lot)
        if p.available is not None:
            limit = p.available
            if p.lot is not None:
                # Only whole lots fit under the availability.
                limit = p.lot * floor_whole(p.available / p.lot)
            elif piece:
                limit = float(floor_whole(p.available))
            cap = min(cap, limit)
        ub = max(0.0, cap / scale if p.lot is not None else cap)
        if p.lot is not None:
            ub = float(round(ub))
        name = f"lots[{p.id}]" if p.lot is not None else f"take[{p.id}]"
        f.take_var[p.id] = f.model.add_var(name, 0.0, ub, p.lot is not None or piece)
        f.take_scale[p.id] = scale


def run_columns(f: Formulation) -> None:
    """r(b) between 0 and the most runs any use could absorb; whole unless b is continuous."""
    for bp in sorted(f.problem.blueprints, key=lambda b: b.id):
        f.runs_var[bp.id] = f.model.add_var(
            f"runs[{bp.id}]", 0.0, float(f.max_runs.get(bp.id, 0)), not bp.continuous)


def shortfall_columns(f: Formulation) -> None:
    """0 <= z(d) <= quantity(d), whole for piece items."""
    for d in sorted(f.problem.demands, key=lambda d: d.id):
        f.shortfall_var[d.id] = f.model.add_var(f"shortfall[{d.id}]", 0.0, d.quantity,
                                                f.problem.item(d.item).is_piece)


def _rounded_lines(f: Formulation) -> list[tuple[Blueprint, int, float]]:
    """Piece lines met with whole pieces: fractional quantity, or of a continuous blueprint.

    Lines with whole quantities of whole-run blueprints need nothing extra (quantity × whole
    runs is whole).
    """
    return [(bp, k, ing.quantity)
            for bp in sorted(f.problem.blueprints, key=lambda b: b.id)
            for k, ing in enumerate(bp.ingredients)
            if f.problem.item(ing.item).is_piece and (bp.continuous or not _whole(ing.quantity))]


def line_columns(f: Formulation) -> None:
    """w(b,k): whole pieces for each rounded piece line, up to the line's most need."""
    for bp, k, quantity in _rounded_lines(f):
        ub = float(ceil_whole(quantity * f.max_runs.get(bp.id, 0)))
        f.line_var[(bp.id, k)] = f.model.add_var(f"line[{bp.id},{k}]", 0.0, ub, True)


def _piece_makers(f: Formulation) -> list[Blueprint]:
    """Continuous blueprints making a piece item (their output is handed in whole pieces)."""
    return [bp for bp in sorted(f.problem.blueprints, key=lambda b: b.id)
            if bp.continuous and f.problem.item(bp.output.item).is_piece]


def output_columns(f: Formulation) -> None:
    """h(b): whole pieces a continuous blueprint making a piece item hands on."""
    for bp in _piece_makers(f):
        ub = float(floor_whole(bp.output.quantity * f.model.ub[f.runs_var[bp.id]]))
        f.output_var[bp.id] = f.model.add_var(f"output[{bp.id}]", 0.0, ub, True)


def _pools_by_stop(f: Formulation) -> dict[str, list[Pool]]:
    """Pools that travel, by stop (pools inside the delivery location have none)."""
    by_location: dict[str, list[Pool]] = {}
    for p in f.pools:
        if p.stop is not None:
            by_location.setdefault(p.stop, []).append(p)
    return {loc: by_location[loc] for loc in sorted(by_location)}


def trip_columns(f: Formulation) -> None:
    """t(l) per stop, bounded by ceil(largest possible volume / cap), which keeps every optimum."""
    cap = f.problem.policy.ship_capacity_scu
    for loc, pools in _pools_by_stop(f).items():
        max_volume = sum(f.problem.item(p.item).volume * f.take_scale[p.id]
                         * f.model.ub[f.take_var[p.id]] for p in pools)
        ub = float(ceil_whole(max_volume / cap))
        f.trips_var[loc] = f.model.add_var(f"trips[{loc}]", 0.0, ub, True)


# -- constraint families ------------------------------------------------------------------

def piece_line_rounding(f: Formulation) -> None:
    """w(b,k) >= quantity(b,k)·runs(b) for every rounded piece line.

    A piece line is met with whole pieces, so its effective need is the next whole number.
    """
    for bp, k, quantity in _rounded_lines(f):
        f.model.add_row(f"round[{bp.id},{k}]", 0.0, INF,
                        {f.line_var[(bp.id, k)]: 1.0, f.runs_var[bp.id]: -quantity})


def piece_output_rounding(f: Formulation) -> None:
    """h(b) <= out(b)·runs(b) for continuous blueprints that make piece items.

    Fractional runs make fractional pieces, but uses are handed whole pieces: what b can hand
    on is the whole part of its output, which the coverage rows count instead of out·runs.
    """
    for bp in _piece_makers(f):
        f.model.add_row(f"output[{bp.id}]", 0.0, INF,
                        {f.runs_var[bp.id]: bp.output.quantity, f.output_var[bp.id]: -1.0})


def quality_coverage(f: Formulation) -> None:
    """For each item i and threshold t of its uses (the Hall rows)::

        Σ_{p: q(p) >= t} taken(p) + Σ_{b makes i} out(b)·runs(b)
            >= Σ_{d: mq(d) >= t} (quantity(d) − shortfall(d)) + Σ_{(b,k): mq >= t} need(b,k)

    Crafted output counts in every row because it serves any min_quality. The row of the
    smallest threshold is the item's balance; together the rows are exactly the condition for
    a feasible allocation of supplies to uses (docs/engine/formulation.md, "Hall rows").
    """
    problem = f.problem
    thresholds = use_thresholds(problem)
    pools_by_item: dict[str, list[Pool]] = {}
    for p in f.pools:
        pools_by_item.setdefault(p.item, []).append(p)
    makers: dict[str, list[str]] = {}
    lines: dict[str, list[tuple[int, int, float]]] = {}  # item -> (min_q, column, coefficient)
    for bp in sorted(problem.blueprints, key=lambda b: b.id):
        makers.setdefault(bp.output.item, []).append(bp.id)
        for k, ing in enumerate(bp.ingredients):
            col = f.line_var.get((bp.id, k))
            if col is not None:
                lines.setdefault(ing.item, []).append((ing.min_quality, col, 1.0))
            else:
                lines.setdefault(ing.item, []).append(
                    (ing.min_quality, f.runs_var[bp.id], ing.quantity))
    demands_by_item: dict[str, list[tuple[int, str, float]]] = {}
    for d in sorted(problem.demands, key=lambda d: d.id):
        demands_by_item.setdefault(d.item, []).append((d.min_quality, d.id, d.quantity))
    output = {bp.id: bp.output.quantity for bp in problem.blueprints}
    for item_id in sorted(thresholds):
        for t in thresholds[item_id]:
            terms: dict[int, float] = {}
            for p in pools_by_item.get(item_id, []):
                if p.quality >= t:
                    col = f.take_var[p.id]
                    terms[col] = terms.get(col, 0.0) + f.take_scale[p.id]
            for bp_id in makers.get(item_id, []):
                if bp_id in f.output_var:
                    col, coef = f.output_var[bp_id], 1.0
                else:
                    col, coef = f.runs_var[bp_id], output[bp_id]
                terms[col] = terms.get(col, 0.0) + coef
            for mq, col, coef in lines.get(item_id, []):
                if mq >= t:
                    terms[col] = terms.get(col, 0.0) - coef
            rhs = 0.0
            for mq, d_id, qty in demands_by_item.get(item_id, []):
                if mq >= t:
                    rhs += qty
                    col = f.shortfall_var[d_id]
                    terms[col] = terms.get(col, 0.0) + 1.0
            f.model.add_row(f"cover[{item_id},{t}]", rhs, INF, terms)


def trip_capacity(f: Formulation) -> None:
    """cap·trips(l) >= Σ_{p hauled from l} volume(item)·taken(p) for every stop l.

    Pools inside the delivery location have no stop and need no trip.
    """
    problem = f.problem
    cap = problem.policy.ship_capacity_scu
    for loc, pools in _pools_by_stop(f).items():
        trips = f.trips_var[loc]
        terms: dict[int, float] = {
            f.take_var[p.id]: -problem.item(p.item).volume * f.take_scale[p.id] for p in pools}
        terms[trips] = cap
        f.model.add_row(f"trips[{loc}]", 0.0, INF, terms)
        if STRENGTHEN_TRIPS:
            for p in pools:
                trip_opening(f, p, trips)


STRENGTHEN_TRIPS = True


def trip_opening(f: Formulation, p: Pool, trips: int) -> None:
    """trips(l) >= x(p)/u(p) with u(p) = min(ub x(p), one ship's load of p's item).

    Valid: a positive take needs at least one trip, and a take above one ship's load needs at
    least volume/cap trips, which the aggregated row already says. The disaggregated form is
    the classic fixed-charge strengthening: it lifts the LP bound when a trip is worth opening
    for a small take, which the aggregated row (trips >= volume/cap) does not see.
    """
    col = f.take_var[p.id]
    per_unit = f.problem.item(p.item).volume * f.take_scale[p.id]
    u = min(f.model.ub[col], f.problem.policy.ship_capacity_scu / per_unit)
    if u <= 0 or not math.isfinite(u):
        return
    f.model.add_row(f"open[{p.id}]", 0.0, INF, {trips: 1.0, col: -1.0 / u})


# -- objectives ---------------------------------------------------------------------------

def weighted_objective(f: Formulation) -> dict[int, float]:
    """Σ c·taken + Σ run_cost·runs + Σ trip_cost·trips + penalty·Σ shortfall."""
    problem = f.problem
    obj: dict[int, float] = {}
    for p in f.pools:
        if p.cost:
            obj[f.take_var[p.id]] = p.cost * f.take_scale[p.id]
    for bp in problem.blueprints:
        if bp.run_cost:
            obj[f.runs_var[bp.id]] = bp.run_cost
    for loc, col in f.trips_var.items():
        cost = problem.trip_cost(loc)
        if cost:
            obj[col] = cost
    if problem.policy.shortfall_penalty:
        for col in f.shortfall_var.values():
            obj[col] = problem.policy.shortfall_penalty
    return obj


def priority_objectives(f: Formulation) -> dict[str, dict[int, float]]:
    """The first three strict-priority stages: shortfall, market spend, member quantity."""
    shortfall = {col: 1.0 for col in f.shortfall_var.values()}
    market: dict[int, float] = {}
    member: dict[int, float] = {}
    for p in f.pools:
        col, scale = f.take_var[p.id], f.take_scale[p.id]
        if p.tier is Tier.MARKET and p.unit_price:
            market[col] = p.unit_price * scale
        elif p.tier is Tier.MEMBER:
            member[col] = scale
    return {"shortfall": shortfall, "market": market, "member": member}


STAGES: tuple[str, ...] = ("shortfall", "market", "member", "weighted")


def _whole(value: float) -> bool:
    return abs(value - round(value)) <= WHOLE

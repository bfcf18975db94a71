"""The plain reference model: the spec written down as a textbook MILP, solved by HiGHS.

One flow variable per compatible (source, use) pair and per (blueprint output, use) pair,
`taken(s)` (as a whole multiple of the lot size when there is one), `runs(b)` (integer unless
the blueprint is continuous), `shortfall(d)`, integer `trips(l)` per stop and exactly the
spec's weighted objective. Nothing is pooled, pruned or tightened: this is the baseline the
benchmarks compare the real solver with, and an independent implementation of the spec that
the tests cross-check it against.

The matrix is assembled as coordinate triplets in plain lists, turned into a column-wise
sparse matrix with numpy and handed to HiGHS in one ``passModel`` call: building through
per-coefficient API calls would dominate the run time at org scale.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass, field

import highspy
import numpy as np

from engine.backends import new_highs
from engine.bom import find_cycles
from engine.plan import (
    Allocation,
    Costs,
    CraftRuns,
    FromRef,
    Plan,
    PlanStatus,
    Shortfall,
    Stats,
    Surplus,
    Take,
    ToRef,
    Trip,
)
from engine.problem import Problem, Tier
from engine.tolerances import (
    PIECE_ROUNDING,
    POLISH_FEASIBILITY,
    SNAP,
    STAGE_ABS,
    STAGE_REL,
    TINY_DIVISOR,
    floor_whole,
    loads,
)

SOLVER_NAME = "highs (plain model)"

# A use: ("demand", demand_id, -1) or ("blueprint", blueprint_id, ingredient_index).
Use = tuple[str, str, int]


@dataclass
class _Model:
    """The plain MILP in coordinate form plus the meaning of each column."""

    cost: list[float] = field(default_factory=list)
    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    integer: list[bool] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    cols: list[int] = field(default_factory=list)
    vals: list[float] = field(default_factory=list)
    row_lower: list[float] = field(default_factory=list)
    row_upper: list[float] = field(default_factory=list)
    # Column meanings.
    take_col: dict[str, int] = field(default_factory=dict)
    take_scale: dict[str, float] = field(default_factory=dict)
    run_col: dict[str, int] = field(default_factory=dict)
    short_col: dict[str, int] = field(default_factory=dict)
    trip_col: dict[str, int] = field(default_factory=dict)
    pair_col: list[tuple[int, tuple[str, str], Use]] = field(default_factory=list)

    def column(self, cost: float, lower: float, upper: float, integer: bool) -> int:
        self.cost.append(cost)
        self.lower.append(lower)
        self.upper.append(upper)
        self.integer.append(integer)
        return len(self.cost) - 1

    def row(self, entries: list[tuple[int, float]], lower: float, upper: float) -> int:
        r = len(self.row_lower)
        for col, val in entries:
            self.rows.append(r)
            self.cols.append(col)
            self.vals.append(val)
        self.row_lower.append(lower)
        self.row_upper.append(upper)
        return r

    @property
    def num_cols(self) -> int:
        return len(self.cost)

    @property
    def num_rows(self) -> int:
        return len(self.row_lower)


def _uses(problem: Problem) -> dict[str, list[tuple[Use, int]]]:
    """Every use of each item, with its quality floor."""
    uses: dict[str, list[tuple[Use, int]]] = defaultdict(list)
    for bp in problem.blueprints:
        for k, ing in enumerate(bp.ingredients):
            uses[ing.item].append((("blueprint", bp.id, k), ing.min_quality))
    for dem in problem.demands:
        uses[dem.item].append((("demand", dem.id, -1), dem.min_quality))
    return uses


def build_model(problem: Problem) -> _Model:
    """The plain model of ``problem`` with the weighted objective."""
    m = _Model()
    inf = math.inf
    items = {i.id: i for i in problem.items}
    uses = _uses(problem)
    policy = problem.policy

    # taken(s): a lot count when the source has a lot size, else the quantity itself.
    for src in problem.sources:
        piece = items[src.item].is_piece
        scale = src.lot_size if src.lot_size is not None else 1.0
        upper = inf if src.available is None else src.available / scale
        integer = piece or src.lot_size is not None
        if integer and math.isfinite(upper):
            upper = floor_whole(upper)
        m.take_col[src.id] = m.column(problem.effective_cost(src) * scale, 0.0, upper, integer)
        m.take_scale[src.id] = scale
    for bp in problem.blueprints:
        m.run_col[bp.id] = m.column(bp.run_cost, 0.0, inf, not bp.continuous)
    for dem in problem.demands:
        m.short_col[dem.id] = m.column(policy.shortfall_penalty, 0.0, dem.quantity, False)
    stop_of = {s.id: problem.stop(s.location) for s in problem.sources}
    located = sorted({stop for stop in stop_of.values() if stop is not None})
    for loc in located:
        m.trip_col[loc] = m.column(problem.trip_cost(loc), 0.0, inf, True)

    # Pair variables, and the rows that tie them to supplies and uses.
    into_use: dict[Use, list[tuple[int, float]]] = defaultdict(list)
    for src in problem.sources:
        piece = items[src.item].is_piece
        handed: list[tuple[int, float]] = []
        for use, floor in uses.get(src.item, []):
            if src.effective_quality < floor:
                continue
            col = m.column(0.0, 0.0, inf, piece)
            m.pair_col.append((col, ("source", src.id), use))
            handed.append((col, 1.0))
            into_use[use].append((col, 1.0))
        handed.append((m.take_col[src.id], -m.take_scale[src.id]))
        m.row(handed, -inf, 0.0)
    for bp in problem.blueprints:
        piece = items[bp.output.item].is_piece
        handed = []
        # Crafted output serves any use of its item, whatever the floor.
        for use, _floor in uses.get(bp.output.item, []):
            col = m.column(0.0, 0.0, inf, piece)
            m.pair_col.append((col, ("blueprint", bp.id), use))
            handed.append((col, 1.0))
            into_use[use].append((col, 1.0))
        handed.append((m.run_col[bp.id], -bp.output.quantity))
        m.row(handed, -inf, 0.0)

    # Every ingredient line met in full; each demand met up to its shortfall. A piece line is
    # handed whole pieces: exactly the need rounded up, i.e. within [need, need + 1).
    for bp in problem.blueprints:
        for k, ing in enumerate(bp.ingredients):
            entries = [*into_use.get(("blueprint", bp.id, k), []),
                       (m.run_col[bp.id], -ing.quantity)]
            m.row(entries, 0.0, PIECE_ROUNDING if items[ing.item].is_piece else 0.0)
    for dem in problem.demands:
        entries = [*into_use.get(("demand", dem.id, -1), []), (m.short_col[dem.id], 1.0)]
        m.row(entries, dem.quantity, dem.quantity)

    # Trips: trips(l) × capacity covers the volume hauled from stop l.
    by_location: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for src in problem.sources:
        stop = stop_of[src.id]
        if stop is not None:
            volume = items[src.item].volume * m.take_scale[src.id]
            by_location[stop].append((m.take_col[src.id], volume))
    for loc in located:
        m.row([*by_location[loc], (m.trip_col[loc], -policy.ship_capacity_scu)], -inf, 0.0)
    return m


def _stage_objectives(problem: Problem, m: _Model) -> list[tuple[str, np.ndarray]]:
    """The objectives to minimise in order: strict priority's stages, or just the weighted."""
    weighted = np.array(m.cost, dtype=np.float64)
    if not problem.policy.strict_priority:
        return [("weighted", weighted)]
    shortfall = np.zeros(m.num_cols)
    for col in m.short_col.values():
        shortfall[col] = 1.0
    market = np.zeros(m.num_cols)
    member = np.zeros(m.num_cols)
    for src in problem.sources:
        col, scale = m.take_col[src.id], m.take_scale[src.id]
        if src.tier is Tier.MARKET:
            market[col] = problem.unit_price(src) * scale
        elif src.tier is Tier.MEMBER:
            member[col] = scale
    return [("shortfall", shortfall), ("market spend", market), ("member quantity", member),
            ("weighted", weighted)]


def _highs(m: _Model) -> highspy.Highs:
    """A HiGHS instance holding the model (objective set per stage)."""
    order = np.lexsort((np.asarray(m.rows, dtype=np.int64), np.asarray(m.cols, dtype=np.int64)))
    cols = np.asarray(m.cols, dtype=np.int64)[order]
    lp = highspy.HighsLp()
    lp.num_col_ = m.num_cols
    lp.num_row_ = m.num_rows
    lp.col_cost_ = np.asarray(m.cost, dtype=np.float64)
    lp.col_lower_ = np.asarray(m.lower, dtype=np.float64)
    lp.col_upper_ = np.asarray(m.upper, dtype=np.float64)
    lp.row_lower_ = np.asarray(m.row_lower, dtype=np.float64)
    lp.row_upper_ = np.asarray(m.row_upper, dtype=np.float64)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    starts = np.zeros(m.num_cols + 1, dtype=np.int32)
    np.cumsum(np.bincount(cols, minlength=m.num_cols), out=starts[1:])
    lp.a_matrix_.start_ = starts
    lp.a_matrix_.index_ = np.asarray(m.rows, dtype=np.int32)[order]
    lp.a_matrix_.value_ = np.asarray(m.vals, dtype=np.float64)[order]
    lp.a_matrix_.num_col_ = m.num_cols
    lp.a_matrix_.num_row_ = m.num_rows
    lp.integrality_ = [highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
                       for i in m.integer]
    # The shared driver set-up at HiGHS' default feasibility tolerances (engine/tolerances.py
    # says why); the noise they leave is removed afterwards by an LP polish with the integers
    # fixed (_polish).
    h: highspy.Highs = new_highs(tight=False)
    h.passModel(lp)
    return h


@dataclass
class _Result:
    values: list[float] | None
    proven: bool
    gap: float | None
    stages: list[dict[str, object]]


def _solve_stages(problem: Problem, m: _Model, deadline: float | None) -> _Result:
    h = _highs(m)
    all_cols = np.arange(m.num_cols, dtype=np.int32)
    stages = _stage_objectives(problem, m)
    values: list[float] | None = None
    proven = True
    gap: float | None = 0.0
    log: list[dict[str, object]] = []
    for index, (name, objective) in enumerate(stages):
        if deadline is not None:
            left = deadline - time.perf_counter()
            if left <= 0:
                return _Result(values, False, None, log)
            h.setOptionValue("time_limit", left)
        h.changeColsCost(m.num_cols, all_cols, objective)
        started = time.perf_counter()
        h.run()
        status = h.getModelStatus()
        info = h.getInfo()
        has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
        log.append({"stage": name, "status": h.modelStatusToString(status),
                    "seconds": time.perf_counter() - started})
        if not has_solution:
            return _Result(values, False, None, log)
        values = list(h.getSolution().col_value)
        value = float(objective @ np.asarray(values))
        if status != highspy.HighsModelStatus.kOptimal:
            proven = False
            bound = info.mip_dual_bound
            gap = (max(0.0, value - bound) / max(abs(value), TINY_DIVISOR)
                   if math.isfinite(bound) else None)
        if index + 1 < len(stages):
            # Keep this stage's optimum for the stages after it.
            nz = np.flatnonzero(objective)
            h.addRow(-math.inf, value + STAGE_ABS + STAGE_REL * abs(value), len(nz),
                     nz.astype(np.int32), objective[nz])
    if values is not None:
        values = _polish(h, m, values)
    return _Result(values, proven, gap, log)


def _polish(h: highspy.Highs, m: _Model, values: list[float]) -> list[float]:
    """Re-solve the LP with every integer fixed at its rounded value and tight tolerances.

    The continuous flows then sit on an exact vertex instead of carrying the MIP's 1e-7
    noise; the LP can only lower the cost. If it fails, the MIP values are kept.
    """
    ints = np.flatnonzero(np.asarray(m.integer)).astype(np.int32)
    if len(ints) == 0 and not m.num_cols:
        return values
    fixed = np.round(np.asarray(values)[ints])
    h.changeColsIntegrality(len(ints), ints,
                            np.full(len(ints), highspy.HighsVarType.kContinuous))
    h.changeColsBounds(len(ints), ints, fixed, fixed)
    h.setOptionValue("primal_feasibility_tolerance", POLISH_FEASIBILITY)
    h.setOptionValue("dual_feasibility_tolerance", POLISH_FEASIBILITY)
    h.setOptionValue("time_limit", math.inf)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return values
    return list(h.getSolution().col_value)


def _snap(value: float, integer: bool) -> float:
    if integer:
        return float(round(value))
    if abs(value - round(value)) < SNAP:
        return float(round(value))
    return round(value, 9)


def solve_reference(problem: Problem, *, time_limit: float | None = None) -> Plan:
    """The optimal plan of ``problem`` by the plain model (HiGHS), in the spec's plan format.

    With a time limit the best plan found is returned with status ``feasible`` and the gap;
    if none was found the plan has status ``infeasible`` and no lines. A BOM cycle gives
    status ``invalid`` with the cycle named in ``errors``.
    """
    started = time.perf_counter()
    cycles = find_cycles(problem)
    if cycles:
        return Plan(status=PlanStatus.INVALID, stats=Stats(solver=SOLVER_NAME, gap=None),
                    errors=[{"kind": "blueprint", "id": cycle[1] if len(cycle) > 1 else cycle[0],
                             "field": "ingredients",
                             "message": "BOM cycle: " + " -> ".join([*cycle, cycle[0]]),
                             "cycle": cycle} for cycle in cycles])
    m = build_model(problem)
    build_seconds = time.perf_counter() - started
    deadline = None if time_limit is None else started + time_limit
    result = _solve_stages(problem, m, deadline)
    solve_seconds = time.perf_counter() - started - build_seconds
    extra: dict[str, object] = {
        "variables": m.num_cols, "constraints": m.num_rows,
        "integer_variables": sum(m.integer), "nonzeros": len(m.vals),
        "pairs": len(m.pair_col), "stages": result.stages,
    }
    if result.values is None:
        return Plan(status=PlanStatus.INFEASIBLE,
                    errors=[{"kind": "solver", "id": None, "field": "-",
                             "message": "no plan found within the time limit"}],
                    stats=Stats(solver=SOLVER_NAME, build_seconds=build_seconds,
                                solve_seconds=solve_seconds, gap=None, **extra))
    plan = _plan_from_values(problem, m, result.values)
    plan.status = PlanStatus.OPTIMAL if result.proven else PlanStatus.FEASIBLE
    plan.stats = Stats(solver=SOLVER_NAME, build_seconds=build_seconds,
                       solve_seconds=solve_seconds, gap=0.0 if result.proven else result.gap,
                       **extra)
    return plan


def _plan_from_values(problem: Problem, m: _Model, values: list[float]) -> Plan:
    """Read takes, runs and allocations off the columns; derive everything else from them."""
    items = {i.id: i for i in problem.items}
    sources = {s.id: s for s in problem.sources}
    blueprints = {b.id: b for b in problem.blueprints}
    policy = problem.policy

    taken: dict[str, float] = {}
    for sid, col in m.take_col.items():
        q = _snap(values[col], m.integer[col]) * m.take_scale[sid]
        if q > 0:
            taken[sid] = q
    runs: dict[str, float] = {}
    for bid, col in m.run_col.items():
        r = round(values[col]) if m.integer[col] else _snap(values[col], False)
        if r > 0:
            runs[bid] = r

    allocations: list[Allocation] = []
    handed: dict[tuple[str, str], float] = defaultdict(float)
    delivered: dict[str, float] = defaultdict(float)
    for col, supply, use in m.pair_col:
        q = _snap(values[col], m.integer[col])
        if q <= 0:
            continue
        from_ref = FromRef(source=supply[1]) if supply[0] == "source" \
            else FromRef(blueprint=supply[1])
        to_ref = ToRef(demand=use[1]) if use[0] == "demand" \
            else ToRef(blueprint=use[1], ingredient=use[2])
        allocations.append(Allocation(from_=from_ref, to=to_ref, quantity=q))
        handed[supply] += q
        if use[0] == "demand":
            delivered[use[1]] += q
    allocations.sort(key=lambda a: (a.from_.source or "", a.from_.blueprint or "",
                                    a.to.demand or "", a.to.blueprint or "",
                                    a.to.ingredient or 0))

    volume: dict[str, float] = defaultdict(float)
    for sid, q in taken.items():
        src = sources[sid]
        stop = problem.stop(src.location)
        if stop is not None:
            volume[stop] += q * items[src.item].volume
    trips = []
    for loc in sorted(volume):
        if volume[loc] <= 0:
            continue
        # A hair of slack so float dust never costs a whole extra trip.
        count = loads(volume[loc], policy.ship_capacity_scu)
        trips.append(Trip(location=loc, trips=count, volume_scu=round(volume[loc], 9)))

    shortfalls = []
    for dem in problem.demands:
        short = round(dem.quantity - delivered.get(dem.id, 0.0), 9)
        if short > SNAP:
            shortfalls.append(Shortfall(demand=dem.id, item=dem.item, quantity=short))

    left: dict[str, float] = defaultdict(float)
    for sid, q in taken.items():
        left[sources[sid].item] += q - handed.get(("source", sid), 0.0)
    for bid, r in runs.items():
        bp = blueprints[bid]
        left[bp.output.item] += bp.output.quantity * r - handed.get(("blueprint", bid), 0.0)
    surplus = [Surplus(item=i, quantity=round(q, 9)) for i, q in sorted(left.items())
               if round(q, 9) > SNAP]

    costs = Costs(
        sourcing=sum(problem.effective_cost(sources[s]) * q for s, q in taken.items()),
        crafting=sum(blueprints[b].run_cost * r for b, r in runs.items()),
        trips=sum(problem.trip_cost(t.location) * t.trips for t in trips),
        shortfall=policy.shortfall_penalty * sum(s.quantity for s in shortfalls),
    )
    return Plan(
        status=PlanStatus.FEASIBLE,
        objective=costs.total,
        complete=not shortfalls,
        costs=costs,
        takes=[Take(source=s, quantity=q) for s, q in sorted(taken.items())],
        allocations=allocations,
        crafts=[CraftRuns(blueprint=b, runs=r) for b, r in sorted(runs.items())],
        trips=trips,
        shortfalls=shortfalls,
        surplus=surplus,
    )

"""Solve a planning problem to a plan in the spec's format.

Pipeline: cycle check -> prune -> compact model (engine/formulation.py) -> greedy warm start
-> MILP solve (one weighted solve, or four staged solves in strict-priority mode) -> exact
plan reconstruction: snap integers, split pooled takes, rebuild allocations per item (uses in
decreasing min_quality, which the coverage rows make always possible), trim runs and takes
that serve nothing, recompute trips, shortfalls, surplus, costs and the objective from the
plan's own lines.
"""

from __future__ import annotations

import functools
import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from engine import greedy
from engine.assemble import assemble_plan
from engine.backends import Backend, Result, canonical, make_backend
from engine.bom import find_cycles, prune, topological_items
from engine.formulation import STAGES, Formulation, build_formulation
from engine.plan import (
    Allocation,
    FromRef,
    Plan,
    PlanStatus,
    Stats,
    ToRef,
)
from engine.problem import Problem, Source
from engine.reduce import split_take
from engine.tolerances import (
    DUST,
    GRID_NOISE,
    ROOM,
    SNAP,
    STAGE_TOLERANCE,
    TINY_DIVISOR,
    ceil_whole,
    floor_whole,
)

logger = logging.getLogger(__name__)

NOISE = DUST


def solve(problem: Problem, *, solver: str = "auto", time_limit: float | None = None,
          hint: Plan | None = None) -> Plan:
    """The optimal plan of ``problem`` (status ``optimal``), or with a time limit the best plan
    found (status ``feasible``, ``stats.gap`` the relative gap). A BOM cycle gives status
    ``invalid`` with the cycle named in ``errors``. ``hint`` is an optional starting plan
    (e.g. a base plan in what-if); otherwise the greedy plan is used as a warm start.
    """
    started = time.perf_counter()
    backend_name = canonical(solver)
    cycles = find_cycles(problem)
    if cycles:
        return invalid_plan(cycles, backend_name)
    pruned = prune(problem)
    formulation = build_formulation(pruned)
    model = formulation.model
    backend = make_backend(canonical(solver, columns=model.num_vars), model)
    # The greedy plan is a warm start only for back-ends that take one (HiGHS ignores hints):
    # elsewhere it is built only if the solver finds nothing in time, as the fallback.
    start_plan = hint
    if start_plan is None and backend.takes_hint:
        start_plan = _greedy(problem)
    if start_plan is not None:
        backend.set_hint(hint_values(formulation, start_plan))
    build_seconds = time.perf_counter() - started
    deadline = None if time_limit is None else started + time_limit

    outcome = _run_stages(formulation, backend, deadline)
    solve_seconds = time.perf_counter() - started - build_seconds
    stats_extra = {
        "variables": model.num_vars, "constraints": model.num_rows,
        "integer_variables": model.num_integer, "nonzeros": model.num_nonzeros,
        "sources": len(problem.sources), "pools": len(formulation.pools),
        "pruned_items": len(problem.items) - len(pruned.items),
        "pruned_blueprints": len(problem.blueprints) - len(pruned.blueprints),
        "pruned_sources": len(problem.sources) - len(pruned.sources),
        "stages": outcome.stages,
    }
    if outcome.result is None:
        fallback = start_plan if start_plan is not None else _greedy(problem)
        if fallback is None:
            fallback = empty_plan(problem)
        plan = rebuild_from_plan(problem, fallback)
        plan.status = PlanStatus.FEASIBLE
        plan.stats = Stats(solver=f"{backend.name} (no solution in time: greedy plan)",
                           build_seconds=build_seconds, solve_seconds=solve_seconds,
                           gap=relative_gap(plan.objective, weighted_bound(formulation, outcome)),
                           **stats_extra)
        return plan
    result = outcome.result
    takes, runs, shortfall = extract(formulation, result.values)
    plan = build_plan(problem, takes, runs, shortfall)
    if outcome.proven:
        plan.status = PlanStatus.OPTIMAL
        gap = 0.0
    else:
        plan.status = PlanStatus.FEASIBLE
        # The plan's own (recomputed, possibly trimmed) objective against a valid bound.
        objective = plan.objective if plan.objective is not None else result.objective
        gap = relative_gap(objective, weighted_bound(formulation, outcome))
    plan.stats = Stats(solver=backend.name, build_seconds=build_seconds,
                       solve_seconds=solve_seconds, gap=gap, **stats_extra)
    return plan


# -- staged solving -----------------------------------------------------------------------

@dataclass
class _Outcome:
    result: Result | None
    proven: bool
    stage: str
    stages: list[dict[str, float | str]] = field(default_factory=list)
    bounds: dict[str, float] = field(default_factory=dict)  # stage -> solver's lower bound


def weighted_bound(f: Formulation, outcome: _Outcome) -> float:
    """A valid lower bound on the optimal weighted objective, from what the stages proved.

    Weighted mode: the solver's bound. Strict mode stopped before the weighted stage: the
    optimal plan's shortfall is at least the shortfall stage's bound and its market spend at
    least the market stage's bound (each stage's feasible set contains every strict optimum,
    since the rows added before it keep values at least as large as the optimum's), and the
    weighted objective counts ``penalty·shortfall + Σ c·taken`` with ``c >= unit_price`` on
    market sources and every other term ``>= 0``. Without any bound: 0 (all costs are >= 0).
    """
    weighted = outcome.bounds.get("weighted", -math.inf)
    if math.isfinite(weighted):
        return max(0.0, weighted)
    bound = 0.0
    short = outcome.bounds.get("shortfall", -math.inf)
    if math.isfinite(short):
        bound += f.problem.policy.shortfall_penalty * max(0.0, short)
    market = outcome.bounds.get("market", -math.inf)
    if math.isfinite(market):
        bound += max(0.0, market)
    return bound


def relative_gap(objective: float | None, bound: float) -> float:
    """(objective − bound) / |objective|, never negative; 0 for a zero-cost plan."""
    if objective is None or not math.isfinite(objective):
        return math.inf
    if abs(objective) <= TINY_DIVISOR:
        return 0.0
    return max(0.0, objective - bound) / abs(objective)


def _run_stages(f: Formulation, backend: Backend, deadline: float | None) -> _Outcome:
    """One weighted solve, or the strict-priority stages each fixing the previous optimum."""
    stages = STAGES if f.strict else ("weighted",)
    best: Result | None = None
    best_stage = ""
    proven = True
    record: list[dict[str, float | str]] = []
    bounds: dict[str, float] = {}
    for stage in stages:
        coefs = f.objectives[stage]
        backend.set_objective(coefs)
        remaining = None if deadline is None else max(0.0, deadline - time.perf_counter())
        result = backend.solve(remaining)
        record.append({"stage": stage, "status": result.status, "seconds": result.seconds,
                       "objective": result.objective})
        bounds[stage] = result.objective if result.status == "optimal" else result.bound
        if result.status == "none":
            # Out of time before any solution of this stage: the previous stage's solution is
            # still a valid plan (every stage has the same feasible set).
            return _Outcome(best, False, best_stage, record, bounds)
        best, best_stage = result, stage
        proven = proven and result.status == "optimal"
        if stage != stages[-1]:
            if not coefs:
                continue
            # Keep this stage's optimum (the value reached; with a gap, the best found).
            keep = result.objective + STAGE_TOLERANCE * max(1.0, abs(result.objective))
            backend.add_row(-math.inf, keep, coefs)
            backend.set_hint(result.values)
    return _Outcome(best, proven, stages[-1], record, bounds)


# -- from solver values to plan quantities ------------------------------------------------

def extract(f: Formulation, values: list[float]
            ) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    """Source takes (pools split by id), runs (whole unless continuous) and snapped shortfalls
    from solver values."""
    problem = f.problem
    takes: dict[str, float] = {}
    for p in f.pools:
        raw = values[f.take_var[p.id]]
        scale = f.take_scale[p.id]
        piece = problem.item(p.item).is_piece
        if p.lot is not None or piece:
            amount = round(raw) * scale
        else:
            amount = _snap(max(0.0, raw))
            if amount < SNAP:
                amount = 0.0
            if p.available is not None:
                amount = min(amount, p.available)
        if amount > 0:
            takes.update(split_take(p, amount))
    runs: dict[str, float] = {}
    for bp_id, col in f.runs_var.items():
        if problem.blueprint(bp_id).continuous:
            # Not snapped: runs are multiplied by the output quantity, so snapping 0.75571509
            # to 0.755715 would turn 40 SCU into 39.999995 and report a shortfall.
            value = max(0.0, values[col])
            runs[bp_id] = 0.0 if value < SNAP else value
        else:
            runs[bp_id] = round(values[col])
    shortfall: dict[str, float] = {}
    for d_id, col in f.shortfall_var.items():
        value = values[col]
        if problem.item(problem.demand(d_id).item).is_piece:
            value = float(round(value))
        else:
            value = _snap(value)
        shortfall[d_id] = 0.0 if value < SNAP else value
    return takes, {b: r for b, r in runs.items() if r > 0}, shortfall


def _snap(value: float) -> float:
    """Solver values within 1e-7 of a multiple of 1e-6 are taken to be that multiple.

    Solvers return e.g. 9.999999999286 for 10; carried into the plan, such noise becomes
    a 7e-10 shortfall (7e-4 of penalty) or an extra trip. Problem data are given to far fewer
    decimals, and a change below 1e-7 stays inside the checking tolerance either way.
    """
    rounded = round(value, 6)
    return rounded if abs(value - rounded) <= GRID_NOISE else value


@dataclass
class _Supply:
    """One supply of an item during reconstruction: a source's take or a blueprint's output."""

    source: Source | None
    blueprint: str | None
    quality: int          # crafted output serves any min_quality: it gets 1001
    left: float
    order: tuple[float, int, str]


def build_plan(problem: Problem, takes: dict[str, float], runs: dict[str, float],
               shortfall: dict[str, float]) -> Plan:
    """A plan satisfying every rule exactly, rebuilt from takes, runs and intended shortfalls.

    Items are processed from finished products down to raw materials. For each item the uses
    (demands at quantity − intended shortfall, ingredient lines in full) are served in
    decreasing min_quality, each from eligible supplies (sources by cost, then crafted output):
    every supply eligible for a use is eligible for all later uses, so the coverage rows
    guarantee this greedy never strands a use. Float noise left on an ingredient line is
    topped up from a source with room. Runs whose output serves nothing are then dropped
    (before the ingredient items are processed), takes are trimmed to what was handed out
    (whole lots kept), leftover supply goes to demands still short, and trips, shortfalls,
    surplus, costs and objective are computed from the resulting lines.
    """
    takes = dict(takes)
    runs = dict(runs)
    sources_by_item: dict[str, list[Source]] = {}
    for s in problem.sources:
        sources_by_item.setdefault(s.item, []).append(s)
    makers: dict[str, list[str]] = {}
    for bp in sorted(problem.blueprints, key=lambda b: b.id):
        makers.setdefault(bp.output.item, []).append(bp.id)
    lines_by_item: dict[str, list[tuple[str, int]]] = {}
    for bp in problem.blueprints:
        for k, ing in enumerate(bp.ingredients):
            lines_by_item.setdefault(ing.item, []).append((bp.id, k))
    demands_by_item: dict[str, list[str]] = {}
    for d in problem.demands:
        demands_by_item.setdefault(d.item, []).append(d.id)

    allocations: list[Allocation] = []
    served: dict[str, float] = {}
    produced: dict[str, float] = {}
    for item_id in topological_items(problem):
        item = problem.item(item_id)
        piece = item.is_piece
        supplies: list[_Supply] = []
        for s in sources_by_item.get(item_id, []):
            amount = takes.get(s.id, 0.0)
            if amount > 0:
                supplies.append(_Supply(s, None, s.effective_quality, amount,
                                        (0.0, -s.effective_quality, s.id)))
        for bp_id in makers.get(item_id, []):
            r = runs.get(bp_id, 0)
            if r > 0:
                out = problem.blueprint(bp_id).output.quantity * r
                supplies.append(_Supply(None, bp_id, 1001, out, (1.0, 0, bp_id)))
        supplies.sort(key=lambda x: (x.order[0], problem.effective_cost(x.source)
                                     if x.source is not None else 0.0, x.order[1], x.order[2]))
        # (min_quality, kind, id, need): ingredient lines before demands at equal threshold so
        # that lines, which must be met in full, are never starved by a demand.
        uses: list[tuple[int, int, str, int, float]] = []
        for bp_id, k in lines_by_item.get(item_id, []):
            r = runs.get(bp_id, 0)
            if r <= 0:
                continue
            ing = problem.blueprint(bp_id).ingredients[k]
            need = ing.quantity * r
            if piece:
                need = float(ceil_whole(need))
            uses.append((ing.min_quality, 0, bp_id, k, need))
        for d_id in demands_by_item.get(item_id, []):
            d = problem.demand(d_id)
            target = max(0.0, d.quantity - shortfall.get(d_id, 0.0))
            if target > 0:
                uses.append((d.min_quality, 1, d_id, -1, target))
        uses.sort(key=lambda u: (-u[0], u[1], u[2], u[3]))
        used_from: dict[str, float] = {}
        hand_out = functools.partial(_hand_out, supplies, piece, used_from, allocations, served)

        for mq, kind, use_id, k, need in uses:
            left = hand_out(mq, kind, use_id, k, need)
            if left > NOISE * max(1.0, need) and (kind == 0 or left <= SNAP * max(1.0, need)):
                extra = _top_up(problem, sources_by_item.get(item_id, []), takes, mq, left)
                if extra is not None:
                    src, amount = extra
                    takes[src.id] = takes.get(src.id, 0.0) + amount
                    sup = next((x for x in supplies if x.source is not None
                                and x.source.id == src.id), None)
                    if sup is None:
                        sup = _Supply(src, None, src.effective_quality, 0.0,
                                      (0.0, -src.effective_quality, src.id))
                        supplies.append(sup)
                    sup.left += amount
                    hand_out(mq, kind, use_id, k, left)
        # Leftover supply (already paid for) goes to demands still short, highest floor first.
        for mq, kind, use_id, k, _need in uses:
            if kind == 1:
                short = problem.demand(use_id).quantity - served.get(use_id, 0.0)
                if short > NOISE * max(1.0, short):
                    hand_out(mq, kind, use_id, k, short)
        for d_id in demands_by_item.get(item_id, []):
            if d_id not in served:
                d = problem.demand(d_id)
                hand_out(d.min_quality, 1, d_id, -1, d.quantity)
        # Trim: runs to what their output handed out, takes to what they handed out.
        for bp_id in makers.get(item_id, []):
            r = runs.get(bp_id, 0)
            if r > 0:
                bp = problem.blueprint(bp_id)
                out = bp.output.quantity
                needed = used_from.get(f"bp:{bp_id}", 0.0) / out
                if not bp.continuous:
                    needed = ceil_whole(needed)
                runs[bp_id] = min(r, needed)
                produced[item_id] = produced.get(item_id, 0.0) + out * runs[bp_id]
        for s in sources_by_item.get(item_id, []):
            if s.id in takes:
                used = used_from.get(s.id, 0.0)
                if s.lot_size is not None:
                    trimmed = s.lot_size * ceil_whole(used / s.lot_size)
                else:
                    trimmed = used
                takes[s.id] = min(takes[s.id], trimmed)
    return finish_plan(problem, takes, runs, allocations)


def _hand_out(supplies: list[_Supply], piece: bool, used_from: dict[str, float],
              allocations: list[Allocation], served: dict[str, float],
              mq: int, kind: int, use_id: str, k: int, need: float) -> float:
    """Serve one use (kind 0: ingredient line (use_id, k); 1: demand use_id) from the eligible
    supplies in order; record the lines; return what is left unserved."""
    left = need
    # Float noise below this is not worth an allocation line (a checker reads it as a zero
    # line); what stays unserved by it is within the checking tolerance.
    noise = NOISE * max(1.0, need)
    for sup in supplies:
        if left <= noise:
            break
        if sup.quality < mq or sup.left <= noise:
            continue
        give = min(left, sup.left)
        if piece:
            give = float(floor_whole(give))
        if give <= noise:
            continue
        sup.left -= give
        left -= give
        key = sup.source.id if sup.source is not None else f"bp:{sup.blueprint}"
        used_from[key] = used_from.get(key, 0.0) + give
        allocations.append(Allocation(
            from_=FromRef(source=sup.source.id) if sup.source is not None
            else FromRef(blueprint=sup.blueprint),
            to=ToRef(demand=use_id) if kind == 1 else ToRef(blueprint=use_id, ingredient=k),
            quantity=give))
        if kind == 1:
            served[use_id] = served.get(use_id, 0.0) + give
    return left


def _top_up(problem: Problem, sources: list[Source], takes: dict[str, float], mq: int,
            missing: float) -> tuple[Source, float] | None:
    """The cheapest eligible source with room for ``missing`` more, if any.

    Only sources already taken from or inside the delivery location qualify (a top-up covers
    float noise and must never open a new trip), and never a lot source (a lot is not
    divisible).
    """
    best: tuple[float, str, Source] | None = None
    for s in sources:
        if s.effective_quality < mq or s.lot_size is not None:
            continue
        if takes.get(s.id, 0.0) <= 0 and problem.stop(s.location) is not None:
            continue
        room = math.inf if s.available is None else s.available - takes.get(s.id, 0.0)
        if room + ROOM < missing:
            continue
        key = (problem.effective_cost(s), s.id)
        if best is None or key < (best[0], best[1]):
            best = (key[0], key[1], s)
    if best is None:
        return None
    return best[2], missing


def finish_plan(problem: Problem, takes: dict[str, float], runs: Mapping[str, float],
                allocations: list[Allocation]) -> Plan:
    """Trips, shortfalls, surplus, costs and objective from the lines (engine.assemble)."""
    return assemble_plan(problem, takes, runs, allocations)


# -- warm starts and fallbacks ------------------------------------------------------------

def _greedy(problem: Problem) -> Plan | None:
    """The greedy plan (a warm start and the fallback), None when it fails."""
    try:
        return greedy.greedy_plan(problem)
    except Exception:
        # A broken warm start must never break the solve, but it must not hide either: the
        # solver then starts cold (slower, or no fallback plan at the time limit).
        logger.warning("greedy warm start failed; solving without it", exc_info=True)
        return None


def hint_values(f: Formulation, plan: Plan) -> list[float]:
    """Column values of a plan (takes summed per pool, lots counted), clipped to bounds."""
    model = f.model
    values = [0.0] * model.num_vars
    took = {t.source: t.quantity for t in plan.takes}
    for p in f.pools:
        total = sum(took.get(m.id, 0.0) for m in p.members)
        values[f.take_var[p.id]] = total / f.take_scale[p.id]
    crafted = {c.blueprint: c.runs for c in plan.crafts}
    for bp_id, col in f.runs_var.items():
        values[col] = float(crafted.get(bp_id, 0))
    short = {s.demand: s.quantity for s in plan.shortfalls}
    for d_id, col in f.shortfall_var.items():
        values[col] = short.get(d_id, 0.0)
    for (bp_id, k), col in f.line_var.items():
        q = f.problem.blueprint(bp_id).ingredients[k].quantity
        values[col] = float(ceil_whole(q * values[f.runs_var[bp_id]]))
    for bp_id, col in f.output_var.items():
        out = f.problem.blueprint(bp_id).output.quantity
        values[col] = float(floor_whole(out * values[f.runs_var[bp_id]]))
    cap = f.problem.policy.ship_capacity_scu
    volume: dict[str, float] = {}
    for t in plan.takes:
        try:
            src = f.problem.source(t.source)
        except KeyError:
            continue
        stop = f.problem.stop(src.location)
        if stop is not None:
            volume[stop] = volume.get(stop, 0.0) + t.quantity * f.problem.item(src.item).volume
    for loc, col in f.trips_var.items():
        values[col] = float(ceil_whole(volume.get(loc, 0.0) / cap))
    for col in range(model.num_vars):
        v = min(max(values[col], model.lb[col]), model.ub[col])
        values[col] = float(round(v)) if model.integer[col] else v
    return values


def empty_plan(problem: Problem) -> Plan:
    """The plan that takes and makes nothing: always valid in weighted mode."""
    return finish_plan(problem, {}, {}, [])


def rebuild_from_plan(problem: Problem, plan: Plan) -> Plan:
    """A plan's takes and runs pushed through the exact reconstruction (for fallbacks)."""
    takes = {t.source: t.quantity for t in plan.takes}
    runs: dict[str, float] = {c.blueprint: c.runs for c in plan.crafts}
    short = {s.demand: s.quantity for s in plan.shortfalls}
    try:
        return build_plan(problem, takes, runs, short)
    except Exception:
        # An unusable fallback degrades to the empty plan; say why, or an all-shortfall plan
        # looks like the solver's answer.
        logger.warning("fallback plan could not be rebuilt; using the empty plan", exc_info=True)
        return empty_plan(problem)


def invalid_plan(cycles: list[list[str]], solver: str) -> Plan:
    """Status ``invalid`` with one error per BOM cycle, naming it."""
    errors = [{"kind": "blueprint", "id": cycle[1] if len(cycle) > 1 else cycle[0],
               "field": "ingredients",
               "message": "BOM cycle: " + " -> ".join([*cycle, cycle[0]]),
               "cycle": cycle} for cycle in cycles]
    return Plan(status=PlanStatus.INVALID, objective=None, complete=False,
                stats=Stats(solver=solver, gap=None), errors=errors)

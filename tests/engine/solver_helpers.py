"""Shared helpers for the solver tests: a tiny random problem maker and a rule verifier.

The verifier is deliberately independent of engine/solve.py (it reads only the problem and
the plan); the engine checker runs on top of it.
"""

from __future__ import annotations

import math
import random
from typing import Any

from engine.checker import check
from engine.plan import Plan
from engine.problem import Problem, parse_problem

TOL_ABS = 1e-6
TOL_REL = 1e-9


def close_enough(a: float, b: float) -> bool:
    """a <= b within the project's tolerance."""
    return a <= b + TOL_ABS + TOL_REL * max(abs(a), abs(b))


def problem(items: list[dict[str, Any]], sources: list[dict[str, Any]],
            demands: list[dict[str, Any]], blueprints: list[dict[str, Any]] | None = None,
            locations: list[dict[str, Any]] | None = None, **policy: Any) -> Problem:
    """A validated problem with a hangar delivery location and a station ``st``."""
    locs = locations if locations is not None else [
        {"id": "hangar"}, {"id": "st", "trip_cost": 100}, {"id": "far", "trip_cost": 1000}]
    return parse_problem({
        "items": items, "locations": locs, "blueprints": blueprints or [],
        "sources": sources, "demands": demands,
        "policy": {"delivery_location": "hangar", **policy},
    })


def stop_of(p: Problem, location: str) -> str | None:
    """The spec's stop of a location, walked here without the engine's helper."""
    parent = {loc.id: loc.parent for loc in p.locations}
    chain: list[str] = []
    node: str | None = location
    while node is not None:
        chain.append(node)
        node = parent.get(node)
    if p.policy.delivery_location in chain:
        return None
    return next((loc for loc in chain if p.location(loc).trip_cost is not None), location)


def verify(p: Problem, plan: Plan) -> list[str]:
    """Every rule of the spec checked from the problem and the plan alone; [] when valid."""
    bad: list[str] = []
    taken = {t.source: t.quantity for t in plan.takes}
    runs = {c.blueprint: c.runs for c in plan.crafts}
    for s_id, q in taken.items():
        src = p.source(s_id)
        item = p.item(src.item)
        if src.available is not None and not close_enough(q, src.available):
            bad.append(f"take {s_id} {q} > available {src.available}")
        if src.lot_size is not None:
            n = q / src.lot_size
            if abs(n - round(n)) > 1e-6:
                bad.append(f"take {s_id} {q} not a multiple of lot {src.lot_size}")
        if item.is_piece and abs(q - round(q)) > 1e-9:
            bad.append(f"take {s_id} {q} not whole")
    out_from_source: dict[str, float] = {}
    out_from_bp: dict[str, float] = {}
    into_line: dict[tuple[str, int], float] = {}
    into_demand: dict[str, float] = {}
    for a in plan.allocations:
        if a.quantity <= 0:
            bad.append("zero allocation line")
        if a.from_.source is not None:
            src = p.source(a.from_.source)
            item_id, quality = src.item, src.effective_quality
            out_from_source[src.id] = out_from_source.get(src.id, 0.0) + a.quantity
        else:
            bp_id = a.from_.blueprint or ""
            item_id, quality = p.blueprint(bp_id).output.item, 10**6
            out_from_bp[bp_id] = out_from_bp.get(bp_id, 0.0) + a.quantity
        if p.item(item_id).is_piece and abs(a.quantity - round(a.quantity)) > 1e-9:
            bad.append(f"allocation {a} not whole")
        if a.to.demand is not None:
            d = p.demand(a.to.demand)
            use_item, mq = d.item, d.min_quality
            into_demand[d.id] = into_demand.get(d.id, 0.0) + a.quantity
        else:
            ing = p.blueprint(a.to.blueprint or "").ingredients[a.to.ingredient or 0]
            use_item, mq = ing.item, ing.min_quality
            key = (a.to.blueprint or "", a.to.ingredient or 0)
            into_line[key] = into_line.get(key, 0.0) + a.quantity
        if use_item != item_id:
            bad.append(f"allocation {a} item mismatch")
        if quality < mq:
            bad.append(f"allocation {a} quality {quality} < {mq}")
    for s_id, q in out_from_source.items():
        if not close_enough(q, taken.get(s_id, 0.0)):
            bad.append(f"source {s_id} hands out {q} > taken {taken.get(s_id, 0.0)}")
    for bp_id, q in out_from_bp.items():
        made = p.blueprint(bp_id).output.quantity * runs.get(bp_id, 0)
        if not close_enough(q, made):
            bad.append(f"blueprint {bp_id} hands out {q} > made {made}")
    for bp_id, r in runs.items():
        for k, ing in enumerate(p.blueprint(bp_id).ingredients):
            need = ing.quantity * r
            if not close_enough(need, into_line.get((bp_id, k), 0.0)):
                bad.append(f"line {bp_id}/{k} gets {into_line.get((bp_id, k), 0.0)} < {need}")
    short = {s.demand: s.quantity for s in plan.shortfalls}
    total_short = 0.0
    for d in p.demands:
        got = into_demand.get(d.id, 0.0)
        sf = max(0.0, d.quantity - got)
        if sf <= 1e-9 * max(1.0, d.quantity):
            # Float noise (a third of an SCU written to 9 decimals), not a shortfall: at a
            # 1e6 penalty it would still weigh 1e-3 in the objective.
            sf = 0.0
        total_short += sf
        if abs(short.get(d.id, 0.0) - sf) > 1e-6:
            bad.append(f"demand {d.id} shortfall {short.get(d.id)} != {sf}")
    volume: dict[str, float] = {}
    for s_id, q in taken.items():
        src = p.source(s_id)
        stop = stop_of(p, src.location)
        if stop is not None:
            volume[stop] = volume.get(stop, 0.0) + q * p.item(src.item).volume
    trips = {t.location: t.trips for t in plan.trips}
    for loc in trips:
        if stop_of(p, loc) != loc:
            bad.append(f"trips listed to {loc}, which is not a stop")
    for loc, vol in volume.items():
        if not close_enough(vol, trips.get(loc, 0) * p.policy.ship_capacity_scu):
            bad.append(f"trips at {loc}: {trips.get(loc, 0)} too few for {vol}")
    objective = sum(p.effective_cost(p.source(s)) * q for s, q in taken.items())
    objective += sum(p.blueprint(b).run_cost * r for b, r in runs.items())
    objective += sum(p.trip_cost(loc) * n for loc, n in trips.items())
    objective += p.policy.shortfall_penalty * total_short
    if plan.objective is None or abs(plan.objective - objective) > 1e-6 + 1e-9 * abs(objective):
        bad.append(f"objective {plan.objective} != recomputed {objective}")
    if plan.complete != (total_short <= 1e-9):
        bad.append("complete flag wrong")
    report = check(p, plan)
    bad.extend(f"checker: {v}" for v in report.violations)
    return bad


def random_problem(seed: int, *, items: int = 8, blueprints: int = 5, sources: int = 14,
                   demands: int = 3, strict: bool = False) -> Problem:
    """A small random acyclic problem exercising every feature (qualities, lots, pieces)."""
    rng = random.Random(seed)
    item_recs = []
    for i in range(items):
        if rng.random() < 0.4:
            item_recs.append({"id": f"i{i}", "unit": "piece",
                              "volume_scu": rng.choice([0.05, 0.5, 2.0])})
        else:
            item_recs.append({"id": f"i{i}", "unit": "scu"})
    piece = {r["id"] for r in item_recs if r["unit"] == "piece"}
    bp_recs = []
    for b in range(blueprints):
        # Output index above every ingredient index keeps the BOM acyclic.
        out = rng.randrange(1, items)
        ings = rng.sample(range(out), k=min(out, rng.randint(1, 3)))
        out_id = f"i{out}"
        bp_recs.append({
            "id": f"b{b}",
            "output": {"item": out_id,
                       "quantity": rng.choice([1, 2, 5]) if out_id in piece
                       else rng.choice([0.5, 1.0, 2.5])},
            "ingredients": [{
                "item": f"i{k}",
                "quantity": rng.choice([1, 2, 3]) if f"i{k}" in piece
                else rng.choice([0.3, 1.0, 1.7]),
                "min_quality": rng.choice([0, 0, 300, 600])} for k in ings],
            "run_cost": rng.choice([0, 5, 50]),
        })
    src_recs = []
    for s in range(sources):
        item_id = f"i{rng.randrange(items)}"
        tier = rng.choice(["own", "member", "market"])
        rec: dict[str, Any] = {
            "id": f"s{s:02d}", "item": item_id, "tier": tier,
            "location": rng.choice(["hangar", "st", "far"]),
            "quality": rng.choice([None, 200, 400, 700]),
            "reliability": rng.choice([1.0, 0.9, 0.6]),
        }
        if tier == "market":
            rec["unit_price"] = rng.choice([1, 10, 40])
            rec["available"] = None if rng.random() < 0.5 else float(rng.randint(1, 30))
        else:
            rec["available"] = float(rng.randint(0, 20))
            if tier == "member" and rng.random() < 0.3:
                rec["unit_price"] = 3
        if rng.random() < 0.25:
            rec["lot_size"] = float(rng.choice([2, 5]))
            if rec["available"] is not None:
                rec["available"] = rec["lot_size"] * rng.randint(0, 4)
        src_recs.append(rec)
    dem_recs = []
    for d in range(demands):
        item_id = f"i{rng.randrange(items)}"
        dem_recs.append({"id": f"d{d}", "item": item_id,
                         "quantity": rng.randint(1, 12) if item_id in piece
                         else rng.choice([1.5, 4.0, 10.0]),
                         "min_quality": rng.choice([0, 300, 500])})
    return problem(item_recs, src_recs, dem_recs, bp_recs,
                   ship_capacity_scu=rng.choice([4.0, 16.0, 96.0]),
                   shortfall_penalty=rng.choice([1000.0, 1e6]),
                   strict_priority=strict)


def pair_model_optimum(p: Problem) -> float:
    """The spec's optimum by a straightforward pair model (one column per (supply, use)).

    Written independently of engine/formulation.py so the compact model can be checked
    against it; solved with OR-Tools CBC. Weighted objective only.
    """
    from ortools.linear_solver import pywraplp

    s = pywraplp.Solver.CreateSolver("CBC")
    inf = s.infinity()
    take: dict[str, Any] = {}
    for src in p.sources:
        piece = p.item(src.item).is_piece
        ub = inf if src.available is None else src.available
        if src.lot_size is not None:
            n = s.IntVar(0, inf if src.available is None else
                         math.floor(src.available / src.lot_size + 1e-9), f"n{src.id}")
            take[src.id] = n * src.lot_size
        elif piece:
            take[src.id] = s.IntVar(0, ub, f"t{src.id}")
        else:
            take[src.id] = s.NumVar(0, ub, f"t{src.id}")
    runs = {b.id: s.IntVar(0, 10**4, f"r{b.id}") for b in p.blueprints}
    uses: list[tuple[str, int, Any, bool]] = []  # item, min_quality, need expression, demand?
    short = {}
    for d in p.demands:
        piece = p.item(d.item).is_piece
        short[d.id] = (s.IntVar if piece else s.NumVar)(0, d.quantity, f"sf{d.id}")
        uses.append((d.item, d.min_quality, d.quantity - short[d.id], True))
    for b in p.blueprints:
        for k, ing in enumerate(b.ingredients):
            if p.item(ing.item).is_piece and abs(ing.quantity - round(ing.quantity)) > 1e-9:
                w = s.IntVar(0, inf, f"w{b.id}{k}")
                s.Add(w >= ing.quantity * runs[b.id])
                uses.append((ing.item, ing.min_quality, w, False))
            else:
                uses.append((ing.item, ing.min_quality, ing.quantity * runs[b.id], False))
    pair_from_source: dict[str, list[Any]] = {src.id: [] for src in p.sources}
    pair_from_bp: dict[str, list[Any]] = {b.id: [] for b in p.blueprints}
    for u, (item_id, mq, need, _) in enumerate(uses):
        piece = p.item(item_id).is_piece
        make = s.IntVar if piece else s.NumVar
        got = []
        for src in p.sources:
            if src.item == item_id and src.effective_quality >= mq:
                x = make(0, inf, f"x{src.id}_{u}")
                pair_from_source[src.id].append(x)
                got.append(x)
        for b in p.blueprints:
            if b.output.item == item_id:
                x = make(0, inf, f"y{b.id}_{u}")
                pair_from_bp[b.id].append(x)
                got.append(x)
        s.Add(sum(got) >= need)
    for src in p.sources:
        if pair_from_source[src.id]:
            s.Add(sum(pair_from_source[src.id]) <= take[src.id])
    for b in p.blueprints:
        if pair_from_bp[b.id]:
            s.Add(sum(pair_from_bp[b.id]) <= b.output.quantity * runs[b.id])
    trip_terms = []
    for loc in p.locations:
        if loc.id == p.policy.delivery_location:
            continue
        here = [take[src.id] * p.item(src.item).volume for src in p.sources
                if src.location == loc.id]
        if here:
            t = s.IntVar(0, inf, f"trips{loc.id}")
            s.Add(t * p.policy.ship_capacity_scu >= sum(here))
            trip_terms.append(p.trip_cost(loc.id) * t)
    objective = sum(p.effective_cost(src) * take[src.id] for src in p.sources)
    objective += sum(b.run_cost * runs[b.id] for b in p.blueprints)
    objective += sum(trip_terms) + p.policy.shortfall_penalty * sum(short.values())
    s.Minimize(objective)
    params = pywraplp.MPSolverParameters()
    params.SetDoubleParam(params.RELATIVE_MIP_GAP, 0.0)
    status = s.Solve(params)
    assert status == pywraplp.Solver.OPTIMAL
    return float(s.Objective().Value())

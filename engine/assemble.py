"""The one plan assembler: from takes, runs and allocation lines to a spec plan.

Every planner (the optimiser's extraction in :mod:`engine.solve`, the naive greedy and the
make-or-buy baseline) decides only what to take, how many runs to craft and which supply
goes to which use. Trips, shortfalls, surplus, costs and the objective follow from those
lines by the spec's rules, and are computed here once so the planners cannot disagree on
them (issue 11 item 6).
"""

from __future__ import annotations

from collections.abc import Mapping

from engine.plan import (
    Allocation,
    Costs,
    CraftRuns,
    Plan,
    PlanStatus,
    Shortfall,
    Stats,
    Surplus,
    Take,
    Trip,
)
from engine.problem import Problem
from engine.tolerances import CHECK_ABS, DUST, loads


def clean(value: float) -> float:
    """Snap float dust from repeated arithmetic back to the nearest round figure."""
    rounded = round(value, 9)
    return 0.0 if abs(rounded) < DUST else rounded


def allocation_key(a: Allocation) -> tuple[str, str, str, str, int]:
    """Sort key of a line: its supply, then its use."""
    return (a.from_.source or "", a.from_.blueprint or "", a.to.demand or "",
            a.to.blueprint or "", a.to.ingredient if a.to.ingredient is not None else -1)


def merge_lines(allocations: list[Allocation]) -> list[Allocation]:
    """Lines sorted, one per (from, to): a top-up can split a use's share of a supply in two."""
    merged: list[Allocation] = []
    for a in sorted((a for a in allocations if a.quantity > 0), key=allocation_key):
        if merged and allocation_key(merged[-1]) == allocation_key(a):
            last = merged[-1]
            merged[-1] = Allocation(from_=last.from_, to=last.to,
                                    quantity=last.quantity + a.quantity)
        else:
            merged.append(a)
    return merged


def trips_for(problem: Problem, takes: Mapping[str, float]) -> list[Trip]:
    """The fewest trips that carry each stop's volume (stops in id order)."""
    volume: dict[str, float] = {}
    for s_id, qty in takes.items():
        src = problem.source(s_id)
        stop = problem.stop(src.location)
        if stop is not None:
            volume[stop] = volume.get(stop, 0.0) + qty * problem.item(src.item).volume
    trips: list[Trip] = []
    for loc in sorted(volume):
        if clean(volume[loc]) <= 0:
            continue
        # loads: float dust (2.0000000001 loads) costs no extra trip.
        count = loads(volume[loc], problem.policy.ship_capacity_scu)
        trips.append(Trip(location=loc, trips=count, volume_scu=clean(volume[loc])))
    return trips


def assemble_plan(problem: Problem, takes: Mapping[str, float], runs: Mapping[str, float],
                  allocations: list[Allocation], *,
                  status: PlanStatus = PlanStatus.FEASIBLE,
                  stats: Stats | None = None) -> Plan:
    """Trips, shortfalls, surplus, costs and objective from the lines; lines sorted and merged.

    Shortfalls are each demand's quantity minus what is allocated to it; surplus is what is
    taken or made and not handed on; amounts the checker reads as zero are no line.
    """
    policy = problem.policy
    takes = {s: q for s, q in takes.items() if q > 0}
    runs = {b: r for b, r in runs.items() if r > 0}
    trips = trips_for(problem, takes)
    served: dict[str, float] = {}
    handed: dict[str, float] = {}
    for a in allocations:
        if a.to.demand is not None:
            served[a.to.demand] = served.get(a.to.demand, 0.0) + a.quantity
        item_id = (problem.source(a.from_.source).item if a.from_.source is not None
                   else problem.blueprint(a.from_.blueprint or "").output.item)
        handed[item_id] = handed.get(item_id, 0.0) + a.quantity
    shortfalls: list[Shortfall] = []
    for d in sorted(problem.demands, key=lambda d: d.id):
        short = d.quantity - served.get(d.id, 0.0)
        if short > DUST * max(1.0, d.quantity) and clean(short) > CHECK_ABS:
            shortfalls.append(Shortfall(demand=d.id, item=d.item, quantity=clean(short)))
    supply: dict[str, float] = {}
    for s_id, qty in takes.items():
        item_id = problem.source(s_id).item
        supply[item_id] = supply.get(item_id, 0.0) + qty
    for b_id, r in runs.items():
        bp = problem.blueprint(b_id)
        supply[bp.output.item] = supply.get(bp.output.item, 0.0) + bp.output.quantity * r
    surplus = [Surplus(item=i, quantity=clean(supply[i] - handed.get(i, 0.0)))
               for i in sorted(supply)
               if supply[i] - handed.get(i, 0.0) > DUST * max(1.0, supply[i])
               and clean(supply[i] - handed.get(i, 0.0)) > CHECK_ABS]
    costs = Costs(
        sourcing=sum(problem.effective_cost(problem.source(s)) * q for s, q in takes.items()),
        crafting=sum(problem.blueprint(b).run_cost * r for b, r in runs.items()),
        trips=sum(problem.trip_cost(t.location) * t.trips for t in trips),
        shortfall=policy.shortfall_penalty * sum(s.quantity for s in shortfalls))
    return Plan(
        status=status,
        objective=costs.total,
        complete=not shortfalls,
        costs=costs,
        takes=[Take(source=s, quantity=q) for s, q in sorted(takes.items())],
        allocations=merge_lines(allocations),
        crafts=[CraftRuns(blueprint=b, runs=r) for b, r in sorted(runs.items())],
        trips=trips,
        shortfalls=shortfalls,
        surplus=surplus,
        stats=stats or Stats(),
    )

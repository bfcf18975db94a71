"""The greedy baseline: what a spreadsheet or a ranked source list would do.

Demands are walked in file order. Each need is served, in this order, from what earlier steps
already paid for (lot round-ups and whole-run crafts leave leftovers), then own stock, then
member stock, then market listings by effective cost; only when none of those covers the item
is it crafted, by the cheapest-looking blueprint, recursing into the ingredients. The result is
assembled into a full plan (trips, costs, surplus, shortfalls) exactly as the optimiser's plans
are, so it passes :func:`engine.checker.check` and benchmarks can report what the optimiser
saves.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from engine.assemble import assemble_plan, clean
from engine.plan import (
    Allocation,
    FromRef,
    Plan,
    PlanStatus,
    Stats,
    ToRef,
)
from engine.problem import Blueprint, Problem, Source, Tier
from engine.tolerances import DUST, WHOLE, ceil_whole, floor_whole

EPS = DUST
# Retries of one craft with fewer runs before the blueprint is given up for this need.
MAX_CRAFT_ATTEMPTS = 20

# Keys for allocation ends: ("source", id) / ("blueprint", id) and ("demand", id, -1) /
# ("blueprint", id, k).
SupplyKey = tuple[str, str]
UseKey = tuple[str, str, int]

_TIER_ORDER = {Tier.OWN: 0, Tier.MEMBER: 1, Tier.MARKET: 2}


def _whole_if_close(value: float) -> float:
    """A real number of runs, snapped to the whole number it is within float dust of (so that
    3.0000000004 runs do not ask for a fourth whole piece)."""
    return float(round(value)) if abs(value - round(value)) <= EPS else value


def lines_of(allocations: Mapping[tuple[SupplyKey, UseKey], float]) -> list[Allocation]:
    """The walk's (supply, use) -> quantity map as plan lines."""
    lines: list[Allocation] = []
    for (supply, use), q in allocations.items():
        if q <= EPS:
            continue
        from_ref = FromRef(source=supply[1]) if supply[0] == "source" \
            else FromRef(blueprint=supply[1])
        to_ref = ToRef(demand=use[1]) if use[0] == "demand" \
            else ToRef(blueprint=use[1], ingredient=use[2])
        lines.append(Allocation(from_=from_ref, to=to_ref, quantity=q))
    return lines


@dataclass
class _State:
    """Everything the greedy walk has committed so far (copied to try a craft)."""

    taken: dict[str, float] = field(default_factory=dict)
    handed_source: dict[str, float] = field(default_factory=dict)
    runs: dict[str, float] = field(default_factory=dict)
    handed_blueprint: dict[str, float] = field(default_factory=dict)
    allocations: dict[tuple[SupplyKey, UseKey], float] = field(default_factory=dict)

    def copy(self) -> _State:
        return _State(dict(self.taken), dict(self.handed_source), dict(self.runs),
                      dict(self.handed_blueprint), dict(self.allocations))

    def allocate(self, supply: SupplyKey, use: UseKey, q: float) -> None:
        key = (supply, use)
        self.allocations[key] = clean(self.allocations.get(key, 0.0) + q)
        book = self.handed_source if supply[0] == "source" else self.handed_blueprint
        book[supply[1]] = clean(book.get(supply[1], 0.0) + q)


class _Greedy:
    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.items = {i.id: i for i in problem.items}
        self.state = _State()
        self.sources_by_item: dict[str, list[Source]] = defaultdict(list)
        for src in problem.sources:
            self.sources_by_item[src.item].append(src)
        for lst in self.sources_by_item.values():
            lst.sort(key=lambda s: (_TIER_ORDER[s.tier], problem.effective_cost(s), s.id))
        self.blueprints_by_item: dict[str, list[Blueprint]] = defaultdict(list)
        for bp in problem.blueprints:
            self.blueprints_by_item[bp.output.item].append(bp)
        cheapest: dict[str, float] = {}
        for src in problem.sources:
            c = problem.effective_cost(src)
            cheapest[src.item] = min(cheapest.get(src.item, c), c)
        for item, bps in self.blueprints_by_item.items():
            # "Cheapest-looking": run cost plus one level of ingredients at their cheapest
            # listed price, per unit of output; unpriceable ingredients sort last.
            def estimate(bp: Blueprint) -> tuple[float, str]:
                cost = bp.run_cost + sum(ing.quantity * cheapest.get(ing.item, 1e12)
                                         for ing in bp.ingredients)
                return cost / bp.output.quantity, bp.id
            bps.sort(key=estimate)
            self.blueprints_by_item[item] = bps

    def whole(self, item_id: str, q: float) -> float:
        """A need in the item's unit: whole pieces are rounded up."""
        if self.items[item_id].is_piece:
            return float(ceil_whole(q))
        return q

    def fulfil(self, item_id: str, need: float, floor: int, use: UseKey,
               path: frozenset[str]) -> float:
        """Serve `need` of an item to `use`; returns how much was allocated."""
        need = self.whole(item_id, need)
        piece = self.items[item_id].is_piece
        got = 0.0

        def give(supply: SupplyKey, q: float) -> None:
            nonlocal got
            if piece:
                q = floor_whole(q)
            if q <= EPS:
                return
            self.state.allocate(supply, use, q)
            got = clean(got + q)

        # 1. Leftovers already paid for: surplus crafted output, then surplus taken stock.
        # (self.state is re-read everywhere: a failed craft below swaps in a restored copy.)
        st = self.state
        for bp in self.blueprints_by_item.get(item_id, []):
            left = bp.output.quantity * st.runs.get(bp.id, 0) - st.handed_blueprint.get(bp.id, 0)
            if need - got > EPS and left > EPS:
                give(("blueprint", bp.id), min(left, need - got))
        for src in self.sources_by_item.get(item_id, []):
            if src.effective_quality < floor:
                continue
            left = st.taken.get(src.id, 0.0) - st.handed_source.get(src.id, 0.0)
            if need - got > EPS and left > EPS:
                give(("source", src.id), min(left, need - got))
        def from_stock(dearest: float) -> None:
            # Own, member, then market stock by effective cost (the list is sorted that way).
            for src in self.sources_by_item.get(item_id, []):
                if need - got <= EPS:
                    break
                if src.effective_quality < floor or self.problem.effective_cost(src) > dearest:
                    continue
                q = self.take(src, need - got)
                if q > EPS:
                    give(("source", src.id), min(q, need - got))

        def from_crafts() -> None:
            # Crafts may replace self.state.
            if need - got > EPS and item_id not in path:
                for bp in self.blueprints_by_item.get(item_id, []):
                    if need - got <= EPS:
                        break
                    made = self.craft(bp, need - got, path | {item_id})
                    if made > EPS:
                        give(("blueprint", bp.id), min(made, need - got))

        # 2. Stock no dearer than making, 3. crafts, 4. the rest of the stock. The naive
        # greedy prices making at infinity: all stock first, crafts for what none covers.
        from_stock(self.make_cost(item_id))
        from_crafts()
        from_stock(math.inf)
        return got

    def make_cost(self, item_id: str) -> float:
        """Unit cost of making an item, below which stock is bought before crafting; the naive
        greedy never looks (the make-or-buy baseline, engine.baselines, does)."""
        return math.inf

    def take(self, src: Source, want: float) -> float:
        """Take up to `want` more from a source (whole lots and pieces); returns new stock."""
        st = self.state
        already = st.taken.get(src.id, 0.0)
        room = math.inf if src.available is None else src.available - already
        if room <= EPS:
            return 0.0
        q = self.whole(src.item, want)
        if src.lot_size is not None:
            lot = src.lot_size
            lots = ceil_whole(q / lot)
            if lots * lot > room + WHOLE:
                lots = floor_whole(room / lot)
            q = lots * lot
        else:
            q = min(q, room)
        q = clean(q)
        if q <= EPS:
            return 0.0
        st.taken[src.id] = clean(already + q)
        return q

    def craft(self, bp: Blueprint, want: float, path: frozenset[str]) -> float:
        """Run a blueprint enough times for `want` of its output, if its ingredients allow.

        Ingredient lines must be met in full, so a craft is tried on a copy of the state and
        retried with fewer runs (as many as the scarcest ingredient allows) when it falls short.
        Returns the output made available (all of it, including what rounding makes extra).
        """
        runs: float = _whole_if_close(want / bp.output.quantity)
        if not bp.continuous:
            runs = ceil_whole(runs)
        for _ in range(MAX_CRAFT_ATTEMPTS):
            if runs <= EPS:
                return 0.0
            saved = self.state.copy()
            limit = runs
            before = self.state.runs.get(bp.id, 0)
            for k, ing in enumerate(bp.ingredients):
                # A line is met in whole pieces for all runs together: earlier crafts of this
                # blueprint already rounded their share up.
                need = self.whole(ing.item, ing.quantity * (before + runs)) - \
                    self.whole(ing.item, ing.quantity * before)
                got = self.fulfil(ing.item, need, ing.min_quality, ("blueprint", bp.id, k), path)
                if got < need - DUST:
                    limit = _whole_if_close(got / ing.quantity)
                    if not bp.continuous:
                        limit = min(runs - 1, floor_whole(limit))
                    break
            if limit == runs:
                self.state.runs[bp.id] = self.state.runs.get(bp.id, 0) + runs
                return bp.output.quantity * runs
            self.state = saved
            runs = limit
        return 0.0

    def run(self) -> None:
        for dem in self.problem.demands:
            self.fulfil(dem.item, dem.quantity, dem.min_quality, ("demand", dem.id, -1),
                        frozenset())


def greedy_plan(problem: Problem) -> Plan:
    """The spreadsheet baseline plan (status ``feasible``, ``stats.solver == "greedy"``).

    Never raises on a valid problem: cyclic BOMs are cut where an item would be crafted from
    itself, and whatever cannot be served becomes a shortfall.
    """
    started = time.perf_counter()
    walk = _Greedy(problem)
    walk.run()
    st = walk.state
    elapsed = time.perf_counter() - started
    return assemble_plan(problem, {s: q for s, q in st.taken.items() if q > EPS}, st.runs,
                         lines_of(st.allocations), status=PlanStatus.FEASIBLE,
                         stats=Stats(solver="greedy", build_seconds=0.0, solve_seconds=elapsed,
                                     gap=None))

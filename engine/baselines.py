"""The make-or-buy baseline: what a planner with a spreadsheet does, as a second yardstick.

The naive greedy (:mod:`engine.greedy`) buys a finished good whenever any listing has it and
crafts only when none does. A planner with a spreadsheet does better: it rolls up each
recipe's cost — run cost plus each ingredient at the cheaper of its best price and its own
rolled-up cost — and per item buys the stock that is cheaper than making, makes the rest, and
buys dearer stock only for what it cannot make; trips are paid afterwards for whatever the
choices fetch. Savings reported against both baselines tell how
much of the optimiser's edge is make-or-buy arithmetic and how much is the joint choice
(trips, lot sizes, qualities and shared stock weighed together).
"""

from __future__ import annotations

import math
import time

from engine.assemble import assemble_plan
from engine.greedy import _Greedy, lines_of
from engine.plan import Plan, PlanStatus, Stats
from engine.problem import Blueprint, Problem


class _MakeOrBuy(_Greedy):
    """The greedy walk, crafting first wherever the rolled-up recipe is the cheaper unit."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem)
        self._made: dict[str, float] = {}
        self._rolling: set[str] = set()
        for item_id, bps in self.blueprints_by_item.items():
            bps.sort(key=lambda bp: (self.recipe_cost(bp), bp.id))
            self.blueprints_by_item[item_id] = bps
        for sources in self.sources_by_item.values():
            # By price alone: the spreadsheet has no notion of whose stock comes first.
            sources.sort(key=lambda s: (problem.effective_cost(s), s.id))

    def buy_cost(self, item_id: str, floor: int) -> float:
        """Cheapest effective unit cost of a source meeting the floor (inf without one)."""
        return min((self.problem.effective_cost(s) for s in self.sources_by_item.get(item_id, [])
                    if s.effective_quality >= floor and (s.available is None or s.available > 0)),
                   default=math.inf)

    def make_cost(self, item_id: str) -> float:
        """Cheapest rolled-up unit cost over the item's recipes (inf when none can be costed;
        a recipe that needs the item itself, through a BOM cycle, is not costed)."""
        if item_id in self._made:
            return self._made[item_id]
        if item_id in self._rolling:
            return math.inf
        self._rolling.add(item_id)
        cost = min((self.recipe_cost(bp) for bp in self.blueprints_by_item.get(item_id, [])),
                   default=math.inf)
        self._rolling.discard(item_id)
        self._made[item_id] = cost
        return cost

    def recipe_cost(self, bp: Blueprint) -> float:
        """Run cost plus ingredients at their cheaper of buying and making, per unit made."""
        total = bp.run_cost
        for ing in bp.ingredients:
            total += ing.quantity * min(self.buy_cost(ing.item, ing.min_quality),
                                        self.make_cost(ing.item))
        return total / bp.output.quantity


def make_or_buy_plan(problem: Problem) -> Plan:
    """The make-or-buy baseline plan (status ``feasible``, ``stats.solver == "make-or-buy"``).

    Like :func:`engine.greedy.greedy_plan` it never raises on a valid problem and what cannot
    be served becomes a shortfall; the plan passes :func:`engine.checker.check`.
    """
    started = time.perf_counter()
    walk = _MakeOrBuy(problem)
    walk.run()
    st = walk.state
    return assemble_plan(problem, st.taken, st.runs, lines_of(st.allocations),
                         status=PlanStatus.FEASIBLE,
                         stats=Stats(solver="make-or-buy", build_seconds=0.0,
                                     solve_seconds=time.perf_counter() - started, gap=None))

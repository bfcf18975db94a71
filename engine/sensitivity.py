"""Price sensitivity of a plan: how far each bought price can move before the choice flips.

The plan's integer decisions (trips, whole runs, lots, whole pieces, piece shortfalls) are
fixed at their planned values and the rest of the model (docs/engine/formulation.md, one
column per source: no pooling, no dominance pruning) is solved as a linear programme with
HiGHS. Cost ranging of that LP gives, for every continuous take, the interval of its
effective unit cost over which the LP's optimal basis, hence the planned choice, stays
optimal; dividing by the reliability factor turns it into a range of the source's
``unit_price``. Just above the upper end the LP is re-solved to name what replaces the take
(the next best): another source, a craft, or falling short. docs/engine/explain.md has the
math and its limits (the ranges hold with trips, runs and lots as planned).
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, Field

from engine.plan import Plan, PlanStatus
from engine.problem import Problem

# Relative step past a bound when re-solving for the next best.
STEP = 1e-6
# Column values closer than this are the same.
TOL = 1e-7
# Beyond this many takes the next best is read from the ranging's entering column only.
MAX_RESOLVES = 200


class Replacement(BaseModel):
    """What the plan turns to when a take's price passes its upper bound."""

    kind: Literal["source", "craft", "shortfall", "less"]
    source: str | None = None
    blueprint: str | None = None
    demand: str | None = None
    item: str | None = None
    location: str | None = None
    unit_price: float | None = None
    quantity: float | None = Field(default=None, description="how much more of it is used")


class PriceRange(BaseModel):
    """One planned take and the unit prices over which buying it stays optimal."""

    source: str
    item: str
    location: str
    tier: str
    quantity: float
    unit_price: float
    lower: float | None = Field(description="lowest unit price at which the take is "
                                "unchanged (null: any lower price)")
    upper: float | None = Field(description="highest unit price at which the take is "
                                "unchanged (null: any higher price)")
    next_best: Replacement | None = Field(default=None, description="what replaces the take "
                                          "just above `upper`")
    fixed: bool = Field(default=False, description="a whole-unit or lot take: fixed in the "
                        "LP, so no range is given")
    note: str | None = None


class Sensitivity(BaseModel):
    """Price ranges for every take of a plan (empty with a note when not computable)."""

    basis: str = "LP with trips, runs, lots and whole pieces fixed as planned"
    lines: list[PriceRange] = Field(default_factory=list)
    alternatives: list[PriceRange] = Field(default_factory=list, description=(
        "per item the plan buys, the untaken source closest to being bought: quantity 0, "
        "`lower` the unit price below which the plan would start buying it"))
    note: str | None = None


def sensitivity(problem: Problem, plan: Plan, *, max_resolves: int = MAX_RESOLVES
                ) -> Sensitivity:
    """Price ranges of the plan's takes (see the module docstring)."""
    if plan.status not in (PlanStatus.OPTIMAL, PlanStatus.FEASIBLE) or not plan.takes:
        return Sensitivity(note="no takes to range" if plan.takes else None)
    from engine.bom import find_cycles

    if find_cycles(problem):
        return Sensitivity(note="the problem has a BOM cycle")
    return _Ranger(problem, plan).run(max_resolves)


class _Ranger:
    def __init__(self, problem: Problem, plan: Plan) -> None:
        from engine.bom import prune
        from engine.formulation import build_formulation
        from engine.solve import hint_values

        self.problem = problem
        self.plan = plan
        self.f = build_formulation(prune(problem), strict=False, pool=False, dominance=False)
        self.planned = hint_values(self.f, plan)
        self.col_source = {self.f.take_var[p.id]: p.members[0].id for p in self.f.pools}
        self.col_runs = {c: b for b, c in self.f.runs_var.items()}
        self.col_short = {c: d for d, c in self.f.shortfall_var.items()}

    def _load(self) -> Any:
        import highspy
        import numpy as np

        model = self.f.model
        h = getattr(highspy._core, "_Highs", highspy.Highs)()
        for key, value in (("output_flag", False), ("threads", 1), ("random_seed", 0),
                           ("primal_feasibility_tolerance", 1e-9),
                           ("dual_feasibility_tolerance", 1e-9)):
            h.setOptionValue(key, value)
        inf = highspy.kHighsInf
        n = model.num_vars
        cost = np.zeros(n)
        for col, value in self.f.objectives["weighted"].items():
            cost[col] = value
        lb = np.clip(np.asarray(model.lb, dtype=np.float64), -inf, inf)
        ub = np.clip(np.asarray(model.ub, dtype=np.float64), -inf, inf)
        for col in range(n):
            if model.integer[col]:
                lb[col] = ub[col] = self.planned[col]
        h.addCols(n, cost, lb, ub, 0, np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32),
                  np.zeros(0))
        for r in range(model.num_rows):
            h.addRow(max(model.row_lb[r], -inf), min(model.row_ub[r], inf),
                     len(model.row_index[r]), np.asarray(model.row_index[r], dtype=np.int32),
                     np.asarray(model.row_coef[r], dtype=np.float64))
        return h

    def run(self, max_resolves: int) -> Sensitivity:
        import highspy

        h = self._load()
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return Sensitivity(note="the LP with the plan's integer decisions fixed has no "
                               f"optimum ({h.modelStatusToString(h.getModelStatus())})")
        base = list(h.getSolution().col_value)
        ranging = h.getRanging()
        ranges = ranging[1] if isinstance(ranging, tuple) else ranging
        pool_of = {m.id: p for p in self.f.pools for m in p.members}
        lines: list[PriceRange] = []
        resolves = 0
        for take in self.plan.takes:
            src = self.problem.source(take.source)
            pool = pool_of.get(src.id)
            line = PriceRange(source=src.id, item=src.item, location=src.location,
                              tier=src.tier.value, quantity=take.quantity,
                              unit_price=self.problem.unit_price(src), lower=None, upper=None)
            lines.append(line)
            if pool is None:
                line.note = "not in the model (serves no use)"
                continue
            col = self.f.take_var[pool.id]
            if self.f.model.integer[col]:
                line.fixed = True
                line.note = "whole units or lots: fixed at the planned quantity in the LP"
                continue
            scale = self.f.take_scale[pool.id]
            factor = self.problem.effective_cost(src) / line.unit_price if line.unit_price \
                else 1.0 + self.problem.policy.reliability_weight * (1.0 - src.reliability)
            up = ranges.col_cost_up.value_[col]
            dn = ranges.col_cost_dn.value_[col]
            line.upper = _price(up, scale * factor)
            low = _price(dn, scale * factor)
            line.lower = None if low is None or low <= 0 else low
            if line.upper is None:
                continue
            if resolves < max_resolves:
                resolves += 1
                line.next_best = self._next_best(h, col, up, base)
            else:
                line.next_best = self._entering(ranges.col_cost_up.in_var_[col])
        return Sensitivity(lines=lines, alternatives=self._alternatives(ranges, base))

    def _alternatives(self, ranges: Any, base: list[float]) -> list[PriceRange]:
        """Per item taken, the continuous untaken source with the highest entry price."""
        taken = {self.problem.source(t.source).item for t in self.plan.takes}
        best: dict[str, PriceRange] = {}
        for p in self.f.pools:
            col = self.f.take_var[p.id]
            if p.item not in taken or self.f.model.integer[col] or base[col] > TOL:
                continue
            src = p.members[0]
            price = self.problem.unit_price(src)
            factor = self.f.take_scale[p.id] * (
                1.0 + self.problem.policy.reliability_weight * (1.0 - src.reliability))
            low = _price(ranges.col_cost_dn.value_[col], factor)
            if low is None or low <= 0 or low > price + TOL:
                continue
            line = PriceRange(source=src.id, item=src.item, location=src.location,
                              tier=src.tier.value, quantity=0.0, unit_price=price, lower=low,
                              upper=None)
            if p.item not in best or low > (best[p.item].lower or 0.0):
                best[p.item] = line
        return [best[i] for i in sorted(best)]

    def _next_best(self, h: Any, col: int, upper: float, base: list[float]) -> Replacement:
        """Re-solve just above ``upper``: the column that grows most replaces the take."""
        old = self.f.objectives["weighted"].get(col, 0.0)
        h.changeColCost(col, upper + STEP * max(1.0, abs(upper)))
        h.run()
        values = list(h.getSolution().col_value)
        h.changeColCost(col, old)
        h.run()
        best: tuple[float, int] | None = None
        for c, value in enumerate(values):
            grow = value - base[c]
            if c == col or grow <= TOL:
                continue
            if c in self.col_source or c in self.col_runs or c in self.col_short:
                weight = grow * self.f.take_scale.get(self._pool_id(c), 1.0) \
                    if c in self.col_source else grow
                if best is None or weight > best[0]:
                    best = (weight, c)
        if best is None:
            return Replacement(kind="less")
        return self._describe(best[1], best[0])

    def _pool_id(self, col: int) -> str:
        return self.col_source[col]

    def _entering(self, var: int) -> Replacement:
        if 0 <= var < self.f.model.num_vars and (
                var in self.col_source or var in self.col_runs or var in self.col_short):
            return self._describe(var, None)
        return Replacement(kind="less")

    def _describe(self, col: int, quantity: float | None) -> Replacement:
        if col in self.col_source:
            src = self.problem.source(self.col_source[col])
            return Replacement(kind="source", source=src.id, item=src.item,
                               location=src.location, unit_price=self.problem.unit_price(src),
                               quantity=quantity)
        if col in self.col_runs:
            bp = self.problem.blueprint(self.col_runs[col])
            return Replacement(kind="craft", blueprint=bp.id, item=bp.output.item,
                               quantity=quantity)
        dem = self.problem.demand(self.col_short[col])
        return Replacement(kind="shortfall", demand=dem.id, item=dem.item, quantity=quantity)


def _price(column_cost: float, per_price: float) -> float | None:
    """A column cost bound as a unit price (None when unbounded)."""
    if not math.isfinite(column_cost) or abs(column_cost) >= 1e29 or per_price <= 0:
        return None
    return column_cost / per_price

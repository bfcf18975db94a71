"""An independent plan checker: every rule of `quartermaster.plan/1` verified from the problem
and the plan alone.

The checker never trusts the plan's own totals: it recomputes taken quantities, outputs,
volumes, trips, costs and the weighted objective from the plan's lines and compares. Every
broken rule becomes one human-readable violation string that names the offending line, so a
failing test or a CLI `check` run says exactly what is wrong.

Tolerance (team decision): two numbers agree when ``|a - b| <= 1e-6 + 1e-9 * max(|a|, |b|)``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable

from pydantic import BaseModel, Field

from engine.plan import PLAN_FORMAT, Allocation, Costs, Plan, PlanStatus
from engine.problem import Problem
from engine.quantity import format_quantity
from engine.tolerances import CHECK_ABS, CHECK_REL

ABS_TOL = CHECK_ABS
REL_TOL = CHECK_REL

# Statuses a plan with lines may carry; `invalid`/`infeasible` plans are answers without a
# plan and cannot be checked against the rules.
PLAN_STATUSES = (PlanStatus.OPTIMAL, PlanStatus.FEASIBLE)


def tolerance(*values: float) -> float:
    """The allowed absolute difference between numbers of these magnitudes."""
    scale = max((abs(v) for v in values if math.isfinite(v)), default=0.0)
    return ABS_TOL + REL_TOL * scale


def close(a: float, b: float) -> bool:
    """Whether two numbers agree within the team tolerance."""
    return abs(a - b) <= tolerance(a, b)


def at_most(a: float, b: float) -> bool:
    """`a <= b` within the team tolerance."""
    return a <= b + tolerance(a, b)


def is_whole(value: float) -> bool:
    """Whether a value is a whole number within the team tolerance."""
    return close(value, round(value))


def fmt(value: float) -> str:
    """A number in a violation message: the shared quantity format, with nine decimals so a
    violation just beyond the tolerance still shows its digits."""
    return format_quantity(value, decimals=9)


class CheckReport(BaseModel):
    """Outcome of :func:`check`: the broken rules and the recomputed costs and objective."""

    ok: bool
    violations: list[str] = Field(default_factory=list)
    objective: float
    costs: Costs
    # Numbers computed on the way, handy for explanations and tests.
    taken: dict[str, float] = Field(default_factory=dict)
    volumes: dict[str, float] = Field(default_factory=dict)
    surplus: dict[str, float] = Field(default_factory=dict)

    def summary(self) -> str:
        """One line when the plan passes, otherwise every violation on its own line."""
        if self.ok:
            return f"plan ok: objective {fmt(self.objective)}"
        lines = "\n".join(f"  - {v}" for v in self.violations)
        return f"plan breaks {len(self.violations)} rule(s):\n{lines}"


class PlanCheckError(AssertionError):
    """Raised by :func:`check_or_raise`; an AssertionError so pytest shows it as a failure."""

    def __init__(self, report: CheckReport) -> None:
        self.report = report
        super().__init__(report.summary())


def check_or_raise(problem: Problem, plan: Plan) -> CheckReport:
    """Check a plan and raise :class:`PlanCheckError` listing every violation if it fails."""
    report = check(problem, plan)
    if not report.ok:
        raise PlanCheckError(report)
    return report


def _alloc_name(a: Allocation) -> str:
    src = f"source {a.from_.source!r}" if a.from_.source is not None else \
        f"blueprint {a.from_.blueprint!r}"
    if a.to.demand is not None:
        dst = f"demand {a.to.demand!r}"
    else:
        dst = f"blueprint {a.to.blueprint!r} ingredient {a.to.ingredient}"
    return f"allocation {src} -> {dst}"


def _bad_number(value: float) -> str | None:
    if not math.isfinite(value):
        return "is not a finite number"
    if value < 0:
        return "is negative"
    return None


class _Checker:
    """One check run; collects violations while recomputing the plan's totals."""

    def __init__(self, problem: Problem, plan: Plan) -> None:
        self.problem = problem
        self.plan = plan
        self.violations: list[str] = []
        self.items = {i.id: i for i in problem.items}
        self.sources = {s.id: s for s in problem.sources}
        self.blueprints = {b.id: b for b in problem.blueprints}
        self.demands = {d.id: d for d in problem.demands}
        self.locations = {loc.id for loc in problem.locations}
        self.taken: dict[str, float] = {}
        self.runs: dict[str, float] = {}
        self.trips: dict[str, int] = {}
        self.shortfall: dict[str, float] = {}
        self.volumes: dict[str, float] = {}
        self.from_source: dict[str, float] = defaultdict(float)
        self.from_blueprint: dict[str, float] = defaultdict(float)
        self.to_demand: dict[str, float] = defaultdict(float)
        self.to_ingredient: dict[tuple[str, int], float] = defaultdict(float)

    def fail(self, message: str) -> None:
        self.violations.append(message)

    def quantity_ok(self, what: str, value: float, *, piece: bool = False) -> bool:
        """Finite, >= 0, not a zero line, whole for piece items; reports and returns ok."""
        problem = _bad_number(value)
        if problem is not None:
            self.fail(f"{what}: quantity {fmt(value)} {problem}")
            return False
        if close(value, 0.0):
            self.fail(f"{what}: zero-quantity line (lines with zero quantity are left out)")
            return False
        if piece and not is_whole(value):
            self.fail(f"{what}: quantity {fmt(value)} of a piece item is not a whole number")
            # Still counted so that downstream balances report against the given figure.
        return True

    # -- header ----------------------------------------------------------------------
    def check_header(self) -> None:
        plan = self.plan
        if plan.format != PLAN_FORMAT:
            self.fail(f"format: {plan.format!r} is not {PLAN_FORMAT!r}")
        try:
            status = PlanStatus(plan.status)
        except ValueError:
            self.fail(f"status: {plan.status!r} is not a known status")
            return
        if status not in PLAN_STATUSES:
            self.fail(f"status: {status.value!r} carries no plan (expected optimal or feasible)")

    # -- lines -----------------------------------------------------------------------
    def check_takes(self) -> None:
        for take in self.plan.takes:
            what = f"take from source {take.source!r}"
            src = self.sources.get(take.source)
            if src is None:
                self.fail(f"{what}: unknown source")
                continue
            if take.source in self.taken:
                self.fail(f"{what}: source listed more than once in takes")
            item = self.items[src.item]
            if not self.quantity_ok(what, take.quantity, piece=item.is_piece):
                continue
            q = take.quantity
            self.taken[take.source] = self.taken.get(take.source, 0.0) + q
        for source_id, q in self.taken.items():
            src = self.sources[source_id]
            what = f"take from source {source_id!r}"
            if src.available is not None and not at_most(q, src.available):
                self.fail(f"{what}: takes {fmt(q)} but only {fmt(src.available)} available")
            if src.lot_size is not None:
                lots = q / src.lot_size
                if not close(q, round(lots) * src.lot_size):
                    self.fail(f"{what}: {fmt(q)} is not a whole multiple of lot size "
                              f"{fmt(src.lot_size)}")

    def check_crafts(self) -> None:
        for craft in self.plan.crafts:
            what = f"craft of blueprint {craft.blueprint!r}"
            if craft.blueprint not in self.blueprints:
                self.fail(f"{what}: unknown blueprint")
                continue
            if craft.blueprint in self.runs:
                self.fail(f"{what}: blueprint listed more than once in crafts")
            runs = craft.runs
            if runs < 0:
                self.fail(f"{what}: runs {runs} is negative")
                continue
            if runs == 0:
                self.fail(f"{what}: zero runs (lines with zero quantity are left out)")
                continue
            bad = _bad_number(float(runs))
            if bad is not None:
                self.fail(f"{what}: runs {runs} {bad}")
                continue
            if not self.blueprints[craft.blueprint].continuous and not is_whole(runs):
                self.fail(f"{what}: runs {fmt(runs)} is not a whole number (only continuous "
                          f"blueprints run fractionally)")
            self.runs[craft.blueprint] = self.runs.get(craft.blueprint, 0) + runs

    def check_allocations(self) -> None:
        for alloc in self.plan.allocations:
            self._check_allocation(alloc)

    def _check_allocation(self, alloc: Allocation) -> None:
        what = _alloc_name(alloc)
        # Resolve the supply side.
        supply_item: str | None = None
        supply_quality: int | None = None  # None = crafted output, exempt from floors
        ok = True
        if alloc.from_.source is not None:
            src = self.sources.get(alloc.from_.source)
            if src is None:
                self.fail(f"{what}: unknown source {alloc.from_.source!r}")
                ok = False
            else:
                supply_item, supply_quality = src.item, src.effective_quality
        else:
            bp_id = alloc.from_.blueprint or ""
            bp = self.blueprints.get(bp_id)
            if bp is None:
                self.fail(f"{what}: unknown blueprint {bp_id!r}")
                ok = False
            else:
                supply_item = bp.output.item
        # Resolve the use side.
        use_item: str | None = None
        floor = 0
        if alloc.to.demand is not None:
            dem = self.demands.get(alloc.to.demand)
            if dem is None:
                self.fail(f"{what}: unknown demand {alloc.to.demand!r}")
                ok = False
            else:
                use_item, floor = dem.item, dem.min_quality
        else:
            bp_id = alloc.to.blueprint or ""
            bp = self.blueprints.get(bp_id)
            k = alloc.to.ingredient
            if bp is None:
                self.fail(f"{what}: unknown blueprint {bp_id!r}")
                ok = False
            elif k is None or not 0 <= k < len(bp.ingredients):
                self.fail(f"{what}: blueprint {bp_id!r} has no ingredient {k} "
                          f"(it has {len(bp.ingredients)}, counted from 0)")
                ok = False
            else:
                use_item, floor = bp.ingredients[k].item, bp.ingredients[k].min_quality
        if not ok or supply_item is None or use_item is None:
            return
        if supply_item != use_item:
            self.fail(f"{what}: supplies item {supply_item!r} to a use of item {use_item!r}")
            return
        if supply_quality is not None and supply_quality < floor:
            self.fail(f"{what}: source quality {supply_quality} is below the use's "
                      f"min_quality {floor}")
        if not self.quantity_ok(what, alloc.quantity, piece=self.items[use_item].is_piece):
            return
        q = alloc.quantity
        if alloc.from_.source is not None:
            self.from_source[alloc.from_.source] += q
        else:
            self.from_blueprint[alloc.from_.blueprint or ""] += q
        if alloc.to.demand is not None:
            self.to_demand[alloc.to.demand] += q
        else:
            self.to_ingredient[(alloc.to.blueprint or "", alloc.to.ingredient or 0)] += q

    # -- balances --------------------------------------------------------------------
    def check_supply_balances(self) -> None:
        for source_id, handed in sorted(self.from_source.items()):
            taken = self.taken.get(source_id, 0.0)
            if not at_most(handed, taken):
                self.fail(f"source {source_id!r}: allocations total {fmt(handed)} but the plan "
                          f"takes only {fmt(taken)}")
        for bp_id, handed in sorted(self.from_blueprint.items()):
            bp = self.blueprints[bp_id]
            runs = self.runs.get(bp_id, 0)
            made = bp.output.quantity * runs
            if not at_most(handed, made):
                self.fail(f"blueprint {bp_id!r}: allocations of its output total {fmt(handed)} "
                          f"but {runs} run(s) make only {fmt(made)}")

    def check_ingredients(self) -> None:
        lines: set[tuple[str, int]] = set(self.to_ingredient)
        for bp_id in self.runs:
            lines.update((bp_id, k) for k in range(len(self.blueprints[bp_id].ingredients)))
        for bp_id, k in sorted(lines):
            bp = self.blueprints[bp_id]
            ing = bp.ingredients[k]
            runs = self.runs.get(bp_id, 0)
            need = ing.quantity * runs
            # Piece ingredients are handed over in whole pieces: a fractional need is met by
            # the next whole number, never by more.
            required = math.ceil(need - tolerance(need)) if self.items[ing.item].is_piece \
                else need
            got = self.to_ingredient.get((bp_id, k), 0.0)
            what = f"blueprint {bp_id!r} ingredient {k} ({ing.item!r})"
            if not at_most(required, got):
                self.fail(f"{what}: needs {fmt(required)} for {runs} run(s) but is allocated "
                          f"only {fmt(got)} (ingredient lines are met in full)")
            elif not close(got, required):
                self.fail(f"{what}: allocated {fmt(got)} but {runs} run(s) need exactly "
                          f"{fmt(required)}")

    def check_demands(self) -> None:
        for sf in self.plan.shortfalls:
            what = f"shortfall of demand {sf.demand!r}"
            dem = self.demands.get(sf.demand)
            if dem is None:
                self.fail(f"{what}: unknown demand")
                continue
            if sf.item is not None and sf.item != dem.item:
                self.fail(f"{what}: item {sf.item!r} is not the demand's item {dem.item!r}")
            if sf.demand in self.shortfall:
                self.fail(f"{what}: demand listed more than once in shortfalls")
            if not self.quantity_ok(what, sf.quantity):
                continue
            self.shortfall[sf.demand] = self.shortfall.get(sf.demand, 0.0) + sf.quantity
        for dem in self.problem.demands:
            got = self.to_demand.get(dem.id, 0.0)
            short = self.shortfall.get(dem.id, 0.0)
            what = f"demand {dem.id!r} ({fmt(dem.quantity)} {dem.item!r})"
            if not at_most(dem.quantity, got + short):
                self.fail(f"{what}: allocated {fmt(got)} + shortfall {fmt(short)} is less than "
                          f"the quantity")
            elif not close(short, max(0.0, dem.quantity - got)):
                self.fail(f"{what}: shortfall {fmt(short)} should be "
                          f"{fmt(max(0.0, dem.quantity - got))} (quantity - allocated)")

    def check_trips(self) -> None:
        problem = self.problem
        capacity = problem.policy.ship_capacity_scu
        volumes: dict[str, float] = defaultdict(float)
        for source_id, q in self.taken.items():
            src = self.sources[source_id]
            stop = problem.stop(src.location)
            if stop is not None:
                volumes[stop] += q * self.items[src.item].volume
        self.volumes = dict(volumes)
        lines: dict[str, float] = {}
        for trip in self.plan.trips:
            what = f"trips from location {trip.location!r}"
            if trip.location not in self.locations:
                self.fail(f"{what}: unknown location")
                continue
            if trip.location in self.trips:
                self.fail(f"{what}: location listed more than once in trips")
            stop = problem.stop(trip.location)
            if stop is None:
                self.fail(f"{what}: the delivery location needs no trips (nor any place "
                          f"inside it)")
            elif stop != trip.location:
                self.fail(f"{what}: not a stop (its sources are hauled from {stop!r})")
            bad = _bad_number(float(trip.trips))
            if bad is not None:
                self.fail(f"{what}: trips {trip.trips} {bad}")
                continue
            if trip.trips == 0:
                self.fail(f"{what}: zero trips (lines with zero quantity are left out)")
            vol_bad = _bad_number(trip.volume_scu)
            if vol_bad is not None:
                self.fail(f"{what}: volume_scu {fmt(trip.volume_scu)} {vol_bad}")
            self.trips[trip.location] = self.trips.get(trip.location, 0) + int(trip.trips)
            lines[trip.location] = lines.get(trip.location, 0.0) + trip.volume_scu
        for loc in sorted(set(volumes) | set(lines)):
            volume = volumes.get(loc, 0.0)
            if loc in lines and math.isfinite(lines[loc]) and not close(lines[loc], volume):
                self.fail(f"trips from location {loc!r}: volume_scu {fmt(lines[loc])} but the "
                          f"plan takes {fmt(volume)} SCU there")
            if problem.stop(loc) != loc or close(volume, 0.0):
                continue
            trips = self.trips.get(loc, 0)
            if not at_most(volume, trips * capacity):
                self.fail(f"location {loc!r}: {fmt(volume)} SCU taken there needs "
                          f"{math.ceil(volume / capacity - tolerance(volume))} trip(s) of "
                          f"{fmt(capacity)} SCU but the plan has {trips}")

    # -- totals ----------------------------------------------------------------------
    def recompute_costs(self) -> Costs:
        problem = self.problem
        sourcing = sum(problem.effective_cost(self.sources[s]) * q
                       for s, q in self.taken.items())
        crafting = sum(self.blueprints[b].run_cost * r for b, r in self.runs.items())
        trips = sum(problem.trip_cost(loc) * n for loc, n in self.trips.items()
                    if loc in self.locations)
        shortfall = problem.policy.shortfall_penalty * sum(self.shortfall.values())
        return Costs(sourcing=sourcing, crafting=crafting, trips=trips, shortfall=shortfall)

    def check_costs(self, costs: Costs) -> None:
        plan = self.plan
        for term in ("sourcing", "crafting", "trips", "shortfall"):
            stated = float(getattr(plan.costs, term))
            actual = float(getattr(costs, term))
            if not math.isfinite(stated) or not close(stated, actual):
                self.fail(f"costs.{term}: plan says {fmt(stated)}, recomputed {fmt(actual)}")
        if plan.objective is None:
            self.fail(f"objective: missing (recomputed {fmt(costs.total)})")
        elif not math.isfinite(plan.objective) or not close(plan.objective, costs.total):
            self.fail(f"objective: plan says {fmt(plan.objective)}, weighted objective "
                      f"recomputed from the lines is {fmt(costs.total)}")
        short = sum(self.shortfall.values())
        if plan.complete and not close(short, 0.0):
            self.fail(f"complete: true but the plan leaves {fmt(short)} short")
        if not plan.complete and close(short, 0.0) and not plan.shortfalls:
            self.fail("complete: false but the plan has no shortfall")

    def recompute_surplus(self) -> dict[str, float]:
        supplied: dict[str, float] = defaultdict(float)
        for source_id, q in self.taken.items():
            supplied[self.sources[source_id].item] += q - self.from_source.get(source_id, 0.0)
        for bp_id, runs in self.runs.items():
            bp = self.blueprints[bp_id]
            supplied[bp.output.item] += bp.output.quantity * runs \
                - self.from_blueprint.get(bp_id, 0.0)
        return {item: q for item, q in sorted(supplied.items()) if not close(q, 0.0)}

    def check_surplus(self, expected: dict[str, float]) -> None:
        stated: dict[str, float] = {}
        for line in self.plan.surplus:
            what = f"surplus of item {line.item!r}"
            if line.item not in self.items:
                self.fail(f"{what}: unknown item")
                continue
            if line.item in stated:
                self.fail(f"{what}: item listed more than once in surplus")
            if not self.quantity_ok(what, line.quantity):
                continue
            stated[line.item] = stated.get(line.item, 0.0) + line.quantity
        for item in sorted(set(stated) | set(expected)):
            want = expected.get(item, 0.0)
            got = stated.get(item, 0.0)
            if want < 0 or close(got, want):
                continue  # a negative "surplus" is an over-allocation, reported elsewhere
            self.fail(f"surplus of item {item!r}: plan reports {fmt(got)}, taken/made minus "
                      f"allocated is {fmt(want)}")


def check(problem: Problem, plan: Plan) -> CheckReport:
    """Verify every rule of the spec for `plan` against `problem`.

    Returns a report with ``ok``, the list of violations (each naming the offending line),
    and the costs and weighted objective recomputed from the plan's own lines.
    """
    c = _Checker(problem, plan)
    c.check_header()
    c.check_takes()
    c.check_crafts()
    c.check_allocations()
    c.check_supply_balances()
    c.check_ingredients()
    c.check_demands()
    c.check_trips()
    costs = c.recompute_costs()
    c.check_costs(costs)
    surplus = c.recompute_surplus()
    c.check_surplus(surplus)
    return CheckReport(
        ok=not c.violations,
        violations=c.violations,
        objective=costs.total,
        costs=costs,
        taken=dict(c.taken),
        volumes=dict(c.volumes),
        surplus=surplus,
    )


def violations(problem: Problem, plan: Plan) -> Iterable[str]:
    """Just the violation strings (empty when the plan passes)."""
    return check(problem, plan).violations

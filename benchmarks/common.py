"""One measurement of one preset: main solver, plain reference model and greedy baseline on
the same generated problem, in the same process (shared by the pytest-benchmark suite and
``report.py``)."""

from __future__ import annotations

import resource
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from engine.baselines import make_or_buy_plan
from engine.checker import check
from engine.generate import PRESETS, generate
from engine.greedy import greedy_plan
from engine.plan import Plan
from engine.problem import Problem
from engine.reference import solve_reference
from engine.solve import solve

SEED = 1
# Main solver's time limit per preset: the targets (large: within 0.5 % in 30 s).
MAIN_LIMIT: dict[str, float | None] = {"small": None, "craft": None, "org": None, "large": 30.0}
# The plain model is capped so the suite ends; a capped run gives a lower bound on the ratio.
REFERENCE_LIMIT: dict[str, float] = {"small": 60.0, "craft": 120.0, "org": 120.0,
                                     "large": 120.0}


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class Measurement:
    """Everything the report prints for one preset."""

    preset: str
    seed: int
    items: int
    blueprints: int
    sources: int
    demands: int
    main_status: str
    main_solver: str
    main_objective: float | None
    main_gap: float | None
    main_build: float
    main_solve: float
    main_wall: float
    main_variables: int | None
    main_constraints: int | None
    main_integers: int | None
    main_check_ok: bool
    peak_mib_after_main: float
    ref_status: str
    ref_objective: float | None
    ref_gap: float | None
    ref_build: float
    ref_solve: float
    ref_wall: float
    ref_limit: float
    ref_variables: int | None
    ref_constraints: int | None
    ref_integers: int | None
    ref_check_ok: bool
    greedy_objective: float | None
    greedy_shortfall: float
    main_shortfall: float
    greedy_wall: float
    greedy_check_ok: bool
    peak_mib: float
    make_or_buy_objective: float | None = None
    make_or_buy_check_ok: bool = False
    # Per planner ("main", "greedy", "make_or_buy"): what users count (see user_figures).
    figures: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        """Plain-model wall time over main-solver wall time (a lower bound when capped)."""
        return self.ref_wall / max(self.main_wall, 1e-9)

    @property
    def ref_capped(self) -> bool:
        """Whether the plain model ran out of time before proving its optimum."""
        return self.ref_status != "optimal"

    @property
    def savings(self) -> float | None:
        """What the optimiser saves against greedy, as a fraction of greedy's cost."""
        if self.greedy_objective is None or self.main_objective is None or \
                self.greedy_objective <= 0:
            return None
        return (self.greedy_objective - self.main_objective) / self.greedy_objective

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, with the derived figures."""
        return {**asdict(self), "ratio": self.ratio, "ref_capped": self.ref_capped,
                "savings": self.savings}


def user_figures(problem: Problem, plan: Plan) -> dict[str, float]:
    """What a crew counts, each on its own: aUEC spent (prices paid, run costs, trip costs —
    no reliability weighting, no shortfall penalty), trips flown, SCU hauled, units short."""
    paid = sum(problem.unit_price(problem.source(t.source)) * t.quantity for t in plan.takes)
    return {"spent": paid + plan.costs.crafting + plan.costs.trips,
            "trips": float(sum(t.trips for t in plan.trips)),
            "hauled": sum(t.volume_scu for t in plan.trips),
            "short": sum(s.quantity for s in plan.shortfalls)}


def _stat(plan: Plan, name: str) -> int | None:
    value = (plan.stats.model_extra or {}).get(name)
    return int(value) if isinstance(value, int | float) else None


def run_main(problem: Problem, preset: str) -> tuple[Plan, float]:
    """The main solver on ``problem`` with the preset's time limit; (plan, wall seconds)."""
    started = time.perf_counter()
    plan = solve(problem, time_limit=MAIN_LIMIT[preset])
    return plan, time.perf_counter() - started


def measure(preset: str, seed: int = SEED, *, reference: bool = True) -> Measurement:
    """Generate the preset, then run the main solver, the plain model and greedy on it."""
    problem = generate(preset, seed)
    sizes = PRESETS[preset]
    main, main_wall = run_main(problem, preset)
    main_ok = check(problem, main).ok
    peak_main = peak_rss_mib()

    limit = REFERENCE_LIMIT[preset]
    started = time.perf_counter()
    ref = solve_reference(problem, time_limit=limit) if reference else Plan(status="infeasible")
    ref_wall = time.perf_counter() - started
    ref_ok = ref.objective is not None and check(problem, ref).ok

    started = time.perf_counter()
    greedy = greedy_plan(problem)
    greedy_wall = time.perf_counter() - started
    greedy_ok = check(problem, greedy).ok
    spreadsheet = make_or_buy_plan(problem)

    return Measurement(
        preset=preset, seed=seed, items=sizes.items, blueprints=sizes.blueprints,
        sources=sizes.sources, demands=sizes.demands,
        main_status=main.status.value, main_solver=main.stats.solver,
        main_objective=main.objective, main_gap=main.stats.gap,
        main_build=main.stats.build_seconds, main_solve=main.stats.solve_seconds,
        main_wall=main_wall, main_variables=_stat(main, "variables"),
        main_constraints=_stat(main, "constraints"),
        main_integers=_stat(main, "integer_variables"), main_check_ok=main_ok,
        peak_mib_after_main=peak_main,
        ref_status=ref.status.value, ref_objective=ref.objective, ref_gap=ref.stats.gap,
        ref_build=ref.stats.build_seconds, ref_solve=ref.stats.solve_seconds,
        ref_wall=ref_wall, ref_limit=limit, ref_variables=_stat(ref, "variables"),
        ref_constraints=_stat(ref, "constraints"),
        ref_integers=_stat(ref, "integer_variables"), ref_check_ok=ref_ok,
        greedy_objective=greedy.objective, greedy_wall=greedy_wall,
        greedy_shortfall=sum(s.quantity for s in greedy.shortfalls),
        main_shortfall=sum(s.quantity for s in main.shortfalls),
        greedy_check_ok=greedy_ok, peak_mib=peak_rss_mib(),
        make_or_buy_objective=spreadsheet.objective,
        make_or_buy_check_ok=check(problem, spreadsheet).ok,
        figures={name: user_figures(problem, plan) for name, plan in
                 (("main", main), ("greedy", greedy), ("make_or_buy", spreadsheet))},
    )

"""MILP back-ends behind one small interface, switchable by name.

``ortools-scip``, ``ortools-cbc`` and ``ortools-highs`` go through OR-Tools' pywraplp;
``highs`` drives HiGHS directly through highspy (its model is passed as arrays, which is much
cheaper to build than one Python call per coefficient). All run on one thread with fixed
seeds so the same model gives the same answer.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Protocol

from engine.formulation import LinearModel
from engine.tolerances import (
    MIP_ABS_GAP,
    MIP_FEASIBILITY,
    MIP_REL_GAP,
    SCIP_FEASIBILITY,
    TINY_DIVISOR,
)

BACKENDS: tuple[str, ...] = ("highs", "ortools-scip", "ortools-cbc", "ortools-highs")
ALIASES: dict[str, str] = {
    "scip": "ortools-scip", "cbc": "ortools-cbc", "ortools": "ortools-scip",
    "highspy": "highs",
}


@dataclass
class Result:
    """What one solve found: status is ``optimal``, ``feasible`` or ``none``."""

    status: str
    values: list[float]
    objective: float
    bound: float
    seconds: float

    @property
    def gap(self) -> float:
        """Relative gap |objective − bound| / max(|objective|, 1e-9), 0 when proven."""
        if self.status == "optimal":
            return 0.0
        if not math.isfinite(self.bound) or not math.isfinite(self.objective):
            return math.inf
        return max(0.0, self.objective - self.bound) / max(abs(self.objective), TINY_DIVISOR)


class Backend(Protocol):
    """A loaded model that can be re-solved with new objectives and extra rows."""

    name: str
    # Whether set_hint reaches the solver; the greedy warm start is only built when it does.
    takes_hint: bool

    def set_objective(self, coefs: dict[int, float]) -> None:
        """Minimise Σ coef·x."""

    def add_row(self, lb: float, ub: float, coefs: dict[int, float]) -> None:
        """Add the row lb <= Σ coef·x <= ub."""

    def set_hint(self, values: list[float]) -> None:
        """A (possibly infeasible) starting point, one value per column."""

    def solve(self, time_limit: float | None) -> Result:
        """Solve; with a time limit, return the best solution found so far."""


def canonical(name: str, *, columns: int | None = None) -> str:
    """The back-end's canonical name; ``auto`` picks by model size, as measured.

    Measured (docs/engine/formulation.md §10): SCIP is quickest on craft-sized models (craft
    seeds 1-15 after the source reductions, feasibility 1e-9: median 0.029 s, slowest 0.173 s;
    CBC median 0.055 s, three seeds over 0.2 s), HiGHS on org and large models (the only one
    proving large optimal well inside 30 s).
    """
    name = name.lower()
    if name == "auto":
        if columns is not None and columns <= AUTO_SMALL_COLUMNS:
            return SMALL_BACKEND
        return DEFAULT_BACKEND
    name = ALIASES.get(name, name)
    if name not in BACKENDS:
        raise ValueError(f"unknown solver {name!r}; choose one of auto, {', '.join(BACKENDS)}")
    return name


def make_backend(name: str, model: LinearModel) -> Backend:
    """Load the model into the named back-end."""
    name = canonical(name)
    if name == "highs":
        return HighsBackend(model)
    return OrToolsBackend(name, model)


# The default is chosen by measurement (docs/engine/formulation.md, "Back-ends").
DEFAULT_BACKEND = "highs"
SMALL_BACKEND = "ortools-scip"
AUTO_SMALL_COLUMNS = 600
# HiGHS runs its root reduced-cost heuristic only on models with more columns than this.
ROOT_REDUCED_COST_MIN_COLUMNS = 3000


class OrToolsBackend:
    """OR-Tools pywraplp with SCIP, CBC or HiGHS."""

    def __init__(self, name: str, model: LinearModel) -> None:
        from ortools.linear_solver import pywraplp

        self.name = name
        self.takes_hint = name != "ortools-highs"
        engine = {"ortools-scip": "SCIP", "ortools-cbc": "CBC",
                  "ortools-highs": "HIGHS"}[name]
        solver = pywraplp.Solver.CreateSolver(engine)
        if solver is None:
            raise RuntimeError(f"OR-Tools was built without {engine}")
        self._pywraplp = pywraplp
        self._solver: Any = solver
        infinity = solver.infinity()

        def bound(value: float) -> float:
            return infinity if value == math.inf else -infinity if value == -math.inf else value

        self._vars: list[Any] = [
            solver.IntVar(lb, bound(ub), name) if is_int else solver.NumVar(lb, bound(ub), name)
            for name, lb, ub, is_int in zip(model.names, model.lb, model.ub, model.integer,
                                            strict=True)
        ]
        for r in range(model.num_rows):
            row = solver.RowConstraint(bound(model.row_lb[r]), bound(model.row_ub[r]), "")
            for col, coef in zip(model.row_index[r], model.row_coef[r], strict=True):
                row.SetCoefficient(self._vars[col], coef)
        solver.SetNumThreads(1)
        if engine == "SCIP":
            # engine.tolerances.SCIP_FEASIBILITY says why SCIP runs tighter than its default.
            solver.SetSolverSpecificParametersAsString(
                f"randomization/randomseedshift = 0\nnumerics/feastol = {SCIP_FEASIBILITY!r}\n")

    def set_objective(self, coefs: dict[int, float]) -> None:
        """Minimise Σ coef·x."""
        objective = self._solver.Objective()
        objective.Clear()
        for col in sorted(coefs):
            objective.SetCoefficient(self._vars[col], coefs[col])
        objective.SetMinimization()

    def add_row(self, lb: float, ub: float, coefs: dict[int, float]) -> None:
        """Add the row lb <= Σ coef·x <= ub."""
        infinity = self._solver.infinity()
        row = self._solver.RowConstraint(-infinity if lb == -math.inf else lb,
                                         infinity if ub == math.inf else ub, "")
        for col in sorted(coefs):
            row.SetCoefficient(self._vars[col], coefs[col])

    def set_hint(self, values: list[float]) -> None:
        """Pass a starting solution to SCIP and CBC.

        OR-Tools 9.15's HiGHS interface crashes the process on SetHint, so it gets none.
        """
        if self.name != "ortools-highs":
            self._solver.SetHint(self._vars, values)

    def solve(self, time_limit: float | None) -> Result:
        """Solve to a zero relative gap, or until the time limit."""
        pywraplp = self._pywraplp
        solver = self._solver
        if time_limit is not None:
            solver.SetTimeLimit(max(1, int(time_limit * 1000)))
        params = pywraplp.MPSolverParameters()
        params.SetDoubleParam(params.RELATIVE_MIP_GAP, MIP_REL_GAP)
        started = time.perf_counter()
        status = solver.Solve(params)
        seconds = time.perf_counter() - started
        if status == pywraplp.Solver.OPTIMAL:
            kind = "optimal"
        elif status == pywraplp.Solver.FEASIBLE:
            kind = "feasible"
        else:
            return Result("none", [], math.inf, -math.inf, seconds)
        values = [v.solution_value() for v in self._vars]
        objective = solver.Objective().Value()
        try:
            bound = solver.Objective().BestBound()
        except Exception:  # LP-only engines have no bound; treat as proven
            bound = objective
        return Result(kind, values, objective, bound, seconds)


def new_highs(*, tight: bool) -> Any:
    """The one HiGHS driver set-up, shared by :class:`HighsBackend` and the plain model.

    One thread and a fixed seed (the same input gives the same plan) and a zero relative gap
    (proven optimal). ``tight`` runs the MIP at ``MIP_FEASIBILITY`` instead of HiGHS'
    defaults; engine/tolerances.py says which driver needs which, and why.
    """
    import highspy

    # The public highspy.Highs() prints a banner on stdout when constructed, which would
    # corrupt `plan --format json`; the core class stays silent once output_flag is off.
    h = getattr(highspy._core, "_Highs", highspy.Highs)()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("mip_rel_gap", MIP_REL_GAP)
    h.setOptionValue("mip_abs_gap", MIP_ABS_GAP)
    if tight:
        h.setOptionValue("primal_feasibility_tolerance", MIP_FEASIBILITY)
        h.setOptionValue("mip_feasibility_tolerance", MIP_FEASIBILITY)
    return h


class HighsBackend:
    """HiGHS through highspy, the model passed as column-wise arrays."""

    name = "highs"
    takes_hint = False  # see set_hint

    def __init__(self, model: LinearModel) -> None:
        import highspy
        import numpy as np

        self._hp = highspy
        self._np = np
        h = new_highs(tight=True)
        # The root reduced-cost heuristic (a sub-MIP on the columns the root LP keeps at zero
        # reduced cost) cost org-sized models 30 % of their CPU time for no better incumbent
        # (8 of 8 seeds faster without it) but helped the 4x larger models (2 of 2 slower
        # without it); docs/engine/formulation.md §10.
        if model.num_vars <= ROOT_REDUCED_COST_MIN_COLUMNS:
            h.setOptionValue("mip_heuristic_run_root_reduced_cost", False)
        inf = highspy.kHighsInf
        n = model.num_vars

        def clip(values: list[float]) -> Any:
            arr = np.asarray(values, dtype=np.float64)
            return np.clip(arr, -inf, inf)

        h.addVars(n, clip(model.lb), clip(model.ub))
        integer_cols = np.asarray([i for i in range(n) if model.integer[i]], dtype=np.int32)
        if len(integer_cols):
            h.changeColsIntegrality(
                len(integer_cols), integer_cols,
                np.full(len(integer_cols), highspy.HighsVarType.kInteger))
        starts = []
        index: list[int] = []
        coef: list[float] = []
        for r in range(model.num_rows):
            starts.append(len(index))
            index.extend(model.row_index[r])
            coef.extend(model.row_coef[r])
        if model.num_rows:
            h.addRows(model.num_rows, clip(model.row_lb), clip(model.row_ub), len(index),
                      np.asarray(starts, dtype=np.int32), np.asarray(index, dtype=np.int32),
                      np.asarray(coef, dtype=np.float64))
        self._h = h
        self._n = n

    def set_objective(self, coefs: dict[int, float]) -> None:
        """Minimise Σ coef·x."""
        np = self._np
        costs = np.zeros(self._n)
        for col, value in coefs.items():
            costs[col] = value
        self._h.changeColsCost(self._n, np.arange(self._n, dtype=np.int32), costs)
        self._h.changeObjectiveSense(self._hp.ObjSense.kMinimize)

    def add_row(self, lb: float, ub: float, coefs: dict[int, float]) -> None:
        """Add the row lb <= Σ coef·x <= ub."""
        np = self._np
        inf = self._hp.kHighsInf
        cols = sorted(coefs)
        self._h.addRow(max(lb, -inf), min(ub, inf), len(cols),
                       np.asarray(cols, dtype=np.int32),
                       np.asarray([coefs[c] for c in cols], dtype=np.float64))

    def set_hint(self, values: list[float]) -> None:
        """Ignored: HiGHS 1.16 mis-solves after setSolution.

        Measured on a 15-column model: with a feasible start of cost 1035 HiGHS returned
        "optimal" at 1028, below the true optimum 1033 (the start's point, misvalued). Without
        the start it proves 1033 in milliseconds, so a start is not worth the risk.
        """

    def solve(self, time_limit: float | None) -> Result:
        """Solve to a zero relative gap, or until the time limit."""
        hp = self._hp
        h = self._h
        h.setOptionValue("time_limit", float(time_limit) if time_limit is not None else math.inf)
        started = time.perf_counter()
        h.run()
        seconds = time.perf_counter() - started
        status = h.getModelStatus()
        info = h.getInfo()
        has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
        if status == hp.HighsModelStatus.kOptimal:
            kind = "optimal"
        elif has_solution:
            kind = "feasible"
        else:
            # No solution in time; the dual bound found so far still bounds the optimum.
            bound = info.mip_dual_bound if self._is_mip() else -math.inf
            if not math.isfinite(bound) or abs(bound) >= hp.kHighsInf:
                bound = -math.inf
            return Result("none", [], math.inf, bound, seconds)
        values = list(h.getSolution().col_value)
        objective = info.objective_function_value
        bound = info.mip_dual_bound if self._is_mip() else objective
        return Result(kind, values, objective, bound, seconds)

    def _is_mip(self) -> bool:
        return bool(self._h.getLp().integrality_)

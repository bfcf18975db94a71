"""Every scenario file parses, states its game version, solves to a plan that passes the
checker, and the main solver and the plain reference model agree on its optimum."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.checker import check
from engine.plan import PlanStatus
from engine.problem import load_problem
from engine.reference import solve_reference

SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.y*ml"))


def test_there_are_scenarios() -> None:
    names = {p.name for p in SCENARIOS}
    assert {"p4ar-rifles.yaml", "pyro-op.yaml", "refinery-choice.yaml"} <= names


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_scenario_solves_and_checks(path: Path) -> None:
    problem = load_problem(path)
    assert problem.game_version, "every scenario states the game version it describes"
    assert problem.description
    solve = pytest.importorskip("engine.solve").solve
    plan = solve(problem)
    assert plan.status is PlanStatus.OPTIMAL
    report = check(problem, plan)
    assert report.ok, report.violations
    reference = solve_reference(problem)
    assert reference.status is PlanStatus.OPTIMAL
    assert check(problem, reference).ok
    assert plan.objective == pytest.approx(reference.objective, rel=1e-9, abs=1e-6)
    # The scenarios are written so the org can meet every demand.
    assert plan.complete

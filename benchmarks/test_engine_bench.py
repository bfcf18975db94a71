"""Engine benchmarks (not part of the normal test run):

    .venv/bin/pytest benchmarks --benchmark-enable

For each preset the main solver is timed by pytest-benchmark; in the same test the plain
one-variable-per-pair model (HiGHS, capped by a time limit) and the greedy baseline run on the
same problem, and their figures go into the benchmark's ``extra_info`` (model sizes, ratio,
greedy savings, peak memory). ``benchmarks/report.py`` writes the same figures to
docs/engine/benchmarks.md.
"""

from __future__ import annotations

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from benchmarks.common import SEED, measure, run_main
from engine.checker import check
from engine.generate import generate

PRESETS = ["small", "craft", "org", "large"]


@pytest.mark.parametrize("preset", PRESETS)
def test_main_solver(benchmark: BenchmarkFixture, preset: str) -> None:
    """Build + solve time of engine.solve.solve, one round (the solve is deterministic)."""
    problem = generate(preset, SEED)
    plan, _ = benchmark.pedantic(run_main, args=(problem, preset), rounds=1,
                                 iterations=1)
    assert check(problem, plan).ok
    benchmark.extra_info.update({
        "status": plan.status.value, "gap": plan.stats.gap, "objective": plan.objective,
        "build_seconds": plan.stats.build_seconds, "solve_seconds": plan.stats.solve_seconds,
        **{k: v for k, v in (plan.stats.model_extra or {}).items()
           if k in ("variables", "constraints", "integer_variables", "nonzeros")},
    })


@pytest.mark.parametrize("preset", PRESETS)
def test_against_plain_model_and_greedy(benchmark: BenchmarkFixture, preset: str) -> None:
    """Main solver, plain model and greedy on the same problem in the same run."""
    result = benchmark.pedantic(measure, args=(preset,), rounds=1,
                                iterations=1)
    benchmark.extra_info.update(result.to_dict())
    assert result.main_check_ok and result.greedy_check_ok
    if result.ref_status == "optimal" and result.main_status == "optimal":
        assert result.main_objective == pytest.approx(result.ref_objective, rel=1e-9, abs=1e-6)
    if result.main_objective is not None and result.greedy_objective is not None:
        assert result.main_objective <= result.greedy_objective + 1e-6

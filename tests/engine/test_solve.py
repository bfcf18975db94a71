"""The solver end to end: back-ends agree, the compact model matches a plain pair model,
plans pass the checker, time limits and fallbacks, determinism."""

from __future__ import annotations

import math

import pytest

from engine.bom import prune
from engine.formulation import build_formulation
from engine.plan import PlanStatus
from engine.solve import _Outcome, empty_plan, relative_gap, solve, weighted_bound
from tests.engine.solver_helpers import pair_model_optimum, random_problem, verify

SEEDS = range(12)


@pytest.mark.parametrize("seed", SEEDS)
def test_two_backends_agree_and_match_the_pair_model(seed: int) -> None:
    p = random_problem(seed)
    highs = solve(p, solver="highs")
    scip = solve(p, solver="ortools-scip")
    reference = pair_model_optimum(p)
    for plan in (highs, scip):
        assert plan.status is PlanStatus.OPTIMAL
        assert verify(p, plan) == []
        assert plan.objective == pytest.approx(reference, rel=1e-7, abs=1e-6)


@pytest.mark.parametrize("seed", range(4))
def test_cbc_agrees(seed: int) -> None:
    p = random_problem(100 + seed, items=10, blueprints=7, sources=20, demands=4)
    cbc = solve(p, solver="ortools-cbc")
    highs = solve(p, solver="highs")
    assert verify(p, cbc) == [] and verify(p, highs) == []
    assert cbc.objective == pytest.approx(highs.objective, rel=1e-7, abs=1e-6)


@pytest.mark.parametrize("seed", range(6))
def test_strict_priority_backends_agree(seed: int) -> None:
    p = random_problem(200 + seed, strict=True)
    a = solve(p, solver="highs")
    b = solve(p, solver="ortools-scip")
    assert verify(p, a) == [] and verify(p, b) == []
    stages_a = a.stats.stages  # type: ignore[attr-defined]
    stages_b = b.stats.stages  # type: ignore[attr-defined]
    for sa, sb in zip(stages_a, stages_b, strict=True):
        assert sa["objective"] == pytest.approx(sb["objective"], rel=1e-6, abs=1e-5)


def test_strict_never_has_more_shortfall_than_weighted() -> None:
    for seed in range(5):
        weighted = random_problem(300 + seed)
        strict = random_problem(300 + seed, strict=True)
        w = sum(s.quantity for s in solve(weighted).shortfalls)
        s = sum(s.quantity for s in solve(strict).shortfalls)
        assert s <= w + 1e-6


def test_same_input_same_plan() -> None:
    p = random_problem(7, items=10, blueprints=7, sources=25)
    first = solve(p).to_document()
    second = solve(p).to_document()
    for doc in (first, second):
        doc.pop("stats")
    assert first == second


def test_hint_does_not_change_the_optimum() -> None:
    p = random_problem(3)
    base = solve(p, solver="ortools-scip")
    hinted = solve(p, solver="ortools-scip", hint=base)
    assert hinted.objective == pytest.approx(base.objective)
    assert verify(p, hinted) == []


def test_time_limit_still_returns_a_valid_plan() -> None:
    p = random_problem(11, items=12, blueprints=9, sources=30, demands=5)
    plan = solve(p, time_limit=0.0001)
    assert plan.status in (PlanStatus.OPTIMAL, PlanStatus.FEASIBLE)
    assert verify(p, plan) == []
    if plan.status is PlanStatus.FEASIBLE:
        assert plan.stats.gap is not None and plan.stats.gap >= 0


@pytest.mark.parametrize("strict", [False, True])
def test_time_limited_plans_always_carry_a_numeric_gap(strict: bool) -> None:
    p = random_problem(12, items=12, blueprints=9, sources=30, demands=5, strict=strict)
    for limit in (1e-4, 1e-2, None):
        plan = solve(p, solver="highs", time_limit=limit)
        assert verify(p, plan) == []
        assert plan.stats.gap is not None and 0.0 <= plan.stats.gap <= 1.0
        if plan.status is PlanStatus.OPTIMAL:
            assert plan.stats.gap == 0.0


def test_weighted_bound_from_the_strict_stages_reached() -> None:
    p = random_problem(13, strict=True)
    f = build_formulation(prune(p))
    penalty = p.policy.shortfall_penalty
    # Stopped in the market stage: shortfall proven 2, market bound 30.
    outcome = _Outcome(None, False, "market", bounds={"shortfall": 2.0, "market": 30.0})
    assert weighted_bound(f, outcome) == pytest.approx(2 * penalty + 30)
    assert weighted_bound(f, _Outcome(None, False, "", bounds={})) == 0.0
    assert weighted_bound(f, _Outcome(None, False, "", bounds={"shortfall": -math.inf})) == 0.0
    assert weighted_bound(f, _Outcome(None, False, "weighted",
                                      bounds={"shortfall": 1.0, "weighted": 55.0})) == 55.0
    assert relative_gap(100.0, 60.0) == pytest.approx(0.4)
    assert relative_gap(0.0, -5.0) == 0.0
    assert relative_gap(50.0, 80.0) == 0.0


def test_strict_weighted_bound_never_exceeds_the_optimum() -> None:
    for seed in range(4):
        p = random_problem(500 + seed, strict=True)
        plan = solve(p, solver="highs")
        stages = {s["stage"]: float(s["objective"])
                  for s in plan.stats.stages}  # type: ignore[attr-defined]
        f = build_formulation(prune(p))
        outcome = _Outcome(None, False, "market", bounds={
            "shortfall": stages["shortfall"], "market": stages["market"]})
        assert plan.objective is not None
        assert weighted_bound(f, outcome) <= plan.objective + 1e-6 * max(1.0, plan.objective)


def test_empty_plan_is_valid_and_all_short() -> None:
    p = random_problem(5)
    plan = empty_plan(p)
    assert verify(p, plan) == []
    assert not plan.complete and len(plan.shortfalls) == len(p.demands)


def test_unknown_solver_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown solver"):
        solve(random_problem(1), solver="gurobi")


def test_plan_lines_are_sorted_and_nonzero() -> None:
    p = random_problem(9, items=10, blueprints=6, sources=20)
    plan = solve(p)
    assert [t.source for t in plan.takes] == sorted(t.source for t in plan.takes)
    assert all(t.quantity > 0 for t in plan.takes)
    assert all(a.quantity > 0 for a in plan.allocations)
    assert [c.blueprint for c in plan.crafts] == sorted(c.blueprint for c in plan.crafts)


def test_a_failing_warm_start_is_logged_and_the_solve_goes_on(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from engine import greedy

    def broken(problem: object) -> None:
        raise RuntimeError("greedy exploded")

    monkeypatch.setattr(greedy, "greedy_plan", broken)
    p = random_problem(0)
    # SCIP takes a warm start; HiGHS ignores hints, so the solve never builds one for it.
    with caplog.at_level("WARNING", logger="engine.solve"):
        plan = solve(p, solver="ortools-scip")
    assert plan.status is PlanStatus.OPTIMAL and verify(p, plan) == []
    logged = [r for r in caplog.records if r.name == "engine.solve" and r.exc_info]
    assert logged, "the swallowed warm-start exception left no log line"
    assert "greedy exploded" in str(logged[0].exc_info[1])  # type: ignore[index]


def test_highs_solves_without_building_a_warm_start_it_would_ignore(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    from engine import greedy

    calls: list[object] = []
    real = greedy.greedy_plan
    monkeypatch.setattr(greedy, "greedy_plan",
                        lambda problem: calls.append(problem) or real(problem))
    p = random_problem(0)
    plan = solve(p, solver="highs")
    assert plan.status is PlanStatus.OPTIMAL and verify(p, plan) == []
    assert calls == []


def test_an_unusable_fallback_is_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import engine.solve as solve_module

    def broken(*args: object) -> None:
        raise ValueError("cannot rebuild")

    p = random_problem(1)
    plan = solve(p, solver="highs")
    monkeypatch.setattr(solve_module, "build_plan", broken)
    with caplog.at_level("WARNING", logger="engine.solve"):
        rebuilt = solve_module.rebuild_from_plan(p, plan)
    assert rebuilt.takes == [] and rebuilt.crafts == []
    assert any(r.name == "engine.solve" and r.exc_info for r in caplog.records)

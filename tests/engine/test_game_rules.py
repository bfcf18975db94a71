"""The 2026-12 rules of the contract: continuous (refining) blueprints and transport by stops.

Every planner (optimiser, plain reference model, greedy) and the checker must read a problem
the same way: runs of a continuous blueprint are real numbers, a source inside the delivery
location never travels, any other source travels with its stop.
"""

from __future__ import annotations

import copy
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from engine.checker import check, check_or_raise, tolerance
from engine.explain import explain
from engine.greedy import greedy_plan
from engine.plan import Plan
from engine.problem import Problem, parse_problem
from engine.reference import solve_reference
from engine.solve import solve
from engine.whatif import SetPolicy, apply_changes
from tests.engine.solver_helpers import verify
from tests.engine.strategies import problem_docs, problems

FAST = settings(max_examples=int(os.environ.get("QM_PROPERTY_EXAMPLES", "40")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


def _solved(problem: Problem) -> Plan:
    plan = solve(problem)
    check_or_raise(problem, plan)
    assert verify(problem, plan) == []
    assert plan.status == "optimal"
    return plan


def _refinery(ore: float, demand: float, *, continuous: bool, out: float = 90) -> Problem:
    # Quantanium refined at 90 % yield (or ``out`` %), a refinery job sized for 100 SCU of ore.
    return parse_problem({
        "items": [{"id": "quan-ore"}, {"id": "quantanium"}],
        "locations": [{"id": "hangar"}],
        "blueprints": [{"id": "refine", "continuous": continuous,
                        "output": {"item": "quantanium", "quantity": out},
                        "ingredients": [{"item": "quan-ore", "quantity": 100}],
                        "run_cost": 500}],
        "sources": [{"id": "ore", "item": "quan-ore", "location": "hangar", "tier": "own",
                     "available": ore}],
        "demands": [{"id": "d", "item": "quantanium", "quantity": demand}],
        "policy": {"delivery_location": "hangar"},
    })


def test_24_scu_of_ore_refined_to_meet_a_20_scu_demand() -> None:
    problem = _refinery(24, 20, continuous=True)
    for plan in (_solved(problem), solve_reference(problem), greedy_plan(problem)):
        check_or_raise(problem, plan)
        assert plan.complete, plan.stats.solver
        runs = {c.blueprint: c.runs for c in plan.crafts}
        assert runs["refine"] == pytest.approx(20 / 90)
        assert plan.costs.crafting == pytest.approx(500 * 20 / 90)
    # In whole 100 SCU batches the same ore cannot make a single run.
    batch = _solved(_refinery(24, 20, continuous=False))
    assert not batch.complete and batch.crafts == []


def test_fractional_runs_are_not_rounded_into_a_shortfall() -> None:
    # 40 / 52.93 = 0.75571509...: rounded to 6 decimals the runs made 39.999995 SCU and the
    # plan reported a 5e-6 SCU shortfall (seen as "short 0 SCU" in the UI).
    problem = _refinery(100, 40, continuous=True, out=52.93)
    plan = _solved(problem)
    assert plan.complete and plan.shortfalls == []
    made = sum(c.runs for c in plan.crafts) * 52.93
    assert made >= 40 - 1e-9


def test_fractional_runs_of_a_continuous_blueprint_pass_the_checker_only_there() -> None:
    continuous = _refinery(24, 20, continuous=True)
    plan = _solved(continuous)
    assert check(continuous, plan).ok
    report = check(_refinery(24, 20, continuous=False), plan)
    assert any("not a whole number" in v for v in report.violations), report.violations


def _hauling(grid_cost: float | None, locker_cost: float | None) -> Problem:
    return parse_problem({
        "items": [{"id": "alu"}],
        "locations": [{"id": "hangar"},
                      {"id": "locker", "parent": "hangar", "trip_cost": locker_cost},
                      {"id": "everus", "trip_cost": 1800},
                      {"id": "grid", "parent": "everus", "trip_cost": grid_cost}],
        "sources": [{"id": "locker-alu", "item": "alu", "location": "locker", "tier": "market",
                     "unit_price": 50, "available": 4},
                    {"id": "everus-alu", "item": "alu", "location": "everus", "tier": "market",
                     "unit_price": 10, "available": 30},
                    {"id": "grid-alu", "item": "alu", "location": "grid", "tier": "own",
                     "available": 30}],
        "demands": [{"id": "d", "item": "alu", "quantity": 50}],
        "policy": {"delivery_location": "hangar", "ship_capacity_scu": 96},
    })


def test_a_grid_parked_at_a_station_is_one_trip_with_the_station() -> None:
    problem = _hauling(grid_cost=None, locker_cost=900)
    for plan in (_solved(problem), solve_reference(problem), greedy_plan(problem)):
        check_or_raise(problem, plan)
        # 30 own + 16 market at Everus in one 1,800 trip; the locker inside the hangar is free
        # whatever its own trip_cost says, and never listed as a trip.
        assert [(t.location, t.trips) for t in plan.trips] == [("everus", 1)]
        assert plan.costs.trips == 1800
    assert explain(problem, _solved(problem)).trips[0].cost == 1800


def test_a_location_with_its_own_trip_cost_is_its_own_stop() -> None:
    problem = _hauling(grid_cost=1000, locker_cost=None)
    plan = _solved(problem)
    assert {t.location for t in plan.trips} <= {"everus", "grid"}
    bad = plan.model_copy(deep=True)
    bad.trips = [t.model_copy(update={"location": "locker"}) for t in bad.trips[:1]]
    report = check(problem, bad)
    assert any("delivery location needs no trips" in v for v in report.violations)


def test_checker_refuses_a_trip_listed_to_a_location_that_is_not_a_stop() -> None:
    problem = _hauling(grid_cost=None, locker_cost=None)
    plan = _solved(problem)
    doc = plan.model_dump(mode="json", by_alias=True)
    doc["trips"] = [{**t, "location": "grid"} for t in doc["trips"]]
    report = check(problem, Plan.model_validate(doc))
    assert any("not a stop" in v and "'everus'" in v for v in report.violations), \
        report.violations


def test_whatif_moving_the_delivery_location_re_reads_the_stops() -> None:
    problem = _hauling(grid_cost=None, locker_cost=None)
    moved = apply_changes(problem, [SetPolicy(delivery_location="everus")])
    plan = _solved(moved)
    # Now Everus and the grid parked there are free; the hangar locker is a stop of its own.
    assert moved.stop("grid") is None and moved.stop("locker") == "locker"
    assert {problem.source(t.source).location for t in plan.takes} <= {"everus", "grid"}
    assert plan.trips == []


@FAST
@given(problems(strict=None))
def test_checker_accepts_every_plan_with_stops_and_continuous_blueprints(
        problem: Problem) -> None:
    plan = _solved(problem)
    assert plan.objective == check(problem, plan).objective
    check_or_raise(problem, greedy_plan(problem))


@FAST
@given(problems(max_items=4))
def test_plain_model_has_the_same_optimum_with_stops_and_continuous_blueprints(
        problem: Problem) -> None:
    best = _solved(problem).objective
    plain = solve_reference(problem)
    check_or_raise(problem, plain)
    assert best is not None and plain.objective is not None
    assert best == pytest.approx(plain.objective, rel=1e-6, abs=1e-6)


def _flattened(doc: dict[str, Any]) -> dict[str, Any]:
    """The problem as the rules before 2026-12 read it: every location on its own, its cost
    written out (nothing changes meaning for a problem without nested stops)."""
    flat = copy.deepcopy(doc)
    default = flat["policy"]["default_trip_cost"]
    for loc in flat["locations"]:
        loc["parent"] = None
        if loc["id"] != flat["policy"]["delivery_location"] and loc.get("trip_cost") is None:
            loc["trip_cost"] = default
    return flat


@FAST
@given(problem_docs(nested=False, continuous=False))
def test_a_problem_without_nested_stops_or_continuous_blueprints_keeps_its_optimum(
        doc: dict[str, Any]) -> None:
    problem = parse_problem(doc)
    flat = parse_problem(_flattened(doc))
    assert all(problem.stop(loc.id) in (loc.id, None) for loc in problem.locations)
    before, after = _solved(flat).objective, _solved(problem).objective
    assert before is not None and after is not None
    assert after == pytest.approx(before, abs=tolerance(before, after))

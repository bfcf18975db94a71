"""The greedy baseline: spreadsheet order, lots, quality, recursive crafting, never raising."""

from __future__ import annotations

from engine.checker import check_or_raise
from engine.greedy import greedy_plan
from engine.plan import Plan
from engine.problem import Problem
from tests.engine.samples import RIFLE_PLAN, make_problem, rifle_problem


def planned(problem: Problem) -> Plan:
    plan = greedy_plan(problem)
    check_or_raise(problem, plan)
    assert plan.status == "feasible" and plan.stats.solver == "greedy"
    return plan


def takes(plan: Plan) -> dict[str, float]:
    return {t.source: t.quantity for t in plan.takes}


def runs(plan: Plan) -> dict[str, int]:
    return {c.blueprint: c.runs for c in plan.crafts}


def test_rifle_sample_matches_the_hand_plan() -> None:
    plan = planned(rifle_problem())
    doc = plan.to_document()
    for key in ("takes", "allocations", "crafts", "trips", "shortfalls", "surplus", "costs"):
        assert doc[key] == RIFLE_PLAN[key], key
    assert plan.objective == RIFLE_PLAN["objective"]


def test_own_then_member_then_market_whatever_the_price() -> None:
    problem = make_problem(
        ["ore"],
        [{"id": "mkt", "item": "ore", "tier": "market", "unit_price": 0.1},
         {"id": "mem", "item": "ore", "tier": "member", "available": 3},
         {"id": "own", "item": "ore", "tier": "own", "available": 2}],
        [{"id": "d", "item": "ore", "quantity": 8}])
    assert takes(planned(problem)) == {"own": 2, "mem": 3, "mkt": 3}


def test_markets_ranked_by_effective_cost() -> None:
    problem = make_problem(
        ["ore"],
        [{"id": "cheap-unreliable", "item": "ore", "tier": "market", "unit_price": 9,
          "reliability": 0.5},
         {"id": "steady", "item": "ore", "tier": "market", "unit_price": 10}],
        [{"id": "d", "item": "ore", "quantity": 5}])
    assert takes(planned(problem)) == {"steady": 5}


def test_lots_round_up_and_leftovers_serve_later_demands() -> None:
    problem = make_problem(
        ["ore"],
        [{"id": "m", "item": "ore", "tier": "market", "unit_price": 1, "lot_size": 4}],
        [{"id": "d1", "item": "ore", "quantity": 6}, {"id": "d2", "item": "ore", "quantity": 2}])
    plan = planned(problem)
    assert takes(plan) == {"m": 8}
    assert plan.surplus == []


def test_lots_round_down_to_what_is_available() -> None:
    problem = make_problem(
        ["ore"],
        [{"id": "a", "item": "ore", "tier": "market", "unit_price": 1, "lot_size": 4,
          "available": 6},
         {"id": "b", "item": "ore", "tier": "market", "unit_price": 2}],
        [{"id": "d", "item": "ore", "quantity": 6}])
    assert takes(planned(problem)) == {"a": 4, "b": 2}


def test_quality_floor_skips_poor_sources() -> None:
    problem = make_problem(
        ["ore"],
        [{"id": "poor", "item": "ore", "tier": "own", "available": 10, "quality": 100},
         {"id": "good", "item": "ore", "tier": "market", "unit_price": 3, "quality": 600}],
        [{"id": "d", "item": "ore", "quantity": 4, "min_quality": 500}])
    assert takes(planned(problem)) == {"good": 4}


def test_shortfall_when_nothing_covers() -> None:
    problem = make_problem(
        ["ore"], [{"id": "own", "item": "ore", "tier": "own", "available": 1}],
        [{"id": "d", "item": "ore", "quantity": 4}], shortfall_penalty=10)
    plan = planned(problem)
    assert [(s.demand, s.quantity) for s in plan.shortfalls] == [("d", 3)]
    assert not plan.complete and plan.costs.shortfall == 30


def test_multi_level_crafting_with_refining_and_pieces() -> None:
    problem = make_problem(
        ["ore", "metal", {"id": "gun", "unit": "piece", "volume_scu": 0.1}],
        [{"id": "ore-m", "item": "ore", "tier": "market", "unit_price": 2, "location": "ruin"}],
        [{"id": "d", "item": "gun", "quantity": 3}],
        [{"id": "refine", "output": {"item": "metal", "quantity": 0.5},
          "ingredients": [{"item": "ore", "quantity": 1}], "run_cost": 1},
         {"id": "make-gun", "output": {"item": "gun", "quantity": 2},
          "ingredients": [{"item": "metal", "quantity": 1.5}]}])
    plan = planned(problem)
    # 2 gun runs need 3 metal = 6 refining runs = 6 ore; one gun left over.
    assert runs(plan) == {"make-gun": 2, "refine": 6}
    assert takes(plan) == {"ore-m": 6}
    assert [(s.item, s.quantity) for s in plan.surplus] == [("gun", 1)]
    assert [(t.location, t.trips) for t in plan.trips] == [("ruin", 1)]


def test_scarce_ingredient_limits_runs() -> None:
    problem = make_problem(
        ["ore", {"id": "gun", "unit": "piece", "volume_scu": 0.1}],
        [{"id": "o", "item": "ore", "tier": "own", "available": 3}],
        [{"id": "d", "item": "gun", "quantity": 5}],
        [{"id": "bp", "output": {"item": "gun", "quantity": 1},
          "ingredients": [{"item": "ore", "quantity": 1}]}])
    plan = planned(problem)
    assert runs(plan) == {"bp": 3}
    assert [(s.demand, s.quantity) for s in plan.shortfalls] == [("d", 2)]


def test_fractional_piece_ingredient_rounds_up_to_whole_pieces() -> None:
    problem = make_problem(
        [{"id": "gem", "unit": "piece", "volume_scu": 0.01}, "ring"],
        [{"id": "g", "item": "gem", "tier": "market", "unit_price": 5}],
        [{"id": "d", "item": "ring", "quantity": 3}],
        [{"id": "bp", "output": {"item": "ring", "quantity": 1},
          "ingredients": [{"item": "gem", "quantity": 0.5}]}])
    plan = planned(problem)
    assert takes(plan) == {"g": 2}


def test_cheapest_looking_blueprint_first() -> None:
    problem = make_problem(
        ["a", "b", "out"],
        [{"id": "a-m", "item": "a", "tier": "market", "unit_price": 10},
         {"id": "b-m", "item": "b", "tier": "market", "unit_price": 1}],
        [{"id": "d", "item": "out", "quantity": 2}],
        [{"id": "bp-a", "output": {"item": "out", "quantity": 1},
          "ingredients": [{"item": "a", "quantity": 1}]},
         {"id": "bp-b", "output": {"item": "out", "quantity": 1},
          "ingredients": [{"item": "b", "quantity": 1}]}])
    assert runs(planned(problem)) == {"bp-b": 2}


def test_second_blueprint_when_first_runs_dry() -> None:
    problem = make_problem(
        ["a", "b", "out"],
        [{"id": "a-o", "item": "a", "tier": "own", "available": 1},
         {"id": "b-m", "item": "b", "tier": "market", "unit_price": 50}],
        [{"id": "d", "item": "out", "quantity": 3}],
        [{"id": "bp-a", "output": {"item": "out", "quantity": 1},
          "ingredients": [{"item": "a", "quantity": 1}]},
         {"id": "bp-b", "output": {"item": "out", "quantity": 1},
          "ingredients": [{"item": "b", "quantity": 1}]}])
    plan = planned(problem)
    assert runs(plan) == {"bp-a": 1, "bp-b": 2}
    assert plan.complete


def test_cyclic_bom_does_not_raise() -> None:
    problem = make_problem(
        ["a", "b"],
        [{"id": "a-o", "item": "a", "tier": "own", "available": 1}],
        [{"id": "d", "item": "b", "quantity": 2}],
        [{"id": "a2b", "output": {"item": "b", "quantity": 1},
          "ingredients": [{"item": "a", "quantity": 1}]},
         {"id": "b2a", "output": {"item": "a", "quantity": 1},
          "ingredients": [{"item": "b", "quantity": 1}]}])
    plan = planned(problem)
    assert runs(plan) == {"a2b": 1}
    assert [(s.demand, s.quantity) for s in plan.shortfalls] == [("d", 1)]


def test_trips_count_volume_per_location() -> None:
    problem = make_problem(
        ["ore"],
        [{"id": "r", "item": "ore", "tier": "market", "unit_price": 1, "location": "ruin"},
         {"id": "h", "item": "ore", "tier": "own", "available": 5, "location": "hangar"}],
        [{"id": "d", "item": "ore", "quantity": 205}], ship_capacity_scu=100)
    plan = planned(problem)
    assert [(t.location, t.trips, t.volume_scu) for t in plan.trips] == [("ruin", 2, 200)]
    assert plan.costs.trips == 1000


def test_empty_problem() -> None:
    plan = planned(make_problem(["ore"], [], []))
    assert plan.complete and plan.objective == 0

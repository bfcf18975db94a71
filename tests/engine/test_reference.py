"""The plain reference model on hand-made problems whose optimum is worked out by hand, and
cross-checked against the main solver on generated problems."""

from __future__ import annotations

from typing import Any

import pytest

from engine.checker import check
from engine.generate import Sizes, generate, generate_sized
from engine.plan import Plan, PlanStatus
from engine.problem import Problem, parse_problem
from engine.reference import solve_reference


def problem(items: list[dict[str, Any]], sources: list[dict[str, Any]],
            demands: list[dict[str, Any]], blueprints: list[dict[str, Any]] | None = None,
            **policy: Any) -> Problem:
    return parse_problem({
        "items": items,
        "locations": [{"id": "stanton"}, {"id": "hangar", "parent": "stanton"},
                      {"id": "far", "parent": "stanton", "trip_cost": 100}],
        "blueprints": blueprints or [],
        "sources": sources,
        "demands": demands,
        "policy": {"delivery_location": "hangar", "shortfall_penalty": 1000, **policy},
    })


def solved(p: Problem) -> Plan:
    plan = solve_reference(p)
    report = check(p, plan)
    assert report.ok, report.violations
    assert plan.status is PlanStatus.OPTIMAL
    assert plan.objective == pytest.approx(report.objective, abs=1e-6)
    return plan


def takes(plan: Plan) -> dict[str, float]:
    return {t.source: t.quantity for t in plan.takes}


SCU = [{"id": "alu", "unit": "scu"}]
RIFLE = {"id": "rifle", "unit": "piece", "volume_scu": 0.05}


def test_quality_floor_excludes_cheap_low_quality_stock() -> None:
    p = problem([RIFLE],
                [{"id": "own", "item": "rifle", "location": "hangar", "tier": "own",
                  "available": 10, "quality": 300},
                 {"id": "buy", "item": "rifle", "location": "hangar", "tier": "market",
                  "quality": 600, "unit_price": 10}],
                [{"id": "d", "item": "rifle", "quantity": 10, "min_quality": 500}])
    plan = solved(p)
    assert takes(plan) == {"buy": 10}
    assert plan.objective == pytest.approx(100)


def test_lot_sizes_mix_a_box_with_loose_units() -> None:
    # 5 SCU: one 4-SCU box at 10/SCU (40) plus 1 loose SCU at 17 beats two boxes (80).
    p = problem(SCU,
                [{"id": "box", "item": "alu", "location": "hangar", "tier": "market",
                  "unit_price": 10, "lot_size": 4},
                 {"id": "loose", "item": "alu", "location": "hangar", "tier": "market",
                  "unit_price": 17}],
                [{"id": "d", "item": "alu", "quantity": 5}])
    plan = solved(p)
    assert takes(plan) == {"box": 4, "loose": 1}
    assert plan.objective == pytest.approx(57)


def test_lot_round_up_reports_surplus() -> None:
    p = problem(SCU,
                [{"id": "box", "item": "alu", "location": "hangar", "tier": "market",
                  "unit_price": 10, "lot_size": 8}],
                [{"id": "d", "item": "alu", "quantity": 5}])
    plan = solved(p)
    assert takes(plan) == {"box": 8}
    assert [(s.item, s.quantity) for s in plan.surplus] == [("alu", 3)]
    assert plan.objective == pytest.approx(80)


def test_trips_make_a_second_load_not_worth_it() -> None:
    # 15 SCU, ship of 10: all from "far" (1/SCU) needs 2 trips (15 + 200 = 215); 10 from far
    # and 5 from the dearer hangar stock costs 10 + 100 + 25 = 135.
    p = problem(SCU,
                [{"id": "far-alu", "item": "alu", "location": "far", "tier": "market",
                  "unit_price": 1},
                 {"id": "home-alu", "item": "alu", "location": "hangar", "tier": "market",
                  "unit_price": 5, "available": 5}],
                [{"id": "d", "item": "alu", "quantity": 15}], ship_capacity_scu=10)
    plan = solved(p)
    assert takes(plan) == {"far-alu": 10, "home-alu": 5}
    assert [(t.location, t.trips) for t in plan.trips] == [("far", 1)]
    assert plan.objective == pytest.approx(135)


def test_crafting_two_levels_with_refining() -> None:
    # 10 rifles: 3 from own stock, 7 crafted (run cost 5). 7 × 0.04 = 0.28 SCU aluminium,
    # refined from ore at yield 0.5 per 1-SCU run: 1 run (0.5 SCU, run cost 2) from 1 SCU of
    # ore at 20. Buying rifles at 50 (350) or aluminium at 100/SCU (28) is dearer.
    p = problem(
        [RIFLE, {"id": "alu", "unit": "scu"}, {"id": "ore", "unit": "scu"}],
        [{"id": "own-rifle", "item": "rifle", "location": "hangar", "tier": "own",
          "available": 3},
         {"id": "mkt-rifle", "item": "rifle", "location": "hangar", "tier": "market",
          "unit_price": 50},
         {"id": "mkt-alu", "item": "alu", "location": "hangar", "tier": "market",
          "unit_price": 100},
         {"id": "mkt-ore", "item": "ore", "location": "hangar", "tier": "market",
          "unit_price": 20}],
        [{"id": "d", "item": "rifle", "quantity": 10}],
        [{"id": "bp-rifle", "output": {"item": "rifle", "quantity": 1}, "run_cost": 5,
          "ingredients": [{"item": "alu", "quantity": 0.04}]},
         {"id": "refine", "output": {"item": "alu", "quantity": 0.5}, "run_cost": 2,
          "ingredients": [{"item": "ore", "quantity": 1}]}])
    plan = solved(p)
    assert takes(plan) == {"own-rifle": 3, "mkt-ore": 1}
    assert {c.blueprint: c.runs for c in plan.crafts} == {"bp-rifle": 7, "refine": 1}
    assert plan.objective == pytest.approx(35 + 2 + 20)
    assert plan.costs.crafting == pytest.approx(37)


def test_crafted_output_serves_any_quality_floor() -> None:
    p = problem(
        [RIFLE, {"id": "alu", "unit": "scu"}],
        [{"id": "mkt-alu", "item": "alu", "location": "hangar", "tier": "market",
          "unit_price": 10, "quality": 5}],
        [{"id": "d", "item": "rifle", "quantity": 2, "min_quality": 900}],
        [{"id": "bp", "output": {"item": "rifle", "quantity": 1},
          "ingredients": [{"item": "alu", "quantity": 0.5}]}])
    plan = solved(p)
    assert takes(plan) == {"mkt-alu": 1}
    assert not plan.shortfalls
    assert plan.objective == pytest.approx(10)


def test_shortfall_when_supply_runs_out() -> None:
    p = problem([RIFLE],
                [{"id": "mem", "item": "rifle", "location": "hangar", "tier": "member",
                  "available": 3, "reliability": 0.5}],
                [{"id": "d", "item": "rifle", "quantity": 5}], member_unit_cost=2)
    plan = solved(p)
    # c = 2 × (1 + 1 × 0.5) = 3 per rifle; 2 short at 1000 each.
    assert takes(plan) == {"mem": 3}
    assert [(s.demand, s.quantity) for s in plan.shortfalls] == [("d", 2)]
    assert not plan.complete
    assert plan.objective == pytest.approx(9 + 2000)


def test_strict_priority_avoids_market_spend() -> None:
    sources = [{"id": "mem", "item": "alu", "location": "hangar", "tier": "member",
                "available": 10},
               {"id": "mkt", "item": "alu", "location": "hangar", "tier": "market",
                "unit_price": 0.5}]
    demand = [{"id": "d", "item": "alu", "quantity": 10}]
    weighted = solved(problem(SCU, sources, demand))
    assert takes(weighted) == {"mkt": 10}
    assert weighted.objective == pytest.approx(5)
    strict = solved(problem(SCU, sources, demand, strict_priority=True))
    assert takes(strict) == {"mem": 10}
    assert strict.objective == pytest.approx(10)


def test_bom_cycle_is_invalid() -> None:
    p = problem(
        [{"id": "a", "unit": "scu"}, {"id": "b", "unit": "scu"}],
        [], [{"id": "d", "item": "a", "quantity": 1}],
        [{"id": "a-from-b", "output": {"item": "a", "quantity": 1},
          "ingredients": [{"item": "b", "quantity": 1}]},
         {"id": "b-from-a", "output": {"item": "b", "quantity": 1},
          "ingredients": [{"item": "a", "quantity": 1}]}])
    plan = solve_reference(p)
    assert plan.status is PlanStatus.INVALID
    assert "BOM cycle" in plan.errors[0]["message"]


TINY = Sizes(ores=2, gems=1, materials=3, parts=3, products=3, blueprints=8, sources=25,
             demands=3, stations=4, members=3)


@pytest.mark.parametrize("seed", range(6))
def test_agrees_with_the_main_solver(seed: int) -> None:
    solve = pytest.importorskip("engine.solve").solve
    p = generate_sized(TINY, seed) if seed else generate("small", 1)
    ref = solved(p)
    main = solve(p)
    assert check(p, main).ok
    assert main.objective == pytest.approx(ref.objective, rel=1e-9, abs=1e-6)


@pytest.mark.parametrize("solver", ["auto", "ortools-scip", "highs"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_strict_priority_agrees_with_the_main_solver(seed: int, solver: str) -> None:
    # seed 2 on SCIP once lost its last stage to a 3.7e-7 round-off on the member stage
    solve = pytest.importorskip("engine.solve").solve
    base = generate_sized(TINY, seed)
    p = parse_problem({**base.to_document(),
                       "policy": {**base.policy.model_dump(), "strict_priority": True}})
    ref = solved(p)
    main = solve(p, solver=solver)
    assert main.status.value == "optimal"
    assert check(p, main).ok
    assert main.objective == pytest.approx(ref.objective, rel=1e-9, abs=1e-6)

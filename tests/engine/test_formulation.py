"""One test per constraint family of the compact model, each on a hand-made problem whose
optimum is worked out by hand in the test."""

from __future__ import annotations

import pytest

from engine.bom import prune
from engine.formulation import build_formulation
from engine.plan import Plan, PlanStatus
from engine.problem import Problem
from engine.solve import solve
from tests.engine.solver_helpers import pair_model_optimum, problem, random_problem, verify

SCU = [{"id": "ore"}]
PIECE = [{"id": "gun", "unit": "piece", "volume_scu": 1.0}]


def solved(p: Problem, solver: str = "auto") -> Plan:
    plan = solve(p, solver=solver)
    assert verify(p, plan) == []
    assert plan.status is PlanStatus.OPTIMAL
    return plan


def takes(plan: Plan) -> dict[str, float]:
    return {t.source: t.quantity for t in plan.takes}


def test_supply_limit_spills_to_the_next_source() -> None:
    srcs = [{"id": "cheap", "item": "ore", "location": "hangar", "tier": "market",
             "unit_price": 1, "available": 4},
            {"id": "dear", "item": "ore", "location": "hangar", "tier": "market",
             "unit_price": 5}]
    plan = solved(problem(SCU, srcs, [{"id": "d", "item": "ore", "quantity": 10}]))
    assert takes(plan) == {"cheap": 4.0, "dear": 6.0}
    assert plan.objective == pytest.approx(4 + 30)


def test_lot_sizes_take_whole_lots() -> None:
    srcs = [{"id": "lots", "item": "ore", "location": "hangar", "tier": "market",
             "unit_price": 1, "lot_size": 4},
            {"id": "loose", "item": "ore", "location": "hangar", "tier": "market",
             "unit_price": 3}]
    # 10 needed: 3 lots (12) cost 12, cheaper than 2 lots + 2 loose (8 + 6 = 14).
    plan = solved(problem(SCU, srcs, [{"id": "d", "item": "ore", "quantity": 10}]))
    assert takes(plan) == {"lots": 12.0}
    assert plan.surplus[0].quantity == pytest.approx(2.0)
    f = build_formulation(prune(problem(SCU, srcs, [{"id": "d", "item": "ore",
                                                     "quantity": 10}])))
    assert f.take_scale["lots"] == 4.0 and f.model.integer[f.take_var["lots"]]


def test_quality_floor_excludes_low_quality_sources() -> None:
    srcs = [{"id": "low", "item": "ore", "location": "hangar", "tier": "own",
             "available": 100, "quality": 200},
            {"id": "high", "item": "ore", "location": "hangar", "tier": "market",
             "unit_price": 2, "quality": 600}]
    dems = [{"id": "fine", "item": "ore", "quantity": 3, "min_quality": 500},
            {"id": "any", "item": "ore", "quantity": 5}]
    plan = solved(problem(SCU, srcs, dems))
    assert takes(plan) == {"high": 3.0, "low": 5.0}
    for a in plan.allocations:
        if a.to.demand == "fine":
            assert a.from_.source == "high"


def test_craft_runs_meet_every_ingredient_line_in_full() -> None:
    items = [{"id": "ore"}, {"id": "gun", "unit": "piece", "volume_scu": 0.1}]
    bps = [{"id": "make", "output": {"item": "gun", "quantity": 2},
            "ingredients": [{"item": "ore", "quantity": 1.5}], "run_cost": 10}]
    srcs = [{"id": "ore-s", "item": "ore", "location": "hangar", "tier": "market",
             "unit_price": 1}]
    plan = solved(problem(items, srcs, [{"id": "d", "item": "gun", "quantity": 5}], bps))
    # 5 guns need 3 runs (6 guns, 1 surplus) and 4.5 ore.
    assert [(c.blueprint, c.runs) for c in plan.crafts] == [("make", 3)]
    assert takes(plan) == {"ore-s": pytest.approx(4.5)}
    assert plan.objective == pytest.approx(30 + 4.5)


def test_crafted_output_serves_any_quality() -> None:
    items = [{"id": "ore"}, {"id": "metal"}]
    bps = [{"id": "refine", "output": {"item": "metal", "quantity": 1},
            "ingredients": [{"item": "ore", "quantity": 2}]}]
    srcs = [{"id": "ore-s", "item": "ore", "location": "hangar", "tier": "market",
             "unit_price": 1},
            {"id": "poor-metal", "item": "metal", "location": "hangar", "tier": "own",
             "available": 50, "quality": 100}]
    plan = solved(problem(items, srcs, [{"id": "d", "item": "metal", "quantity": 3,
                                         "min_quality": 900}], bps))
    assert [(c.blueprint, c.runs) for c in plan.crafts] == [("refine", 3)]
    assert "poor-metal" not in takes(plan)


def test_shortfall_when_nothing_can_serve() -> None:
    srcs = [{"id": "some", "item": "ore", "location": "hangar", "tier": "own", "available": 2}]
    plan = solved(problem(SCU, srcs, [{"id": "d", "item": "ore", "quantity": 5}],
                          shortfall_penalty=1000))
    assert not plan.complete
    assert [(s.demand, s.quantity) for s in plan.shortfalls] == [("d", pytest.approx(3.0))]
    assert plan.costs.shortfall == pytest.approx(3000)


def test_shortfall_chosen_when_cheaper_than_supply() -> None:
    srcs = [{"id": "dear", "item": "ore", "location": "hangar", "tier": "market",
             "unit_price": 50}]
    plan = solved(problem(SCU, srcs, [{"id": "d", "item": "ore", "quantity": 5}],
                          shortfall_penalty=10))
    assert plan.takes == [] and plan.objective == pytest.approx(50)


def test_trips_cover_volume_and_ship_capacity() -> None:
    srcs = [{"id": "far-ore", "item": "ore", "location": "st", "tier": "own", "available": 50}]
    plan = solved(problem(SCU, srcs, [{"id": "d", "item": "ore", "quantity": 20}],
                          ship_capacity_scu=8))
    assert [(t.location, t.trips) for t in plan.trips] == [("st", 3)]
    assert plan.costs.trips == pytest.approx(300)


def test_trips_decide_between_locations() -> None:
    # One trip from "st" (100) beats paying 10 more per SCU at the hangar market.
    srcs = [{"id": "remote", "item": "ore", "location": "st", "tier": "market",
             "unit_price": 1},
            {"id": "local", "item": "ore", "location": "hangar", "tier": "market",
             "unit_price": 11}]
    plan = solved(problem(SCU, srcs, [{"id": "d", "item": "ore", "quantity": 20}]))
    assert takes(plan) == {"remote": 20.0}
    small = solved(problem(SCU, srcs, [{"id": "d", "item": "ore", "quantity": 5}]))
    assert takes(small) == {"local": 5.0}


def test_delivery_location_trips_are_free() -> None:
    srcs = [{"id": "home", "item": "ore", "location": "hangar", "tier": "own",
             "available": 500}]
    plan = solved(problem(SCU, srcs, [{"id": "d", "item": "ore", "quantity": 400}],
                          ship_capacity_scu=4))
    assert plan.trips == [] and plan.objective == 0.0
    f = build_formulation(prune(problem(SCU, srcs, [{"id": "d", "item": "ore",
                                                     "quantity": 400}])))
    assert "hangar" not in f.trips_var


def test_strict_priority_stages() -> None:
    # Weighted: the member stock at 1/unit + free market? Strict: shortfall first, then market
    # spend, then member quantity, then cost.
    srcs = [{"id": "mkt", "item": "ore", "location": "hangar", "tier": "market",
             "unit_price": 0.5},
            {"id": "mem", "item": "ore", "location": "hangar", "tier": "member",
             "available": 10, "unit_price": 2},
            {"id": "own", "item": "ore", "location": "st", "tier": "own", "available": 10}]
    dem = [{"id": "d", "item": "ore", "quantity": 15}]
    weighted = solved(problem(SCU, srcs, dem))
    assert takes(weighted) == {"mkt": 15.0}
    strict = solved(problem(SCU, srcs, dem, strict_priority=True))
    # No market spend, then as little member stock as possible: own 10 (one trip) + member 5.
    assert takes(strict) == {"own": 10.0, "mem": 5.0}
    assert strict.objective == pytest.approx(10 + 100)
    assert [s["stage"] for s in strict.stats.stages] == [  # type: ignore[attr-defined]
        "shortfall", "market", "member", "weighted"]


def test_piece_integrality_everywhere() -> None:
    items = [{"id": "ore"}, *PIECE, {"id": "part", "unit": "piece", "volume_scu": 0.5}]
    bps = [{"id": "make", "output": {"item": "gun", "quantity": 1},
            "ingredients": [{"item": "part", "quantity": 0.5}, {"item": "ore", "quantity": 0.3}]}]
    srcs = [{"id": "parts", "item": "part", "location": "hangar", "tier": "market",
             "unit_price": 7},
            {"id": "ore-s", "item": "ore", "location": "hangar", "tier": "market",
             "unit_price": 1},
            {"id": "guns", "item": "gun", "location": "hangar", "tier": "own", "available": 1}]
    plan = solved(problem(items, srcs, [{"id": "d", "item": "gun", "quantity": 4}], bps))
    # 1 gun from stock, 3 runs: 1.5 parts -> 2 whole parts, 0.9 ore.
    assert takes(plan) == {"guns": 1.0, "parts": 2.0, "ore-s": pytest.approx(0.9)}
    for a in plan.allocations:
        if a.to.blueprint == "make" and a.to.ingredient == 0:
            assert a.quantity == 2.0


def test_piece_shortfall_is_whole() -> None:
    srcs = [{"id": "g", "item": "gun", "location": "hangar", "tier": "own", "available": 2}]
    plan = solved(problem(PIECE, srcs, [{"id": "d", "item": "gun", "quantity": 5}]))
    assert [s.quantity for s in plan.shortfalls] == [3.0]


def test_pooling_merges_interchangeable_sources_and_splits_by_id() -> None:
    srcs = [{"id": f"m{k}", "item": "ore", "location": "hangar", "tier": "member",
             "available": 3, "quality": q} for k, q in enumerate([400, 450, 200, 420])]
    p = problem(SCU, srcs, [{"id": "d", "item": "ore", "quantity": 7, "min_quality": 300}])
    f = build_formulation(prune(p))
    # m2 is below every threshold: dropped; the other three share class and cost: one pool.
    assert [pool.id for pool in f.pools] == ["m0+2"]
    plan = solved(p)
    assert takes(plan) == {"m0": 3.0, "m1": 3.0, "m3": 1.0}


@pytest.mark.parametrize("solver", ["ortools-scip", "ortools-cbc", "highs"])
def test_every_backend_solves_the_lot_problem(solver: str) -> None:
    srcs = [{"id": "lots", "item": "ore", "location": "st", "tier": "market",
             "unit_price": 1, "lot_size": 5}]
    plan = solved(problem(SCU, srcs, [{"id": "d", "item": "ore", "quantity": 7}]), solver)
    assert takes(plan) == {"lots": 10.0}
    assert plan.stats.solver == solver


def formulation_optimum(p: Problem, **options: bool) -> float:
    """The weighted optimum of the compact model built with ``options``, solved by HiGHS."""
    from engine.backends import make_backend

    f = build_formulation(prune(p), **options)
    backend = make_backend("highs", f.model)
    backend.set_objective(f.objectives["weighted"])
    result = backend.solve(None)
    assert result.status == "optimal"
    return result.objective


DOMINANCE_SOURCES = [
    # Unlimited hangar market, class of 500 and cost 2: dominates both station sources below.
    {"id": "home-mkt", "item": "ore", "location": "hangar", "tier": "market",
     "unit_price": 2, "quality": 500},
    {"id": "st-member", "item": "ore", "location": "st", "tier": "member",
     "available": 30, "unit_price": 3, "quality": 450},
    {"id": "st-lots", "item": "ore", "location": "st", "tier": "market",
     "unit_price": 2.5, "lot_size": 4, "quality": 520},
    # Better quality class than the hangar market: it alone serves the 550 floor, so it stays.
    {"id": "st-fine", "item": "ore", "location": "st", "tier": "member",
     "available": 5, "unit_price": 3, "quality": 700},
    # Cheaper than the hangar market: stays.
    {"id": "st-cheap", "item": "ore", "location": "st", "tier": "own", "available": 6,
     "quality": 300},
]
DOMINANCE_DEMANDS = [{"id": "fine", "item": "ore", "quantity": 4, "min_quality": 550},
                     {"id": "any", "item": "ore", "quantity": 12, "min_quality": 400},
                     {"id": "low", "item": "ore", "quantity": 3}]


def test_dominated_pools_are_dropped_and_the_optimum_is_unchanged() -> None:
    p = problem(SCU, DOMINANCE_SOURCES, DOMINANCE_DEMANDS)
    f = build_formulation(prune(p))
    assert sorted(pool.id for pool in f.pools) == ["home-mkt", "st-cheap", "st-fine"]
    full = build_formulation(prune(p), dominance=False)
    assert len(full.pools) == 5
    assert formulation_optimum(p) == pytest.approx(formulation_optimum(p, dominance=False))
    plan = solved(p)
    assert plan.objective == pytest.approx(pair_model_optimum(p))


def test_dominance_at_the_same_station_and_ties_keep_one_pool() -> None:
    srcs = [{"id": "a", "item": "ore", "location": "st", "tier": "market", "unit_price": 2},
            {"id": "b", "item": "ore", "location": "st", "tier": "market", "unit_price": 2,
             "lot_size": 5},
            {"id": "c", "item": "ore", "location": "far", "tier": "market", "unit_price": 2},
            {"id": "d", "item": "ore", "location": "far", "tier": "market", "unit_price": 1,
             "available": 3}]
    p = problem(SCU, srcs, [{"id": "need", "item": "ore", "quantity": 9}])
    f = build_formulation(prune(p))
    # b (same station, same rank) goes to a; c and d are at another station: both stay.
    assert sorted(pool.id for pool in f.pools) == ["a", "c", "d"]
    assert formulation_optimum(p) == pytest.approx(formulation_optimum(p, dominance=False))


def test_strict_dominance_respects_market_spend_and_member_quantity() -> None:
    # The hangar market is cheaper in weighted cost than the member stock (reliability), but in
    # strict priority a market unit costs market spend the member unit does not: no dominance.
    srcs = [{"id": "mkt", "item": "ore", "location": "hangar", "tier": "market",
             "unit_price": 0.5},
            {"id": "mem", "item": "ore", "location": "st", "tier": "member", "available": 8,
             "unit_price": 1, "reliability": 0.8}]
    dem = [{"id": "d", "item": "ore", "quantity": 6}]
    weighted = build_formulation(prune(problem(SCU, srcs, dem)))
    assert [pool.id for pool in weighted.pools] == ["mkt"]
    strict = build_formulation(prune(problem(SCU, srcs, dem, strict_priority=True)))
    assert sorted(pool.id for pool in strict.pools) == ["mem", "mkt"]
    plan = solved(problem(SCU, srcs, dem, strict_priority=True))
    assert takes(plan) == {"mem": 6.0}


@pytest.mark.parametrize("seed", range(8))
def test_dominance_keeps_the_optimum_on_random_problems(seed: int) -> None:
    p = random_problem(400 + seed, sources=20)
    assert formulation_optimum(p) == pytest.approx(
        formulation_optimum(p, dominance=False), rel=1e-7, abs=1e-6)

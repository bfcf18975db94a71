"""Explanations: demand trees with proportional attribution, costs, raw shortages."""

from __future__ import annotations

import json

import pytest

from engine.explain import Explanation, explain, render_text
from engine.greedy import greedy_plan
from tests.engine.samples import make_problem, rifle_plan, rifle_problem


def test_rifle_tree_costs_and_text() -> None:
    ex = explain(rifle_problem(), rifle_plan())
    d1, d2 = ex.demands
    assert (d1.allocated, d1.shortfall) == (10, 0)
    kinds = sorted((n.kind, n.quantity) for n in d1.supplies)
    assert kinds == [("craft", 7), ("source", 3)]
    craft = next(n for n in d1.supplies if n.kind == "craft")
    assert craft.runs == 7 and craft.total_runs == 7
    alu = craft.ingredients[0]
    assert alu.item == "alu" and alu.quantity == pytest.approx(0.28)
    assert alu.supplies[0].source == "mkt-alu" and alu.supplies[0].tier == "market"
    assert alu.supplies[0].cost == pytest.approx(0.28 * 352)
    assert craft.cost == pytest.approx(35 + 0.28 * 352 + 0.14)
    assert ex.costs.by_tier["market"] == pytest.approx(552)
    assert ex.costs.by_tier["member"] == pytest.approx(0.14)
    assert ex.costs.by_tier["trips"] == 2200
    assert ex.costs.total == pytest.approx(rifle_plan().objective)
    assert ex.costs.by_location["area18"] == pytest.approx(552 + 1200)
    assert [(t.location, t.cost) for t in ex.trips] == [("area18", 1200), ("lorville", 1000)]
    assert d2.shortfall == 2
    assert [(r.item, r.quantity, r.reason) for r in d2.short_raw] == \
        [("medpen", 2, "sources exhausted")]
    text = render_text(ex)
    assert "crafted by bp-rifle" in text and "SHORT 2 medpen" in text and "area18" in text


def test_explanation_is_json_round_trippable() -> None:
    ex = explain(rifle_problem(), rifle_plan())
    again = Explanation.model_validate(json.loads(ex.model_dump_json()))
    assert again == ex


def test_shared_craft_is_split_in_proportion() -> None:
    problem = make_problem(
        ["ore", {"id": "gun", "unit": "piece", "volume_scu": 0.1}],
        [{"id": "o", "item": "ore", "tier": "market", "unit_price": 10}],
        [{"id": "a", "item": "gun", "quantity": 1}, {"id": "b", "item": "gun", "quantity": 3}],
        [{"id": "bp", "output": {"item": "gun", "quantity": 2}, "run_cost": 4,
          "ingredients": [{"item": "ore", "quantity": 1}]}])
    plan = greedy_plan(problem)
    ex = explain(problem, plan)
    a, b = ex.demands
    ca, cb = a.supplies[0], b.supplies[0]
    assert (ca.runs, cb.runs) == (0.5, 1.5) and ca.total_runs == cb.total_runs == 2
    assert ca.ingredients[0].quantity == pytest.approx(0.5)
    assert cb.ingredients[0].quantity == pytest.approx(1.5)
    assert ca.cost + cb.cost == pytest.approx(2 * 4 + 2 * 10)


def test_short_traced_to_the_raw_item_through_the_bom() -> None:
    problem = make_problem(
        ["ore", "metal", "gas", {"id": "gun", "unit": "piece", "volume_scu": 0.1}],
        [{"id": "o", "item": "ore", "tier": "own", "available": 4},
         {"id": "g", "item": "gas", "tier": "market", "unit_price": 1}],
        [{"id": "d", "item": "gun", "quantity": 5}],
        [{"id": "refine", "output": {"item": "metal", "quantity": 0.5},
          "ingredients": [{"item": "ore", "quantity": 1}]},
         {"id": "make", "output": {"item": "gun", "quantity": 1},
          "ingredients": [{"item": "metal", "quantity": 1}, {"item": "gas", "quantity": 1}]}])
    plan = greedy_plan(problem)
    ex = explain(problem, plan)
    (dem,) = ex.demands
    assert dem.shortfall == 3
    (raw,) = dem.short_raw
    # 3 guns need 3 metal = 6 ore; the own ore (4) is all used and there is no other source.
    assert (raw.item, raw.quantity, raw.reason) == ("ore", 6, "sources exhausted")
    assert raw.remaining == 0
    assert raw.path == ["gun", "make", "metal", "refine", "ore"]
    assert "raw ore short by 6" in render_text(ex)


def test_short_on_cost_says_so() -> None:
    problem = make_problem(
        ["ore"], [{"id": "m", "item": "ore", "tier": "market", "unit_price": 100}],
        [{"id": "d", "item": "ore", "quantity": 2}], shortfall_penalty=1)
    plan = greedy_plan(problem).model_copy(deep=True)
    # A hand-made plan that skips the purchase (cheaper than buying at this penalty).
    plan = plan.model_validate({**plan.to_document(), "takes": [], "allocations": [],
                                "trips": [], "surplus": [],
                                "shortfalls": [{"demand": "d", "quantity": 2}]})
    (raw,) = explain(problem, plan).demands[0].short_raw
    assert raw.remaining is None and "cheaper" in raw.reason


def test_no_source_and_no_recipe() -> None:
    problem = make_problem(["ore"], [], [{"id": "d", "item": "ore", "quantity": 2}])
    (raw,) = explain(problem, greedy_plan(problem)).demands[0].short_raw
    assert raw.reason == "no source and no recipe"

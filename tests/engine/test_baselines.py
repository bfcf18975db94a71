"""The make-or-buy baseline: rolled-up recipe costs decide make or buy per item."""

from __future__ import annotations

from engine.baselines import make_or_buy_plan
from engine.checker import check_or_raise
from engine.greedy import greedy_plan
from engine.problem import Problem, parse_problem

# Checker and optimiser properties on random problems: tests/engine/test_properties.py.


def _rifles(listed_at: float, limited: float | None = None) -> Problem:
    # A rifle listed finished, or made from 2 SCU of aluminium (30 each) and a 15 run cost:
    # 75 a rifle rolled up.
    finished: dict[str, object] = {"id": "buy-rifle", "item": "rifle", "location": "hangar",
                                   "tier": "market", "unit_price": listed_at}
    if limited is not None:
        finished["available"] = limited
    return parse_problem({
        "items": [{"id": "alu"}, {"id": "rifle", "unit": "piece", "volume_scu": 0.1}],
        "locations": [{"id": "hangar"}],
        "blueprints": [{"id": "make-rifle", "output": {"item": "rifle", "quantity": 1},
                        "ingredients": [{"item": "alu", "quantity": 2}], "run_cost": 15}],
        "sources": [finished, {"id": "buy-alu", "item": "alu", "location": "hangar",
                               "tier": "market", "unit_price": 30}],
        "demands": [{"id": "d", "item": "rifle", "quantity": 4}],
        "policy": {"delivery_location": "hangar"},
    })


def test_makes_what_is_cheaper_to_make_where_greedy_buys() -> None:
    problem = _rifles(listed_at=100)
    naive, spreadsheet = greedy_plan(problem), make_or_buy_plan(problem)
    assert [t.source for t in naive.takes] == ["buy-rifle"] and naive.objective == 400
    assert [(c.blueprint, c.runs) for c in spreadsheet.crafts] == [("make-rifle", 4)]
    assert spreadsheet.objective == 300
    check_or_raise(problem, spreadsheet)


def test_buys_what_is_cheaper_to_buy_then_makes_the_rest() -> None:
    problem = _rifles(listed_at=60, limited=3)
    plan = make_or_buy_plan(problem)
    check_or_raise(problem, plan)
    assert {t.source: t.quantity for t in plan.takes}["buy-rifle"] == 3
    assert [(c.blueprint, c.runs) for c in plan.crafts] == [("make-rifle", 1)]
    assert plan.objective == 3 * 60 + 75

"""BOM graph: cycles named, pruning of what no demand reaches, multi-level explosion."""

from __future__ import annotations

import pytest

from engine.bom import find_cycles, gross_requirements, makeable_items, prune
from engine.plan import PlanStatus
from engine.solve import solve
from tests.engine.solver_helpers import problem

ITEMS = [{"id": "ore"}, {"id": "metal"}, {"id": "part", "unit": "piece", "volume_scu": 0.1},
         {"id": "gun", "unit": "piece", "volume_scu": 0.05}, {"id": "junk"}]


def _bp(bp_id: str, out: str, qty: float, ings: list[tuple[str, float]]) -> dict[str, object]:
    return {"id": bp_id, "output": {"item": out, "quantity": qty},
            "ingredients": [{"item": i, "quantity": q} for i, q in ings]}


def test_no_cycle_in_a_tree() -> None:
    p = problem(ITEMS, [], [{"id": "d", "item": "gun", "quantity": 1}],
                [_bp("refine", "metal", 0.5, [("ore", 1)]), _bp("make", "gun", 1, [("metal", 2)])])
    assert find_cycles(p) == []


def test_cycle_is_named_from_its_smallest_item() -> None:
    p = problem(ITEMS, [], [{"id": "d", "item": "gun", "quantity": 1}],
                [_bp("a2b", "part", 1, [("metal", 1)]), _bp("b2a", "metal", 1, [("part", 1)]),
                 _bp("make", "gun", 1, [("metal", 2)])])
    assert find_cycles(p) == [["metal", "a2b", "part", "b2a"]]


def test_self_loop_blueprint_is_a_cycle_and_the_plan_is_invalid() -> None:
    p = problem(ITEMS, [], [{"id": "d", "item": "metal", "quantity": 1}],
                [_bp("loop", "metal", 2, [("metal", 1)])])
    assert find_cycles(p) == [["metal", "loop"]]
    plan = solve(p)
    assert plan.status is PlanStatus.INVALID
    assert "metal -> loop -> metal" in plan.errors[0]["message"]


def test_prune_keeps_only_what_demands_reach() -> None:
    srcs = [{"id": "s-ore", "item": "ore", "location": "st", "tier": "own", "available": 10},
            {"id": "s-junk", "item": "junk", "location": "st", "tier": "own", "available": 10},
            {"id": "s-empty", "item": "ore", "location": "st", "tier": "own", "available": 0}]
    p = problem(ITEMS, srcs, [{"id": "d", "item": "metal", "quantity": 1}],
                [_bp("refine", "metal", 0.5, [("ore", 1)]),
                 _bp("scrap", "junk", 1, [("metal", 1)]),
                 _bp("make", "gun", 1, [("metal", 2)])])
    pruned = prune(p)
    assert [i.id for i in pruned.items] == ["ore", "metal"]
    assert [b.id for b in pruned.blueprints] == ["refine"]
    assert [s.id for s in pruned.sources] == ["s-ore"]
    assert pruned.item("ore").id == "ore"  # lookups rebuilt on the copy
    with pytest.raises(KeyError):
        pruned.item("junk")


def test_prune_drops_blueprints_that_can_never_run() -> None:
    # "part" has neither a source nor a blueprint, so "make" can never run.
    srcs = [{"id": "s-metal", "item": "metal", "location": "st", "tier": "own", "available": 5}]
    p = problem(ITEMS, srcs, [{"id": "d", "item": "gun", "quantity": 1}],
                [_bp("make", "gun", 1, [("metal", 2), ("part", 1)])])
    assert "gun" not in makeable_items(p)
    pruned = prune(p)
    assert pruned.blueprints == []
    assert [i.id for i in pruned.items] == ["gun"]
    assert [b.id for b in prune(p, drop_unmakeable=False).blueprints] == ["make"]


def test_gross_requirements_explode_in_whole_runs() -> None:
    p = problem(ITEMS, [], [{"id": "d", "item": "gun", "quantity": 3}],
                [_bp("refine", "metal", 0.5, [("ore", 1.5)]),
                 _bp("make", "gun", 2, [("metal", 1.2), ("part", 1)])])
    # gun 3 -> 2 runs of make -> metal 2.4, part 2 -> ceil(2.4/0.5)=5 runs of refine -> ore 7.5
    assert gross_requirements(p) == pytest.approx(
        {"gun": 3.0, "metal": 2.4, "part": 2.0, "ore": 7.5})


def test_gross_requirements_round_fractional_piece_lines_up() -> None:
    p = problem(ITEMS, [], [{"id": "d", "item": "gun", "quantity": 3}],
                [_bp("make", "gun", 1, [("part", 0.5)])])
    assert gross_requirements(p)["part"] == 2.0

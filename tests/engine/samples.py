"""Hand-made sample problems and plans shared by the engine tests."""

from __future__ import annotations

import copy
from typing import Any

from engine.plan import Plan, parse_plan
from engine.problem import Problem, parse_problem

RIFLE_PROBLEM: dict[str, Any] = {
    "format": "quartermaster.problem/1",
    "name": "Rifles and medpens for the hangar",
    "items": [
        {"id": "alu", "name": "Aluminum", "unit": "scu"},
        {"id": "iron", "name": "Iron", "unit": "scu"},
        {"id": "rifle", "name": "P4-AR", "unit": "piece", "volume_scu": 0.05},
        {"id": "medpen", "name": "MedPen", "unit": "piece", "volume_scu": 0.01},
    ],
    "locations": [
        {"id": "stanton", "parent": None},
        {"id": "hangar", "parent": "stanton"},
        {"id": "area18", "parent": "stanton", "trip_cost": 1200},
        {"id": "lorville", "parent": "stanton"},
    ],
    "blueprints": [
        {"id": "bp-rifle", "output": {"item": "rifle", "quantity": 1}, "run_cost": 5,
         "ingredients": [{"item": "alu", "quantity": 0.04, "min_quality": 300},
                         {"item": "iron", "quantity": 0.02}]},
    ],
    "sources": [
        {"id": "own-rifle", "item": "rifle", "location": "hangar", "tier": "own",
         "available": 3},
        {"id": "mkt-alu", "item": "alu", "location": "area18", "tier": "market",
         "quality": 350, "unit_price": 320, "reliability": 0.9, "lot_size": 1},
        {"id": "mkt-alu-low", "item": "alu", "location": "area18", "tier": "market",
         "quality": 100, "unit_price": 100},
        {"id": "mem-iron", "item": "iron", "location": "lorville", "tier": "member",
         "holder": "Vex", "available": 5, "quality": 500},
        {"id": "mkt-medpen", "item": "medpen", "location": "area18", "tier": "market",
         "unit_price": 50, "available": 4},
    ],
    "demands": [
        {"id": "d1", "item": "rifle", "quantity": 10},
        {"id": "d2", "item": "medpen", "quantity": 6},
    ],
    "policy": {"delivery_location": "hangar", "ship_capacity_scu": 96},
}

# 3 rifles from own stock, 7 crafted; 4 medpens bought, 2 short.
RIFLE_PLAN: dict[str, Any] = {
    "format": "quartermaster.plan/1",
    "status": "feasible",
    "objective": 352 + 0.14 + 200 + 35 + 2200 + 2_000_000,
    "complete": False,
    "costs": {"sourcing": 352 + 0.14 + 200, "crafting": 35, "trips": 2200,
              "shortfall": 2_000_000},
    "takes": [
        {"source": "mem-iron", "quantity": 0.14},
        {"source": "mkt-alu", "quantity": 1},
        {"source": "mkt-medpen", "quantity": 4},
        {"source": "own-rifle", "quantity": 3},
    ],
    "allocations": [
        {"from": {"blueprint": "bp-rifle"}, "to": {"demand": "d1"}, "quantity": 7},
        {"from": {"source": "mem-iron"}, "to": {"blueprint": "bp-rifle", "ingredient": 1},
         "quantity": 0.14},
        {"from": {"source": "mkt-alu"}, "to": {"blueprint": "bp-rifle", "ingredient": 0},
         "quantity": 0.28},
        {"from": {"source": "mkt-medpen"}, "to": {"demand": "d2"}, "quantity": 4},
        {"from": {"source": "own-rifle"}, "to": {"demand": "d1"}, "quantity": 3},
    ],
    "crafts": [{"blueprint": "bp-rifle", "runs": 7}],
    "trips": [{"location": "area18", "trips": 1, "volume_scu": 1.04},
              {"location": "lorville", "trips": 1, "volume_scu": 0.14}],
    "shortfalls": [{"demand": "d2", "item": "medpen", "quantity": 2}],
    "surplus": [{"item": "alu", "quantity": 0.72}],
    "stats": {"solver": "hand", "build_seconds": 0, "solve_seconds": 0, "gap": None},
}


def rifle_problem(**changes: Any) -> Problem:
    """The rifle sample problem, with top-level fields replaced by `changes`."""
    doc = copy.deepcopy(RIFLE_PROBLEM)
    doc.update(changes)
    return parse_problem(doc)


def rifle_plan_doc() -> dict[str, Any]:
    """A fresh, mutable copy of the correct rifle plan document."""
    return copy.deepcopy(RIFLE_PLAN)


def rifle_plan() -> Plan:
    """The correct rifle plan."""
    return parse_plan(rifle_plan_doc())


def make_problem(
    items: list[dict[str, Any]],
    sources: list[dict[str, Any]],
    demands: list[dict[str, Any]],
    blueprints: list[dict[str, Any]] | None = None,
    **policy: Any,
) -> Problem:
    """A small problem with locations `hangar` (delivery), `port` and `ruin` (trip cost 500).

    Sources default to location `port`; items given as plain strings are SCU items.
    """
    item_docs = [{"id": i, "unit": "scu"} if isinstance(i, str) else i for i in items]
    return parse_problem({
        "format": "quartermaster.problem/1",
        "items": item_docs,
        "locations": [{"id": "hangar"}, {"id": "port"}, {"id": "ruin", "trip_cost": 500}],
        "blueprints": blueprints or [],
        "sources": [{"location": "port", **s} for s in sources],
        "demands": demands,
        "policy": {"delivery_location": "hangar", **policy},
    })

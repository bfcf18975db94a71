"""Hypothesis strategies for small random planning problems.

Numbers are kept "nice" (integers and halves, a few reliabilities) so that a failure points at
a rule, not at float round-off. The BOM is a DAG by construction (a crafted item only uses
items generated before it) unless `cycles=True`, which may add a blueprint closing a loop.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from engine.problem import Problem, parse_problem

LOCATIONS = ["hangar", "port", "ruin", "dock"]
# With ``nested=True``: a locker inside the delivery hangar (free whatever its trip_cost) and a
# cargo grid parked at the port (hauled with the port unless it has its own trip_cost).
NESTED_LOCATIONS = ["locker", "grid"]


@st.composite
def problem_docs(draw: st.DrawFn, *, cycles: bool = False, strict: bool | None = False,
                 max_items: int = 5, nested: bool = True,
                 continuous: bool = True) -> dict[str, Any]:
    """A valid problem document (`strict`: None draws either objective mode).

    ``nested`` adds locations inside the delivery location and below a stop; ``continuous``
    lets blueprints run fractionally. Without both, the problem reads the same under the
    rules before the 2026-12 changes.
    """
    n_raw = draw(st.integers(1, max(1, max_items - 2)))
    n_made = draw(st.integers(0, 2))
    items: list[dict[str, Any]] = []
    for i in range(n_raw + n_made):
        piece = draw(st.booleans())
        item: dict[str, Any] = {"id": f"i{i}", "unit": "piece" if piece else "scu"}
        if piece:
            item["volume_scu"] = draw(st.sampled_from([0.01, 0.1, 0.5, 2.0]))
        items.append(item)
    is_piece = {it["id"]: it["unit"] == "piece" for it in items}

    def qty(item_id: str, low: int = 1, high: int = 12) -> float:
        whole = draw(st.integers(low, high))
        if is_piece[item_id] or draw(st.booleans()):
            return float(whole)
        return whole + 0.5

    locations = [{"id": "hangar"}, {"id": "port", "trip_cost": draw(st.sampled_from([0, 50, 400]))},
                 {"id": "ruin", "parent": "port",
                  # Without a cost of its own the ruin is hauled with the port (a nested stop).
                  "trip_cost": draw(st.sampled_from([None, 100, 2000] if nested else [100, 2000]))},
                 {"id": "dock"}]
    where = list(LOCATIONS)
    if nested:
        locations += [{"id": "locker", "parent": "hangar",
                       "trip_cost": draw(st.sampled_from([None, 0, 900]))},
                      {"id": "grid", "parent": "port",
                       "trip_cost": draw(st.sampled_from([None, None, 250]))}]
        where += NESTED_LOCATIONS

    blueprints: list[dict[str, Any]] = []
    for j in range(n_made):
        out = items[n_raw + j]["id"]
        for b in range(draw(st.integers(1, 2))):
            candidates = [it["id"] for it in items[: n_raw + j]]
            ings = draw(st.lists(st.sampled_from(candidates), min_size=1, max_size=3,
                                 unique=True))
            blueprints.append({
                "id": f"bp{j}-{b}",
                "output": {"item": out, "quantity": float(draw(st.integers(1, 3)))},
                "ingredients": [
                    {"item": ing,
                     "quantity": float(draw(st.integers(1, 3))) if is_piece[ing]
                     else draw(st.sampled_from([0.25, 0.5, 1.0, 2.0])),
                     "min_quality": draw(st.sampled_from([0, 0, 300]))}
                    for ing in ings],
                "run_cost": float(draw(st.sampled_from([0, 0, 5, 40]))),
                "continuous": continuous and draw(st.booleans()),
            })
    if cycles and n_made and draw(st.booleans()):
        # A recipe turning the last made item back into a raw one closes a loop.
        blueprints.append({"id": "bp-loop", "output": {"item": items[0]["id"], "quantity": 1.0},
                           "ingredients": [{"item": items[-1]["id"], "quantity": 1.0}]})

    sources: list[dict[str, Any]] = []
    for it in items:
        for k in range(draw(st.integers(0, 3))):
            tier = draw(st.sampled_from(["own", "member", "market"]))
            src: dict[str, Any] = {
                "id": f"s-{it['id']}-{k}", "item": it["id"], "tier": tier,
                "location": draw(st.sampled_from(where)),
                "quality": draw(st.sampled_from([None, 100, 300, 800])),
                "reliability": draw(st.sampled_from([1.0, 1.0, 0.9, 0.5])),
            }
            if tier == "member":
                src["holder"] = draw(st.sampled_from(["Vex", "Ana"]))
            if tier == "market":
                src["unit_price"] = float(draw(st.integers(1, 60)))
                if draw(st.booleans()):
                    src["available"] = qty(it["id"], 0, 20)
                if draw(st.integers(0, 3)) == 0:
                    src["lot_size"] = float(draw(st.sampled_from([1, 2, 4])))
            else:
                src["available"] = qty(it["id"], 0, 10)
                if tier == "member" and draw(st.booleans()):
                    src["unit_price"] = float(draw(st.integers(0, 5)))
            sources.append(src)

    demands = [
        {"id": f"d{n}", "item": dem_item, "quantity": qty(dem_item),
         "min_quality": draw(st.sampled_from([0, 0, 300]))}
        for n, dem_item in enumerate(draw(st.lists(
            st.sampled_from([it["id"] for it in items]), min_size=1, max_size=3)))
    ]
    policy = {
        "delivery_location": "hangar",
        "ship_capacity_scu": draw(st.sampled_from([1.0, 4.0, 96.0])),
        "reliability_weight": draw(st.sampled_from([0.0, 1.0])),
        "default_trip_cost": draw(st.sampled_from([0.0, 300.0])),
        "shortfall_penalty": draw(st.sampled_from([100.0, 1_000_000.0])),
        "strict_priority": draw(st.booleans()) if strict is None else strict,
    }
    return {"format": "quartermaster.problem/1", "items": items, "locations": locations,
            "blueprints": blueprints, "sources": sources, "demands": demands, "policy": policy}


def problems(**options: Any) -> st.SearchStrategy[Problem]:
    """Random valid problems (see :func:`problem_docs` for the options)."""
    return problem_docs(**options).map(parse_problem)

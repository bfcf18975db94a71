"""What-if: variant files, applying changes, solving warm-started and comparing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.checker import check_or_raise
from engine.greedy import greedy_plan
from engine.plan import Plan
from engine.problem import Problem
from engine.solve import solve
from engine.whatif import (
    WhatIfValidationError,
    apply_changes,
    compare_plans,
    load_variants,
    parse_variants,
    render_whatif_text,
    run_whatif,
)
from tests.engine.samples import make_problem, rifle_problem


def changes(*raw: dict[str, Any]) -> Any:
    return parse_variants({"variants": [{"name": "v", "changes": list(raw)}]}).variants[0].changes


def station_problem() -> Problem:
    """Ore at two locations under one parent, a member holder, and two demands."""
    from engine.problem import parse_problem

    return parse_problem({
        "items": [{"id": "ore"}, {"id": "gas"}],
        "locations": [{"id": "hangar"}, {"id": "pyro"},
                      {"id": "ruin", "parent": "pyro", "trip_cost": 10},
                      {"id": "dock", "parent": "ruin", "trip_cost": 10}, {"id": "port"}],
        "sources": [
            {"id": "ruin-ore", "item": "ore", "location": "ruin", "tier": "market",
             "unit_price": 10},
            {"id": "dock-ore", "item": "ore", "location": "dock", "tier": "market",
             "unit_price": 11},
            {"id": "port-ore", "item": "ore", "location": "port", "tier": "market",
             "unit_price": 20, "reliability": 0.8},
            {"id": "vex-ore", "item": "ore", "location": "port", "tier": "member",
             "holder": "Vex", "available": 5},
            {"id": "vex-gas", "item": "gas", "location": "port", "tier": "member",
             "holder": "Vex", "available": 5},
        ],
        "demands": [{"id": "d-ore", "item": "ore", "quantity": 8},
                    {"id": "d-gas", "item": "gas", "quantity": 2}],
        "policy": {"delivery_location": "hangar"},
    })


def test_scale_price_scales_every_source_of_the_item() -> None:
    p = apply_changes(station_problem(), changes({"kind": "scale_price", "item": "ore",
                                                  "factor": 1.5}))
    assert p.source("ruin-ore").unit_price == 15
    assert p.source("vex-ore").unit_price == 1.5  # member default price, scaled
    assert p.source("vex-gas").unit_price is None


def test_scale_price_by_tier() -> None:
    p = apply_changes(station_problem(), changes(
        {"kind": "scale_price", "item": "ore", "factor": 2, "tier": "market"}))
    assert p.source("ruin-ore").unit_price == 20 and p.source("vex-ore").unit_price is None


def test_remove_holder_stock_all_or_one_item() -> None:
    p = apply_changes(station_problem(), changes({"remove_holder_stock": {"holder": "Vex"}}))
    assert p.source("vex-ore").available == 0 and p.source("vex-gas").available == 0
    p = apply_changes(station_problem(), changes(
        {"kind": "remove_holder_stock", "holder": "Vex", "item": "gas"}))
    assert p.source("vex-ore").available == 5 and p.source("vex-gas").available == 0


def test_demand_changes() -> None:
    p = apply_changes(station_problem(), changes(
        {"kind": "set_demand", "demand": "d-ore", "quantity": 3},
        {"kind": "remove_demand", "demand": "d-gas"},
        {"kind": "add_demand", "id": "d-new", "item": "gas", "quantity": 1, "min_quality": 5}))
    assert [(d.id, d.quantity) for d in p.demands] == [("d-ore", 3), ("d-new", 1)]
    assert p.demand("d-new").min_quality == 5


def test_close_location_includes_descendants() -> None:
    p = apply_changes(station_problem(), changes({"kind": "close_location", "location": "pyro"}))
    assert p.source("ruin-ore").available == 0 and p.source("dock-ore").available == 0
    assert p.source("port-ore").available is None


def test_set_source_and_policy() -> None:
    p = apply_changes(station_problem(), changes(
        {"kind": "set_source", "source": "port-ore", "reliability": 1, "available": 3},
        {"kind": "set_source", "source": "vex-ore", "unit_price": 0.5},
        {"set_policy": {"ship_capacity_scu": 174, "strict_priority": True}}))
    assert p.source("port-ore").reliability == 1 and p.source("port-ore").available == 3
    assert p.source("vex-ore").unit_price == 0.5
    assert p.policy.ship_capacity_scu == 174 and p.policy.strict_priority
    assert p.policy.default_trip_cost == 1000


def test_set_source_back_to_unlimited() -> None:
    base = apply_changes(station_problem(), changes(
        {"kind": "set_source", "source": "ruin-ore", "available": 4}))
    p = apply_changes(base, changes({"kind": "set_source", "source": "ruin-ore",
                                     "available": None}))
    assert p.source("ruin-ore").available is None


@pytest.mark.parametrize(("change", "needle"), [
    ({"kind": "scale_price", "item": "tin", "factor": 2}, "unknown item 'tin'"),
    ({"kind": "remove_holder_stock", "holder": "Nobody"}, "no source held by 'Nobody'"),
    ({"kind": "set_demand", "demand": "d9", "quantity": 1}, "unknown demand 'd9'"),
    ({"kind": "remove_demand", "demand": "d9"}, "unknown demand 'd9'"),
    ({"kind": "add_demand", "id": "d-ore", "item": "ore", "quantity": 1}, "already exists"),
    ({"kind": "close_location", "location": "mars"}, "unknown location 'mars'"),
    ({"kind": "set_source", "source": "s9", "reliability": 0.5}, "unknown source 's9'"),
    ({"kind": "set_source", "source": "ruin-ore"}, "at least one"),
    ({"kind": "set_policy"}, "at least one"),
])
def test_dangling_changes_name_variant_and_change(change: dict[str, Any], needle: str) -> None:
    with pytest.raises(WhatIfValidationError) as exc:
        apply_changes(station_problem(), changes({"kind": "set_demand", "demand": "d-ore",
                                                  "quantity": 2}, change), variant="bad")
    (issue,) = exc.value.issues
    assert issue.startswith(f"variant 'bad' change 1 ({change['kind']})") and needle in issue


def test_changes_that_break_the_problem_are_refused_by_problem_validation() -> None:
    with pytest.raises(WhatIfValidationError) as exc:
        apply_changes(station_problem(), changes(
            {"kind": "set_source", "source": "vex-ore", "available": None},
            {"kind": "set_source", "source": "vex-gas", "reliability": 2}),
            variant="broken")
    text = "\n".join(exc.value.issues)
    assert "variant 'broken'" in text and "'vex-ore'" in text and "'vex-gas'" in text
    assert "available" in text and "reliability" in text


def test_variant_file_validation_names_variant_and_change() -> None:
    with pytest.raises(WhatIfValidationError) as exc:
        parse_variants({"format": "quartermaster.whatif/1", "variants": [
            {"name": "ok", "changes": [{"kind": "remove_demand", "demand": "d"}]},
            {"name": "bad", "changes": [{"kind": "remove_demand", "demand": "d"},
                                        {"kind": "scale_price", "item": "ore", "factor": -1},
                                        {"kind": "teleport"}]},
            {"name": "ok", "changes": []}]})
    issues = exc.value.issues
    assert any(i.startswith("variant 'bad' change 1 (scale_price): factor") for i in issues)
    assert any(i.startswith("variant 'bad' change 2 (teleport)") for i in issues)
    assert any("duplicate variant name" in i for i in issues)


def test_variant_file_format_and_shape() -> None:
    with pytest.raises(WhatIfValidationError, match="format"):
        parse_variants({"format": "quartermaster.whatif/9", "variants": []})
    with pytest.raises(WhatIfValidationError, match="variants: must be a list"):
        parse_variants({"variants": {}})


def test_load_yaml_and_json(tmp_path: Path) -> None:
    doc = {"format": "quartermaster.whatif/1", "variants": [
        {"name": "dear ore", "changes": [{"scale_price": {"item": "ore", "factor": 3}}]}]}
    (tmp_path / "v.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    (tmp_path / "v.json").write_text(json.dumps(doc), encoding="utf-8")
    assert load_variants(tmp_path / "v.yaml") == load_variants(tmp_path / "v.json")


def greedy_solver(problem: Problem, *, time_limit: float | None = None,
                  hint: Plan | None = None) -> Plan:
    return greedy_plan(problem)


def test_compare_plans_lists_added_removed_changed() -> None:
    base = station_problem()
    variant = apply_changes(base, changes({"kind": "close_location", "location": "pyro"},
                                          {"kind": "set_demand", "demand": "d-ore",
                                           "quantity": 20}))
    diff = compare_plans(greedy_plan(base), greedy_plan(variant))
    got = {(c.line, c.id, c.change) for c in diff}
    assert ("take", "ruin-ore", "removed") in got
    assert ("take", "port-ore", "added") in got
    assert ("trip", "ruin", "removed") in got


def test_run_whatif_with_real_solver_checks_and_compares() -> None:
    base = station_problem()
    variants = parse_variants({"variants": [
        {"name": "no pyro", "changes": [{"kind": "close_location", "location": "pyro"}]},
        {"name": "vex away", "changes": [{"kind": "remove_holder_stock", "holder": "Vex"}]},
        {"name": "same", "changes": []}]})
    report = run_whatif(base, variants)
    base_plan = solve(base)
    assert report.base_objective == pytest.approx(base_plan.objective)
    for r in report.variants:
        vp = apply_changes(base, next(v for v in variants.variants if v.name == r.name).changes)
        check_or_raise(vp, r.plan)
        assert r.status == "optimal"
        assert r.objective_delta == pytest.approx((r.objective or 0) - (base_plan.objective or 0))
        assert r.cost_delta["total"] == pytest.approx(r.objective_delta)
    no_pyro, vex_away, same = report.variants
    assert no_pyro.objective_delta is not None and no_pyro.objective_delta > 0
    assert any(c.id == "port-ore" for c in no_pyro.changes)
    assert vex_away.objective_delta is not None and vex_away.objective_delta >= 0
    assert same.changes == [] and same.objective_delta == pytest.approx(0)
    text = render_whatif_text(report)
    assert "Variant 'no pyro'" in text and "port-ore" in text


def test_run_whatif_passes_hint_and_time_limit() -> None:
    calls: list[tuple[float | None, Plan | None]] = []

    def spy(problem: Problem, *, time_limit: float | None = None,
            hint: Plan | None = None) -> Plan:
        calls.append((time_limit, hint))
        return greedy_plan(problem)

    base_plan = greedy_plan(rifle_problem())
    variants = parse_variants({"variants": [{"name": "x", "changes": [
        {"kind": "set_demand", "demand": "d2", "quantity": 4}]}]})
    report = run_whatif(rifle_problem(), variants, solve=spy, time_limit=5,
                        base_plan=base_plan)
    assert calls == [(5, base_plan)]
    assert report.variants[0].complete
    assert report.variants[0].cost_delta["shortfall"] == pytest.approx(-2_000_000)


def test_bad_variant_fails_before_any_solve() -> None:
    calls: list[int] = []

    def spy(problem: Problem, **_: Any) -> Plan:
        calls.append(1)
        return greedy_plan(problem)

    variants = parse_variants({"variants": [
        {"name": "fine", "changes": []},
        {"name": "dangling", "changes": [{"kind": "remove_demand", "demand": "nope"}]}]})
    with pytest.raises(WhatIfValidationError, match="variant 'dangling' change 0"):
        run_whatif(make_problem(["ore"], [], []), variants, solve=spy)
    assert calls == []

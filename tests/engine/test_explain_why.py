"""Why a plan is what it is: the binding constraint of each shortfall, and price ranges that
are checked against re-solving with the price moved just past (and just inside) each bound."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from engine.cli import app
from engine.explain import explain, render_text
from engine.problem import Problem, parse_problem
from engine.sensitivity import sensitivity
from engine.solve import solve
from tests.engine.samples import make_problem

FAST = settings(max_examples=int(os.environ.get("QM_PROPERTY_EXAMPLES", "40")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

GUN = {"id": "gun", "unit": "piece", "volume_scu": 0.1}


def _short_codes(problem: Problem) -> list[tuple[str, str]]:
    plan = solve(problem)
    assert not plan.complete
    (dem,) = explain(problem, plan).demands
    return [(raw.item, raw.code) for raw in dem.short_raw]


@pytest.mark.parametrize(("sources", "demand", "policy", "expected"), [
    pytest.param([], {"quantity": 5}, {}, "no_source", id="no-source"),
    pytest.param([{"id": "s", "item": "ore", "tier": "market", "unit_price": 1, "quality": 300,
                   "location": "hangar"}],
                 {"quantity": 5, "min_quality": 500}, {}, "quality_floor", id="quality-floor"),
    pytest.param([{"id": "s", "item": "ore", "tier": "market", "unit_price": 1, "available": 2,
                   "location": "hangar"}],
                 {"quantity": 5}, {}, "sources_exhausted", id="exhausted"),
    pytest.param([{"id": "s", "item": "ore", "tier": "market", "unit_price": 1, "available": 5,
                   "lot_size": 10, "location": "hangar"}],
                 {"quantity": 5}, {}, "lot_size", id="lot-does-not-fit"),
    pytest.param([{"id": "s", "item": "ore", "tier": "market", "unit_price": 1,
                   "available": 100, "lot_size": 100, "location": "hangar"}],
                 {"quantity": 3}, {"shortfall_penalty": 2}, "lot_size", id="lot-too-dear"),
    pytest.param([{"id": "s", "item": "ore", "tier": "market", "unit_price": 1,
                   "lot_size": 100, "location": "hangar"}],
                 {"quantity": 3}, {"shortfall_penalty": 2}, "lot_size",
                 id="unlimited-lot-too-dear"),
    pytest.param([{"id": "s", "item": "ore", "tier": "market", "unit_price": 1}],
                 {"quantity": 5}, {"shortfall_penalty": 10, "ship_capacity_scu": 2},
                 "ship_capacity", id="trips-too-dear"),
    pytest.param([{"id": "s", "item": "ore", "tier": "market", "unit_price": 100,
                   "location": "hangar"}],
                 {"quantity": 5}, {"shortfall_penalty": 1}, "cost", id="price-too-high"),
])
def test_each_binding_reason_is_named(sources: list[dict[str, Any]], demand: dict[str, Any],
                                      policy: dict[str, Any], expected: str) -> None:
    problem = make_problem(["ore"], sources, [{"id": "d", "item": "ore", **demand}], **policy)
    assert _short_codes(problem) == [("ore", expected)]


def test_binding_reason_is_found_through_the_recipe() -> None:
    # The gun is craftable, but its ore ingredient needs quality 600 and no ore source has it.
    problem = make_problem(
        ["ore", GUN],
        [{"id": "s", "item": "ore", "tier": "market", "unit_price": 1, "quality": 400,
          "location": "hangar"}],
        [{"id": "d", "item": "gun", "quantity": 2}],
        [{"id": "bp", "output": {"item": "gun", "quantity": 1},
          "ingredients": [{"item": "ore", "quantity": 1, "min_quality": 600}]}])
    plan = solve(problem)
    (raw,) = explain(problem, plan).demands[0].short_raw
    assert (raw.item, raw.code, raw.path) == ("ore", "quality_floor", ["gun", "bp", "ore"])
    assert "[quality_floor]" in render_text(explain(problem, plan))


def test_ranges_name_the_next_best_source() -> None:
    problem = make_problem(["ore"], [
        {"id": "a", "item": "ore", "tier": "market", "unit_price": 10, "available": 30,
         "location": "hangar"},
        {"id": "b", "item": "ore", "tier": "market", "unit_price": 14, "available": 50,
         "location": "hangar"},
        {"id": "c", "item": "ore", "tier": "market", "unit_price": 20, "location": "hangar"},
    ], [{"id": "d", "item": "ore", "quantity": 60}])
    lines = {r.source: r for r in sensitivity(problem, solve(problem)).lines}
    assert set(lines) == {"a", "b"}
    assert (lines["a"].lower, lines["a"].upper) == (None, pytest.approx(14))
    assert lines["a"].next_best is not None and lines["a"].next_best.source == "b"
    assert (lines["b"].lower, lines["b"].upper) == (pytest.approx(10), pytest.approx(20))
    assert lines["b"].next_best is not None and lines["b"].next_best.source == "c"
    (alt,) = sensitivity(problem, solve(problem)).alternatives
    assert (alt.source, alt.lower) == ("c", pytest.approx(14))


def test_a_dear_take_is_replaced_by_falling_short() -> None:
    problem = make_problem(["ore"], [
        {"id": "a", "item": "ore", "tier": "market", "unit_price": 10, "location": "hangar"},
    ], [{"id": "d", "item": "ore", "quantity": 5}], shortfall_penalty=100)
    (line,) = sensitivity(problem, solve(problem)).lines
    assert line.upper == pytest.approx(100)
    assert line.next_best is not None and line.next_best.kind == "shortfall"
    assert line.next_best.demand == "d"


def test_whole_piece_takes_are_marked_fixed() -> None:
    problem = make_problem([GUN], [{"id": "g", "item": "gun", "tier": "market",
                                    "unit_price": 5, "location": "hangar"}],
                           [{"id": "d", "item": "gun", "quantity": 2}])
    (line,) = sensitivity(problem, solve(problem)).lines
    assert line.fixed and line.upper is None and line.note


def test_a_failing_range_computation_keeps_the_explanation(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import engine.explain

    def broken(problem: Problem, plan: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(engine.explain, "sensitivity", broken)
    problem = make_problem(["ore"], [{"id": "a", "item": "ore", "tier": "market",
                                      "unit_price": 1, "location": "hangar"}],
                           [{"id": "d", "item": "ore", "quantity": 1}])
    ex = explain(problem, solve(problem))
    assert ex.demands[0].allocated == 1
    assert ex.sensitivity is not None and "boom" in (ex.sensitivity.note or "")


# -- the ranges hold: moving a price past a bound flips the choice, inside it does not --------

@st.composite
def market_docs(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(2, 5))
    prices = draw(st.lists(st.integers(1, 200), min_size=n, max_size=n, unique=True))
    reliability = draw(st.lists(st.sampled_from([1.0, 0.8]), min_size=n, max_size=n))
    available = draw(st.lists(st.integers(1, 40), min_size=n, max_size=n))
    demand = draw(st.integers(1, 80)) + 0.5  # never a sum of whole availabilities: no ties
    penalty = draw(st.sampled_from([150.0, 1_000_000.0]))
    sources = [{"id": f"s{k}", "item": "ore", "tier": "market", "unit_price": float(p),
                "reliability": r, "available": float(a), "location": "hangar"}
               for k, (p, r, a) in enumerate(zip(prices, reliability, available, strict=True))]
    effective = [p * (1 + (1 - r)) for p, r in zip(prices, reliability, strict=True)]
    assume(len({round(e, 6) for e in effective} | {penalty}) == n + 1)
    return {"format": "quartermaster.problem/1", "items": [{"id": "ore", "unit": "scu"}],
            "locations": [{"id": "hangar"}], "sources": sources,
            "demands": [{"id": "d", "item": "ore", "quantity": demand}],
            "policy": {"delivery_location": "hangar", "shortfall_penalty": penalty}}


def _take_with_price(doc: dict[str, Any], source: str, price: float) -> float:
    changed = json.loads(json.dumps(doc))
    for s in changed["sources"]:
        if s["id"] == source:
            s["unit_price"] = price
    problem = parse_problem(changed)
    plan = solve(problem)
    return sum(t.quantity for t in plan.takes if t.source == source)


@FAST
@given(market_docs())
def test_price_ranges_hold_when_resolved(doc: dict[str, Any]) -> None:
    problem = parse_problem(doc)
    plan = solve(problem)
    ranged = sensitivity(problem, plan)
    for alt in ranged.alternatives:  # an untaken source starts being bought below `lower`
        assert alt.lower is not None and alt.lower <= alt.unit_price + 1e-9
        step = 1e-3 * max(1.0, alt.unit_price)
        if alt.lower - step >= 0:
            assert _take_with_price(doc, alt.source, alt.lower - step) > 1e-6
        assert _take_with_price(doc, alt.source, min(alt.unit_price, alt.lower + step)) == 0
    for line in ranged.lines:
        assert not line.fixed
        taken = line.quantity
        low = line.lower if line.lower is not None else 0.0
        step = 1e-3 * max(1.0, line.unit_price)
        assert low - 1e-9 <= line.unit_price
        if line.upper is not None:
            assert line.upper >= line.unit_price - 1e-9
            assert _take_with_price(doc, line.source, line.upper + step) < taken - 1e-6
            inside = max(line.unit_price, line.upper - step)
            assert _take_with_price(doc, line.source, inside) == pytest.approx(taken)
        if line.lower is not None and line.lower - step >= 0:
            assert _take_with_price(doc, line.source, line.lower - step) > taken + 1e-6
            inside = min(line.unit_price, line.lower + step)
            assert _take_with_price(doc, line.source, inside) == pytest.approx(taken)


def test_cli_explain_prints_ranges_and_json(tmp_path: Path) -> None:
    doc = {"format": "quartermaster.problem/1", "items": [{"id": "ore", "unit": "scu"}],
           "locations": [{"id": "hangar"}],
           "sources": [{"id": "a", "item": "ore", "tier": "market", "unit_price": 10,
                        "available": 4, "location": "hangar"},
                       {"id": "b", "item": "ore", "tier": "market", "unit_price": 12,
                        "location": "hangar"}],
           "demands": [{"id": "d", "item": "ore", "quantity": 6}],
           "policy": {"delivery_location": "hangar"}}
    path = tmp_path / "p.json"
    path.write_text(json.dumps(doc))
    runner = CliRunner()
    text = runner.invoke(app, ["explain", str(path)])
    assert text.exit_code == 0, text.output
    assert "buying 4 ore from a (hangar) at 10.00 stays optimal while its price is within " \
           "[0, 12.00]; above it the next best is b (hangar) at 12.00" in text.output
    out = runner.invoke(app, ["explain", str(path), "--format", "json"])
    assert out.exit_code == 0, out.output
    lines = json.loads(out.output)["sensitivity"]["lines"]
    assert {line["source"]: line["upper"] for line in lines} == {"a": 12.0, "b": 1e6}

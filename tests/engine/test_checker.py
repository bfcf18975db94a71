"""The plan checker: a correct hand-made plan passes, and each rule broken in turn is caught."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

from engine.checker import PlanCheckError, check, check_or_raise, close
from engine.plan import parse_plan
from engine.problem import Problem
from tests.engine.samples import RIFLE_PROBLEM, rifle_plan, rifle_plan_doc, rifle_problem

Doc = dict[str, Any]


def violations_after(change: Callable[[Doc], None], problem: Problem | None = None) -> list[str]:
    doc = rifle_plan_doc()
    change(doc)
    return check(problem or rifle_problem(), parse_plan(doc)).violations


def assert_caught(found: list[str], *needles: str) -> None:
    assert any(all(n in v for n in needles) for v in found), found


def alloc(doc: Doc, source: str | None = None, blueprint: str | None = None) -> Doc:
    for a in doc["allocations"]:
        f = a["from"]
        if (source is not None and f.get("source") == source) or \
                (blueprint is not None and f.get("blueprint") == blueprint):
            return a  # type: ignore[no-any-return]
    raise KeyError(source or blueprint)


def take(doc: Doc, source: str) -> Doc:
    return next(t for t in doc["takes"] if t["source"] == source)  # type: ignore[no-any-return]


def test_correct_plan_passes_with_recomputed_costs() -> None:
    report = check_or_raise(rifle_problem(), rifle_plan())
    assert report.ok and report.violations == []
    assert close(report.costs.sourcing, 552.14)
    assert close(report.costs.trips, 2200)
    assert close(report.objective, 2_002_787.14)
    assert report.surplus == pytest.approx({"alu": 0.72})


def test_check_or_raise_lists_every_violation() -> None:
    doc = rifle_plan_doc()
    doc["objective"] = 1.0
    take(doc, "mkt-alu")["quantity"] = 1.5
    with pytest.raises(PlanCheckError) as exc:
        check_or_raise(rifle_problem(), parse_plan(doc))
    assert "objective" in str(exc.value) and "lot size" in str(exc.value)
    assert len(exc.value.report.violations) >= 2


# -- references ----------------------------------------------------------------------------

def test_unknown_source_in_take() -> None:
    found = violations_after(lambda d: d["takes"].append({"source": "nope", "quantity": 1}))
    assert_caught(found, "'nope'", "unknown source")


def test_unknown_source_in_allocation() -> None:
    def change(d: Doc) -> None:
        alloc(d, source="own-rifle")["from"] = {"source": "ghost"}
    assert_caught(violations_after(change), "ghost", "unknown source")


def test_unknown_blueprint_in_craft() -> None:
    found = violations_after(lambda d: d["crafts"].append({"blueprint": "bp-x", "runs": 1}))
    assert_caught(found, "'bp-x'", "unknown blueprint")


def test_unknown_demand_in_allocation() -> None:
    def change(d: Doc) -> None:
        alloc(d, source="own-rifle")["to"] = {"demand": "d9"}
    assert_caught(violations_after(change), "d9", "unknown demand")


def test_ingredient_index_out_of_range() -> None:
    def change(d: Doc) -> None:
        alloc(d, source="mem-iron")["to"]["ingredient"] = 2
    assert_caught(violations_after(change), "no ingredient 2")


def test_unknown_location_in_trips() -> None:
    found = violations_after(
        lambda d: d["trips"].append({"location": "mars", "trips": 1, "volume_scu": 0}))
    assert_caught(found, "'mars'", "unknown location")


def test_unknown_demand_in_shortfall() -> None:
    found = violations_after(lambda d: d["shortfalls"].append({"demand": "d7", "quantity": 1}))
    assert_caught(found, "d7", "unknown demand")


# -- numbers -------------------------------------------------------------------------------

def test_negative_quantity() -> None:
    def change(d: Doc) -> None:
        alloc(d, source="mkt-medpen")["quantity"] = -4
    assert_caught(violations_after(change), "mkt-medpen", "negative")


def test_nan_and_infinite_quantities() -> None:
    def change(d: Doc) -> None:
        take(d, "mem-iron")["quantity"] = math.nan
        alloc(d, source="mkt-alu")["quantity"] = math.inf
    found = violations_after(change)
    assert_caught(found, "take from source 'mem-iron'", "not a finite number")
    assert_caught(found, "allocation source 'mkt-alu'", "not a finite number")


def test_zero_quantity_line() -> None:
    found = violations_after(lambda d: d["takes"].append({"source": "mkt-alu-low", "quantity": 0}))
    assert_caught(found, "mkt-alu-low", "zero-quantity line")


def test_nan_objective() -> None:
    def change(d: Doc) -> None:
        d["objective"] = math.nan
    assert_caught(violations_after(change), "objective")


# -- sources -------------------------------------------------------------------------------

def test_take_above_available() -> None:
    def change(d: Doc) -> None:
        take(d, "own-rifle")["quantity"] = 4
        alloc(d, source="own-rifle")["quantity"] = 4
        alloc(d, blueprint="bp-rifle")["quantity"] = 6
    assert_caught(violations_after(change), "own-rifle", "only 3 available")


def test_take_not_a_lot_multiple() -> None:
    def change(d: Doc) -> None:
        take(d, "mkt-alu")["quantity"] = 0.5
    assert_caught(violations_after(change), "mkt-alu", "lot size 1")


def test_piece_take_not_whole() -> None:
    def change(d: Doc) -> None:
        take(d, "own-rifle")["quantity"] = 2.5
    assert_caught(violations_after(change), "own-rifle", "not a whole number")


def test_piece_allocation_not_whole() -> None:
    def change(d: Doc) -> None:
        alloc(d, source="own-rifle")["quantity"] = 2.5
        d["shortfalls"].append({"demand": "d1", "quantity": 0.5})
    assert_caught(violations_after(change), "allocation source 'own-rifle'", "not a whole number")


def test_allocations_above_taken() -> None:
    def change(d: Doc) -> None:
        alloc(d, source="mkt-medpen")["quantity"] = 5
        d["shortfalls"][0]["quantity"] = 1
    assert_caught(violations_after(change), "source 'mkt-medpen'", "takes only 4")


def test_allocation_from_source_never_taken() -> None:
    def change(d: Doc) -> None:
        d["takes"] = [t for t in d["takes"] if t["source"] != "own-rifle"]
    assert_caught(violations_after(change), "source 'own-rifle'", "takes only 0")


def test_item_mismatch() -> None:
    def change(d: Doc) -> None:
        alloc(d, source="mkt-medpen")["to"] = {"demand": "d1"}
    assert_caught(violations_after(change), "supplies item 'medpen'", "'rifle'")


def test_quality_floor_for_source_allocations() -> None:
    def change(d: Doc) -> None:
        alloc(d, source="mkt-alu")["from"] = {"source": "mkt-alu-low"}
        take(d, "mkt-alu")["source"] = "mkt-alu-low"
    assert_caught(violations_after(change), "mkt-alu-low", "quality 100", "min_quality 300")


def test_crafted_output_is_exempt_from_quality_floors() -> None:
    doc = {**RIFLE_PROBLEM}
    doc["demands"] = [{"id": "d1", "item": "rifle", "quantity": 10, "min_quality": 900},
                      {"id": "d2", "item": "medpen", "quantity": 6}]
    problem = rifle_problem(demands=doc["demands"])
    found = check(problem, rifle_plan()).violations
    # The 3 own rifles (quality 0) break the floor; the 7 crafted ones do not.
    assert found == ["allocation source 'own-rifle' -> demand 'd1': source quality 0 is below "
                     "the use's min_quality 900"]


# -- crafting ------------------------------------------------------------------------------

def test_negative_and_zero_runs() -> None:
    def change(d: Doc) -> None:
        d["crafts"][0]["runs"] = -7
    assert_caught(violations_after(change), "bp-rifle", "negative")
    assert_caught(violations_after(lambda d: d["crafts"][0].update(runs=0)), "zero runs")


def test_fractional_runs_of_a_whole_run_blueprint() -> None:
    # Plans may carry real runs (continuous blueprints); a crafting recipe's must be whole.
    assert_caught(violations_after(lambda d: d["crafts"][0].update(runs=6.5)), "bp-rifle",
                  "not a whole number")


def test_output_allocated_beyond_runs() -> None:
    def change(d: Doc) -> None:
        d["crafts"][0]["runs"] = 6
        alloc(d, source="mkt-alu")["quantity"] = 0.24
        alloc(d, source="mem-iron")["quantity"] = 0.12
    assert_caught(violations_after(change), "blueprint 'bp-rifle'", "make only 6")


def test_ingredient_not_met_in_full() -> None:
    def change(d: Doc) -> None:
        alloc(d, source="mem-iron")["quantity"] = 0.1
    assert_caught(violations_after(change), "ingredient 1", "needs 0.14", "only 0.1")


def test_ingredient_over_allocated() -> None:
    def change(d: Doc) -> None:
        alloc(d, source="mkt-alu")["quantity"] = 0.5
    assert_caught(violations_after(change), "ingredient 0", "need exactly 0.28")


def test_ingredient_allocated_without_runs() -> None:
    def change(d: Doc) -> None:
        d["crafts"] = []
    found = violations_after(change)
    assert_caught(found, "ingredient 0", "need exactly 0")


# -- demands -------------------------------------------------------------------------------

def test_demand_not_covered() -> None:
    def change(d: Doc) -> None:
        d["shortfalls"][0]["quantity"] = 1
    assert_caught(violations_after(change), "demand 'd2'", "less than the quantity")


def test_missing_shortfall_line() -> None:
    def change(d: Doc) -> None:
        d["shortfalls"] = []
    assert_caught(violations_after(change), "demand 'd2'", "less than the quantity")


def test_shortfall_larger_than_missing_quantity() -> None:
    def change(d: Doc) -> None:
        d["shortfalls"][0]["quantity"] = 3
    assert_caught(violations_after(change), "demand 'd2'", "should be 2")


def test_shortfall_item_must_match_demand() -> None:
    def change(d: Doc) -> None:
        d["shortfalls"][0]["item"] = "rifle"
    assert_caught(violations_after(change), "shortfall of demand 'd2'", "not the demand's item")


def test_complete_must_match_shortfalls() -> None:
    assert_caught(violations_after(lambda d: d.update(complete=True)), "complete")


# -- trips ---------------------------------------------------------------------------------

def test_too_few_trips() -> None:
    problem = rifle_problem(policy={"delivery_location": "hangar", "ship_capacity_scu": 1})
    found = check(problem, rifle_plan()).violations
    assert_caught(found, "location 'area18'", "needs 2 trip(s)", "has 1")


def test_missing_trip_line() -> None:
    def change(d: Doc) -> None:
        d["trips"] = [t for t in d["trips"] if t["location"] != "lorville"]
    assert_caught(violations_after(change), "location 'lorville'", "has 0")


def test_trips_charged_at_delivery_location() -> None:
    found = violations_after(
        lambda d: d["trips"].append({"location": "hangar", "trips": 1, "volume_scu": 0.15}))
    assert_caught(found, "'hangar'", "delivery location needs no trips")


def test_trip_volume_must_match_takes() -> None:
    def change(d: Doc) -> None:
        d["trips"][0]["volume_scu"] = 1.0
    assert_caught(violations_after(change), "'area18'", "volume_scu 1", "1.04")


# -- costs and objective ---------------------------------------------------------------------

@pytest.mark.parametrize("term", ["sourcing", "crafting", "trips", "shortfall"])
def test_each_cost_term_is_recomputed(term: str) -> None:
    def change(d: Doc) -> None:
        d["costs"][term] += 10
    assert_caught(violations_after(change), f"costs.{term}")


def test_objective_must_equal_recomputed_weighted_objective() -> None:
    def change(d: Doc) -> None:
        d["objective"] += 0.01
    assert_caught(violations_after(change), "objective", "recomputed")


def test_objective_within_tolerance_passes() -> None:
    def change(d: Doc) -> None:
        d["objective"] += 1e-7
    assert violations_after(change) == []


def test_missing_objective() -> None:
    assert_caught(violations_after(lambda d: d.update(objective=None)), "objective: missing")


def test_strict_priority_plans_still_report_weighted_objective() -> None:
    problem = rifle_problem(policy={"delivery_location": "hangar", "strict_priority": True})
    assert check(problem, rifle_plan()).ok


# -- header, duplicates, surplus --------------------------------------------------------------

@pytest.mark.parametrize("status", ["invalid", "infeasible"])
def test_status_without_plan(status: str) -> None:
    assert_caught(violations_after(lambda d: d.update(status=status)), "status")


def test_unknown_status_and_format_are_refused_when_read() -> None:
    with pytest.raises(ValueError):
        parse_plan({**rifle_plan_doc(), "status": "great"})
    with pytest.raises(ValueError):
        parse_plan({**rifle_plan_doc(), "format": "quartermaster.plan/2"})


def test_wrong_format_string() -> None:
    plan = rifle_plan().model_copy(update={"format": "other"})
    assert_caught(check(rifle_problem(), plan).violations, "format")


def test_duplicate_take_lines() -> None:
    def change(d: Doc) -> None:
        take(d, "mkt-medpen")["quantity"] = 2
        d["takes"].append({"source": "mkt-medpen", "quantity": 2})
    found = violations_after(change)
    assert_caught(found, "mkt-medpen", "more than once")


def test_surplus_must_match_lines() -> None:
    def change(d: Doc) -> None:
        d["surplus"] = [{"item": "alu", "quantity": 0.5}]
    assert_caught(violations_after(change), "surplus of item 'alu'", "0.72")
    assert_caught(violations_after(lambda d: d.update(surplus=[])), "surplus of item 'alu'")

"""Problem validation: each rule of the spec refused with the right (kind, id, field)."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.plan import plan_json_schema
from engine.problem import (
    ProblemValidationError,
    load_problem,
    parse_problem,
    problem_json_schema,
)
from tests.engine.samples import RIFLE_PROBLEM

Doc = dict[str, Any]


def doc() -> Doc:
    return copy.deepcopy(RIFLE_PROBLEM)


def record(d: Doc, collection: str, record_id: str) -> Doc:
    return next(r for r in d[collection] if r["id"] == record_id)  # type: ignore[no-any-return]


def issues_of(d: Any) -> set[tuple[str, str | None, str]]:
    with pytest.raises(ProblemValidationError) as exc:
        parse_problem(d)
    assert str(exc.value).startswith("invalid problem")
    return {(i.kind, i.record_id, i.field) for i in exc.value.issues}


def test_sample_is_valid_with_defaults_applied() -> None:
    problem = parse_problem(doc())
    assert problem.policy.shortfall_penalty == 1_000_000
    assert problem.item("alu").volume == 1.0 and problem.item("rifle").is_piece
    mem = problem.source("mem-iron")
    assert problem.unit_price(mem) == problem.policy.member_unit_cost
    assert problem.unit_price(problem.source("own-rifle")) == 0
    assert problem.source("own-rifle").effective_quality == 0
    assert math.isclose(problem.effective_cost(problem.source("mkt-alu")), 352)
    assert problem.trip_cost("hangar") == 0 and problem.trip_cost("lorville") == 1000
    assert problem.trip_cost("area18") == 1200


@pytest.mark.parametrize(("collection", "record_id", "field", "value", "expected_field"), [
    ("sources", "mkt-alu", "item", "unobtainium", "item"),
    ("sources", "mkt-alu", "location", "mars", "location"),
    ("demands", "d1", "item", "ghost", "item"),
    ("locations", "area18", "parent", "nowhere", "parent"),
])
def test_dangling_references(collection: str, record_id: str, field: str, value: str,
                             expected_field: str) -> None:
    d = doc()
    record(d, collection, record_id)[field] = value
    kind = collection[:-1]
    assert (kind, record_id, expected_field) in issues_of(d)


def test_dangling_blueprint_items_and_delivery_location() -> None:
    d = doc()
    bp = record(d, "blueprints", "bp-rifle")
    bp["output"]["item"] = "laser"
    bp["ingredients"][1]["item"] = "tin"
    d["policy"]["delivery_location"] = "moon"
    found = issues_of(d)
    assert ("blueprint", "bp-rifle", "output.item") in found
    assert ("blueprint", "bp-rifle", "ingredients.1.item") in found
    assert ("policy", None, "delivery_location") in found


@pytest.mark.parametrize(("collection", "record_id", "field", "value"), [
    ("sources", "mem-iron", "available", -1),
    ("sources", "mkt-alu", "unit_price", -5),
    ("sources", "mkt-alu", "lot_size", 0),
    ("demands", "d1", "quantity", 0),
    ("demands", "d1", "quantity", -2),
    ("locations", "area18", "trip_cost", -1),
    ("items", "rifle", "volume_scu", 0),
])
def test_negative_or_zero_quantities(collection: str, record_id: str, field: str,
                                     value: float) -> None:
    d = doc()
    record(d, collection, record_id)[field] = value
    assert (collection[:-1], record_id, field) in issues_of(d)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_quantities(value: float) -> None:
    d = doc()
    record(d, "sources", "mkt-alu")["unit_price"] = value
    record(d, "demands", "d2")["quantity"] = value
    found = issues_of(d)
    assert ("source", "mkt-alu", "unit_price") in found
    assert ("demand", "d2", "quantity") in found


def test_blueprint_quantities_must_be_positive() -> None:
    d = doc()
    bp = record(d, "blueprints", "bp-rifle")
    bp["output"]["quantity"] = 0
    bp["ingredients"][0]["quantity"] = -0.1
    bp["run_cost"] = -1
    found = issues_of(d)
    assert {("blueprint", "bp-rifle", "output.quantity"),
            ("blueprint", "bp-rifle", "ingredients.0.quantity"),
            ("blueprint", "bp-rifle", "run_cost")} <= found


@pytest.mark.parametrize("value", [0, -0.1, 1.01])
def test_reliability_outside_zero_one(value: float) -> None:
    d = doc()
    record(d, "sources", "mkt-alu")["reliability"] = value
    assert ("source", "mkt-alu", "reliability") in issues_of(d)


def test_reliability_one_is_fine() -> None:
    d = doc()
    record(d, "sources", "mkt-alu")["reliability"] = 1
    parse_problem(d)


@pytest.mark.parametrize("value", [-1, 1001, 2.5])
def test_quality_outside_range_or_not_integer(value: float) -> None:
    d = doc()
    record(d, "sources", "mkt-alu")["quality"] = value
    record(d, "demands", "d1")["min_quality"] = value
    record(d, "blueprints", "bp-rifle")["ingredients"][0]["min_quality"] = value
    found = issues_of(d)
    assert ("source", "mkt-alu", "quality") in found
    assert ("demand", "d1", "min_quality") in found
    assert ("blueprint", "bp-rifle", "ingredients.0.min_quality") in found


@pytest.mark.parametrize("collection", ["items", "locations", "blueprints", "sources",
                                        "demands"])
def test_duplicate_ids(collection: str) -> None:
    d = doc()
    d[collection].append(copy.deepcopy(d[collection][-1]))
    dup = d[collection][-1]["id"]
    assert (collection[:-1], dup, "id") in issues_of(d)


@pytest.mark.parametrize("tier", ["own", "member"])
def test_unlimited_only_on_market(tier: str) -> None:
    d = doc()
    src = record(d, "sources", "mkt-medpen")
    src["tier"] = tier
    src["available"] = None
    assert ("source", "mkt-medpen", "available") in issues_of(d)


def test_market_needs_price() -> None:
    d = doc()
    del record(d, "sources", "mkt-alu")["unit_price"]
    assert ("source", "mkt-alu", "unit_price") in issues_of(d)


def test_piece_item_needs_volume() -> None:
    d = doc()
    del record(d, "items", "rifle")["volume_scu"]
    assert ("item", "rifle", "volume_scu") in issues_of(d)


def test_piece_quantities_must_be_whole() -> None:
    d = doc()
    record(d, "demands", "d1")["quantity"] = 2.5
    record(d, "sources", "own-rifle")["available"] = 1.5
    record(d, "sources", "mkt-medpen")["lot_size"] = 0.5
    record(d, "blueprints", "bp-rifle")["output"]["quantity"] = 1.5
    found = issues_of(d)
    assert {("demand", "d1", "quantity"), ("source", "own-rifle", "available"),
            ("source", "mkt-medpen", "lot_size"),
            ("blueprint", "bp-rifle", "output.quantity")} <= found


def test_ship_capacity_must_be_positive() -> None:
    d = doc()
    d["policy"]["ship_capacity_scu"] = 0
    assert ("policy", None, "ship_capacity_scu") in issues_of(d)


def test_location_parent_cycle() -> None:
    d = doc()
    record(d, "locations", "stanton")["parent"] = "area18"
    assert any(kind == "location" and field == "parent" for kind, _, field in issues_of(d))


def test_unknown_fields_and_bad_enums_are_refused() -> None:
    d = doc()
    record(d, "sources", "mkt-alu")["prise"] = 3
    record(d, "sources", "mem-iron")["tier"] = "friend"
    record(d, "items", "alu")["unit"] = "kg"
    found = issues_of(d)
    assert ("source", "mkt-alu", "prise") in found
    assert ("source", "mem-iron", "tier") in found
    assert ("item", "alu", "unit") in found


def test_every_broken_rule_is_listed_at_once() -> None:
    d = doc()
    record(d, "sources", "mkt-alu")["reliability"] = 2
    record(d, "demands", "d1")["item"] = "ghost"
    d["items"].append({"id": "alu"})
    assert len(issues_of(d)) >= 3


def test_not_an_object_and_wrong_format() -> None:
    assert ("problem", None, "-") in issues_of([1, 2])
    assert ("problem", None, "format") in issues_of({**doc(), "format": "other/1"})


def test_issue_dict_form() -> None:
    d = doc()
    record(d, "demands", "d1")["item"] = "ghost"
    with pytest.raises(ProblemValidationError) as exc:
        parse_problem(d)
    first = exc.value.issues[0].to_dict()
    assert first["kind"] == "demand" and first["id"] == "d1" and first["field"] == "item"


def test_yaml_and_json_files(tmp_path: Path) -> None:
    yml = tmp_path / "p.yaml"
    yml.write_text(yaml.safe_dump(doc()), encoding="utf-8")
    js = tmp_path / "p.json"
    js.write_text(json.dumps(doc()), encoding="utf-8")
    assert load_problem(yml) == load_problem(js) == parse_problem(doc())


def test_bad_files(tmp_path: Path) -> None:
    broken = tmp_path / "p.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(ProblemValidationError, match="not valid JSON"):
        load_problem(broken)
    with pytest.raises(ProblemValidationError, match="cannot read"):
        load_problem(tmp_path / "missing.yaml")


def test_round_trip_through_document() -> None:
    problem = parse_problem(doc())
    assert parse_problem(problem.to_document()) == problem


def test_schema_export() -> None:
    schema = problem_json_schema()
    assert {"items", "sources", "demands", "policy"} <= set(schema["properties"])
    plan = plan_json_schema()
    assert "takes" in plan["properties"]
    json.dumps(schema)
    json.dumps(plan)

"""The engine CLI: JSON output is exactly the document, exit codes 0/1/2/3, errors on stderr."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

import engine.cli as cli
from engine.checker import check
from engine.plan import Plan, PlanStatus, parse_plan
from engine.problem import parse_problem
from tests.engine.samples import RIFLE_PROBLEM

runner = CliRunner()


def write(tmp_path: Path, name: str, document: Any) -> Path:
    path = tmp_path / name
    if name.endswith((".yaml", ".yml")):
        path.write_text(yaml.safe_dump(document), encoding="utf-8")
    else:
        path.write_text(json.dumps(document), encoding="utf-8")
    return path


@pytest.fixture
def rifle_file(tmp_path: Path) -> Path:
    return write(tmp_path, "rifles.yaml", RIFLE_PROBLEM)


def test_plan_json_is_only_the_plan_document(rifle_file: Path) -> None:
    result = runner.invoke(cli.app, ["plan", str(rifle_file), "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)  # the whole stdout, nothing else
    assert document["format"] == "quartermaster.plan/1"
    assert document["status"] == "optimal"
    plan = parse_plan(document)
    report = check(parse_problem(RIFLE_PROBLEM), plan)
    assert report.ok, report.violations
    assert plan.objective == pytest.approx(report.objective)


def test_plan_table_and_explain(rifle_file: Path) -> None:
    result = runner.invoke(cli.app, ["plan", str(rifle_file), "--explain"])
    assert result.exit_code == 0, result.output
    for text in ("Takes", "OWN", "MARKET", "Trips", "Shortfalls", "objective", "optimal"):
        assert text in result.stdout


def test_plan_with_the_reference_solver(rifle_file: Path) -> None:
    result = runner.invoke(cli.app, ["plan", str(rifle_file), "-f", "json",
                                     "--solver", "reference"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["stats"]["solver"].startswith("highs (plain")


def test_invalid_problem_exits_2_with_every_error_on_stderr(tmp_path: Path) -> None:
    bad = copy.deepcopy(RIFLE_PROBLEM)
    bad["sources"][0]["reliability"] = 1.5
    bad["demands"][0]["item"] = "nothing"
    path = write(tmp_path, "bad.json", bad)
    result = runner.invoke(cli.app, ["plan", str(path), "--format", "json"])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert any(line.startswith("source 'own-rifle': reliability") for line in lines)
    assert any(line.startswith("demand 'd1': item") for line in lines)


def test_unreadable_file_and_unknown_solver_exit_2(tmp_path: Path, rifle_file: Path) -> None:
    result = runner.invoke(cli.app, ["plan", str(tmp_path / "missing.yaml")])
    assert result.exit_code == 2
    assert "cannot read" in result.stderr
    result = runner.invoke(cli.app, ["plan", str(rifle_file), "--solver", "nope"])
    assert result.exit_code == 2
    assert "--solver" in result.stderr


def test_bom_cycle_exits_2(tmp_path: Path) -> None:
    doc = {
        "items": [{"id": "a"}, {"id": "b"}],
        "locations": [{"id": "hangar"}],
        "blueprints": [
            {"id": "a-from-b", "output": {"item": "a", "quantity": 1},
             "ingredients": [{"item": "b", "quantity": 1}]},
            {"id": "b-from-a", "output": {"item": "b", "quantity": 1},
             "ingredients": [{"item": "a", "quantity": 1}]}],
        "demands": [{"id": "d", "item": "a", "quantity": 1}],
        "policy": {"delivery_location": "hangar"},
    }
    result = runner.invoke(cli.app, ["plan", str(write(tmp_path, "cycle.json", doc)),
                                     "-f", "json"])
    assert result.exit_code == 2
    assert "BOM cycle" in result.stderr
    assert json.loads(result.stdout)["status"] == "invalid"


def test_no_plan_exits_3(rifle_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def nothing(problem: Any, **_: Any) -> Plan:
        return Plan(status=PlanStatus.INFEASIBLE,
                    errors=[{"kind": "solver", "message": "no plan found"}])

    monkeypatch.setattr(cli, "resolve_solver", lambda name: (nothing, name))
    result = runner.invoke(cli.app, ["plan", str(rifle_file), "-f", "json"])
    assert result.exit_code == 3
    assert "no plan found" in result.stderr


def test_reference_with_no_time_exits_3(rifle_file: Path) -> None:
    result = runner.invoke(cli.app, ["plan", str(rifle_file), "--solver", "reference",
                                     "--time-limit", "0"])
    assert result.exit_code == 3


def test_check_ok_violations_and_malformed(tmp_path: Path, rifle_file: Path) -> None:
    planned = runner.invoke(cli.app, ["plan", str(rifle_file), "-f", "json"])
    plan_path = tmp_path / "plan.json"
    plan_path.write_text(planned.stdout, encoding="utf-8")
    result = runner.invoke(cli.app, ["check", str(rifle_file), str(plan_path)])
    assert result.exit_code == 0
    assert result.stdout.startswith("OK objective")

    broken = json.loads(planned.stdout)
    broken["objective"] += 1000
    broken["takes"][0]["quantity"] += 5
    result = runner.invoke(cli.app, ["check", str(rifle_file),
                                     str(write(tmp_path, "broken.json", broken))])
    assert result.exit_code == 1
    assert "violation" in result.stdout

    result = runner.invoke(cli.app, ["check", str(rifle_file),
                                     str(write(tmp_path, "junk.json", {"status": "nope"}))])
    assert result.exit_code == 2
    assert "plan: status" in result.stderr


def test_whatif_json(tmp_path: Path, rifle_file: Path) -> None:
    variants = {"format": "quartermaster.whatif/1", "variants": [
        {"name": "dear alu", "changes": [{"kind": "scale_price", "item": "alu", "factor": 3}]},
        {"name": "more rifles", "changes": [{"set_demand": {"demand": "d1", "quantity": 12}}]},
    ]}
    path = write(tmp_path, "variants.yaml", variants)
    result = runner.invoke(cli.app, ["whatif", str(rifle_file), str(path), "-f", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [v["name"] for v in report["variants"]] == ["dear alu", "more rifles"]
    table = runner.invoke(cli.app, ["whatif", str(rifle_file), str(path)])
    assert table.exit_code == 0 and "more rifles" in table.stdout
    bad = write(tmp_path, "bad.yaml", {"variants": [{"name": "x", "changes": [
        {"kind": "set_demand", "demand": "ghost", "quantity": 1}]}]})
    result = runner.invoke(cli.app, ["whatif", str(rifle_file), str(bad)])
    assert result.exit_code == 2
    assert "ghost" in result.stderr


def test_generate_stdout_and_files(tmp_path: Path) -> None:
    result = runner.invoke(cli.app, ["generate", "--preset", "small", "--seed", "3"])
    assert result.exit_code == 0
    from_stdout = parse_problem(json.loads(result.stdout))
    out = tmp_path / "p.yaml"
    result = runner.invoke(cli.app, ["generate", "--preset", "small", "--seed", "3",
                                     "--output", str(out)])
    assert result.exit_code == 0
    assert parse_problem(yaml.safe_load(out.read_text())) == from_stdout
    result = runner.invoke(cli.app, ["generate", "--preset", "galactic"])
    assert result.exit_code == 2


@pytest.mark.parametrize("kind", ["problem", "plan", "whatif"])
def test_schema(kind: str) -> None:
    result = runner.invoke(cli.app, ["schema", kind])
    assert result.exit_code == 0
    assert "properties" in json.loads(result.stdout)


def test_python_dash_m_engine(rifle_file: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "engine", "plan", str(rifle_file), "-f",
                           "json"], capture_output=True, text=True, check=False,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "optimal"


SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def test_piped_tables_keep_their_full_width() -> None:
    # CliRunner's stdout is not a terminal, as with `quartermaster plan ... | less` or `> file`.
    result = runner.invoke(cli.app, ["plan", str(SCENARIOS / "p4ar-rifles.yaml")],
                           env={"COLUMNS": None})
    assert result.exit_code == 0, result.output
    assert "…" not in result.stdout
    for name in ("Location", "Holder", "ARC-L1 Wide Forest Station", "Org hangar (Area 18)"):
        assert name in result.stdout
    # An explicit COLUMNS is still obeyed (rich fits the table into it).
    narrow = runner.invoke(cli.app, ["plan", str(SCENARIOS / "p4ar-rifles.yaml")],
                           env={"COLUMNS": "60"})
    assert max(len(line) for line in narrow.stdout.splitlines()) <= 60


def test_whatif_example_runs_through_the_cli_and_matches_the_schema() -> None:
    example = SCENARIOS / "whatif" / "p4ar-rifles.whatif.yaml"
    document = yaml.safe_load(example.read_text(encoding="utf-8"))
    result = runner.invoke(cli.app, ["whatif", str(SCENARIOS / "p4ar-rifles.yaml"),
                                     str(example), "-f", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["base_status"] == "optimal"
    assert [v["name"] for v in report["variants"]] == [v["name"] for v in document["variants"]]
    assert all(v["status"] == "optimal" for v in report["variants"])
    # A tour of the format: every change kind, in both spellings.
    from engine.whatif import CHANGE_KINDS

    changes = [c for v in document["variants"] for c in v["changes"]]
    used = {c.get("kind") or next(iter(c)) for c in changes}
    assert used == set(CHANGE_KINDS)
    assert any("kind" in c for c in changes) and any("kind" not in c for c in changes)

    jsonschema_rs = pytest.importorskip("jsonschema_rs")  # installed with schemathesis
    schema = runner.invoke(cli.app, ["schema", "whatif"])
    assert schema.exit_code == 0, schema.output
    validator = jsonschema_rs.validator_for(json.loads(schema.stdout))
    assert validator.is_valid(document)
    for bad_change in ({"kind": "nuke", "item": "agricium"},
                       {"scale_price": {"item": "agricium", "factor": -1}},
                       {"item": "agricium", "factor": 2}):
        bad = {"variants": [{"name": "x", "changes": [bad_change]}]}
        assert not validator.is_valid(bad), bad_change


def test_whatif_doc_lists_every_change_kind() -> None:
    from engine.whatif import CHANGE_KINDS

    text = (SCENARIOS.parent / "docs" / "engine" / "whatif.md").read_text(encoding="utf-8")
    for kind in CHANGE_KINDS:
        assert f"| `{kind}` |" in text, kind


def test_plan_table_prints_quantities_with_their_unit() -> None:
    result = runner.invoke(cli.app, ["plan", str(SCENARIOS / "p4ar-rifles.yaml")],
                           env={"COLUMNS": None})
    assert result.exit_code == 0, result.output
    def row(source: str) -> str:
        return next(line for line in result.stdout.splitlines() if f" {source} " in line)

    assert "10 pieces" in row("own-hadanite") and "0.2 SCU" in row("own-aluminum")
    assert "pcs" not in result.stdout
    assert "(ship 96 SCU)" in result.stdout

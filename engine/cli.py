"""Engine commands: plan, check, whatif, generate, schema (a Typer app named ``app``).

The root ``quartermaster`` console script (api/cli.py) merges these commands into its own;
``python -m engine`` runs them standalone. Exit codes: 0 a plan (or a passing check),
1 a check that found violations, 2 invalid input (every error on stderr, one per line, naming
its record and field), 3 no plan found. With ``--format json`` stdout carries exactly one JSON
document and nothing else, so the output can be piped.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Callable, Iterable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from pydantic import ValidationError

from engine.plan import Plan, PlanStatus, parse_plan, plan_json_schema
from engine.problem import (
    Problem,
    ProblemValidationError,
    Tier,
    load_problem,
    problem_json_schema,
    read_document,
)
from engine.quantity import format_quantity

if TYPE_CHECKING:
    from rich.console import Console

# rich and yaml are imported where they are used: a `plan --format json` run needs neither, and
# the whole CLI process answers a trivial problem in well under a second only without them.

app = typer.Typer(name="engine", help="Quartermaster planning engine.", no_args_is_help=True,
                  add_completion=False)

EXIT_OK = 0
EXIT_VIOLATIONS = 1
EXIT_INVALID = 2
EXIT_NO_PLAN = 3

Solver = Callable[..., Plan]


class OutputFormat(StrEnum):
    """How a command prints its answer."""

    TABLE = "table"
    JSON = "json"


class Preset(StrEnum):
    """Generator presets."""

    SMALL = "small"
    CRAFT = "craft"
    ORG = "org"
    LARGE = "large"


class SchemaKind(StrEnum):
    """Which document's JSON Schema to print."""

    PROBLEM = "problem"
    PLAN = "plan"
    WHATIF = "whatif"


# -- helpers ---------------------------------------------------------------------------------

# Piped or redirected output has no window to fit: rich's 80-column fallback would cut names
# to "Lo…". Tables never grow beyond their content, so this only lifts the limit.
UNBOUNDED_WIDTH = 100_000


def make_console() -> Console:
    """The console tables print to: the terminal's width, or when stdout is not a terminal
    the full width of the content (``COLUMNS`` still wins when set)."""
    from rich.console import Console

    console = Console()
    if not console.is_terminal and not os.environ.get("COLUMNS", "").isdigit():
        console.width = UNBOUNDED_WIDTH
    return console


def _fail(lines: Iterable[str], code: int) -> NoReturn:
    """Print each error on its own stderr line and exit with ``code``."""
    for line in lines:
        typer.echo(line, err=True)
    raise typer.Exit(code)


def _load(path: Path) -> Problem:
    try:
        return load_problem(path)
    except ProblemValidationError as exc:
        _fail((str(issue) for issue in exc.issues), EXIT_INVALID)


def _echo_json(document: Any) -> None:
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False))


def _plan_errors(plan: Plan) -> list[str]:
    lines = []
    for error in plan.errors:
        kind = error.get("kind", "plan")
        rid = error.get("id")
        where = kind if rid is None else f"{kind} {rid!r}"
        lines.append(f"{where}: {error.get('field', '-')}: {error.get('message', '')}")
    return lines


def resolve_solver(name: str) -> tuple[Solver, str]:
    """The solve function for ``--solver``: ``reference``/``plain`` is the plain HiGHS model,
    anything else goes to :func:`engine.solve.solve` (both imported on use: the solver stack is
    most of a trivial run's start-up)."""
    def reference(problem: Problem, *, time_limit: float | None = None,
                  **_: Any) -> Plan:
        # Imported on use: HiGHS and numpy cost half a second of start-up.
        from engine.reference import solve_reference

        return solve_reference(problem, time_limit=time_limit)

    if name in ("reference", "plain"):
        return reference, name

    def main(problem: Problem, *, time_limit: float | None = None, **kw: Any) -> Plan:
        from engine.solve import solve

        return solve(problem, solver=name, time_limit=time_limit, **kw)

    return main, name


def _money(value: float | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


# -- plan ------------------------------------------------------------------------------------

@app.command("plan")
def plan_command(
    problem_file: Annotated[Path, typer.Argument(metavar="PROBLEM",
                                                 help="Problem file (JSON or YAML).")],
    output_format: Annotated[OutputFormat, typer.Option("--format", "-f",
                                                        help="table or json")] =
        OutputFormat.TABLE,
    time_limit: Annotated[float | None, typer.Option("--time-limit", min=0,
                                                     help="Seconds; best plan so far.")] = None,
    solver: Annotated[str, typer.Option("--solver", help="Solver back-end (auto, highs, "
                                        "cbc, scip, cp-sat, ...; 'reference' for the plain "
                                        "model).")] = "auto",
    explain: Annotated[bool, typer.Option("--explain", help="Explain how each demand is met "
                                          "(on stderr with --format json).")] = False,
) -> None:
    """Solve a problem and print the plan."""
    problem = _load(problem_file)
    solve, _ = resolve_solver(solver)
    try:
        plan = solve(problem, time_limit=time_limit)
    except ValueError as exc:
        # An unknown --solver name is bad input, not a crash.
        _fail([f"option: --solver: {exc}"], EXIT_INVALID)
    if output_format is OutputFormat.JSON:
        _echo_json(plan.to_document())
    else:
        render_plan(problem, plan, make_console())
    if plan.status is PlanStatus.INVALID:
        _fail(_plan_errors(plan), EXIT_INVALID)
    if plan.status is PlanStatus.INFEASIBLE or plan.objective is None:
        _fail(_plan_errors(plan) or ["no plan was found"], EXIT_NO_PLAN)
    if explain:
        from engine.explain import explain as make_explanation
        from engine.explain import render_text

        text = render_text(make_explanation(problem, plan))
        if output_format is OutputFormat.JSON:
            typer.echo(text, err=True)
        else:
            from rich.text import Text

            make_console().print(Text(text))


def render_plan(problem: Problem, plan: Plan, console: Console) -> None:
    """A plan for people: takes grouped by tier and location, crafts, trips, shortfalls,
    surplus, the cost summary and a status line."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    title = problem.name or "plan"
    if plan.status is PlanStatus.INVALID:
        console.print(f"[bold red]{title}: invalid problem[/]")
        return
    items = {i.id: i for i in problem.items}
    locations = {loc.id: loc for loc in problem.locations}

    def place(location_id: str) -> str:
        loc = locations.get(location_id)
        return loc.name or loc.id if loc is not None else location_id

    def unit(item_id: str) -> str:
        item = items.get(item_id)
        return "scu" if item is None else item.unit.value

    takes = Table(title="Takes", box=box.SIMPLE_HEAVY, title_justify="left")
    for header, justify in (("Location", "left"), ("Holder", "left"), ("Source", "left"),
                            ("Item", "left"), ("Quantity", "right"), ("Unit cost", "right"),
                            ("Cost", "right")):
        takes.add_column(header, justify=justify,  # type: ignore[arg-type]
                         no_wrap=header in ("Source", "Quantity", "Unit cost", "Cost"))
    grouped: dict[Tier, dict[str, list[tuple[str, float]]]] = defaultdict(
        lambda: defaultdict(list))
    for take in plan.takes:
        src = problem.source(take.source)
        grouped[src.tier][src.location].append((take.source, take.quantity))
    tier_style = {Tier.OWN: "green", Tier.MEMBER: "cyan", Tier.MARKET: "yellow"}
    for tier in (Tier.OWN, Tier.MEMBER, Tier.MARKET):
        if tier not in grouped:
            continue
        tier_total = 0.0
        takes.add_row(Text(tier.value.upper(), style=f"bold {tier_style[tier]}"))
        for location_id in sorted(grouped[tier], key=place):
            first = True
            for source_id, quantity in sorted(grouped[tier][location_id]):
                src = problem.source(source_id)
                cost = problem.effective_cost(src) * quantity
                tier_total += cost
                item = items[src.item]
                takes.add_row(place(location_id) if first else "", src.holder or "",
                              source_id, item.name or item.id,
                              format_quantity(quantity, unit(src.item)),
                              _money(problem.effective_cost(src)), _money(cost))
                first = False
        takes.add_row("", "", "", "", "", Text("subtotal", style="dim"),
                      Text(_money(tier_total), style="bold"), end_section=True)
    if plan.takes:
        console.print(takes)

    if plan.crafts:
        crafts = Table(title="Crafting and refining", box=box.SIMPLE_HEAVY,
                       title_justify="left")
        for header in ("Blueprint", "Makes", "Runs", "Output", "Run cost", "Cost"):
            crafts.add_column(header, justify="left" if header in ("Blueprint", "Makes")
                              else "right")
        for craft in plan.crafts:
            bp = problem.blueprint(craft.blueprint)
            out = items[bp.output.item]
            crafts.add_row(bp.name or bp.id, out.name or out.id, str(craft.runs),
                           format_quantity(bp.output.quantity * craft.runs, unit(out.id)),
                           _money(bp.run_cost), _money(bp.run_cost * craft.runs))
        console.print(crafts)

    if plan.trips:
        trips = Table(title=f"Trips to {place(problem.policy.delivery_location)} "
                      f"(ship {format_quantity(problem.policy.ship_capacity_scu, 'scu')})",
                      box=box.SIMPLE_HEAVY, title_justify="left")
        for header in ("From", "Trips", "Volume SCU", "Cost"):
            trips.add_column(header, justify="left" if header == "From" else "right")
        for trip in plan.trips:
            trips.add_row(place(trip.location), str(trip.trips), format_quantity(trip.volume_scu),
                          _money(problem.trip_cost(trip.location) * trip.trips))
        console.print(trips)

    if plan.shortfalls:
        short = Table(title="Shortfalls", box=box.SIMPLE_HEAVY, title_justify="left",
                      title_style="bold red")
        for header in ("Demand", "Item", "Short", "Penalty"):
            short.add_column(header, justify="left" if header in ("Demand", "Item")
                             else "right")
        for s in plan.shortfalls:
            dem = problem.demand(s.demand)
            short.add_row(s.demand, items[dem.item].name or dem.item,
                          format_quantity(s.quantity, unit(dem.item)),
                          _money(problem.policy.shortfall_penalty * s.quantity))
        console.print(short)

    if plan.surplus:
        surplus = Table(title="Surplus (taken or made, not used)", box=box.SIMPLE,
                        title_justify="left")
        surplus.add_column("Item")
        surplus.add_column("Quantity", justify="right")
        for extra in plan.surplus:
            name = items[extra.item].name if extra.item in items else ""
            surplus.add_row(name or extra.item, format_quantity(extra.quantity, unit(extra.item)))
        console.print(surplus)

    costs = Table(title="Costs", box=box.SIMPLE, title_justify="left", show_header=False)
    costs.add_column("term")
    costs.add_column("amount", justify="right")
    for term in ("sourcing", "crafting", "trips", "shortfall"):
        costs.add_row(term, _money(getattr(plan.costs, term)))
    costs.add_row(Text("objective", style="bold"), Text(_money(plan.objective), style="bold"))
    console.print(costs)

    style = {PlanStatus.OPTIMAL: "bold green", PlanStatus.FEASIBLE: "bold yellow"}.get(
        plan.status, "bold red")
    gap = plan.stats.gap
    gap_text = "gap n/a" if gap is None else f"gap {gap:.4%}"
    line = Text()
    line.append(f"{title}: ", style="bold")
    line.append(plan.status.value, style=style)
    line.append(f" · {gap_text} · {'complete' if plan.complete else 'INCOMPLETE'}"
                f" · solver {plan.stats.solver or '?'} · build {plan.stats.build_seconds:.3f}s"
                f" · solve {plan.stats.solve_seconds:.3f}s")
    console.print(line)


# -- check -----------------------------------------------------------------------------------

@app.command("check")
def check_command(
    problem_file: Annotated[Path, typer.Argument(metavar="PROBLEM")],
    plan_file: Annotated[Path, typer.Argument(metavar="PLAN")],
) -> None:
    """Verify a plan against every rule of the spec; print OK and the recomputed objective
    (exit 0) or every violation (exit 1)."""
    from engine.checker import check

    problem = _load(problem_file)
    plan = _load_plan(plan_file)
    report = check(problem, plan)
    if report.ok:
        typer.echo(f"OK objective {report.objective:.6f}")
        return
    typer.echo(f"FAILED: {len(report.violations)} violation(s); recomputed objective "
               f"{report.objective:.6f}")
    for violation in report.violations:
        typer.echo(f"  - {violation}")
    raise typer.Exit(EXIT_VIOLATIONS)


def _load_plan(path: Path) -> Plan:
    """A plan file, or exit 2 naming every problem with it."""
    try:
        return parse_plan(read_document(path))
    except ProblemValidationError as exc:
        _fail((str(issue).replace("file ", "plan file ", 1) for issue in exc.issues),
              EXIT_INVALID)
    except ValidationError as exc:
        _fail((f"plan: {'.'.join(str(p) for p in e['loc']) or '-'}: {e['msg']}"
               for e in exc.errors()), EXIT_INVALID)


# -- explain ---------------------------------------------------------------------------------

@app.command("explain")
def explain_command(
    problem_file: Annotated[Path, typer.Argument(metavar="PROBLEM",
                                                 help="Problem file (JSON or YAML).")],
    plan_file: Annotated[Path | None, typer.Option(
        "--plan", help="Explain this plan file instead of solving the problem.")] = None,
    output_format: Annotated[OutputFormat, typer.Option("--format", "-f",
                                                        help="table (text) or json")] =
        OutputFormat.TABLE,
    time_limit: Annotated[float | None, typer.Option("--time-limit", min=0,
                                                     help="Seconds; best plan so far.")] = None,
) -> None:
    """Explain a plan: how each demand is met, the binding constraint of every shortfall, and
    per take the price range over which it stays optimal and what replaces it above."""
    from engine.explain import explain, render_text

    problem = _load(problem_file)
    if plan_file is not None:
        plan = _load_plan(plan_file)
    else:
        from engine.solve import solve

        plan = solve(problem, time_limit=time_limit)
    if plan.status is PlanStatus.INVALID:
        _fail(_plan_errors(plan), EXIT_INVALID)
    if plan.status is PlanStatus.INFEASIBLE or plan.objective is None:
        _fail(_plan_errors(plan) or ["no plan was found"], EXIT_NO_PLAN)
    explanation = explain(problem, plan)
    if output_format is OutputFormat.JSON:
        _echo_json(explanation.model_dump(mode="json"))
    else:
        typer.echo(render_text(explanation), nl=False)


# -- whatif ----------------------------------------------------------------------------------

@app.command("whatif")
def whatif_command(
    problem_file: Annotated[Path, typer.Argument(metavar="PROBLEM")],
    variants_file: Annotated[Path, typer.Argument(metavar="VARIANTS",
                                                  help="quartermaster.whatif/1 file.")],
    output_format: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.TABLE,
    time_limit: Annotated[float | None, typer.Option("--time-limit", min=0,
                                                     help="Seconds per solve.")] = None,
    solver: Annotated[str, typer.Option("--solver")] = "auto",
) -> None:
    """Solve the base problem and every variant; compare costs and changed lines."""
    from engine.whatif import WhatIfValidationError, load_variants, run_whatif

    problem = _load(problem_file)
    solve, _ = resolve_solver(solver)
    try:
        variants = load_variants(variants_file)
        report = run_whatif(problem, variants, solve=solve, time_limit=time_limit)
    except WhatIfValidationError as exc:
        _fail(exc.issues, EXIT_INVALID)
    from rich import box
    from rich.table import Table
    from rich.text import Text

    if output_format is OutputFormat.JSON:
        _echo_json(report.model_dump(mode="json", by_alias=True))
    else:
        console = make_console()
        table = Table(title=f"What-if: {problem.name or problem_file.name}",
                      box=box.SIMPLE_HEAVY, title_justify="left")
        for header in ("Variant", "Status", "Objective", "Δ objective", "Δ sourcing",
                       "Δ crafting", "Δ trips", "Δ shortfall", "Lines changed"):
            table.add_column(header, justify="left" if header in ("Variant", "Status")
                             else "right")
        table.add_row("base", report.base_status, _money(report.base_objective),
                      "", "", "", "", "", "", end_section=True)
        for r in report.variants:
            delta = r.objective_delta
            style = "" if delta is None else ("green" if delta < 0 else
                                              "red" if delta > 0 else "")
            table.add_row(r.name, r.status, _money(r.objective),
                          Text(_money(delta), style=style),
                          *(_money(r.cost_delta.get(t)) for t in
                            ("sourcing", "crafting", "trips", "shortfall")),
                          str(len(r.changes)))
        console.print(table)
        for r in report.variants:
            if not r.changes:
                continue
            lines = Table(title=f"{r.name}: changed lines", box=box.SIMPLE,
                          title_justify="left")
            for header in ("Line", "Id", "Change", "Base", "Variant", "Δ"):
                lines.add_column(header, justify="left" if header in ("Line", "Id", "Change")
                                 else "right")
            for ch in r.changes:
                lines.add_row(ch.line, ch.id, ch.change,
                              *(format_quantity(v) for v in (ch.base, ch.variant, ch.delta)))
            console.print(lines)
    if any(r.objective is None for r in report.variants) or report.base_objective is None:
        raise typer.Exit(EXIT_NO_PLAN)


# -- generate / schema -----------------------------------------------------------------------

@app.command("generate")
def generate_command(
    preset: Annotated[Preset, typer.Option("--preset", "-p")] = Preset.SMALL,
    seed: Annotated[int, typer.Option("--seed", "-s")] = 1,
    output: Annotated[Path | None, typer.Option("--output", "-o",
                                                help="File (.json, .yaml, .yml); "
                                                "stdout JSON by default.")] = None,
) -> None:
    """Write a synthetic problem of a preset size, deterministic for the seed."""
    from engine.generate import generate

    document = generate(preset.value, seed).to_document()
    if output is None:
        _echo_json(document)
        return
    if output.suffix.lower() in (".yaml", ".yml"):
        import yaml

        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    else:
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    output.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {output}", err=True)


@app.command("schema")
def schema_command(
    kind: Annotated[SchemaKind, typer.Argument(help="problem, plan or whatif")],
) -> None:
    """Print the JSON Schema of the problem, the plan or the what-if variant document."""
    if kind is SchemaKind.WHATIF:
        from engine.whatif import whatif_json_schema

        _echo_json(whatif_json_schema())
        return
    _echo_json(problem_json_schema() if kind is SchemaKind.PROBLEM else plan_json_schema())


def main() -> None:
    """Entry point for ``python -m engine``."""
    app(prog_name="python -m engine")


if __name__ == "__main__":  # pragma: no cover
    main()

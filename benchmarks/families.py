"""Issue 13's harder benchmark families, side by side in one run, into docs/engine/benchmarks.md.

    .venv/bin/python -m benchmarks.families --seeds 10 --limit 60 [--families org-hard ...]

For every family (``engine.generate.FAMILIES``) and seed: the whole CLI process
(``python -m engine plan FILE --format json``, start-up included) is timed, then the plain
pair model (``engine.reference.solve_reference``) runs in a child process of its own (so
neither inherits the other's memory or warm caches), then the naive greedy and the make-or-buy
baseline run on the same problem in this process. Both solvers get the same time limit, so a
capped run reports its gap and makes a ratio a bound. Every plan goes through the checker.

Each solver is timed in wall seconds and in CPU seconds (user + system of the child, from
``getrusage``). On a shared machine the CPU figure is the one that measures the work: wall
time grows with whatever else the cores are running, and a wall-clock cap then hands the
plain model less CPU, which only makes its ratio smaller. The plain model's CPU is its solve
alone (its imports excluded); the CLI's is the whole process, start-up included.
The table between the ``families`` markers in the document is replaced; the rest is kept.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from engine.baselines import make_or_buy_plan
from engine.checker import check
from engine.generate import FAMILIES, generate_family
from engine.greedy import greedy_plan
from engine.plan import Plan, parse_plan
from engine.problem import Problem
from engine.reference import solve_reference

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "engine" / "benchmarks.md"
START = "<!-- families:start -->"
END = "<!-- families:end -->"


@dataclass
class Row:
    """One family, one seed."""

    family: str
    seed: int
    items: int
    blueprints: int
    sources: int
    demands: int
    cli_wall: float
    cli_status: str
    cli_objective: float | None
    cli_gap: float | None
    cli_ok: bool
    plain_wall: float
    plain_status: str
    plain_objective: float | None
    plain_gap: float | None
    plain_ok: bool
    greedy_objective: float | None
    greedy_ok: bool
    mob_objective: float | None
    mob_ok: bool
    old_cli_wall: float | None = None  # the same CLI from another checkout (--old-cli)
    cli_cpu: float | None = None  # user + system seconds of the whole CLI process
    cli_solve: float | None = None  # the plan's own stats.solve_seconds (solver run, wall)
    plain_cpu: float | None = None  # CPU seconds of solve_reference in its child process
    mismatch: str | None = None  # both proved optimal, different optima (a bug: see below)

    @property
    def ratio(self) -> float:
        """Plain-model wall seconds over the whole CLI process's."""
        return self.plain_wall / max(self.cli_wall, 1e-9)

    @property
    def cpu_ratio(self) -> float | None:
        """Plain-model CPU seconds over the whole CLI process's (None for older rows)."""
        if self.cli_cpu is None or self.plain_cpu is None:
            return None
        return self.plain_cpu / max(self.cli_cpu, 1e-9)


def _children_cpu() -> float:
    """User + system CPU seconds of every waited-for child so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_cli(problem: Problem, limit: float,
            cwd: Path = ROOT) -> tuple[Plan | None, float, float]:
    """The CLI as a user runs it, in a fresh process; (plan, wall seconds, CPU seconds).

    ``cwd`` is the checkout whose ``engine`` package runs (``-m`` puts it first on the path).
    """
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "problem.json"
        path.write_text(json.dumps(problem.to_document()), encoding="utf-8")
        cpu_before = _children_cpu()
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "engine", "plan", str(path), "--format",
                               "json", "--time-limit", str(limit)],
                              capture_output=True, text=True, check=False, cwd=cwd)
        wall = time.perf_counter() - started
        cpu = _children_cpu() - cpu_before
    try:
        return parse_plan(json.loads(done.stdout)), wall, cpu
    except ValueError:
        return None, wall, cpu


def run_plain(problem: Problem, limit: float) -> tuple[Plan, float, float]:
    """The plain pair model in a child process of its own; (plan, wall s, CPU s of the solve).

    The child (``--plain-child``) times ``solve_reference`` itself, so the plain model is not
    charged for the interpreter's start-up or its imports.
    """
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "problem.json"
        path.write_text(json.dumps(problem.to_document()), encoding="utf-8")
        done = subprocess.run([sys.executable, "-m", "benchmarks.families", "--plain-child",
                               str(path), "--limit", str(limit)],
                              capture_output=True, text=True, check=True, cwd=ROOT)
    answer = json.loads(done.stdout)
    return parse_plan(answer["plan"]), answer["wall"], answer["cpu"]


def plain_child(path: Path, limit: float) -> None:
    """Solve ``path`` with the plain model and print {plan, wall, cpu} as JSON (child side)."""
    from engine.problem import parse_problem

    problem = parse_problem(json.loads(path.read_text(encoding="utf-8")))
    cpu_before, started = time.process_time(), time.perf_counter()
    plan = solve_reference(problem, time_limit=limit)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_before
    print(json.dumps({"plan": plan.to_document(), "wall": wall, "cpu": cpu}))


def measure(family: str, seed: int, limit: float, old_cli: Path | None = None) -> Row:
    """The CLI, the plain model and both baselines on one problem of ``family``.

    With ``old_cli`` (a checkout of an earlier commit) its CLI runs on the same problem right
    after this one's, so the two are compared in the same minute.
    """
    problem = generate_family(family, seed)
    cli, cli_wall, cli_cpu = run_cli(problem, limit)
    old_wall = None
    mismatches: list[str] = []
    if old_cli is not None:
        old, old_wall, _ = run_cli(problem, limit, cwd=old_cli)
        mismatches += same_optimum(family, seed, cli, old)
    plain, plain_wall, plain_cpu = run_plain(problem, limit)
    greedy = greedy_plan(problem)
    mob = make_or_buy_plan(problem)
    mismatches += same_optimum(family, seed, cli, plain)
    return Row(
        family=family, seed=seed, items=len(problem.items),
        blueprints=len(problem.blueprints), sources=len(problem.sources),
        demands=len(problem.demands), cli_wall=cli_wall,
        cli_status=cli.status.value if cli else "crashed",
        cli_objective=cli.objective if cli else None,
        cli_gap=cli.stats.gap if cli else None, cli_ok=bool(cli and check(problem, cli).ok),
        plain_wall=plain_wall, plain_status=plain.status.value,
        plain_objective=plain.objective, plain_gap=plain.stats.gap,
        plain_ok=check(problem, plain).ok,
        greedy_objective=greedy.objective, greedy_ok=check(problem, greedy).ok,
        mob_objective=mob.objective, mob_ok=check(problem, mob).ok, old_cli_wall=old_wall,
        cli_cpu=cli_cpu, cli_solve=cli.stats.solve_seconds if cli else None,
        plain_cpu=plain_cpu, mismatch="; ".join(mismatches) or None)


def same_optimum(family: str, seed: int, cli: Plan | None, plain: Plan | None) -> list[str]:
    """Where both prove optimality, the CLI's optimum must be the plain model's (the spec
    problem's); the disagreement, if any, as a message.

    A faster formulation that changed the problem would show here first. The run goes on (the
    other seeds still measure) and the table says FAILURES, naming the seed.
    """
    if (cli is None or plain is None or cli.status.value != "optimal"
            or plain.status.value != "optimal"):
        return []
    assert cli.objective is not None and plain.objective is not None
    if math.isclose(cli.objective, plain.objective, rel_tol=1e-6, abs_tol=1e-4):
        return []
    message = (f"{family} seed {seed}: CLI optimum {cli.objective!r} != plain optimum "
               f"{plain.objective!r}")
    print(message, file=sys.stderr, flush=True)
    return [message]


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.2f}%"


def _vs(base: float | None, main: float | None) -> str:
    """How much cheaper the CLI's plan is than ``base`` (weighted objective)."""
    if base is None or main is None or base == 0:
        return "—"
    return f"{100 * (base - main) / abs(base):.1f}%"


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _s(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _x(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}×"


def family_summary(family: str, rs: list[Row]) -> str:
    """One row of the summary table: medians and worst cases over the family's seeds."""
    gaps = [r.cli_gap for r in rs if r.cli_gap is not None]
    mob = [100 * (r.mob_objective - r.cli_objective) / abs(r.mob_objective)
           for r in rs if r.mob_objective and r.cli_objective is not None]
    grd = [100 * (r.greedy_objective - r.cli_objective) / abs(r.greedy_objective)
           for r in rs if r.greedy_objective and r.cli_objective is not None]
    ok = all(r.cli_ok and r.plain_ok and r.greedy_ok and r.mob_ok and not r.mismatch
             for r in rs)
    sizes = sorted({r.items for r in rs})
    cpus = [r.cli_cpu for r in rs if r.cli_cpu is not None]
    cpu_ratios = [x for x in (r.cpu_ratio for r in rs) if x is not None]
    mob_median = f"{statistics.median(mob):.1f}%" if mob else "—"
    grd_median = f"{statistics.median(grd):.1f}%" if grd else "—"
    return (
        f"| {family} | {len(rs)} | {sizes[0]}–{sizes[-1]} | "
        f"{_s(_median(cpus))} | {_s(max(cpus) if cpus else None)} | "
        f"{_s(_median([r.cli_solve for r in rs if r.cli_solve is not None]), 3)} | "
        f"{_s(_median([r.cli_wall for r in rs]))} | {_s(max(r.cli_wall for r in rs))} | "
        f"{_s(_median([r.plain_cpu for r in rs if r.plain_cpu is not None]))} | "
        f"{_x(_median(cpu_ratios))} | {_x(min(cpu_ratios) if cpu_ratios else None)} | "
        f"{_x(_median([r.ratio for r in rs]))} | {_x(min(r.ratio for r in rs))} | "
        f"{sum(r.cli_status == 'optimal' for r in rs)}/{len(rs)} | "
        f"{sum(r.plain_status == 'optimal' for r in rs)}/{len(rs)} | "
        f"{_pct(max(gaps) if gaps else None)} | {mob_median} | {grd_median} | "
        f"{'all pass' if ok else 'FAILURES'} |")


def targets(rows: list[Row], limit: float) -> list[str]:
    """Issue 13's speed targets, each read off this run's rows."""
    out: list[str] = []
    by_family: dict[str, list[Row]] = {}
    for r in rows:
        by_family.setdefault(r.family, []).append(r)
    for family, rs in by_family.items():
        ratios = [x for x in (r.cpu_ratio for r in rs) if x is not None]
        proven = sum(r.cli_status == "optimal" for r in rs)
        if family.startswith("org-") and ratios:
            median, worst = statistics.median(ratios), min(ratios)
            verdict = "met" if median >= 10 and worst >= 3 else "not met"
            out.append(f"- {family}: whole CLI process ≥ 10× the plain model (median) and none "
                       f"below 3×, in CPU seconds — {verdict} (median {median:.1f}×, worst "
                       f"{worst:.1f}×; CLI proved {proven}/{len(rs)}).")
        elif family.startswith("org2") and rs:
            slowest = max(r.cli_wall for r in rs)
            verdict = "met" if proven == len(rs) and slowest <= 60 else "not met"
            out.append(f"- {family} (twice the org size): proven optimal within 60 s — "
                       f"{verdict} ({proven}/{len(rs)} proven under a {limit:g} s cap; slowest "
                       f"whole process {slowest:.1f} s wall).")
        elif family.startswith("craft"):
            solves = [r.cli_solve for r in rs if r.cli_solve is not None]
            if solves:
                median = statistics.median(solves)
                verdict = "met" if median < 0.2 else "not met"
                out.append(f"- {family}: solved in < 0.2 s (median of the solver's own "
                           f"seconds) — {verdict} (median {median:.3f} s, worst "
                           f"{max(solves):.3f} s; whole process median "
                           f"{_s(_median([r.cli_cpu for r in rs if r.cli_cpu is not None]))} s "
                           "CPU).")
    return out


def render(rows: list[Row], limit: float, command: str) -> str:
    """The markdown section: one summary line per family, the targets, then every seed."""
    out = [START, "", "## Harder families (issue 13)", "",
           f"Written by `{command}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. "
           f"Each solve capped at {limit:g} s of wall time. The CLI is the whole process "
           "(`python -m engine plan FILE --format json`, start-up included); the plain model "
           "runs in its own child process and is charged for its solve only. `CPU` = user + "
           "system seconds; `solve` = the plan's own `stats.solve_seconds`; `ratio` = plain "
           "model over CLI, in CPU seconds and in wall seconds. A capped plain run makes its "
           "ratio a lower bound. Objectives are the spec's weighted objective; `saves` is the "
           "CLI plan's saving against each baseline. Machine: 2 logical cores shared with "
           "other work while measured.", "",
           "| family | seeds | items | CLI CPU median s | CLI CPU worst s | solve median s | "
           "CLI wall median s | CLI wall worst s | plain CPU median s | CPU ratio median | "
           "CPU ratio worst | wall ratio median | wall ratio worst | CLI proven | "
           "plain proven | CLI worst gap | saves vs make-or-buy (median) | "
           "saves vs greedy (median) | checker |",
           "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
           "---:|---:|---|"]
    families = list(dict.fromkeys(r.family for r in rows))
    out += [family_summary(f, [r for r in rows if r.family == f]) for f in families]
    out += ["", "### Targets, read off this run", "", *targets(rows, limit)]
    wrong = [r.mismatch for r in rows if r.mismatch]
    out += ["", "Optima that disagree (both proved optimal): "
            + ("none." if not wrong else "; ".join(wrong) + ".")]
    out += ["", "### Every seed", "",
            "| family | seed | items | bps | sources | demands | CLI CPU s | solve s | "
            "CLI wall s | CLI status | CLI gap | plain CPU s | plain wall s | plain status | "
            "plain gap | CPU ratio | wall ratio | CLI − plain objective | "
            "saves vs make-or-buy | saves vs greedy |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---|---:|---:|"
            "---:|---:|---:|---:|"]
    for r in rows:
        diff = ("—" if r.cli_objective is None or r.plain_objective is None
                else f"{r.cli_objective - r.plain_objective:+,.2f}")
        out.append(
            f"| {r.family} | {r.seed} | {r.items} | {r.blueprints} | {r.sources} | "
            f"{r.demands} | {_s(r.cli_cpu)} | {_s(r.cli_solve, 3)} | {r.cli_wall:.2f} | "
            f"{r.cli_status} | {_pct(r.cli_gap)} | {_s(r.plain_cpu)} | {r.plain_wall:.2f} | "
            f"{r.plain_status} | {_pct(r.plain_gap)} | {_x(r.cpu_ratio)} | {r.ratio:.1f}× | "
            f"{diff} | {_vs(r.mob_objective, r.cli_objective)} | "
            f"{_vs(r.greedy_objective, r.cli_objective)} |")
    out += ["", END]
    return "\n".join(out)


def write_section(section: str, doc: Path = DOC) -> None:
    """Replace the families section of ``doc`` (or append it)."""
    text = doc.read_text(encoding="utf-8") if doc.exists() else ""
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + section + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    doc.write_text(text, encoding="utf-8")


def main() -> None:
    """Measure the chosen families and write the section (rows also go to --json)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", nargs="*", default=list(FAMILIES))
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--limit", type=float, default=60.0)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--output", type=Path, default=DOC)
    parser.add_argument("--old-cli", type=Path, default=None,
                        help="a checkout of an earlier commit whose CLI runs beside this one's")
    parser.add_argument("--plain-child", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.plain_child is not None:
        plain_child(args.plain_child, args.limit)
        return
    rows: list[Row] = []
    if args.json and args.json.exists():
        rows = [Row(**json.loads(line)) for line in args.json.read_text().splitlines()]
    done = {(r.family, r.seed) for r in rows}
    for family in args.families:
        for seed in range(1, args.seeds + 1):
            if (family, seed) in done:
                continue
            row = measure(family, seed, args.limit, args.old_cli)
            rows.append(row)
            print(json.dumps(asdict(row)), flush=True)
            if args.json:
                with args.json.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps(asdict(row)) + "\n")
    command = "python -m benchmarks.families " + " ".join(sys.argv[1:])
    write_section(render(rows, args.limit, command), args.output)


if __name__ == "__main__":
    main()

"""Run the engine benchmarks once and write docs/engine/benchmarks.md.

    .venv/bin/python -m benchmarks.report [--presets small,craft,org,large] [--seed 1]

Each preset runs in its own child process so its peak memory (``ru_maxrss``) is its own; the
child prints its measurement as JSON and the parent writes the table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "engine" / "benchmarks.md"
FAMILIES_START = "<!-- families:start -->"
FAMILIES_END = "<!-- families:end -->"


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "?"


def _one(preset: str, seed: int) -> None:
    from benchmarks.common import measure

    print(json.dumps(measure(preset, seed).to_dict()))


def _main_only(preset: str, seed: int) -> None:
    """Only the main solver (no plain model): for the across-seeds table."""
    from engine.checker import check
    from engine.generate import generate
    from engine.solve import solve

    problem = generate(preset, seed)
    start = time.perf_counter()
    plan = solve(problem)
    wall = time.perf_counter() - start
    print(json.dumps({"preset": preset, "seed": seed, "status": plan.status.value,
                      "solver": plan.stats.solver, "solve": plan.stats.solve_seconds,
                      "wall": wall, "gap": plan.stats.gap, "check_ok": check(problem, plan).ok}))


def _seed_child(preset: str, seed: int) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "benchmarks.report", "--main-only", preset,
                           "--seed", str(seed)], capture_output=True, text=True, cwd=ROOT,
                          check=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _child(preset: str, seed: int) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "benchmarks.report", "--one", preset,
                           "--seed", str(seed)], capture_output=True, text=True, cwd=ROOT,
                          check=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _s(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _n(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _money(value: float | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


def _gap(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4%}"


def render_seeds(rows: list[dict[str, Any]]) -> list[str]:
    """The org preset across seeds: one seed can flatter or hide the solver."""
    if not rows:
        return []
    fast = sum(1 for r in rows if r["status"] == "optimal" and r["wall"] < 2)
    worst = max(rows, key=lambda r: r["wall"])
    lines = ["", "## Org preset across seeds (main solver only, each in its own process)", "",
             "| seed | status | solver | solve s | wall s | checker |",
             "|---:|---|---|---:|---:|---|"]
    for r in rows:
        lines.append(f"| {r['seed']} | {r['status']} | {r['solver']} | {r['solve']:.2f} | "
                     f"{r['wall']:.2f} | {'✓' if r['check_ok'] else '✗'} |")
    lines += ["", f"Proven optimal in < 2 s wall on {fast} of {len(rows)} seeds; slowest: seed "
              f"{worst['seed']}, {worst['wall']:.2f} s ({worst['status']})."]
    return lines


PLANNERS = (("main", "optimiser"), ("make_or_buy", "make-or-buy"), ("greedy", "naive greedy"))


def render_savings(results: list[dict[str, Any]]) -> list[str]:
    """Each planner's plan as users count it, and what the optimiser saves against both
    baselines — aUEC, trips, SCU hauled and units short each on its own."""
    lines = [
        "",
        "## What each plan costs the crew, against two baselines",
        "",
        "Naive greedy buys a finished good whenever any listing has it and crafts only when "
        "none does; make-or-buy rolls up each recipe's cost and buys stock cheaper than making, "
        "makes the rest, then pays the trips its choices need (`engine/baselines.py`). aUEC "
        "spent = prices paid + run costs + trip costs (no reliability weighting, no shortfall "
        "penalty).",
        "",
        "| preset | plan | aUEC spent | trips | SCU hauled | units short | optimiser saves "
        "(aUEC) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        figures = r.get("figures") or {}
        best = figures.get("main")
        for key, name in PLANNERS:
            f = figures.get(key)
            if f is None:
                continue
            if key == "main" or best is None:
                saves = "—"
            else:
                saves = (f"{_money(f['spent'] - best['spent'])} "
                         f"({(f['spent'] - best['spent']) / f['spent']:.1%})"
                         if f["spent"] > 0 else "—")
            lines.append(f"| {r['preset']} | {name} | {_money(f['spent'])} | "
                         f"{f['trips']:g} | {f['hauled']:,.1f} | {f['short']:g} | {saves} |")
    return lines


def measure_startup(runs: int = 7) -> dict[str, Any]:
    """Whole-process `quartermaster plan <trivial problem> --format json`: medians of wall and
    CPU seconds over ``runs`` runs after one warm-up (CPU from the children's rusage)."""
    tiny = {"items": [{"id": "alu"}],
            "locations": [{"id": "hangar"}, {"id": "st", "trip_cost": 100}],
            "sources": [{"id": "s", "item": "alu", "location": "st", "tier": "market",
                         "unit_price": 5}],
            "demands": [{"id": "d", "item": "alu", "quantity": 3}],
            "policy": {"delivery_location": "hangar"}}
    path = ROOT / "var" / "startup-problem.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(tiny), encoding="utf-8")
    command = [str(Path(sys.executable).with_name("quartermaster")), "plan", str(path),
               "--format", "json"]
    walls, cpus = [], []
    for k in range(runs + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True, cwd=ROOT)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if k:
            walls.append(wall)
            cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return {"runs": runs, "wall": statistics.median(walls), "cpu": statistics.median(cpus),
            "wall_max": max(walls), "cpu_max": max(cpus)}


def render_startup(s: dict[str, Any]) -> list[str]:
    """The CLI start-up section."""
    return [
        "",
        "## CLI start-up",
        "",
        f"`quartermaster plan <one item, one listing> --format json`, whole process, median of "
        f"{s['runs']} runs after a warm-up: **{s['cpu']:.2f} s CPU**, {s['wall']:.2f} s wall "
        f"(max {s['cpu_max']:.2f} s CPU, {s['wall_max']:.2f} s wall). The target is < 0.5 s; on "
        "this shared 2-core machine wall time runs above CPU time whenever other work is "
        "queued. The JSON path imports neither networkx, HiGHS/numpy, rich nor yaml "
        "(`tests/engine/test_cli_startup.py`). Before that change: 1.25 s CPU, 2.18 s wall "
        "(median of 9, same machine, 2026-12-02).",
    ]


def render(results: list[dict[str, Any]], seed: int,
           seed_rows: list[dict[str, Any]] | None = None,
           startup: dict[str, Any] | None = None) -> str:
    """The benchmark page in Markdown."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Engine benchmarks",
        "",
        f"Written by `benchmarks/report.py` on {now}. Generated problems "
        f"(`engine.generate`, seed {seed}); each preset measured in its own process, the main "
        "solver, the plain model and the greedy baseline on the same problem in the same run.",
        "",
        f"- Machine: {_cpu()}, {os.cpu_count()} logical cores (shared with other work while "
        "measured), " + platform.platform(),
        f"- Python {platform.python_version()}, highspy {_version('highspy')}, "
        f"ortools {_version('ortools')}",
        "- Main solver: `engine.solve.solve` (large preset with `time_limit=30`). Plain model: "
        "`engine.reference.solve_reference` — one variable per (supply, use) pair, no "
        "pooling, pruning or warm start, HiGHS single-threaded — capped by a time limit; a "
        "capped run makes the ratio a lower bound (≥).",
        "- Times are wall seconds (build = model construction incl. pruning/reductions; solve "
        "= solver run(s) and plan extraction). Peak memory is the child process's "
        "`ru_maxrss` (after the main solve / after everything).",
        "",
        "## Sizes",
        "",
        "| preset | items | blueprints | sources | demands | main vars | main rows | main ints |"
        " plain vars | plain rows | plain ints |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['preset']} | {r['items']} | {r['blueprints']} | {r['sources']} | "
            f"{r['demands']} | {_n(r['main_variables'])} | {_n(r['main_constraints'])} | "
            f"{_n(r['main_integers'])} | {_n(r['ref_variables'])} | "
            f"{_n(r['ref_constraints'])} | {_n(r['ref_integers'])} |")
    lines += [
        "",
        "## Main solver against the plain model",
        "",
        "| preset | main status | gap | build s | solve s | wall s | plain status (cap) | "
        "plain gap | plain wall s | ratio | objectives agree |",
        "|---|---|---:|---:|---:|---:|---|---:|---:|---:|---|",
    ]
    for r in results:
        ratio = f"{'≥ ' if r['ref_capped'] else ''}{r['ratio']:.1f}×"
        if r["ref_objective"] is None or r["main_objective"] is None:
            agree = "plain: no plan"
        elif r["ref_capped"]:
            diff = r["ref_objective"] - r["main_objective"]
            agree = f"plain capped, {diff:+,.2f} vs main"
        else:
            same = abs(r["ref_objective"] - r["main_objective"]) <= \
                1e-6 + 1e-9 * abs(r["main_objective"])
            agree = "yes" if same else \
                f"NO ({r['ref_objective']:,.4f} vs {r['main_objective']:,.4f})"
        lines.append(
            f"| {r['preset']} | {r['main_status']} ({r['main_solver']}) | {_gap(r['main_gap'])}"
            f" | {_s(r['main_build'])} | {_s(r['main_solve'])} | {_s(r['main_wall'])} | "
            f"{r['ref_status']} ({r['ref_limit']:.0f} s) | {_gap(r['ref_gap'])} | "
            f"{_s(r['ref_wall'])} | {ratio} | {agree} |")
    lines += render_savings(results)
    lines += [
        "",
        "## Memory, checker",
        "",
        "| preset | greedy s | peak MiB after main | peak MiB (all) | plans pass checker |",
        "|---|---:|---:|---:|---|",
    ]
    for r in results:
        passing = "main {} · plain {} · greedy {} · make-or-buy {}".format(
            *("✓" if r.get(k) else "✗" for k in ("main_check_ok", "ref_check_ok",
                                                 "greedy_check_ok", "make_or_buy_check_ok")))
        lines.append(
            f"| {r['preset']} | {_s(r['greedy_wall'])} | "
            f"{r['peak_mib_after_main']:.0f} | {r['peak_mib']:.0f} | {passing} |")
    if startup:
        lines += render_startup(startup)
    lines += render_seeds(seed_rows or [])
    lines += ["", "## Targets", ""]
    lines += _targets(results)
    if seed_rows:
        fast = sum(1 for r in seed_rows if r["status"] == "optimal" and r["wall"] < 2)
        verdict = "met" if fast == len(seed_rows) else "missed on some seeds"
        lines.append(f"- org proven optimal in < 2 s across seeds 1–{len(seed_rows)}: {verdict} "
                     f"({fast} of {len(seed_rows)}; slowest "
                     f"{max(r['wall'] for r in seed_rows):.2f} s wall).")
    lines += [
        "",
        "## Notes",
        "",
        "- Shortfalls cost `shortfall_penalty` (1,000,000) per unit; the 'short units' column "
        "shows whether a saving is a met demand. Where both meet every demand the saving is "
        "real spend: greedy takes tier by tier (own, member, cheapest market) and crafts only "
        "when no source covers the need, so it buys finished parts at market prices that "
        "crafting from refined ore beats, and pays a trip to every location it touches.",
        "- The plain model runs HiGHS with one thread and default feasibility tolerances, then "
        "an LP polish with every integer fixed (exact continuous flows). With 1e-9 "
        "tolerances HiGHS 1.16 reported a plan 1.31 dearer than a known feasible one as "
        "proven optimal on the craft preset, seed 1.",
        "- The machine is shared with other engineers' runs: figures move by tens of percent "
        "between runs; the ratios are from the same process and the same minute.",
        "- Re-run: `.venv/bin/python -m benchmarks.report` (this page) or "
        "`.venv/bin/pytest benchmarks --benchmark-enable` (pytest-benchmark, figures in "
        "`extra_info`).",
    ]
    return "\n".join(lines) + "\n"


def _targets(results: list[dict[str, Any]]) -> list[str]:
    by = {r["preset"]: r for r in results}
    out = []
    if "craft" in by:
        r = by["craft"]
        ok = r["main_status"] == "optimal" and r["main_solve"] < 0.2
        out.append(f"- craft proven optimal in < 0.2 s of solve time: "
                   f"{'met' if ok else 'missed'} ({r['main_status']}, "
                   f"{r['main_solve']:.3f} s solve).")
    if "org" in by:
        r = by["org"]
        ok = r["main_status"] == "optimal" and r["main_wall"] < 2
        out.append(f"- org proven optimal in < 2 s (seed {r['seed']}): {'met' if ok else 'missed'} "
                   f"({r['main_status']}, {r['main_wall']:.2f} s wall, "
                   f"{r['main_solve']:.2f} s solve).")
        bound = "≥ " if r["ref_capped"] else ""
        out.append(f"- org ≥ 10× faster than the plain model in the same run: "
                   f"{'met' if r['ratio'] >= 10 else 'missed'} ({bound}{r['ratio']:.1f}×).")
    if "large" in by:
        r = by["large"]
        gap = r["main_gap"]
        ok = gap is not None and gap <= 0.005 and r["main_wall"] <= 31
        out.append(f"- large within 0.5 % of optimal in 30 s: {'met' if ok else 'missed'} "
                   f"({r['main_status']}, gap {_gap(gap)}, {r['main_wall']:.1f} s wall).")
    peak = max(r["peak_mib"] for r in results)
    out.append(f"- peak memory < 1 GB: {'met' if peak < 1024 else 'missed'} "
               f"(highest {peak:.0f} MiB, including the plain model).")
    return out


def main() -> None:
    """Measure the presets and write the report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--presets", default="small,craft,org,large")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--main-only", help=argparse.SUPPRESS)
    parser.add_argument("--org-seeds", type=int, default=6,
                        help="also solve org seeds 1..N with the main solver only")
    parser.add_argument("--output", type=Path, default=DOC)
    args = parser.parse_args()
    if args.one:
        _one(args.one, args.seed)
        return
    if args.main_only:
        _main_only(args.main_only, args.seed)
        return
    results = []
    for preset in args.presets.split(","):
        print(f"measuring {preset} ...", file=sys.stderr, flush=True)
        results.append(_child(preset, args.seed))
        print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    print("CLI start-up ...", file=sys.stderr, flush=True)
    startup = measure_startup()
    seed_rows = []
    for org_seed in range(1, args.org_seeds + 1):
        print(f"org seed {org_seed} (main solver) ...", file=sys.stderr, flush=True)
        seed_rows.append(_seed_child("org", org_seed))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    # Keep the families section (benchmarks/families.py writes it; a separate, longer run).
    old = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
    kept = ""
    if FAMILIES_START in old and FAMILIES_END in old:
        kept = FAMILIES_START + old.split(FAMILIES_START, 1)[1].split(FAMILIES_END, 1)[0] \
            + FAMILIES_END + "\n"
    text = render(results, args.seed, seed_rows, startup)
    args.output.write_text(text.rstrip("\n") + "\n\n" + kept if kept else text,
                           encoding="utf-8")
    print(f"wrote {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()

"""Hot-path benchmark (issue 11): old commit vs this checkout, same machine, same run.

    .venv/bin/python -m benchmarks.hotpath --old f22476e            # 3 alternating rounds
    .venv/bin/python -m benchmarks.hotpath --old f22476e --seconds 4 --rounds 3 --json out.json

One PostgreSQL database (500 items, 20 locations, 10,000 stock rows, 20 members, one solved
plan) is served twice at once -- the ``--old`` commit from a temporary ``git worktree`` and
this checkout -- each by ``uvicorn --workers 2``. ``wrk`` (16 connections, one thread) drives
one endpoint at a time, alternating old and new within every round, so both see the same
machine load. For each phase the figures are requests/s and the server's CPU per request
(user+system time of the uvicorn processes, read from ``/proc``, divided by requests).

Before the rounds, every phase runs ``--warmup`` seconds against each server (default 10; the
figures are kept as round -1 and left out of the medians). The servers keep per-item lookups
(an item's checks, its watches, its name) until those tables change, and adjustments pick
among 500 items: a 1-second warm-up left the new server's first rounds half cold -- its
adjustments/s climbed from round to round (221, 298, 324, 345, 345 in one run) while the old
commit's stayed flat. Ten seconds meet every item in both workers; what is compared is the
steady state of a server that has been up for a while.

Endpoints: a no-op authenticated read (``GET /api/v1/users/me``: token check, one row), the
item list (50 rows), the stock list of a station (50 rows), the location tree, where-is, a
plan result, and stock adjustments (POST). The issue's targets: every hot read costs at most
2x the no-op endpoint's CPU, reads/s >= 3x the old commit, adjustments/s >= 2x.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from benchmarks.api_load import REPO, bench_settings, load_average, serve

ITEMS = 500
HANGARS = 16  # + system, planet, 2 stations = 20 locations
STOCK_ROWS = 10_000
MEMBERS = 20
CONNECTIONS = 16

# Rate limits off on both servers: wrk sends every request from one address, and the
# per-client write limit (600/minute per process) would answer most adjustments with a cheap
# 429 -- counted as requests, they made earlier runs' adjustment figures meaningless.
UNLIMITED = {"QM_RATE_LIMIT_ENABLED": "false"}

READS = ("noop", "items", "stock", "tree", "where", "plan")
PHASES = (*READS, "adjust")

WRK_SCRIPT = r"""
local fx, phase
statuses = {}
local threads = {}
local deltas = {"1", "2", "-1"}

function setup(thread)
  table.insert(threads, thread)
  thread:set("seed", #threads)
end

function init(args)
  phase = args[1]
  fx = dofile(args[2])
  math.randomseed(7 + seed)
end

local function pick(t) return t[math.random(#t)] end

function request()
  if phase == "adjust" then
    local body = string.format(
      '{"item_id":"%s","location_id":"%s","quality":0,"delta":"%s","note":"bench"}',
      pick(fx.items), pick(fx.hangars), pick(deltas))
    return wrk.format("POST", fx.org .. "/stock/adjust",
      {["Authorization"] = "Bearer " .. pick(fx.tokens),
       ["Content-Type"] = "application/json"}, body)
  end
  return wrk.format("GET", pick(fx.paths[phase]),
    {["Authorization"] = "Bearer " .. pick(fx.tokens)})
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local agg = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("statuses")) do agg[k] = (agg[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(agg) do parts[#parts + 1] = string.format('"%d":%d', k, v) end
  io.write(string.format('QM_WRK {"requests":%d,"duration_us":%d,"p50_us":%d,"statuses":{%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), table.concat(parts, ",")))
end
"""


@dataclass
class HotFixture:
    """The built database and what the load generator requests."""

    url: str
    dbname: str
    org_id: str
    plan_id: str
    tokens: list[str]
    stations: list[str]
    hangars: list[str]
    items: list[str]


def build() -> HotFixture:
    """Create and fill the database (Core inserts; ANALYZE at the end)."""
    from sqlalchemy import insert

    from api.core.db import Database, migrate
    from api.core.security import create_access_token
    from models.accounts import User
    from models.inventory import Item, ItemStock, Location
    from models.orgs import Organization, OrganizationMember
    from models.planning import Plan
    from tests.conftest import create_pg_database, pg_url

    dbname = create_pg_database("qm_hot")
    url = pg_url(dbname)
    migrate(url)
    settings = bench_settings(url)
    db = Database(url, settings)
    rng = random.Random(11)
    org_id, plan_id = uuid.uuid4(), uuid.uuid4()
    users = [uuid.uuid4() for _ in range(MEMBERS)]
    system, planet = uuid.uuid4(), uuid.uuid4()
    stations = [uuid.uuid4() for _ in range(2)]
    hangars = [uuid.uuid4() for _ in range(HANGARS)]
    items = [uuid.uuid4() for _ in range(ITEMS)]
    with db.session_scope() as s:
        s.execute(insert(User), [{"id": u, "username": f"hot_{i}",
                                  "email": f"hot_{i}@example.test"} for i, u in enumerate(users)])
        s.execute(insert(Organization), [{"id": org_id, "name": "Hot Path Logistics"}])
        s.execute(insert(OrganizationMember), [
            {"id": uuid.uuid4(), "organization_id": org_id, "user_id": u,
             "role": "owner" if i == 0 else "member"} for i, u in enumerate(users)])
        s.execute(insert(Location), [{"id": system, "name": "Stanton", "kind": "system"}])
        s.execute(insert(Location), [{"id": planet, "name": "Hurston", "kind": "planet",
                                      "parent_id": system}])
        s.execute(insert(Location), [{"id": st, "name": f"Station {i}", "kind": "station",
                                      "parent_id": planet} for i, st in enumerate(stations)])
        s.execute(insert(Location), [
            {"id": h, "name": f"Hangar {i}", "kind": "hangar", "parent_id": stations[i % 2],
             "organization_id": org_id} for i, h in enumerate(hangars)])
        s.execute(insert(Item), [{"id": it, "name": f"Hot item {i}", "unit": "scu"}
                                 for i, it in enumerate(items)])
        combos = [(it, h, q) for it in items for h in hangars for q in (0, 500)]
        rows = [{"id": uuid.uuid4(), "item_id": it, "location_id": h, "quality": q,
                 "organization_id": org_id, "quantity": Decimal(rng.randint(1, 5000)),
                 "reserved": Decimal(0)} for it, h, q in rng.sample(combos, STOCK_ROWS)]
        s.execute(insert(ItemStock), rows)
        s.execute(insert(Plan), [{"id": plan_id, "organization_id": org_id, "status": "done",
                                  "request": {"goals": []}, "plan": {"trips": [], "steps": []},
                                  "explanation": {}, "created_by": users[0]}])
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")
    tokens = [create_access_token(u, settings).token for u in users]
    db.dispose()
    return HotFixture(url, dbname, str(org_id), str(plan_id), tokens,
                      [str(x) for x in stations], [str(x) for x in hangars],
                      [str(x) for x in items])


def _lua(values: list[str]) -> str:
    return "{" + ",".join(f'"{v}"' for v in values) + "}"


def write_lua(fx: HotFixture, directory: Path) -> tuple[Path, Path]:
    """The wrk script and the fixture (tokens, paths per phase) as a Lua table."""
    org = f"/api/v1/orgs/{fx.org_id}"
    paths = {
        "noop": ["/api/v1/users/me"],
        "items": [f"{org}/items?limit=50&offset={o}" for o in (0, 50, 100, 150)],
        "stock": [f"{org}/stock?limit=50&location_id={s}" for s in fx.stations],
        "tree": [f"{org}/locations"],
        "where": [f"{org}/stock/where?item_id={i}" for i in fx.items[:100]],
        "plan": [f"{org}/plans/{fx.plan_id}"],
    }
    table = ",".join(f"{k}={_lua(v)}" for k, v in paths.items())
    fixture = directory / "fixture.lua"
    fixture.write_text(f'return {{org="{org}",tokens={_lua(fx.tokens)},'
                       f"hangars={_lua(fx.hangars)},items={_lua(fx.items)},"
                       f"paths={{{table}}}}}\n")
    script = directory / "hotpath.lua"
    script.write_text(WRK_SCRIPT)
    return script, fixture


def server_cpu_seconds(root_pid: int) -> float:
    """User+system CPU seconds of ``root_pid`` and its children (the uvicorn workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [root_pid]
    children = Path(f"/proc/{root_pid}/task/{root_pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def phase(base: str, pid: int, kind: str, seconds: int, script: Path,
          fixture: Path) -> dict[str, Any]:
    """One wrk run against one server; requests/s and server CPU ms per request."""
    cpu0 = server_cpu_seconds(pid)
    load = load_average()[0]
    out = subprocess.run(
        ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s",
         "-s", str(script), base, "--", kind, str(fixture)],
        check=True, capture_output=True, text=True, timeout=seconds + 60)
    cpu = server_cpu_seconds(pid) - cpu0
    raw = json.loads(next(x for x in out.stdout.splitlines()
                          if x.startswith("QM_WRK ")).removeprefix("QM_WRK "))
    n = max(1, raw["requests"])
    return {"phase": kind, "requests": raw["requests"],
            "per_s": round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
            "cpu_ms": round(cpu * 1000 / n, 2), "p50_ms": round(raw["p50_us"] / 1000, 2),
            "statuses": raw["statuses"], "load_1m": load}


def summarise(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Median over the rounds (not the warm-up) per (variant, phase), then the ratios the
    issue asks for (CPU against the no-op endpoint's when it was measured)."""
    measured = [r for r in results if r["round"] >= 0]
    kinds = [k for k in PHASES if any(r["phase"] == k for r in measured)]
    out: dict[str, dict[str, Any]] = {}
    for variant in ("old", "new"):
        rows = {}
        for kind in kinds:
            runs = [r for r in measured if r["variant"] == variant and r["phase"] == kind]
            rows[kind] = {"per_s": statistics.median(r["per_s"] for r in runs),
                          "cpu_ms": statistics.median(r["cpu_ms"] for r in runs)}
        if "noop" in rows:
            for kind in kinds:
                rows[kind]["x_noop_cpu"] = round(rows[kind]["cpu_ms"] / rows["noop"]["cpu_ms"], 2)
        out[variant] = rows
    out["new_over_old_per_s"] = {k: round(out["new"][k]["per_s"] / out["old"][k]["per_s"], 2)
                                 for k in kinds}
    out["new_over_old_per_round"] = {
        k: [round(n["per_s"] / o["per_s"], 2) for o, n in zip(
            [r for r in measured if r["variant"] == "old" and r["phase"] == k],
            [r for r in measured if r["variant"] == "new" and r["phase"] == k], strict=True)]
        for k in kinds}
    return out


def run(old: str, seconds: int, rounds: int, phases: tuple[str, ...],
        warmup: int = 10) -> dict[str, Any]:
    """Build, serve old and new side by side, alternate, tear down."""
    from tests.conftest import drop_pg_database

    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed (apt-get install wrk)")
    fx = build()
    tmp = Path(tempfile.mkdtemp(prefix="qm_hot_"))
    old_tree = tmp / "old"
    subprocess.run(["git", "worktree", "add", "--detach", str(old_tree), old], cwd=REPO,
                   check=True, capture_output=True)
    procs = {}
    results: list[dict[str, Any]] = []
    try:
        procs["old"] = serve(fx.url, 8781, 2, CONNECTIONS // 2 + 2, cwd=old_tree, env=UNLIMITED)
        procs["new"] = serve(fx.url, 8782, 2, CONNECTIONS // 2 + 2, cwd=REPO, env=UNLIMITED)
        script, fixture = write_lua(fx, tmp)
        bases = {"old": "http://127.0.0.1:8781", "new": "http://127.0.0.1:8782"}
        for variant in ("old", "new"):  # warm both (kept as round -1)
            for kind in phases:
                row = phase(bases[variant], procs[variant].pid, kind, warmup, script, fixture)
                results.append({"round": -1, "variant": variant, **row})
        for r in range(rounds):
            order = ("old", "new") if r % 2 == 0 else ("new", "old")
            for kind in phases:
                for variant in order:
                    row = phase(bases[variant], procs[variant].pid, kind, seconds, script,
                                fixture)
                    results.append({"round": r, "variant": variant, **row})
    finally:
        for proc in procs.values():
            proc.terminate()
            proc.wait(timeout=30)
        subprocess.run(["git", "worktree", "remove", "--force", str(old_tree)], cwd=REPO,
                       check=False, capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
        drop_pg_database(fx.dbname)
    return {"database": {"items": ITEMS, "locations": 4 + HANGARS, "stock_rows": STOCK_ROWS,
                         "members": MEMBERS},
            "server": {"uvicorn_workers": 2, "cpus": os.cpu_count()},
            "driver": {"tool": "wrk", "connections": CONNECTIONS, "seconds": seconds,
                       "rounds": rounds, "old": old},
            "runs": results,
            "summary": summarise(results)}


def main() -> None:
    """CLI: print (and optionally save) the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--old", required=True, help="commit to compare against")
    parser.add_argument("--seconds", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--phases", default=",".join(PHASES))
    parser.add_argument("--warmup", type=int, default=10,
                        help="seconds of each phase per server before the rounds")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    started = time.monotonic()
    result = run(args.old, args.seconds, args.rounds, tuple(args.phases.split(",")),
                 args.warmup)
    result["wall_seconds"] = round(time.monotonic() - started)
    text = json.dumps(result, indent=1)
    if args.json:
        Path(args.json).write_text(text)
    print(json.dumps(result["summary"], indent=1))


if __name__ == "__main__":
    main()

"""API load benchmark on PostgreSQL: a realistic database, uvicorn with worker processes,
and a separate load generator measuring throughput and p50/p95 latency.

    .venv/bin/python -m benchmarks.api_load            # build, serve, drive, print JSON
    .venv/bin/python -m benchmarks.api_load --seconds 10 --workers 2 --concurrency 32
    .venv/bin/python -m benchmarks.api_load --fixture /tmp/qm_bench.json --keep  # reuse the DB

Phases: authenticated inventory reads (a station subtree, 50 rows a page, random member
token) and "where is item X"; then stock adjustments (+1/+2/-1 on random rows, so the load
is spread like real traffic rather than all on one hot row). Every request goes through JWT
auth, the org-membership check, the repository's scoping statement and a commit.

The load generator is ``wrk`` (C, one thread, a generated Lua script picks a random member
token and target per request) so the driver costs a few percent of one core instead of
competing with the server for the two cores, as a Python client does. Without ``wrk`` on the
PATH (``apt-get install wrk``) ``--driver httpx`` is the pure-Python fallback, whose figures
are bounded by the client itself. Only loopback; every phase is bounded in time. The load
average (``/proc/loadavg``) before and after each phase is reported with its figures: the
box is shared, and a figure without it cannot be compared.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SECRET = "bench-secret-key-with-enough-length-for-hs256"
TOKEN_MINUTES = 120

# Realistic shape (issue 3): 100,000 stock rows, 200 members, a location tree.
MEMBERS = 200
PLANETS = 8
STATIONS_PER_PLANET = 5
HANGARS_PER_STATION = 5  # 200 org hangars
ITEMS = 400
ORG_ROWS = 80_000  # item x hangar x quality
MEMBER_ROWS = 20_000  # members' personal stock, most of it shared with the org


@dataclass
class Fixture:
    """What the driver needs to know about the built database."""

    url: str
    dbname: str
    org_id: str
    tokens: list[str]
    stations: list[str]
    hangars: list[str]
    items: list[str]


def bench_settings(url: str) -> Any:
    """The server's settings as the benchmark runs it (same secret, long-lived tokens)."""
    from api.core.settings import Settings

    return Settings(_env_file=None, database_url=url, secret_key=SECRET,
                    access_token_minutes=TOKEN_MINUTES)


def fresh_tokens(fx: Fixture) -> Fixture:
    """Re-mint the members' access tokens (a reused database outlives its tokens)."""
    import jwt

    from api.core.security import create_access_token

    settings = bench_settings(fx.url)
    subs = [jwt.decode(t, options={"verify_signature": False})["sub"] for t in fx.tokens]
    tokens = [create_access_token(uuid.UUID(sub), settings).token for sub in subs]
    return Fixture(**{**asdict(fx), "tokens": tokens})


def build(dbname: str | None = None) -> Fixture:
    """Create and fill a fresh PostgreSQL database; return what the driver needs."""
    from sqlalchemy import insert

    from api.core.db import Database, migrate
    from api.core.security import create_access_token
    from models.accounts import User
    from models.inventory import Item, ItemStock, Location
    from models.orgs import Organization, OrganizationMember
    from tests.conftest import create_pg_database, pg_url

    dbname = dbname or create_pg_database("qm_bench")
    url = pg_url(dbname)
    migrate(url)
    settings = bench_settings(url)
    db = Database(url, settings)
    rng = random.Random(7)
    org_id = uuid.uuid4()
    users = [uuid.uuid4() for _ in range(MEMBERS)]
    with db.session_scope() as s:
        s.execute(insert(User), [
            {"id": u, "username": f"bench_{i}", "email": f"bench_{i}@example.test"}
            for i, u in enumerate(users)
        ])
        s.execute(insert(Organization), [{"id": org_id, "name": "Bench Logistics"}])
        s.execute(insert(OrganizationMember), [
            {"id": uuid.uuid4(), "organization_id": org_id, "user_id": u,
             "role": "owner" if i == 0 else ("viewer" if i % 10 == 0 else "member")}
            for i, u in enumerate(users)
        ])
        system = uuid.uuid4()
        locs: list[dict[str, Any]] = [{"id": system, "name": "Stanton", "kind": "system"}]
        stations: list[uuid.UUID] = []
        hangars: list[uuid.UUID] = []
        for p in range(PLANETS):
            planet = uuid.uuid4()
            locs.append({"id": planet, "name": f"Planet {p}", "kind": "planet",
                         "parent_id": system})
            for st in range(STATIONS_PER_PLANET):
                station = uuid.uuid4()
                stations.append(station)
                locs.append({"id": station, "name": f"Station {p}-{st}", "kind": "station",
                             "parent_id": planet})
                for h in range(HANGARS_PER_STATION):
                    hangar = uuid.uuid4()
                    hangars.append(hangar)
                    locs.append({"id": hangar, "name": f"Hangar {p}-{st}-{h}", "kind": "hangar",
                                 "parent_id": station, "organization_id": org_id})
        # Parents first: the tree's foreign key is checked row by row.
        for level in ("system", "planet", "station", "hangar"):
            s.execute(insert(Location), [dict(x) for x in locs if x["kind"] == level])
        items = [uuid.uuid4() for _ in range(ITEMS)]
        s.execute(insert(Item), [
            {"id": it, "name": f"Bench item {i}", "unit": "scu"} for i, it in enumerate(items)
        ])
        rows: list[dict[str, Any]] = []
        combos = [(it, h) for it in items for h in hangars]  # 80,000 (item, hangar) pairs
        for it, hangar_id in combos[:ORG_ROWS]:
            q = Decimal(rng.randint(1, 5000))
            rows.append({"id": uuid.uuid4(), "item_id": it, "location_id": hangar_id,
                         "quality": rng.choice((0, 250, 500, 750, 1000)),
                         "organization_id": org_id, "quantity": q,
                         "reserved": Decimal(0)})
        seen: set[tuple[uuid.UUID, uuid.UUID, int, uuid.UUID]] = set()
        while len(seen) < MEMBER_ROWS:
            key = (rng.choice(items), rng.choice(hangars), rng.choice((0, 500, 1000)),
                   rng.choice(users))
            if key in seen:
                continue
            seen.add(key)
            rows.append({"id": uuid.uuid4(), "item_id": key[0], "location_id": key[1],
                         "quality": key[2], "owner_user_id": key[3],
                         "shared_with_org_id": org_id if rng.random() < 0.8 else None,
                         "quantity": Decimal(rng.randint(1, 500)), "reserved": Decimal(0)})
        for start in range(0, len(rows), 10_000):
            s.execute(insert(ItemStock), rows[start:start + 10_000])
    # Fresh statistics, as autovacuum would have them on a live database (ANALYZE must run
    # outside a transaction block to persist).
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")
    tokens = [create_access_token(u, settings).token for u in users]
    db.dispose()
    return Fixture(url, dbname, str(org_id), tokens, [str(x) for x in stations],
                   [str(x) for x in hangars], [str(x) for x in items])


def serve(
    url: str, port: int, workers: int, pool_size: int, *, loop: str = "uvloop",
    http: str = "httptools", cwd: Path = REPO, env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start uvicorn (``workers`` processes) on 127.0.0.1:``port``; wait until healthy.

    ``cwd`` is the checkout whose code is served (the old-vs-new benchmark serves two)."""
    import httpx

    env = {
        **os.environ,
        "QM_DATABASE_URL": url,
        "QM_SECRET_KEY": SECRET,
        "QM_LOG_LEVEL": "WARNING",
        "QM_DB_POOL_SIZE": str(pool_size),
        "QM_ACCESS_TOKEN_MINUTES": str(TOKEN_MINUTES),
        "PYTHONPATH": str(cwd),
        **(env or {}),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
         "--loop", loop, "--http", http,
         "--no-access-log", "--log-level", "warning"],
        cwd=cwd, env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise RuntimeError("uvicorn exited during start-up")
        time.sleep(0.3)
    proc.terminate()
    raise RuntimeError("uvicorn did not become healthy")


def load_average() -> list[float]:
    """1, 5 and 15 minute load averages of the machine (what else was running)."""
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


# --- wrk driver --------------------------------------------------------------------------------

# One request per call of request(): a random member token and target, like the httpx driver.
# Statuses are counted per thread and summed in done(); the result is one JSON line.
WRK_SCRIPT = r"""
local fx, mode
statuses = {}
local threads = {}
local deltas = {"1", "2", "-1"}

function setup(thread)
  table.insert(threads, thread)
  thread:set("seed", #threads)
end

function init(args)
  mode = args[1]
  fx = dofile(args[2])
  math.randomseed(tonumber(args[3]) + seed)
end

local function pick(t) return t[math.random(#t)] end

function request()
  if mode == "reads" then
    local h = {["Authorization"] = "Bearer " .. pick(fx.tokens)}
    if math.random() < 0.5 then
      return wrk.format("GET", fx.prefix .. "?limit=50&location_id=" .. pick(fx.stations), h)
    end
    return wrk.format("GET", fx.prefix .. "/where?item_id=" .. pick(fx.items), h)
  end
  local h = {["Authorization"] = "Bearer " .. pick(fx.writers),
             ["Content-Type"] = "application/json"}
  local body = string.format(
    '{"item_id":"%s","location_id":"%s","quality":0,"delta":"%s","note":"bench"}',
    pick(fx.items), pick(fx.hangars), pick(deltas))
  return wrk.format("POST", fx.prefix .. "/adjust", h, body)
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
  local e = summary.errors
  io.write(string.format(
    'QM_WRK {"requests":%d,"duration_us":%d,"p50_us":%d,"p95_us":%d,"p99_us":%d,' ..
    '"max_us":%d,"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},' ..
    '"statuses":{%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.timeout,
    table.concat(parts, ",")))
end
"""


def _lua_list(values: list[str]) -> str:
    return "{" + ",".join(f'"{v}"' for v in values) + "}"


def write_wrk_files(fx: Fixture, directory: Path) -> tuple[Path, Path]:
    """The Lua script and the fixture as a Lua table (tokens, targets) for ``wrk``."""
    # Viewers (every 10th member) may read but not write.
    writers = [t for i, t in enumerate(fx.tokens) if i % 10]
    fixture = directory / "fixture.lua"
    fixture.write_text(
        "return {"
        f'prefix="/api/v1/orgs/{fx.org_id}/stock",'
        f"tokens={_lua_list(fx.tokens)},writers={_lua_list(writers)},"
        f"stations={_lua_list(fx.stations)},hangars={_lua_list(fx.hangars)},"
        f"items={_lua_list(fx.items)}}}\n"
    )
    script = directory / "api_load.lua"
    script.write_text(WRK_SCRIPT)
    return script, fixture


def wrk_phase(
    fx: Fixture, base: str, kind: str, seconds: float, concurrency: int, *, threads: int = 1
) -> dict[str, Any]:
    """Drive one phase with ``wrk`` (``concurrency`` keep-alive connections)."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk not found (apt-get install wrk), or use --driver httpx")
    with tempfile.TemporaryDirectory(prefix="qm_wrk_") as tmp:
        script, fixture = write_wrk_files(fx, Path(tmp))
        load_before = load_average()
        out = subprocess.run(
            [wrk, f"-t{threads}", f"-c{concurrency}", f"-d{max(1, round(seconds))}s",
             "--timeout", "10s", "-s", str(script), base, "--", kind, str(fixture), "7"],
            check=True, capture_output=True, text=True, timeout=seconds + 60,
        )
    line = next(x for x in out.stdout.splitlines() if x.startswith("QM_WRK "))
    raw = json.loads(line.removeprefix("QM_WRK "))
    elapsed = raw["duration_us"] / 1e6
    return {
        "phase": kind,
        "requests": raw["requests"],
        "seconds": round(elapsed, 2),
        "throughput_per_s": round(raw["requests"] / elapsed, 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p95_ms": round(raw["p95_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "statuses": raw["statuses"],
        "socket_errors": raw["errors"],
        "load_average_before": load_before,
        "load_average_after": load_average(),
    }


# --- httpx fallback driver -----------------------------------------------------------------------


def httpx_phase(
    fx: Fixture, base: str, kind: str, seconds: float, concurrency: int
) -> dict[str, Any]:
    """Drive one phase from this process with ``concurrency`` asyncio tasks (pure Python)."""
    import asyncio

    import httpx

    async def run() -> dict[str, Any]:
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        rng = random.Random(kind)
        prefix = f"{base}/api/v1/orgs/{fx.org_id}/stock"
        writers = [t for i, t in enumerate(fx.tokens) if i % 10]
        stop = time.monotonic() + seconds
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(limits=limits, timeout=30) as client:

            async def worker() -> None:
                while time.monotonic() < stop:
                    if kind == "reads":
                        headers = {"Authorization": f"Bearer {rng.choice(fx.tokens)}"}
                        if rng.random() < 0.5:
                            req = client.get(prefix, headers=headers, params={
                                "location_id": rng.choice(fx.stations), "limit": 50})
                        else:
                            req = client.get(f"{prefix}/where", headers=headers,
                                             params={"item_id": rng.choice(fx.items)})
                    else:
                        headers = {"Authorization": f"Bearer {rng.choice(writers)}"}
                        req = client.post(f"{prefix}/adjust", headers=headers, json={
                            "item_id": rng.choice(fx.items), "location_id": rng.choice(fx.hangars),
                            "quality": 0, "delta": rng.choice(("1", "2", "-1")),
                            "note": "bench"})
                    t0 = time.perf_counter()
                    resp = await req
                    latencies.append(time.perf_counter() - t0)
                    statuses[resp.status_code] = statuses.get(resp.status_code, 0) + 1

            started = time.monotonic()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            elapsed = time.monotonic() - started
        latencies.sort()
        n = len(latencies)
        return {
            "phase": kind,
            "requests": n,
            "seconds": round(elapsed, 2),
            "throughput_per_s": round(n / elapsed, 1),
            "p50_ms": round(statistics.median(latencies) * 1000, 2) if n else None,
            "p95_ms": round(latencies[max(0, math.ceil(n * 0.95) - 1)] * 1000, 2) if n else None,
            "statuses": {str(k): v for k, v in statuses.items()},
        }

    load_before = load_average()
    result = asyncio.run(run())
    return {**result, "load_average_before": load_before, "load_average_after": load_average()}


def drive(
    fx: Fixture, base: str, seconds: float, concurrency: int, driver: str,
    phases: tuple[str, ...] = ("reads", "adjustments"),
) -> list[dict[str, Any]]:
    """Warm up, then run each phase; ``driver`` is ``wrk`` or ``httpx``."""
    if driver == "wrk":
        wrk_phase(fx, base, "reads", 2, concurrency)  # warm the pools and caches
        return [wrk_phase(fx, base, kind, seconds, concurrency) for kind in phases]
    # The Python driver runs in its own process so it does not share the server's GIL.
    out = subprocess.run(
        [sys.executable, "-c",
         "import json,sys; from benchmarks.api_load import Fixture, httpx_phase;"
         "fx=Fixture(**json.loads(sys.argv[1])); b,s,c=sys.argv[2],float(sys.argv[3]),"
         "int(sys.argv[4]); httpx_phase(fx,b,'reads',2,c);"
         "print(json.dumps([httpx_phase(fx,b,k,s,c) for k in sys.argv[5].split(',')]))",
         json.dumps(asdict(fx)), base, str(seconds), str(concurrency), ",".join(phases)],
        cwd=REPO, check=True, capture_output=True, text=True,
    )
    result: list[dict[str, Any]] = json.loads(out.stdout)
    return result


def default_driver() -> str:
    """``wrk`` when installed, else the Python fallback."""
    return "wrk" if shutil.which("wrk") else "httpx"


def pool_size_for(workers: int, concurrency: int) -> int:
    """Pooled connections per worker process: one per request it can have in flight, plus
    slack (each worker sees about ``concurrency / workers`` connections' requests at once).

    A smaller pool means fewer threads competing for the worker's GIL; on one worker at 16
    connections a pool of 4 looked faster than 12 (178 vs 145 reads/s), but the full run
    with 4 per worker was slower than with 18 (142 vs 190 reads/s) on the shared box, so the
    difference is within its noise and the pool stays sized to the load.
    """
    return math.ceil(concurrency / workers) + 2


def run(
    seconds: float = 10, workers: int = 2, concurrency: int = 32, port: int = 8765,
    keep: bool = False, fixture_path: str | None = None, driver: str | None = None,
    phases: tuple[str, ...] = ("reads", "adjustments"),
) -> dict[str, Any]:
    """Build (or reuse ``fixture_path``), serve, drive, tear down; return the figures."""
    from tests.conftest import drop_pg_database

    driver = driver or default_driver()
    t0 = time.monotonic()
    fixture_file = Path(fixture_path) if fixture_path else None
    if fixture_file is not None and fixture_file.exists():
        fx = fresh_tokens(Fixture(**json.loads(fixture_file.read_text())))
        reused = True
    else:
        fx = build()
        reused = False
        if fixture_file is not None:
            fixture_file.write_text(json.dumps(asdict(fx)))
    build_s = time.monotonic() - t0
    pool = pool_size_for(workers, concurrency)
    proc = serve(fx.url, port, workers, pool)
    try:
        results = drive(fx, f"http://127.0.0.1:{port}", seconds, concurrency, driver, phases)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if not keep:
            drop_pg_database(fx.dbname)
            if fixture_file is not None:
                fixture_file.unlink(missing_ok=True)
    return {
        "database": {"stock_rows": ORG_ROWS + MEMBER_ROWS, "members": MEMBERS,
                     "locations": 1 + PLANETS * (1 + STATIONS_PER_PLANET
                                                 * (1 + HANGARS_PER_STATION)),
                     "items": ITEMS, "build_seconds": round(build_s, 1), "reused": reused},
        "server": {"uvicorn_workers": workers, "cpus": os.cpu_count(), "loop": "uvloop",
                   "http": "httptools", "db_pool_per_worker": pool},
        "driver": {"tool": driver, "concurrency": concurrency, "seconds_per_phase": seconds},
        "phases": results,
    }


def main() -> None:
    """CLI: run the whole benchmark (build or reuse a database, serve, drive, print JSON)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--driver", choices=("wrk", "httpx"), default=None)
    parser.add_argument("--phases", default="reads,adjustments")
    parser.add_argument("--fixture", help="JSON file: reuse the database it names, or save it")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    print(json.dumps(run(args.seconds, args.workers, args.concurrency, args.port, args.keep,
                         args.fixture, args.driver, tuple(args.phases.split(","))), indent=2))


if __name__ == "__main__":
    main()

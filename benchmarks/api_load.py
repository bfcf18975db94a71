"""API load benchmark on PostgreSQL: a realistic database, uvicorn with worker processes,
and a separate driver process measuring throughput and p50/p95 latency.

    .venv/bin/python -m benchmarks.api_load            # build, serve, drive, print JSON
    .venv/bin/python -m benchmarks.api_load --seconds 10 --workers 2 --concurrency 32

Phases: authenticated inventory reads (a station subtree, 50 rows a page, random member
token) and "where is item X"; then stock adjustments (+1/-1 on random rows, so the load is
spread like real traffic rather than all on one hot row). Every request goes through JWT
auth, the org-membership check, the repository's scoping statement and a commit.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SECRET = "bench-secret-key-with-enough-length-for-hs256"

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


def build(dbname: str | None = None) -> Fixture:
    """Create and fill a fresh PostgreSQL database; return what the driver needs."""
    from sqlalchemy import insert

    from api.core.db import Database, migrate
    from api.core.security import create_access_token
    from api.core.settings import Settings
    from models.accounts import User
    from models.inventory import Item, ItemStock, Location
    from models.orgs import Organization, OrganizationMember
    from tests.conftest import create_pg_database, pg_url

    dbname = dbname or create_pg_database("qm_bench")
    url = pg_url(dbname)
    migrate(url)
    settings = Settings(_env_file=None, database_url=url, secret_key=SECRET)  # type: ignore[call-arg]
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
        for it, h in combos[:ORG_ROWS]:
            q = Decimal(rng.randint(1, 5000))
            rows.append({"id": uuid.uuid4(), "item_id": it, "location_id": h,
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


def serve(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    """Start uvicorn (``workers`` processes) on 127.0.0.1:``port``; wait until healthy."""
    import httpx

    env = {
        **os.environ,
        "QM_DATABASE_URL": url,
        "QM_SECRET_KEY": SECRET,
        "QM_LOG_LEVEL": "WARNING",
        "QM_DB_POOL_SIZE": "20",
        "QM_ACCESS_TOKEN_MINUTES": "120",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
         "--no-access-log", "--log-level", "warning"],
        cwd=REPO, env=env,
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


def _phase(fx: Fixture, base: str, kind: str, seconds: float, concurrency: int) -> dict[str, Any]:
    """Drive one phase from this (driver) process with ``concurrency`` asyncio tasks."""
    import asyncio

    import httpx

    async def run() -> dict[str, Any]:
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        rng = random.Random(kind)
        prefix = f"{base}/api/v1/orgs/{fx.org_id}/stock"
        # Viewers (every 10th member) may read but not write.
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
            "p95_ms": round(latencies[int(n * 0.95) - 1] * 1000, 2) if n else None,
            "statuses": statuses,
        }

    return asyncio.run(run())


def drive(fixture_path: str, base: str, seconds: float, concurrency: int) -> list[dict[str, Any]]:
    """Driver entry point (runs in its own process)."""
    fx = Fixture(**json.loads(Path(fixture_path).read_text()))
    _phase(fx, base, "reads", 2, concurrency)  # warm the pools and caches
    return [_phase(fx, base, kind, seconds, concurrency) for kind in ("reads", "adjustments")]


def run(seconds: float = 10, workers: int = 2, concurrency: int = 32, port: int = 8765,
        keep: bool = False) -> dict[str, Any]:
    """Build, serve, drive from a separate process, tear down; return the figures."""
    from tests.conftest import drop_pg_database

    t0 = time.monotonic()
    fx = build()
    build_s = time.monotonic() - t0
    fixture_file = Path(f"/tmp/qm_bench_{fx.dbname}.json")
    fixture_file.write_text(json.dumps(asdict(fx)))
    proc = serve(fx.url, port, workers)
    try:
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.api_load", "--drive", str(fixture_file),
             "--base", f"http://127.0.0.1:{port}", "--seconds", str(seconds),
             "--concurrency", str(concurrency)],
            cwd=REPO, check=True, capture_output=True, text=True,
        )
        phases = json.loads(out.stdout)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        fixture_file.unlink(missing_ok=True)
        if not keep:
            drop_pg_database(fx.dbname)
    return {
        "database": {"stock_rows": ORG_ROWS + MEMBER_ROWS, "members": MEMBERS,
                     "locations": 1 + PLANETS * (1 + STATIONS_PER_PLANET
                                                 * (1 + HANGARS_PER_STATION)),
                     "items": ITEMS, "build_seconds": round(build_s, 1)},
        "server": {"uvicorn_workers": workers, "cpus": os.cpu_count()},
        "driver": {"concurrency": concurrency, "seconds_per_phase": seconds},
        "phases": phases,
    }


def main() -> None:
    """CLI: run the whole benchmark, or (``--drive``) be the separate driver process."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--drive")
    parser.add_argument("--base")
    args = parser.parse_args()
    if args.drive:
        print(json.dumps(drive(args.drive, args.base, args.seconds, args.concurrency)))
        return
    print(json.dumps(run(args.seconds, args.workers, args.concurrency, args.port), indent=2))


if __name__ == "__main__":
    main()

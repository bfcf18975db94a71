"""What-if scale-out: variants per minute with 1, 2 and 4 worker processes.

    QM_BENCH_REDIS_URL=redis://127.0.0.1:6379/6 \\
        .venv/bin/python -m benchmarks.whatif_scaleout --variants 16 --json out.json

Production shape, as ``benchmarks/planning_load.py`` (whose pieces it reuses): a throwaway
PostgreSQL database (migrated, dropped at the end), Redis with a private Dramatiq namespace,
real ``python -m workers --threads 1`` processes, the API in this process behind a
``TestClient``. The ``--preset`` problem of ``engine.generate`` (default ``org``) is loaded
as an org's rows; one base plan is solved with one worker; then the same ``--variants``
change lists (``build_variants``: price steps, closed stations, demand changes, members away,
ship and policy changes) are posted as one what-if batch with 1, then 2, then 4 worker
processes running. Each variant is its own Dramatiq message (``Jobs.enqueue_variants``), so
every free worker process takes the next one.

Per batch: variants/min = finished variants × 60 / (POST → last variant's done event),
per-variant solve (the worker's ``solving`` event → its ``done`` event), the busy sum, and the
load average before and after (the machine's cores are shared; a figure without the load
cannot be compared). ``os.cpu_count()`` is recorded too.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.planning_load import (
    REDIS_URL,
    SECRET,
    Events,
    Workers,
    _headers,
    _settings,
    build_variants,
    loadavg,
    plan_once,
    postgres_and_redis,
    redis_done,
    report,
    whatif_batch,
)

WORKER_COUNTS = (1, 2, 4)


def run(*, n_variants: int = 16, preset: str = "org", seed: int = 1,
        time_limit: float = 60.0, counts: tuple[int, ...] = WORKER_COUNTS) -> dict[str, Any]:
    """Load the preset, solve the base plan, then one what-if batch per worker count."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.core.db import Database
    from benchmarks.load_problem_into_db import load_problem
    from engine.generate import generate

    out: dict[str, Any] = {"preset": preset, "seed": seed, "variants": n_variants,
                           "cpu_count": os.cpu_count(), "batches": []}
    with postgres_and_redis() as (url, _dbname, namespace), \
            tempfile.TemporaryDirectory(prefix="qm-whatifbench-") as logdir:
        env = {"QM_DATABASE_URL": url, "QM_REDIS_URL": REDIS_URL, "QM_SECRET_KEY": SECRET,
               "QM_DRAMATIQ_NAMESPACE": namespace, "QM_LOG_JSON": "false",
               "QM_LOG_LEVEL": "INFO", "QM_ENVIRONMENT": "development"}
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)  # the app's broker reads the namespace from the environment
        settings = _settings(url, REDIS_URL)
        database = Database(url, settings)
        workers = Workers(env, Path(logdir))
        events = Events(REDIS_URL)
        try:
            problem = generate(preset, seed)
            with database.session_scope() as s:
                loaded = load_problem(s, problem, time_limit=time_limit)
            workers.start()
            with TestClient(create_app(settings, database)) as client:
                headers = _headers(loaded.owner_id, settings)
                base = plan_once(client, headers, loaded.org_id, loaded.request,
                                 redis_done(events))
                out["base_plan"] = {k: base[k] for k in base
                                    if k in ("plan_id", "objective", "total", "solve")}
                base_url = f"/api/v1/orgs/{loaded.org_id}/plans/{base['plan_id']}"
                stored = client.get(f"{base_url}/problem", headers=headers).json()
                base_plan = client.get(base_url, headers=headers).json()["plan"]
                out["problem_sizes"] = {k: len(stored.get(k, [])) for k in
                                        ("items", "blueprints", "sources", "demands")}
                variants = build_variants(stored, base_plan, n_variants)
                for count in counts:
                    while len(workers.procs) < count:
                        workers.start()
                    while len(workers.procs) > count:
                        proc = workers.procs.pop()
                        proc.terminate()
                        proc.wait(60)
                    batch = whatif_batch(client, headers, loaded.org_id, base["plan_id"],
                                         variants, f"{count}w", events, workers=count)
                    batch.pop("results", None)
                    out["batches"].append(batch)
                    print(f"{count} worker(s): {batch['variants_per_minute']} variants/min "
                          f"(load {batch['load_before']} -> {batch['load_after']})", flush=True)
        finally:
            events.close()
            workers.stop()
            database.dispose()
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    first = out["batches"][0]["variants_per_minute"] if out["batches"] else None
    for batch in out["batches"]:
        if first and batch["variants_per_minute"]:
            batch["speedup"] = round(batch["variants_per_minute"] / first, 2)
    out["load_end"] = loadavg()
    out["finished_at"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    return out


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: run, print JSON, optionally write it."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", type=int, default=16)
    parser.add_argument("--preset", default="org")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--workers", default="1,2,4",
                        help="worker process counts, in the order run (extra workers are "
                             "stopped with SIGTERM between batches)")
    parser.add_argument("--json", type=Path, default=None, help="also write the JSON here")
    args = parser.parse_args(argv)
    counts = tuple(int(c) for c in args.workers.split(","))
    figures = run(n_variants=args.variants, preset=args.preset, seed=args.seed,
                  time_limit=args.time_limit, counts=counts)
    report(figures, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

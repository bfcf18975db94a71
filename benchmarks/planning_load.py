"""Planning service benchmark: plan latency (request → done) and what-if throughput.

    .venv/bin/python -m benchmarks.planning_load                  # everything, prints JSON
    .venv/bin/python -m benchmarks.planning_load --runs 5 --variants 20 --json out.json

Production shape: a throwaway PostgreSQL database (127.0.0.1:5432, migrated with
``api.core.db.migrate``, dropped at the end), Redis (127.0.0.1:6379, a private
``QM_DRAMATIQ_NAMESPACE``, keys deleted at the end) and real ``python -m workers --threads 1``
processes. The API runs in this process (``create_app`` behind a ``TestClient``: the ASGI
stack, auth, the snapshot and the commit are real; no socket). Phases, in one run:

1. **Org preset** (``engine.generate("org", seed)``: 350 items, 400 blueprints, 1,500
   sources, 40 demands) loaded into the database as an org's rows
   (``benchmarks/load_problem_into_db.py``); ``--runs`` plan requests with its demands, one
   at a time, one worker. Its objective is compared with solving directly (engine.solve) the
   stored problem, the problem as the service can represent it, and the original.
2. **Demo org** (``seed_demo``, goal 32 P4-AR + 12 FS-9 as in the e2e test): ``--runs``
   plan requests, same worker. (Seeded after phase 1: its shared refining blueprints would
   otherwise enter the org-preset snapshot.)
3. **What-if**: ``--variants`` variants of the first org-preset plan (price scaling, closed
   stations, demand changes, a member away, ship/policy changes) with 1 worker process, then
   the same change lists again with 2 worker processes.
4. **Embedded default** (SQLite file + the in-process worker, no Redis): the demo org again.

Per plan: *snapshot* = POST → 202 (auth, snapshot queries, ``parse_problem``, insert, commit,
enqueue); *queue wait* = 202 → the worker's claim (``plans.started_at``); *solve* = claim →
``finished_at`` (parse + engine build/solve + explain; the engine's own build and solve seconds
are reported too); *store* = ``finished_at`` → the ``plan.status: done`` event (writing the
plan and explanation JSON, commit, publish); *total* = POST → done event. With Redis, done is
the pub/sub event the worker publishes after its commit (the script subscribes to
``qm:org:*``); embedded, the plan row is polled every 20 ms. Clocks: one machine, wall clock.

The load average is recorded before and after every phase: the two cores are shared, and a
figure without it cannot be compared. Bounded: every wait has a deadline; everything started
is stopped and dropped in ``finally``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SECRET = "bench-secret-key-with-enough-length-for-hs256"
REDIS_URL = os.environ.get("QM_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
PLAN_DEADLINE = 120.0  # one plan, request to done
BATCH_DEADLINE = 300.0  # one what-if batch
READY_DEADLINE = 60.0  # a worker process printing "worker started"
DEMO_TARGETS = (("product.p4-ar", 32), ("product.fs-9", 12))


def loadavg() -> list[float]:
    """The 1/5/15-minute load averages (``/proc/loadavg``)."""
    with open("/proc/loadavg", encoding="ascii") as f:
        return [float(x) for x in f.read().split()[:3]]


def _ts(value: str | None) -> float | None:
    return datetime.fromisoformat(value).timestamp() if value else None


def summary(values: list[float]) -> dict[str, float]:
    """p50 / max / min / mean of a list of seconds (rounded to ms)."""
    if not values:
        return {}
    return {"p50": round(statistics.median(values), 3), "max": round(max(values), 3),
            "min": round(min(values), 3), "mean": round(statistics.fmean(values), 3)}


# -- events ------------------------------------------------------------------------------------


class Events:
    """Every org event published on Redis (``qm:org:*``), with the time it arrived here."""

    def __init__(self, redis_url: str) -> None:
        import redis

        self._pubsub = redis.Redis.from_url(redis_url).pubsub(ignore_subscribe_messages=True)
        self._pubsub.psubscribe("qm:org:*")
        self._seen: list[tuple[float, dict[str, Any]]] = []
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-events", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            message = self._pubsub.get_message(timeout=0.2)
            if message is None or message.get("type") != "pmessage":
                continue
            now = time.time()
            try:
                event = json.loads(message["data"])
            except (TypeError, ValueError):
                continue
            with self._cond:
                self._seen.append((now, event))
                self._cond.notify_all()

    def wait(self, match: Callable[[dict[str, Any]], bool], deadline: float) -> float | None:
        """Arrival time of the first event matching ``match`` (seen already or later)."""
        with self._cond:
            while True:
                for when, event in self._seen:
                    if match(event):
                        return when
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(min(left, 0.5))

    def all(self, match: Callable[[dict[str, Any]], bool]) -> list[tuple[float, dict[str, Any]]]:
        """Every event so far matching ``match``."""
        with self._cond:
            return [(w, e) for w, e in self._seen if match(e)]

    def close(self) -> None:
        """Stop listening."""
        self._stop.set()
        self._thread.join(timeout=2)
        self._pubsub.close()


# -- worker processes --------------------------------------------------------------------------


@dataclass
class Workers:
    """``python -m workers --threads 1`` processes sharing one environment."""

    env: dict[str, str]
    logdir: Path
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self) -> float:
        """Start one more worker; seconds until it logged ``worker started``."""
        log = self.logdir / f"worker-{len(self.procs) + 1}.log"
        started = time.monotonic()
        with open(log, "wb") as out:
            proc = subprocess.Popen([sys.executable, "-m", "workers", "--threads", "1"],
                                    cwd=REPO, env={**os.environ, **self.env},
                                    stdout=out, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        while time.monotonic() - started < READY_DEADLINE:
            if "worker started" in log.read_text(errors="replace"):
                return time.monotonic() - started
            if proc.poll() is not None:
                raise RuntimeError(f"worker exited {proc.returncode}: {log.read_text()[-2000:]}")
            time.sleep(0.05)
        raise RuntimeError(f"worker not ready in {READY_DEADLINE} s: {log}")

    def stop(self) -> None:
        """SIGTERM every worker (running jobs finish), SIGKILL after 30 s."""
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs.clear()


# -- one plan ----------------------------------------------------------------------------------


def _headers(owner_id: uuid.UUID, settings: Any) -> dict[str, str]:
    from api.core.security import create_access_token

    return {"Authorization": f"Bearer {create_access_token(owner_id, settings).token}"}


def plan_once(client: Any, headers: dict[str, str], org_id: uuid.UUID, body: dict[str, Any],
              wait_done: Callable[[str, float], float | None]) -> dict[str, Any]:
    """POST one plan, wait until done; the latency split and the engine's figures."""
    url = f"/api/v1/orgs/{org_id}/plans"
    t0 = time.time()
    r = client.post(url, json=body, headers=headers)
    t1 = time.time()
    if r.status_code != 202:
        raise RuntimeError(f"plan request answered {r.status_code}: {r.text[:2000]}")
    plan_id = r.json()["id"]
    t_done = wait_done(plan_id, time.monotonic() + PLAN_DEADLINE)
    got = client.get(f"{url}/{plan_id}", headers=headers).json()
    if t_done is None:
        raise RuntimeError(f"plan {plan_id} not done in {PLAN_DEADLINE} s: {got['status']}")
    plan = got.get("plan") or {}
    stats = plan.get("stats") or {}
    started, finished = _ts(got["started_at"]), _ts(got["finished_at"])
    assert started is not None and finished is not None
    return {
        "plan_id": plan_id, "status": got["status"], "error": got.get("error"),
        "attempts": got["attempts"], "objective": plan.get("objective"),
        "engine_status": plan.get("status"), "complete": plan.get("complete"),
        "snapshot": t1 - t0, "queue_wait": started - t1, "solve": finished - started,
        "engine_build": stats.get("build_seconds"), "engine_solve": stats.get("solve_seconds"),
        "store": t_done - finished, "total": t_done - t0,
    }


def latency(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """p50/max per latency component over the runs, and the runs themselves."""
    keys = ("snapshot", "queue_wait", "solve", "engine_build", "engine_solve", "store", "total")
    out: dict[str, Any] = {k: summary([r[k] for r in runs if r[k] is not None]) for k in keys}
    out["runs"] = [{k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()}
                   for r in runs]
    return out


def redis_done(events: Events) -> Callable[[str, float], float | None]:
    """Waiter: the ``plan.status`` done/failed event of a plan."""
    def wait(plan_id: str, deadline: float) -> float | None:
        return events.wait(lambda e: e.get("type") == "plan.status"
                           and e.get("plan_id") == plan_id
                           and e.get("status") in ("done", "failed"), deadline)
    return wait


def polled_done(database: Any) -> Callable[[str, float], float | None]:
    """Waiter for the embedded mode: poll the plan's status every 20 ms."""
    from sqlalchemy import select

    from models.planning import Plan

    def wait(plan_id: str, deadline: float) -> float | None:
        pid = uuid.UUID(plan_id)
        while time.monotonic() < deadline:
            with database.sessionmaker() as s:
                status = s.scalar(select(Plan.status).where(Plan.id == pid))
            if status in ("done", "failed"):
                return time.time()
            time.sleep(0.02)
        return None
    return wait


# -- what-if -----------------------------------------------------------------------------------


def build_variants(problem: dict[str, Any], plan: dict[str, Any], n: int) -> list[dict[str, Any]]:
    """``n`` change lists on what the base plan actually uses (so each one bites)."""
    sources = {s["id"]: s for s in problem["sources"]}
    spend: dict[str, float] = {}
    member_use: dict[str, float] = {}
    for take in plan.get("takes", []):
        src = sources[take["source"]]
        if src["tier"] == "market":
            spend[src["item"]] = spend.get(src["item"], 0.0) + take["quantity"] * (
                src.get("unit_price") or 0.0)
        elif src["tier"] == "member" and src.get("holder"):
            member_use[src["holder"]] = member_use.get(src["holder"], 0.0) + take["quantity"]
    items = sorted(spend, key=spend.__getitem__, reverse=True)
    stations = [t["location"] for t in sorted(plan.get("trips", []),
                                              key=lambda t: -t.get("volume_scu", 0.0))]
    stations = [s for s in stations if s != problem["policy"]["delivery_location"]]
    holders = sorted(member_use, key=member_use.__getitem__, reverse=True)
    demands = [d["id"] for d in problem["demands"]]
    pool: list[dict[str, Any]] = []
    for k, item in enumerate(items[:5]):
        factor = (1.5, 2.0, 0.8, 1.25, 3.0)[k]
        pool.append({"name": f"price x{factor} item {k + 1}",
                     "changes": [{"kind": "scale_price", "item": item, "factor": factor}]})
    for k, station in enumerate(stations[:4]):
        pool.append({"name": f"closed station {k + 1}",
                     "changes": [{"kind": "close_location", "location": station}]})
    for k, demand in enumerate(demands[:3]):
        quantity = next(d["quantity"] for d in problem["demands"] if d["id"] == demand) * 2
        pool.append({"name": f"demand {k + 1} doubled",
                     "changes": [{"kind": "set_demand", "demand": demand,
                                  "quantity": quantity}]})
    for k, demand in enumerate(demands[3:5]):
        pool.append({"name": f"demand {k + 4} dropped",
                     "changes": [{"kind": "remove_demand", "demand": demand}]})
    for k, holder in enumerate(holders[:2]):
        pool.append({"name": f"member {k + 1} away",
                     "changes": [{"kind": "remove_holder_stock", "holder": holder}]})
    pool.append({"name": "small ship", "changes": [{"kind": "set_policy",
                                                    "ship_capacity_scu": 32}]})
    pool.append({"name": "trust weighs double",
                 "changes": [{"kind": "set_policy", "reliability_weight": 2.0}]})
    if items and stations:
        pool.append({"name": "prices up, station closed", "changes": [
            {"kind": "scale_price", "item": items[0], "factor": 1.5},
            {"kind": "close_location", "location": stations[0]}]})
    k = 0
    while len(pool) < n:  # a small base plan: more price steps on what it buys
        k += 1
        pool.append({"name": f"everything bought x{1 + k / 10:.1f}", "changes": [
            {"kind": "scale_price", "item": i, "factor": 1 + k / 10} for i in items[:10]]
            or [{"kind": "set_policy", "reliability_weight": 1 + k / 10}]})
    return pool[:n]


def whatif_batch(client: Any, headers: dict[str, str], org_id: uuid.UUID, plan_id: str,
                 variants: list[dict[str, Any]], label: str, events: Events,
                 workers: int) -> dict[str, Any]:
    """POST one batch, wait for every variant; variants per minute and per-variant times."""
    url = f"/api/v1/orgs/{org_id}/plans/{plan_id}/whatif"
    body = {"variants": [{**v, "name": f"{label}: {v['name']}"} for v in variants]}
    load_before = loadavg()
    t0 = time.time()
    r = client.post(url, json=body, headers=headers)
    t1 = time.time()
    if r.status_code != 202:
        raise RuntimeError(f"what-if answered {r.status_code}: {r.text[:2000]}")
    ids = {v["id"] for v in r.json()["variants"] if v["name"].startswith(f"{label}: ")}
    deadline = time.monotonic() + BATCH_DEADLINE
    finished: dict[str, float] = {}
    for vid in ids:
        when = events.wait(lambda e, vid=vid: e.get("type") == "plan.variant"
                           and e.get("variant_id") == vid
                           and e.get("status") in ("done", "failed"), deadline)
        if when is not None:
            finished[vid] = when
    solving = {e["variant_id"]: w for w, e in events.all(
        lambda e: e.get("type") == "plan.variant" and e.get("status") == "solving"
        and e.get("variant_id") in ids)}
    report = client.get(url, headers=headers).json()
    mine = [v for v in report["variants"] if v["id"] in ids]
    elapsed = (max(finished.values()) - t0) if finished else None
    per_variant = [finished[v] - solving[v] for v in finished if v in solving]
    statuses: dict[str, int] = {}
    for v in mine:
        statuses[v["status"]] = statuses.get(v["status"], 0) + 1
    return {
        "workers": workers, "variants": len(ids), "finished": len(finished),
        "statuses": statuses, "post_seconds": round(t1 - t0, 3),
        "elapsed_seconds": round(elapsed, 3) if elapsed else None,
        "variants_per_minute": round(len(finished) * 60 / elapsed, 2) if elapsed else None,
        "per_variant_solve": summary(per_variant),
        "busy_seconds": round(sum(per_variant), 3),
        "results": [{"name": v["name"], "status": v["status"],
                     "objective_delta": v["objective_delta"], "error": v["error"]}
                    for v in sorted(mine, key=lambda v: v["name"])],
        "load_before": load_before, "load_after": loadavg(),
    }


# -- phases ------------------------------------------------------------------------------------


def _settings(url: str, redis_url: str | None) -> Any:
    from api.core.settings import Settings

    return Settings(_env_file=None, environment="development",  # type: ignore[call-arg]
                    database_url=url, redis_url=redis_url, secret_key=SECRET,
                    log_json=False, log_level="WARNING")


def _demo(client: Any, database: Any, settings: Any) -> tuple[uuid.UUID, uuid.UUID,
                                                               dict[str, Any]]:
    """seed_demo, then a goal like the e2e test's; (org, owner, plan request body)."""
    from sqlalchemy import select

    from models.accounts import User
    from models.inventory import Item, Location
    from models.orgs import Organization
    from scenarios.demo import seed_demo

    seed_demo(database, settings)
    with database.session_scope() as s:
        org = s.scalar(select(Organization.id).where(Organization.name == "Demo org"))
        owner = s.scalar(select(User.id).where(User.username == "demo"))
        hangar = s.scalar(select(Location.id).where(Location.name == "Org Hangar",
                                                    Location.organization_id == org))
        codes = {i.code: i.id for i in s.scalars(select(Item).where(Item.code.is_not(None)))}
    headers = _headers(owner, settings)
    r = client.post(f"/api/v1/orgs/{org}/goals", headers=headers, json={
        "name": "Armoury", "targets": [{"item_id": str(codes[c]), "quantity": q}
                                       for c, q in DEMO_TARGETS]})
    if r.status_code != 201:
        raise RuntimeError(f"goal answered {r.status_code}: {r.text[:1000]}")
    body = {"goal_ids": [r.json()["id"]], "delivery_location_id": str(hangar), "time_limit": 30}
    return org, owner, body


def _sizes(problem_doc: dict[str, Any]) -> dict[str, int]:
    return {k: len(problem_doc.get(k, [])) for k in
            ("items", "locations", "blueprints", "sources", "demands")}


def compare_objectives(service: float | None, stored: dict[str, Any], expected: Any,
                       original: Any) -> dict[str, Any]:
    """The service's objective against direct engine solves of the same data."""
    from engine.problem import parse_problem
    from engine.solve import solve

    out: dict[str, Any] = {"service": service}
    for name, problem in (("stored_problem", parse_problem(stored)),
                          ("as_representable", expected), ("original_generated", original)):
        started = time.perf_counter()
        plan = solve(problem)
        out[name] = {"objective": plan.objective, "status": plan.status.value,
                     "gap": plan.stats.gap, "wall": round(time.perf_counter() - started, 3)}
        if service is not None and plan.objective is not None:
            out[name]["rel_diff"] = (service - plan.objective) / max(abs(plan.objective), 1e-9)
    return out


@contextmanager
def postgres_and_redis() -> Iterator[tuple[str, str, str]]:
    """A migrated throwaway database and a private Dramatiq namespace; both removed after."""
    import redis

    from api.core.db import migrate
    from tests.conftest import create_pg_database, drop_pg_database, pg_url

    name = create_pg_database("qm_planbench")
    namespace = f"qmplanbench-{uuid.uuid4().hex[:8]}"
    try:
        migrate(pg_url(name))
        yield pg_url(name), name, namespace
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{namespace}:*"):
            client.delete(key)
        client.close()
        drop_pg_database(name)


def run_production(runs: int, n_variants: int, seed: int, time_limit: float,
                   out: dict[str, Any]) -> None:
    """Phases 1-3 on PostgreSQL + Redis with real worker processes; fills ``out``."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.core.db import Database
    from benchmarks.load_problem_into_db import load_problem
    from engine.generate import generate

    with postgres_and_redis() as (url, dbname, namespace), \
            tempfile.TemporaryDirectory(prefix="qm-planbench-") as logdir:
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
            out["database"] = dbname
            problem = generate("org", seed)
            started = time.perf_counter()
            with database.session_scope() as s:
                loaded = load_problem(s, problem, time_limit=time_limit)
            out["org_load"] = {"seconds": round(time.perf_counter() - started, 3),
                               "rows": loaded.counts, "notes": loaded.notes}
            out["worker_ready_seconds"] = [round(workers.start(), 3)]
            with TestClient(create_app(settings, database)) as client:
                # Phase 1: the org preset.
                headers = _headers(loaded.owner_id, settings)
                wait = redis_done(events)
                load_before = loadavg()
                org_runs = [plan_once(client, headers, loaded.org_id, loaded.request, wait)
                            for _ in range(runs)]
                out["org_preset"] = {**latency(org_runs), "load_before": load_before,
                                     "load_after": loadavg()}
                base_id = org_runs[0]["plan_id"]
                base_url = f"/api/v1/orgs/{loaded.org_id}/plans/{base_id}"
                stored = client.get(f"{base_url}/problem", headers=headers).json()
                base_plan = client.get(base_url, headers=headers).json()["plan"]
                out["org_preset"]["snapshot_sizes"] = _sizes(stored)
                out["org_preset"]["problem_bytes"] = len(json.dumps(stored))
                out["org_preset"]["plan_bytes"] = len(json.dumps(base_plan))
                out["org_preset"]["objectives"] = compare_objectives(
                    org_runs[0]["objective"], stored, loaded.expected, problem)

                # Phase 2: the demo org (seeded now, see the module docstring).
                demo_org, demo_owner, demo_body = _demo(client, database, settings)
                demo_headers = _headers(demo_owner, settings)
                load_before = loadavg()
                demo_runs = [plan_once(client, demo_headers, demo_org, demo_body, wait)
                             for _ in range(runs)]
                demo_problem = client.get(
                    f"/api/v1/orgs/{demo_org}/plans/{demo_runs[0]['plan_id']}/problem",
                    headers=demo_headers).json()
                out["demo_org"] = {**latency(demo_runs), "load_before": load_before,
                                   "load_after": loadavg(),
                                   "snapshot_sizes": _sizes(demo_problem)}

                # Phase 3: what-if, one worker process, then two.
                variants = build_variants(stored, base_plan, n_variants)
                headers = _headers(loaded.owner_id, settings)
                one = whatif_batch(client, headers, loaded.org_id, base_id, variants, "1w",
                                   events, workers=1)
                out["worker_ready_seconds"].append(round(workers.start(), 3))
                two = whatif_batch(client, headers, loaded.org_id, base_id, variants, "2w",
                                   events, workers=2)
                out["whatif"] = {"base_plan": base_id, "one_worker": one, "two_workers": two}
                if one["variants_per_minute"] and two["variants_per_minute"]:
                    out["whatif"]["speedup"] = round(
                        two["variants_per_minute"] / one["variants_per_minute"], 2)
        finally:
            events.close()
            workers.stop()
            database.dispose()
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def run_embedded(runs: int, out: dict[str, Any]) -> None:
    """Phase 4: SQLite file + in-process worker, the demo org."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.core.db import Database, migrate

    with tempfile.TemporaryDirectory(prefix="qm-planbench-sqlite-") as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        migrate(url)
        settings = _settings(url, None)
        database = Database(url, settings)
        try:
            with TestClient(create_app(settings, database)) as client:
                org, owner, body = _demo(client, database, settings)
                headers = _headers(owner, settings)
                wait = polled_done(database)
                load_before = loadavg()
                demo_runs = [plan_once(client, headers, org, body, wait) for _ in range(runs)]
                out["embedded_demo"] = {**latency(demo_runs), "load_before": load_before,
                                        "load_after": loadavg()}
        finally:
            database.dispose()


def run(*, runs: int = 3, variants: int = 16, seed: int = 1, time_limit: float = 30.0,
        embedded: bool = True) -> dict[str, Any]:
    """Every phase; the figures as a JSON-ready dict."""
    from engine.generate import PRESETS

    started = time.monotonic()
    sizes = PRESETS["org"]
    out: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "load_start": loadavg(),
                    "uptime": subprocess.run(["uptime"], capture_output=True,
                                             text=True).stdout.strip()},
        "params": {"runs": runs, "variants": variants, "seed": seed, "time_limit": time_limit,
                   "org_preset": {"items": sizes.items, "blueprints": sizes.blueprints,
                                  "sources": sizes.sources, "demands": sizes.demands}},
    }
    run_production(runs, variants, seed, time_limit, out)
    if embedded:
        run_embedded(runs, out)
    out["machine"]["load_end"] = loadavg()
    out["machine"]["uptime_end"] = subprocess.run(["uptime"], capture_output=True,
                                                  text=True).stdout.strip()
    out["wall_seconds"] = round(time.monotonic() - started, 1)
    return out


def report(figures: dict[str, Any], path: Path | None) -> None:
    """Print the figures as JSON and, with ``path``, write them there too."""
    text = json.dumps(figures, indent=2)
    print(text)
    if path:
        path.write_text(text + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: run, print (and optionally save) the JSON figures."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.planning_load",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="plans per org (default 3)")
    parser.add_argument("--variants", type=int, default=16,
                        help="what-if variants per batch, at most 20 (default 16)")
    parser.add_argument("--seed", type=int, default=1, help="org preset seed (default 1)")
    parser.add_argument("--time-limit", type=float, default=30.0,
                        help="plan request time_limit, seconds (default 30)")
    parser.add_argument("--no-embedded", action="store_true", help="skip the SQLite phase")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    if not 1 <= args.variants <= 20:
        parser.error("--variants must be 1..20 (the API's limit per request)")
    report(run(runs=args.runs, variants=args.variants, seed=args.seed,
               time_limit=args.time_limit, embedded=not args.no_embedded), args.json)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    raise SystemExit(main())

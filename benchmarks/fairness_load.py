"""Fairness across orgs on shared workers: org B's plan while org A has a backlog.

    .venv/bin/python -m benchmarks.fairness_load                  # prints JSON
    .venv/bin/python -m benchmarks.fairness_load --backlog 20 --json out.json

Production shape, as ``benchmarks/planning_load.py``: a throwaway PostgreSQL database, Redis
with a private Dramatiq namespace, one real ``python -m workers --threads 1`` process, the API
in this process behind a ``TestClient``. Org A is the org preset (``engine.generate("org")``,
about 1-3 s per solve), org B the demo org (about 0.15 s per solve).

1. *alone*: B requests a plan with nothing else queued (POST → ``plan.status: done`` event).
2. *behind a backlog*: A requests ``--backlog`` plans as fast as it can (answers counted:
   202 accepted, 429 refused by the per-org cap), then B requests one plan; B's latency, how
   many of A's plans the worker started before B's (in all, and while B's was waiting), and
   A's 202/429 counts are recorded.

Before fair scheduling B waited for A's whole backlog (FIFO queue); after it, B's plan is the
worker's next claim. The figure is written to ``docs/planning.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

from benchmarks.planning_load import (
    PLAN_DEADLINE,
    REDIS_URL,
    SECRET,
    Events,
    Workers,
    _demo,
    _headers,
    _settings,
    loadavg,
    postgres_and_redis,
    redis_done,
    report,
)


def _b_plan(client: Any, headers: dict[str, str], org: uuid.UUID, body: dict[str, Any],
            events: Events) -> tuple[str, float]:
    """POST B's plan and wait for its done event; (plan id, seconds POST → done)."""
    t0 = time.time()
    r = client.post(f"/api/v1/orgs/{org}/plans", json=body, headers=headers)
    if r.status_code != 202:
        raise RuntimeError(f"B's plan answered {r.status_code}: {r.text[:1000]}")
    plan_id = r.json()["id"]
    done = redis_done(events)(plan_id, time.monotonic() + PLAN_DEADLINE * 4)
    if done is None:
        raise RuntimeError(f"B's plan {plan_id} not done in time")
    return plan_id, done - t0


def run(backlog: int = 20, seed: int = 1) -> dict[str, Any]:
    """Both phases; the figures as a dict."""
    from fastapi.testclient import TestClient
    from sqlalchemy import select

    from api.app import create_app
    from api.core.db import Database
    from benchmarks.load_problem_into_db import load_problem
    from engine.generate import generate
    from models.planning import Plan

    out: dict[str, Any] = {"backlog": backlog, "seed": seed}
    with contextlib.ExitStack() as stack:
        url, _dbname, namespace = stack.enter_context(postgres_and_redis())
        logdir = stack.enter_context(tempfile.TemporaryDirectory(prefix="qm-fairbench-"))
        env = {"QM_DATABASE_URL": url, "QM_REDIS_URL": REDIS_URL, "QM_SECRET_KEY": SECRET,
               "QM_DRAMATIQ_NAMESPACE": namespace, "QM_LOG_JSON": "false",
               "QM_LOG_LEVEL": "INFO", "QM_ENVIRONMENT": "development"}
        # The app's broker reads the namespace from the environment; restored on exit.
        stack.enter_context(mock.patch.dict(os.environ, env))
        settings = _settings(url, REDIS_URL)
        database = Database(url, settings)
        workers = Workers(env, Path(logdir))
        events = Events(REDIS_URL)
        try:
            with database.session_scope() as s:
                loaded = load_problem(s, generate("org", seed), time_limit=30.0)
            workers.start()
            with TestClient(create_app(settings, database)) as client:
                b_org, b_owner, b_body = _demo(client, database, settings)
                b_headers = _headers(b_owner, settings)
                a_headers = _headers(loaded.owner_id, settings)
                _b_plan(client, b_headers, b_org, b_body, events)  # warm the worker up
                out["load_before"] = loadavg()
                out["b_alone_seconds"] = round(
                    _b_plan(client, b_headers, b_org, b_body, events)[1], 3)

                answers: dict[int, int] = {}
                for _ in range(backlog):
                    r = client.post(f"/api/v1/orgs/{loaded.org_id}/plans",
                                    json=loaded.request, headers=a_headers)
                    answers[r.status_code] = answers.get(r.status_code, 0) + 1
                out["a_answers"] = {str(k): v for k, v in sorted(answers.items())}
                b_posted = datetime.now(UTC)
                b_id, b_seconds = _b_plan(client, b_headers, b_org, b_body, events)
                out["b_behind_backlog_seconds"] = round(b_seconds, 3)
                with database.session_scope() as s:
                    b_started = s.scalar(select(Plan.started_at).where(
                        Plan.id == uuid.UUID(b_id)))
                    a_starts = [t for t in s.scalars(select(Plan.started_at).where(
                        Plan.organization_id == loaded.org_id)) if t is not None]
                assert b_started is not None
                out["a_plans_started_before_b"] = sum(1 for t in a_starts if t < b_started)
                # The figure that matters: A's plans a worker took while B's was waiting.
                out["a_plans_started_while_b_waited"] = sum(
                    1 for t in a_starts if b_posted < t < b_started)
                out["load_after"] = loadavg()
        finally:
            events.close()
            workers.stop()
            database.dispose()
    return out


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backlog", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    report(run(args.backlog, args.seed), args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

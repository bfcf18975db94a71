"""Planning service benchmark (benchmarks/planning_load.py) under pytest-benchmark.

Opt-in and slow (about a minute on an idle 2-core box; not part of ``make test``):

    .venv/bin/pytest benchmarks/test_planning_bench.py --benchmark-enable -s

One round of the whole load (PostgreSQL + Redis + real worker processes, then the embedded
SQLite mode); the figures go to the benchmark's ``extra_info`` and are printed. Nothing
asserts on wall-clock speed (the CPU is shared): only that every plan and variant finished
``done`` and that the service's objective equals solving its stored problem directly.
Skipped without PostgreSQL or Redis.
"""

from __future__ import annotations

import json

import pytest
import redis
from pytest_benchmark.fixture import BenchmarkFixture

from benchmarks.planning_load import REDIS_URL, run
from tests.conftest import pg_available

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def test_plan_latency_and_whatif_throughput(benchmark: BenchmarkFixture) -> None:
    if not pg_available() or not _redis_up():
        pytest.skip("needs PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379)")
    figures = benchmark.pedantic(run, kwargs={"runs": 3, "variants": 16}, rounds=1,
                                 iterations=1)
    print(json.dumps(figures, indent=2))
    benchmark.extra_info.update(figures)
    for phase in ("org_preset", "demo_org", "embedded_demo"):
        assert all(r["status"] == "done" for r in figures[phase]["runs"]), phase
    objectives = figures["org_preset"]["objectives"]
    assert objectives["service"] == pytest.approx(objectives["stored_problem"]["objective"],
                                                  rel=1e-9)
    # Votes age between load and snapshot, so the derived reliabilities drift by ~1e-6.
    assert objectives["service"] == pytest.approx(
        objectives["as_representable"]["objective"], rel=1e-5)
    for batch in ("one_worker", "two_workers"):
        result = figures["whatif"][batch]
        assert result["finished"] == result["variants"] == 16, result
        assert result["statuses"] == {"done": 16}, result["statuses"]

"""API load benchmark (PostgreSQL): builds 100,000 stock rows and 200 members, serves the app
with uvicorn worker processes and drives it with ``wrk`` (benchmarks/api_load.py).

Opt-in and slow: ``.venv/bin/pytest benchmarks/test_api_bench.py -q -s``. The figures are
printed and recorded in docs/inventory.md; nothing asserts on wall-clock speed (the CPU is
shared), only that the load ran and nothing answered 5xx. Skipped without PostgreSQL or
without ``wrk`` on the PATH (``apt-get install wrk``): a Python load generator on the same
two cores measures itself more than the server.
"""

from __future__ import annotations

import json
import shutil

import pytest

from benchmarks.api_load import run
from tests.conftest import pg_available

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def test_api_reads_and_adjustments() -> None:
    if not pg_available():
        pytest.skip("PostgreSQL not reachable")
    if shutil.which("wrk") is None:
        pytest.skip("wrk not installed (apt-get install wrk)")
    figures = run(seconds=8, workers=2, concurrency=32, driver="wrk")
    print(json.dumps(figures, indent=2))
    for phase in figures["phases"]:
        assert phase["requests"] > 0
        assert not any(int(code) >= 500 for code in phase["statuses"]), phase
        assert not any(phase["socket_errors"].values()), phase

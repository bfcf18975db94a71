"""API load benchmark (PostgreSQL): builds 100,000 stock rows and 200 members, serves the app
with uvicorn worker processes and drives it from a separate process (benchmarks/api_load.py).

Opt-in and slow: ``.venv/bin/pytest benchmarks/test_api_bench.py -q -s``. The figures are
printed and recorded in docs/inventory.md; nothing asserts on wall-clock speed (the CPU is
shared), only that the load ran and nothing answered 5xx.
"""

from __future__ import annotations

import json

import pytest

from benchmarks.api_load import run
from tests.conftest import pg_available

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def test_api_reads_and_adjustments() -> None:
    if not pg_available():
        pytest.skip("PostgreSQL not reachable")
    figures = run(seconds=8, workers=2, concurrency=32)
    print(json.dumps(figures, indent=2))
    for phase in figures["phases"]:
        assert phase["requests"] > 0
        assert not any(int(code) >= 500 for code in phase["statuses"]), phase

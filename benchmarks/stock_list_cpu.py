"""In-process cost of the inventory page (``GET …/stock?location_id=<station>``, 50 rows).

    .venv/bin/python -m benchmarks.stock_list_cpu --fixture /tmp/qm_bench.json

Reuses (or builds and saves) the database of :mod:`benchmarks.api_load` (100,000 stock rows),
then sends sequential requests through the whole app in this process (auth, membership,
scoping, names, serialisation) and prints the server's CPU and the wall time per request.
No sockets and one client, so the figure is about the code, not the box's contention; run
old and new code alternately (``PYTHONPATH=<old checkout>``) to compare them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import asdict
from pathlib import Path

from benchmarks.api_load import Fixture, bench_settings, build, fresh_tokens


def measure(fx: Fixture, requests: int, rounds: int) -> dict[str, float]:
    """Median over ``rounds`` of CPU and wall milliseconds per inventory page request."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.core.db import Database

    settings = bench_settings(fx.url)
    app = create_app(settings, Database(fx.url, settings))
    cpu: list[float] = []
    wall: list[float] = []
    with TestClient(app) as client:
        def hit(k: int) -> None:
            station = fx.stations[k % len(fx.stations)]
            token = fx.tokens[k % len(fx.tokens)]
            r = client.get(
                f"/api/v1/orgs/{fx.org_id}/stock",
                params={"location_id": station, "limit": 50},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert r.status_code == 200, r.text

        for k in range(50):  # warm-up: statement caches, pool, imports
            hit(k)
        for _ in range(rounds):
            c0, w0 = time.process_time(), time.perf_counter()
            for k in range(requests):
                hit(k)
            cpu.append((time.process_time() - c0) * 1000 / requests)
            wall.append((time.perf_counter() - w0) * 1000 / requests)
    return {
        "cpu_ms": round(statistics.median(cpu), 3),
        "wall_ms": round(statistics.median(wall), 3),
    }


def main() -> None:
    """Build or reuse the fixture, measure, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fixture", required=True, help="JSON file: reuse it, or save it")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    path = Path(args.fixture)
    if path.exists():
        fx = fresh_tokens(Fixture(**json.loads(path.read_text())))
    else:
        fx = build()
        path.write_text(json.dumps(asdict(fx)))
    print(json.dumps(measure(fx, args.requests, args.rounds)))


if __name__ == "__main__":
    main()

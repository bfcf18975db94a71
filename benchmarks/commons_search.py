"""Public search benchmark on PostgreSQL: 10,000 published entities, ``GET /public/search``
latency (p50/p95) through the whole app (rate-limit dependency, FTS query, serialisation).

    .venv/bin/python -m benchmarks.commons_search                 # 10,000 entities, 400 queries
    .venv/bin/python -m benchmarks.commons_search --entities 2000 --queries 100

A throwaway database is created on the test server (127.0.0.1:5432, user postgres), built by
``alembic upgrade head`` and dropped afterwards. The queries are a mix of full names, prefixes
("quan") and aliases; the load average before and after is printed with the figures because
the box is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
import uuid

from fastapi.testclient import TestClient
from sqlalchemy import insert

from api.app import create_app
from api.commons.service import normalise
from api.core.db import Database, migrate
from api.core.settings import Settings
from models.commons import CommonsEntity, CommonsVersion
from tests.conftest import create_pg_database, drop_pg_database, pg_url

WORDS = ["quantanium", "laranite", "agricium", "beryl", "bexalite", "borase", "taranite",
         "hephaestanite", "titanium", "tungsten", "corundum", "aluminium", "diamond", "gold",
         "copper", "iron", "quartz", "tin", "hadanite", "aphorite", "dolivine", "janalite"]
SUFFIX = ["ore", "raw", "refined", "crate", "pod", "rifle", "armor", "helmet", "module",
          "component", "cooler", "shield", "drive", "battery", "press", "recipe"]
KINDS = ["item", "blueprint", "location", "tag"]


def _load(db: Database, n: int) -> None:
    rng = random.Random(9)
    ents, vers = [], []
    for k in range(n):
        name = f"{rng.choice(WORDS).title()} {rng.choice(SUFFIX)} {k}"
        aliases = [name.split()[0][:4].upper()]
        tags = [rng.choice(SUFFIX)]
        eid = uuid.uuid4()
        ents.append({"id": eid, "kind": KINDS[k % 4], "name": name, "norm_name": normalise(name),
                     "aliases": aliases, "tags": tags,
                     "search_text": " ".join([name, *aliases, *tags]), "status": "published",
                     "current_version": 1})
        vers.append({"id": uuid.uuid4(), "entity_id": eid, "version": 1,
                     "data": {"name": name}, "status": "current"})
    with db.session_scope() as s:
        s.execute(insert(CommonsEntity), ents)
        s.execute(insert(CommonsVersion), vers)


def main() -> None:
    """Build, query, print the figures as JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--entities", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=400)
    args = parser.parse_args()
    name = create_pg_database("qm_bench_commons")
    url = pg_url(name)
    try:
        migrate(url)
        settings = Settings(_env_file=None, environment="test", database_url=url,  # type: ignore[call-arg]
                            redis_url=None, secret_key="x" * 40, log_level="WARNING",
                            rate_limit_public_reads_per_client="1000000/minute")
        db = Database(url, settings)
        _load(db, args.entities)
        rng = random.Random(1)
        queries = [rng.choice([rng.choice(WORDS), rng.choice(WORDS)[:4],
                               f"{rng.choice(WORDS)} {rng.choice(SUFFIX)}",
                               rng.choice(WORDS)[:4].upper()]) for _ in range(args.queries)]
        load_before = os.getloadavg()
        times: list[float] = []
        with TestClient(create_app(settings, db)) as client:
            for q in queries[:20]:  # warm-up
                client.get("/api/v1/public/search", params={"q": q})
            for q in queries:
                start = time.perf_counter()
                r = client.get("/api/v1/public/search", params={"q": q, "limit": 20})
                times.append((time.perf_counter() - start) * 1000)
                assert r.status_code == 200, r.text
        times.sort()
        print(json.dumps({
            "entities": args.entities, "queries": len(times),
            "p50_ms": round(statistics.median(times), 2),
            "p95_ms": round(times[int(len(times) * 0.95) - 1], 2),
            "max_ms": round(times[-1], 2),
            "loadavg_before": load_before, "loadavg_after": os.getloadavg()}, indent=1))
        db.dispose()
    finally:
        drop_pg_database(name)


if __name__ == "__main__":
    main()

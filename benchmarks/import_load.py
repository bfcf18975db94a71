"""Import throughput on PostgreSQL: a 100,000-row stock file through the worker job, and the
old one-``adjust_stock``-per-row apply at 10,000 rows as the baseline, in one run.

    .venv/bin/python -m benchmarks.import_load                       # 100,000 + 10,000 rows
    .venv/bin/python -m benchmarks.import_load --rows 20000 --baseline-rows 2000

A fresh database is migrated, the universe and catalogue loaded, and each org given 100
private items and 100 storage locations through the import itself. The stock file names
items and locations as a spreadsheet would (names and paths). Timings:

* ``dry_run``: the file parsed, validated and planned (``run_import``, apply=false);
* ``job``: the background import as a worker runs it: the job row written and committed
  (what ``POST …/imports`` does for a large file), then ``run_import_job`` (the Dramatiq
  actor's body): claim, validate, the set-based apply (chunks of 1,000 rows: an ``UPDATE …
  FROM (VALUES …)``, a multi-row INSERT of stock rows and one of history rows), the report
  stored and the commit; its ``validate`` and ``apply`` phases are timed from its own
  progress events;
* ``reimport``: the same file again through the job (every row unchanged);
* ``update``: the file with every quantity one higher (every row an update);
* ``baseline``: the previous apply, one ``adjust_stock`` per row (each with its history
  row), in one transaction, for ``--baseline-rows`` rows into a second org.

The box is shared: the load average is printed with the figures. The database is dropped
afterwards unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import uuid
from decimal import Decimal
from typing import Any

ITEMS = 100
LOCATIONS = 100
PARENT = "Stanton > ArcCorp > Area 18"


def _files(rows: int, shift: int = 0) -> dict[str, bytes]:
    items = "name,unit,category\n" + "".join(f"Bench Item {i},scu,misc\n" for i in range(ITEMS))
    locations = "path,kind\n" + "".join(
        f"{PARENT} > Bench Store {i},storage\n" for i in range(LOCATIONS)
    )
    stock = ["item,location,quality,quantity"]
    for n in range(rows):
        item, rest = n % ITEMS, n // ITEMS
        stock.append(f"Bench Item {item},{PARENT} > Bench Store {rest % LOCATIONS},"
                     f"{rest // LOCATIONS},{1 + shift + n % 97}")
    return {"items": items.encode(), "locations": locations.encode(),
            "stock": ("\n".join(stock) + "\n").encode()}


class _Recorder:
    """A job dispatcher that only keeps the job id (the benchmark runs the actor itself)."""

    def __init__(self) -> None:
        self.imports: list[uuid.UUID] = []

    def enqueue_plan(self, plan_id: uuid.UUID) -> None:
        """Unused."""

    def enqueue_variants(self, variant_ids: Any) -> None:
        """Unused."""

    def enqueue_import(self, job_id: uuid.UUID) -> None:
        """Keep the job id."""
        self.imports.append(job_id)

    def enqueue_email(self, email_id: uuid.UUID) -> None:
        """Unused."""


def _new_org(db: Any, files: dict[str, bytes]) -> uuid.UUID:
    from api.transfer_io import service
    from models.orgs import Organization

    with db.session_scope() as session:
        org = Organization(name=f"bench-{uuid.uuid4().hex[:8]}")
        session.add(org)
        session.flush()
        org_id = org.id
    for kind in ("items", "locations"):
        with db.session_scope() as session:
            service.run_import(session, org_id=org_id, actor_id=None, kind=kind,
                               file_format="csv", data=files[kind], apply=True)
    return org_id


def _job(db: Any, org_id: uuid.UUID, data: bytes, rows: int) -> dict[str, Any]:
    """One background import, timed: POST's part, then the worker's, phase by phase."""
    from api.live import hub
    from api.transfer_io import service, tasks

    phases: dict[str, float] = {}
    real_publish = hub.memory_hub.publish

    def timed_publish(name: str, message: str) -> None:
        # The job's own progress events (the in-process hub: no Redis here) time its phases.
        event = json.loads(message)
        if event.get("type") == "import.progress":
            phases.setdefault(f"{event['phase']}_first", time.perf_counter())
            phases[f"{event['phase']}_last"] = time.perf_counter()
        real_publish(name, message)

    recorder = _Recorder()
    start = time.perf_counter()
    with db.session_scope() as session:
        service.import_or_queue(session, org_id=org_id, actor_id=None, kind="stock",
                                file_format="csv", data=data, apply=True, background=True,
                                inline_rows=0, jobs=lambda: recorder)
    queued = time.perf_counter()
    hub.memory_hub.publish = timed_publish  # type: ignore[method-assign]
    try:
        tasks.run_import_job(db, recorder.imports[0])
    finally:
        hub.memory_hub.publish = real_publish  # type: ignore[method-assign]
    end = time.perf_counter()
    with db.session_scope() as session:
        job = service.get_import_job(session, org_id, recorder.imports[0])
    assert job.status == "done" and job.report is not None, job.error
    assert job.report.rows == rows, job.report.errors[:3]
    assert job.report.created + job.report.updated in (0, rows)
    total = end - start
    apply_seconds = phases.get("apply_last", end) - phases.get("validate_last", queued)
    return {
        "seconds": round(total, 2), "rows_per_s": round(rows / total),
        "queue_seconds": round(queued - start, 2),
        "validate_seconds": round(phases["validate_last"] - queued, 2),
        "apply_write_seconds": round(apply_seconds, 2),
        "apply_write_rows_per_s": round(rows / apply_seconds) if apply_seconds > 0 else None,
        "finish_seconds": round(end - phases.get("apply_last", phases["validate_last"]), 2),
        "created": job.report.created, "updated": job.report.updated,
        "unchanged": job.report.unchanged,
    }


def _baseline(db: Any, org_id: uuid.UUID, data: bytes, rows: int) -> dict[str, Any]:
    """The previous apply: the same plan, then one adjust_stock per changed row."""
    from api.stock import service as stock
    from api.stock.service import StockLevel, set_org_stock_levels
    from api.transfer_io import service

    levels: list[StockLevel] = []

    def collect(session: Any, *, levels: list[StockLevel], **_: Any) -> int:
        collected.extend(levels)
        return len(levels)

    collected = levels
    start = time.perf_counter()
    with db.session_scope() as session:
        stock.set_org_stock_levels = collect
        try:
            service.run_import(session, org_id=org_id, actor_id=None, kind="stock",
                               file_format="csv", data=data, apply=True)
        finally:
            stock.set_org_stock_levels = set_org_stock_levels
        for level in levels:
            stock.adjust_stock(session, org_id=org_id, actor_id=None, item_id=level.item_id,
                               location_id=level.location_id, quality=level.quality,
                               delta=Decimal(level.quantity), note="import")
    seconds = time.perf_counter() - start
    return {"rows": rows, "seconds": round(seconds, 2), "rows_per_s": round(rows / seconds),
            "created": len(levels)}


def main() -> None:
    """Run the measurement and print it as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--baseline-rows", type=int, default=10_000)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    from api.core.db import Database, migrate
    from api.items.catalogue import ensure_catalogue
    from api.locations.universe import ensure_universe
    from api.transfer_io import service
    from tests.conftest import create_pg_database, drop_pg_database, pg_url

    dbname = create_pg_database("qm_bench_import")
    url = pg_url(dbname)
    migrate(url)
    db = Database(url)
    files = _files(args.rows)
    figures: dict[str, object] = {"rows": args.rows, "database": "postgresql",
                                  "cpus": os.cpu_count(), "loadavg_before": os.getloadavg()}
    try:
        with db.session_scope() as session:
            ensure_universe(session)
            ensure_catalogue(session)
        org_id = _new_org(db, files)
        start = time.perf_counter()
        with db.session_scope() as session:
            report = service.run_import(session, org_id=org_id, actor_id=None, kind="stock",
                                        file_format="csv", data=files["stock"], apply=False)
        seconds = time.perf_counter() - start
        assert report.valid and report.rows == args.rows, report.errors[:3]
        figures["dry_run"] = {"seconds": round(seconds, 2),
                              "rows_per_s": round(args.rows / seconds)}
        figures["job"] = _job(db, org_id, files["stock"], args.rows)
        figures["reimport"] = _job(db, org_id, files["stock"], args.rows)
        figures["update"] = _job(db, org_id, _files(args.rows, shift=1)["stock"], args.rows)
        figures["loadavg_mid"] = os.getloadavg()
        small = _files(args.baseline_rows)
        figures["baseline_per_row"] = _baseline(db, _new_org(db, small), small["stock"],
                                                args.baseline_rows)
        figures["loadavg_after"] = os.getloadavg()
    finally:
        db.dispose()
        if not args.keep:
            drop_pg_database(dbname)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()

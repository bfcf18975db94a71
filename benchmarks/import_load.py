"""Import throughput on PostgreSQL: a 10,000-row stock file, dry run then apply.

    .venv/bin/python -m benchmarks.import_load             # 10,000 rows, prints JSON
    .venv/bin/python -m benchmarks.import_load --rows 2000

A fresh database is migrated, the universe and catalogue loaded, and one org given 100
private items and 100 storage locations through the import itself. The stock file names
items and locations as a spreadsheet would (names and paths). Three timings: the dry run
(parse + validate + plan), the apply (the same plus one ``adjust_stock`` per row, each with
its history row, and the commit), and a re-import of the same file (all rows unchanged).
The box is shared: the load average is printed with the figures. The database is dropped
afterwards unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import uuid

ITEMS = 100
LOCATIONS = 100
PARENT = "Stanton > ArcCorp > Area 18"


def _files(rows: int) -> dict[str, bytes]:
    items = "name,unit,category\n" + "".join(f"Bench Item {i},scu,misc\n" for i in range(ITEMS))
    locations = "path,kind\n" + "".join(
        f"{PARENT} > Bench Store {i},storage\n" for i in range(LOCATIONS)
    )
    stock = ["item,location,quality,quantity"]
    for n in range(rows):
        item, rest = n % ITEMS, n // ITEMS
        stock.append(f"Bench Item {item},{PARENT} > Bench Store {rest % LOCATIONS},"
                     f"{rest // LOCATIONS},{1 + n % 97}")
    return {"items": items.encode(), "locations": locations.encode(),
            "stock": ("\n".join(stock) + "\n").encode()}


def main() -> None:
    """Run the measurement and print it as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    from api.core.db import Database, migrate
    from api.items.catalogue import ensure_catalogue
    from api.locations.universe import ensure_universe
    from api.transfer_io import service
    from models.orgs import Organization
    from tests.conftest import create_pg_database, drop_pg_database, pg_url

    dbname = create_pg_database("qm_bench_import")
    url = pg_url(dbname)
    migrate(url)
    db = Database(url)
    files = _files(args.rows)
    figures: dict[str, object] = {"rows": args.rows, "database": "postgresql",
                                  "loadavg_before": os.getloadavg()[0]}
    try:
        with db.session_scope() as session:
            ensure_universe(session)
            ensure_catalogue(session)
            org = Organization(name=f"bench-{uuid.uuid4().hex[:8]}")
            session.add(org)
            session.flush()
            org_id = org.id
        for kind in ("items", "locations"):
            with db.session_scope() as session:
                service.run_import(session, org_id=org_id, actor_id=None, kind=kind,
                                   file_format="csv", data=files[kind], apply=True)
        for label, apply in (("dry_run", False), ("apply", True), ("reimport", True)):
            start = time.perf_counter()
            with db.session_scope() as session:
                report = service.run_import(session, org_id=org_id, actor_id=None,
                                            kind="stock", file_format="csv",
                                            data=files["stock"], apply=apply)
            seconds = time.perf_counter() - start
            assert report.valid and report.rows == args.rows, report.errors[:3]
            figures[f"{label}_seconds"] = round(seconds, 2)
            figures[f"{label}_rows_per_s"] = round(args.rows / seconds)
            figures[f"{label}_created"] = report.created
        figures["loadavg_after"] = os.getloadavg()[0]
    finally:
        db.dispose()
        if not args.keep:
            drop_pg_database(dbname)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()

"""Give the demo org N extra stock rows, straight into a scratch SQLite database.

For the UI scrolling benchmark only (benchmarks/ui/scroll.mjs): rows are inserted with SQL,
without history rows, so never point it at a database you care about.

    python benchmarks/ui/seed_stock_rows.py var/bench.db 10000
"""

from __future__ import annotations

import itertools
import sqlite3
import sys
import uuid


def main(path: str, rows: int) -> int:
    """Insert ``rows`` org stock rows over every (item, org location, quality) combination."""
    db = sqlite3.connect(path)
    org = db.execute("SELECT id FROM organizations WHERE name = 'Demo org'").fetchone()[0]
    items = [r[0] for r in db.execute("SELECT id FROM items WHERE organization_id IS NULL")]
    places = [r[0] for r in db.execute(
        "SELECT id FROM locations WHERE organization_id = ?", (org,))]
    taken = set(db.execute(
        "SELECT item_id, location_id, quality FROM item_stocks WHERE organization_id = ?",
        (org,)))
    combos = (c for c in itertools.product(items, places, range(1, 1001)) if c not in taken)
    batch = [
        (uuid.uuid4().hex, item, place, quality, org)
        for item, place, quality in itertools.islice(combos, rows)
    ]
    db.executemany(
        "INSERT INTO item_stocks (id, item_id, location_id, quality, organization_id, quantity,"
        " reserved, version, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, 1, 0, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        batch,
    )
    db.commit()
    return len(batch)


if __name__ == "__main__":
    print(main(sys.argv[1], int(sys.argv[2])))

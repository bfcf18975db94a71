"""The pool's idle ping (api.core.db): a pooled connection killed while idle is replaced."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from api.core import db as dbmod
from api.core.db import Database
from api.core.settings import Settings
from tests.conftest import (
    TEST_SECRET,
    create_pg_database,
    drop_pg_database,
    pg_available,
    pg_url,
    service_missing,
)

pytestmark = pytest.mark.postgres


def test_connection_killed_while_idle_is_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    if not pg_available():
        service_missing("PostgreSQL not reachable")
    monkeypatch.setattr(dbmod, "PING_AFTER_IDLE_SECONDS", 0.05)
    name = create_pg_database()
    url = pg_url(name)
    database = Database(url, Settings(_env_file=None, database_url=url, secret_key=TEST_SECRET))
    try:
        with database.engine.connect() as conn, database.engine.connect() as other:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
            conn.rollback()
            # Killed from the second connection; the first goes back to the pool dead.
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            other.commit()
        time.sleep(0.1)
        for _ in range(3):  # whichever pooled connection comes out, the query works
            with database.engine.connect() as conn:
                assert conn.execute(text("SELECT 1")).scalar_one() == 1
                assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid
    finally:
        database.dispose()
        drop_pg_database(name)

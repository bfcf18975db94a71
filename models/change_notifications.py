"""The database announces every committed change: ``NOTIFY qm_changed, '<table>'``.

PostgreSQL only. Each table carries a statement-level trigger (one notification per statement;
PostgreSQL folds equal ones within a transaction and delivers them only on commit), so every
writer -- API workers, Dramatiq workers, the CLI, bulk imports, psql -- is heard by the API
processes that keep answers of hot reads (``api/core/changes.py``). Migration 0020 put it on
every table then present; a migration that adds a table calls :func:`announce_changes`
(``tests/api/test_read_cache.py`` fails for a table without it).
"""

from __future__ import annotations

from alembic import op

CHANNEL = "qm_changed"
TRIGGER = "qm_announce_changes"
FUNCTION = "qm_announce_change"

CREATE_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', TG_TABLE_NAME);
    RETURN NULL;
END
$$
"""


def create_trigger(table: str) -> str:
    """The statement that puts the trigger on ``table``."""
    return (f'CREATE TRIGGER {TRIGGER} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE '
            f'ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()')


def announce_changes(table: str) -> None:
    """In a migration: make ``table``'s changes announced (nothing on SQLite)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(create_trigger(table))

"""Every committed change is announced: ``NOTIFY qm_changed, '<table>'`` (PostgreSQL only).

API processes keep the answers of hot reads until a table they read changes
(``api/core/readcache.py``). A process sees its own writes; this trigger tells it about
everyone else's -- other API workers, Dramatiq workers, the CLI, a bulk import, psql -- because
the database announces the change, not each writer (``models/change_notifications.py``).
SQLite: nothing (the embedded default does not keep answers).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 07:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.change_notifications import CREATE_FUNCTION, FUNCTION, TRIGGER, announce_changes

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _tables() -> list[str]:
    return list(op.get_bind().scalars(sa.text(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
        "AND tablename <> 'alembic_version' ORDER BY tablename")))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(CREATE_FUNCTION)
    for table in _tables():
        announce_changes(table)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in _tables():
        op.execute(f'DROP TRIGGER IF EXISTS {TRIGGER} ON "{table}"')
    op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")

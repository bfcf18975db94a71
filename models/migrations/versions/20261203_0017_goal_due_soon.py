"""Goals remember when their creator was told they are due soon; ``goal.due_soon`` becomes
a notification kind.

The kind CHECK constraints are replaced (batch mode, so SQLite recreates the tables); the
downgrade deletes those notifications and preferences first, then restores the old list.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 23:58:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD = ("'craft.done', 'plan.done', 'plan.failed', 'goal.completed', 'commons.decision', "
        "'stock.low'")
_NEW = _OLD + ", 'goal.due_soon'"


def _kinds(kinds: str) -> None:
    for table in ("notifications", "notification_preferences"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_kind_valid"), type_="check")
            batch_op.create_check_constraint(op.f(f"ck_{table}_kind_valid"),
                                             f"kind IN ({kinds})")


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("goals") as batch_op:
        batch_op.add_column(sa.Column("due_soon_notified_at", sa.DateTime(timezone=True),
                                      nullable=True))
    _kinds(_NEW)


def downgrade() -> None:
    """Revert this revision."""
    for table in ("notifications", "notification_preferences"):
        op.execute(sa.text(f"DELETE FROM {table} WHERE kind = 'goal.due_soon'"))
    _kinds(_OLD)
    with op.batch_alter_table("goals") as batch_op:
        batch_op.drop_column("due_soon_notified_at")

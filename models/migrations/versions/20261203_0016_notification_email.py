"""Notification preferences gain ``email``: a user may also get a kind by email (off by
default; sent only where the server has SMTP).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 23:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("notification_preferences") as batch_op:
        batch_op.add_column(sa.Column("email", sa.Boolean(), server_default=sa.false(),
                                      nullable=False))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("notification_preferences") as batch_op:
        batch_op.drop_column("email")

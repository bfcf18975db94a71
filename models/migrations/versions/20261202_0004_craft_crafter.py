"""Crafts get a crafter: ``crafts.crafter_id``, the org member who runs it (NULL = unassigned).

The UI shows each member their queue (``?crafter=me``) and an ETA from the blueprint's minutes.
``ON DELETE SET NULL`` like ``requested_by``: an anonymised or removed account leaves the craft
unassigned, never deleted. Batch mode so SQLite recreates the table for the foreign key.

Revision ID: 0004
Revises: 0007
Create Date: 2026-12-02 14:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("crafts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("crafter_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_crafts_crafter_id_users"), "users", ["crafter_id"], ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index("ix_crafts_org_crafter", ["organization_id", "crafter_id"])


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("crafts", schema=None) as batch_op:
        batch_op.drop_index("ix_crafts_org_crafter")
        batch_op.drop_constraint(op.f("fk_crafts_crafter_id_users"), type_="foreignkey")
        batch_op.drop_column("crafter_id")

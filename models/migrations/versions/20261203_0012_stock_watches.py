"""Stock watches: an org's "tell us when stock of this item falls below N", and the
``stock.low`` notification kind they raise.

The notification kind CHECK constraints are replaced (batch mode, so SQLite recreates the
tables) to admit ``stock.low``; the downgrade deletes those notifications and preferences
first, then restores the old list.

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-03 17:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD = ("'craft.done', 'plan.done', 'plan.failed', 'goal.completed', 'commons.decision'")
_NEW = _OLD + ", 'stock.low'"


def _kinds(kinds: str) -> None:
    for table in ("notifications", "notification_preferences"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_kind_valid"), type_="check")
            batch_op.create_check_constraint(op.f(f"ck_{table}_kind_valid"),
                                             f"kind IN ({kinds})")


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "stock_watches",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("threshold", sa.Numeric(20, 6), nullable=False),
        sa.Column("armed", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True),
                  server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True),
                  server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False),
        sa.CheckConstraint("threshold > 0", name=op.f("ck_stock_watches_threshold_positive")),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE",
                                name=op.f("fk_stock_watches_organization_id_organizations")),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], ondelete="CASCADE",
                                name=op.f("fk_stock_watches_item_id_items")),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], ondelete="SET NULL",
                                name=op.f("fk_stock_watches_created_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_watches")),
        sa.UniqueConstraint("organization_id", "item_id",
                            name=op.f("uq_stock_watches_organization_id_item_id")),
    )
    op.create_index(op.f("ix_stock_watches_organization_id"), "stock_watches",
                    ["organization_id"])
    _kinds(_NEW)


def downgrade() -> None:
    """Revert this revision."""
    op.execute("DELETE FROM notifications WHERE kind = 'stock.low'")
    op.execute("DELETE FROM notification_preferences WHERE kind = 'stock.low'")
    _kinds(_OLD)
    op.drop_index(op.f("ix_stock_watches_organization_id"), table_name="stock_watches")
    op.drop_table("stock_watches")

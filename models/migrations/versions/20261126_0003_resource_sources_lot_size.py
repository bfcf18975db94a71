"""Market listings get a lot size: ``resource_sources.lot_size`` (NULL = any amount).

Terminals sell commodities in whole crates (1, 2, 4, 8, 16, 24, 32 SCU; some refined goods in
1/8 SCU), and the planning problem's ``lot_size`` makes a plan buy whole multiples of it.
Without the column the service planned every listing as divisible and bought fractions of
boxes. Nullable with no default: existing listings stay divisible. Batch mode so SQLite
recreates the table for the CHECK constraint (foreign keys are off during migrations).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("resource_sources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lot_size", sa.Numeric(precision=20, scale=6),
                                      nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_resource_sources_lot_size_positive"), "lot_size IS NULL OR lot_size > 0")


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("resource_sources", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_resource_sources_lot_size_positive"), type_="check")
        batch_op.drop_column("lot_size")

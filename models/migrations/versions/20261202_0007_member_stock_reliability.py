"""Member stock reliability: an org default and a per-member figure for the planner.

A member's shared stock is not always there when the hauler arrives, yet plans weighed it as
certain (reliability 1). ``organizations.member_stock_reliability`` (default 0.9, existing
orgs included) is the figure the plan snapshot uses for members' stock;
``organization_members.stock_reliability`` (NULL = the org's figure) overrides it per member.
Both in (0, 1], as the planning problem's ``reliability``. Batch mode so SQLite recreates the
tables for the CHECK constraints (foreign keys are off during migrations).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("member_stock_reliability", sa.Numeric(5, 4),
                                      server_default=sa.text("0.9"), nullable=False))
        batch_op.create_check_constraint(
            op.f("ck_organizations_member_stock_reliability_range"),
            "member_stock_reliability > 0 AND member_stock_reliability <= 1")
    with op.batch_alter_table("organization_members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stock_reliability", sa.Numeric(5, 4), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_organization_members_stock_reliability_range"),
            "stock_reliability IS NULL OR (stock_reliability > 0 AND stock_reliability <= 1)")


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("organization_members", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_organization_members_stock_reliability_range"),
                                 type_="check")
        batch_op.drop_column("stock_reliability")
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_organizations_member_stock_reliability_range"),
                                 type_="check")
        batch_op.drop_column("member_stock_reliability")

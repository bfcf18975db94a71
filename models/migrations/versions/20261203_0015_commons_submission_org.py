"""Commons submissions may name the org they are sent for; ``commons.decision`` becomes an
org event (live feed, webhooks) for that org.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 23:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("commons_submissions") as batch_op:
        batch_op.add_column(sa.Column("organization_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_commons_submissions_organization_id_organizations"), "organizations",
            ["organization_id"], ["id"], ondelete="SET NULL")
        batch_op.create_index(op.f("ix_commons_submissions_organization_id"),
                              ["organization_id"])


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("commons_submissions") as batch_op:
        batch_op.drop_index(op.f("ix_commons_submissions_organization_id"))
        batch_op.drop_constraint(
            op.f("fk_commons_submissions_organization_id_organizations"), type_="foreignkey")
        batch_op.drop_column("organization_id")

"""The transactional job outbox: ``job_outbox`` rows are written with the plan or variant.

With Redis unreachable, the enqueue after commit failed and was only logged: the API
answered 202 for a plan no worker would see until a reaper noticed (73 s). Now the job row is
committed with its plan and a relay hands it to the broker (and deletes it) as soon as the
broker answers.

Revision ID: 0006
Revises: 0003
Create Date: 2026-12-02 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "job_outbox",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("ref_id", sa.Uuid(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True),
                  server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False),
        sa.CheckConstraint("kind IN ('solve_plan', 'solve_variant')",
                           name=op.f("ck_job_outbox_kind_valid")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_outbox")),
    )
    op.create_index("ix_job_outbox_created_at", "job_outbox", ["created_at"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_job_outbox_created_at", table_name="job_outbox")
    op.drop_table("job_outbox")

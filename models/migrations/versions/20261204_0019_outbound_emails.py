"""Outbound emails through the job outbox: an email decided in a transaction is kept until sent.

``outbound_emails`` holds each email until the SMTP relay has accepted it; the job outbox
learns the ``send_email`` kind (its CHECK constraint is replaced in batch mode, so SQLite
recreates the table). Before this, an email was handed to the broker after the commit and
lost if the broker was down at that moment. The downgrade drops unsent emails and their
outbox rows.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 04:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD = "'solve_plan', 'solve_variant', 'run_import'"
_NEW = _OLD + ", 'send_email'"


def _outbox_kinds(kinds: str) -> None:
    with op.batch_alter_table("job_outbox") as batch_op:
        batch_op.drop_constraint(op.f("ck_job_outbox_kind_valid"), type_="check")
        batch_op.create_check_constraint(op.f("ck_job_outbox_kind_valid"), f"kind IN ({kinds})")


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "outbound_emails",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True),
                  server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_emails")),
    )
    _outbox_kinds(_NEW)


def downgrade() -> None:
    """Revert this revision."""
    op.execute("DELETE FROM job_outbox WHERE kind = 'send_email'")
    _outbox_kinds(_OLD)
    op.drop_table("outbound_emails")

"""Import jobs: files too large to apply in their request are run by a worker.

``import_jobs`` holds the upload, progress and report of each background import; the job
outbox learns the ``run_import`` kind (its CHECK constraint is replaced in batch mode, so
SQLite recreates the table). The downgrade drops pending ``run_import`` outbox rows first.

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-03 23:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_OLD = "'solve_plan', 'solve_variant'"
_NEW = _OLD + ", 'run_import'"


def _outbox_kinds(kinds: str) -> None:
    with op.batch_alter_table("job_outbox") as batch_op:
        batch_op.drop_constraint(op.f("ck_job_outbox_kind_valid"), type_="check")
        batch_op.create_check_constraint(op.f("ck_job_outbox_kind_valid"), f"kind IN ({kinds})")


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "import_jobs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("apply", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="queued", nullable=False),
        sa.Column("phase", sa.String(length=16), nullable=True),
        sa.Column("rows_total", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rows_done", sa.Integer(), server_default="0", nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("report", _JSON, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True),
                  server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True),
                  server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False),
        sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')",
                           name=op.f("ck_import_jobs_status_valid")),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE",
                                name=op.f("fk_import_jobs_organization_id_organizations")),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], ondelete="SET NULL",
                                name=op.f("fk_import_jobs_actor_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_jobs")),
    )
    op.create_index("ix_import_jobs_organization_id_created_at", "import_jobs",
                    ["organization_id", "created_at"])
    _outbox_kinds(_NEW)


def downgrade() -> None:
    """Revert this revision."""
    op.execute("DELETE FROM job_outbox WHERE kind = 'run_import'")
    _outbox_kinds(_OLD)
    op.drop_index("ix_import_jobs_organization_id_created_at", table_name="import_jobs")
    op.drop_table("import_jobs")

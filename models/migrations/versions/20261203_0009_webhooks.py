"""Outbound webhooks: encrypted, rotatable endpoint secrets, auto-disable, per-attempt log.

``integrations`` (kind ``webhook`` = an endpoint) gets room for a Fernet-encrypted secret
(``secret`` becomes TEXT), the previous secret kept signing during a rotation, and the
failure run that switches an endpoint off. ``integration_logs`` rows become the delivery
log: one row per HTTP attempt of a ``webhook_deliveries`` row. Batch mode so SQLite
recreates the tables (type change, CHECK and foreign key).

Revision ID: 0009
Revises: 0013 (main merged 0013 onto 0008 first)
Create Date: 2026-12-03 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("integrations", schema=None) as batch_op:
        batch_op.alter_column("secret", existing_type=sa.String(length=200), type_=sa.Text(),
                              existing_nullable=True)
        batch_op.add_column(sa.Column("previous_secret", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("previous_secret_expires_at",
                                      sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("consecutive_failures", sa.Integer(),
                                      server_default=sa.text("0"), nullable=False))
        batch_op.add_column(sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("disabled_reason", sa.Text(), nullable=True))
        batch_op.create_check_constraint(op.f("ck_integrations_failures_nonneg"),
                                         "consecutive_failures >= 0")
    with op.batch_alter_table("integration_logs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("delivery_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("attempt", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("status_code", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("latency_ms", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("response_excerpt", sa.Text(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_integration_logs_delivery_id_webhook_deliveries"), "webhook_deliveries",
            ["delivery_id"], ["id"], ondelete="CASCADE")
        batch_op.create_index("ix_integration_logs_delivery", ["delivery_id", "created_at"],
                              unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("integration_logs", schema=None) as batch_op:
        batch_op.drop_index("ix_integration_logs_delivery")
        batch_op.drop_constraint(op.f("fk_integration_logs_delivery_id_webhook_deliveries"),
                                 type_="foreignkey")
        for column in ("response_excerpt", "latency_ms", "status_code", "attempt",
                       "delivery_id"):
            batch_op.drop_column(column)
    with op.batch_alter_table("integrations", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_integrations_failures_nonneg"), type_="check")
        for column in ("disabled_reason", "disabled_at", "consecutive_failures",
                       "previous_secret_expires_at", "previous_secret"):
            batch_op.drop_column(column)
        batch_op.alter_column("secret", existing_type=sa.Text(), type_=sa.String(length=200),
                              existing_nullable=True)

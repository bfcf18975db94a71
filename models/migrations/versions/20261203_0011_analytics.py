"""Consented analytics: ``analytics_consents`` (every decision) and ``usage_events``.

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-03 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "analytics_consents",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("policy_version", sa.String(length=32), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_analytics_consents_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_consents")),
    )
    op.create_index("ix_analytics_consents_user", "analytics_consents",
                    ["user_id", "recorded_at"], unique=False)
    op.create_table(
        "usage_events",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("route", sa.String(length=200), nullable=False),
        sa.Column("ip_hash", sa.String(length=64), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("kind IN ('view', 'search', 'create', 'update', 'delete')",
                           name=op.f("ck_usage_events_kind_valid")),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"],
                                name=op.f("fk_usage_events_organization_id_organizations"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_usage_events_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_events")),
    )
    op.create_index("ix_usage_events_user", "usage_events", ["user_id", "occurred_at"],
                    unique=False)
    op.create_index("ix_usage_events_org", "usage_events", ["organization_id", "occurred_at"],
                    unique=False)
    op.create_index("ix_usage_events_occurred", "usage_events", ["occurred_at"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_usage_events_occurred", table_name="usage_events")
    op.drop_index("ix_usage_events_org", table_name="usage_events")
    op.drop_index("ix_usage_events_user", table_name="usage_events")
    op.drop_table("usage_events")
    op.drop_index("ix_analytics_consents_user", table_name="analytics_consents")
    op.drop_table("analytics_consents")

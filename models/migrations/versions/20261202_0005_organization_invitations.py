"""Organisation invitations: membership only by the invitee's consent (issue 8.5).

``POST /orgs/{id}/members`` let an owner add anyone, even as owner, without asking them, and
told which usernames exist. Members now join by accepting an invitation addressed to their
username or email; the table keeps who invited whom, for which role (never owner), until
when, and the outcome (accepted, declined or revoked; at most one). Batch mode for the
indexes so the revision runs unchanged on SQLite.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 14:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "organization_invitations",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("invitee_username", sa.String(length=64), nullable=True),
        sa.Column("invitee_email", sa.String(length=254), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("invited_by", sa.Uuid(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_by", sa.Uuid(), nullable=True),
        sa.Column("declined_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "role IN ('admin', 'member', 'viewer')",
            name=op.f("ck_organization_invitations_role_valid"),
        ),
        sa.CheckConstraint(
            "(invitee_username IS NULL) <> (invitee_email IS NULL)",
            name=op.f("ck_organization_invitations_one_invitee"),
        ),
        sa.CheckConstraint(
            "(CASE WHEN accepted_at IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN declined_at IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN revoked_at IS NULL THEN 0 ELSE 1 END) <= 1",
            name=op.f("ck_organization_invitations_one_outcome"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_organization_invitations_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invited_by"],
            ["users.id"],
            name=op.f("fk_organization_invitations_invited_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["accepted_by"],
            ["users.id"],
            name=op.f("fk_organization_invitations_accepted_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organization_invitations")),
    )
    with op.batch_alter_table("organization_invitations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_organization_invitations_org", ["organization_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_organization_invitations_username", ["invitee_username"], unique=False
        )
        batch_op.create_index("ix_organization_invitations_email", ["invitee_email"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("organization_invitations", schema=None) as batch_op:
        batch_op.drop_index("ix_organization_invitations_email")
        batch_op.drop_index("ix_organization_invitations_username")
        batch_op.drop_index("ix_organization_invitations_org")
    op.drop_table("organization_invitations")

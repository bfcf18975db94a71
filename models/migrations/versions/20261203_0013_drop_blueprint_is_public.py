"""Drop ``blueprints.is_public``: publishing goes through the commons, the flag is ignored.

Revision 0008 moved every flagged blueprint into the commons (a published version) and set
the flag back to false everywhere; since then nothing reads it, and an org member can no
longer set it. Visibility is decided by ``organization_id`` and the commons version records
alone (``api.commons.repository.public_blueprint_clause``). Batch mode so SQLite recreates
the table. The downgrade brings the column back, false everywhere.

Revision ID: 0013
Revises: 0008
Create Date: 2026-12-03 06:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("blueprints", schema=None) as batch_op:
        batch_op.drop_column("is_public")


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("blueprints", schema=None) as batch_op:
        batch_op.add_column(sa.Column("is_public", sa.Boolean(), server_default=sa.false(),
                                      nullable=False))

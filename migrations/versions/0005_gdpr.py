"""Retention date per study, erased participants.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("study", sa.Column("retention_until", sa.Date(), nullable=True))
    op.add_column("participant", sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    op.drop_column("participant", "erased_at")
    op.drop_column("study", "retention_until")

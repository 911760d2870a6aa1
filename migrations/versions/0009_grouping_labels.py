"""Grouping labels in every interface language.

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('grouping', schema=None) as batch_op:
        batch_op.add_column(sa.Column('labels', sa.JSON(), server_default='{}', nullable=False))


def downgrade():
    with op.batch_alter_table('grouping', schema=None) as batch_op:
        batch_op.drop_column('labels')

"""Incident sheets (the second source) and their themes.

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('incident_sheet',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('study_id', sa.Integer(), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=True),
    sa.Column('organisation', sa.String(length=120), nullable=False),
    sa.Column('procedure', sa.String(length=200), nullable=False),
    sa.Column('channel', sa.String(length=60), nullable=False),
    sa.Column('barriers', sa.Text(), nullable=False),
    sa.Column('worker_action', sa.Enum('informed', 'with_person', 'instead', 'own_means', name='worker_action', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('minutes_spent', sa.Integer(), nullable=True),
    sa.Column('consequence', sa.Enum('none', 'delay', 'loss', 'penalty', 'gave_up', 'non_take_up', name='consequence', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('personal_data_involved', sa.Boolean(), nullable=False),
    sa.Column('narrative', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_incident_sheet_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['study_id'], ['study.id'], name=op.f('fk_incident_sheet_study_id_study'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_sheet'))
    )
    with op.batch_alter_table('incident_sheet', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_sheet_study_id'), ['study_id'], unique=False)

    op.create_table('incident_theme',
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('theme_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incident_sheet.id'], name=op.f('fk_incident_theme_incident_id_incident_sheet'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['theme_id'], ['theme.id'], name=op.f('fk_incident_theme_theme_id_theme'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('incident_id', 'theme_id', name=op.f('pk_incident_theme'))
    )


def downgrade():
    op.drop_table('incident_theme')
    with op.batch_alter_table('incident_sheet', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_sheet_study_id'))

    op.drop_table('incident_sheet')

"""Analysis results: cached lemmas per passage, theme suggestions, thematic groupings.

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('grouping',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('study_id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('terms', sa.JSON(), nullable=False),
    sa.Column('members', sa.JSON(), nullable=False),
    sa.Column('representatives', sa.JSON(), nullable=False),
    sa.Column('theme_overlap', sa.JSON(), nullable=False),
    sa.Column('best_theme_id', sa.Integer(), nullable=True),
    sa.Column('candidate_new_theme', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Enum('open', 'accepted', 'dismissed', 'merged', name='grouping_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('theme_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['best_theme_id'], ['theme.id'], name=op.f('fk_grouping_best_theme_id_theme'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_grouping_job_id_job'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['study_id'], ['study.id'], name=op.f('fk_grouping_study_id_study'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['theme_id'], ['theme.id'], name=op.f('fk_grouping_theme_id_theme'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grouping'))
    )
    with op.batch_alter_table('grouping', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grouping_job_id'), ['job_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grouping_study_id'), ['study_id'], unique=False)

    op.create_table('passage_analysis',
    sa.Column('passage_id', sa.Integer(), nullable=False),
    sa.Column('text_hash', sa.String(length=64), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('prepared', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['passage_id'], ['passage.id'], name=op.f('fk_passage_analysis_passage_id_passage'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('passage_id', name=op.f('pk_passage_analysis'))
    )
    op.create_table('suggestion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('study_id', sa.Integer(), nullable=False),
    sa.Column('passage_id', sa.Integer(), nullable=False),
    sa.Column('theme_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('regime', sa.String(length=12), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('status', sa.Enum('open', 'accepted', 'rejected', name='suggestion_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('text_hash', sa.String(length=64), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('coding_id', sa.Integer(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['coding_id'], ['coding.id'], name=op.f('fk_suggestion_coding_id_coding'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_suggestion_decided_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_suggestion_job_id_job'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['passage_id'], ['passage.id'], name=op.f('fk_suggestion_passage_id_passage'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['study_id'], ['study.id'], name=op.f('fk_suggestion_study_id_study'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['theme_id'], ['theme.id'], name=op.f('fk_suggestion_theme_id_theme'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suggestion'))
    )
    with op.batch_alter_table('suggestion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_suggestion_passage_id'), ['passage_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_suggestion_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_suggestion_study_id'), ['study_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_suggestion_theme_id'), ['theme_id'], unique=False)



def downgrade():
    with op.batch_alter_table('suggestion', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_suggestion_theme_id'))
        batch_op.drop_index(batch_op.f('ix_suggestion_study_id'))
        batch_op.drop_index(batch_op.f('ix_suggestion_status'))
        batch_op.drop_index(batch_op.f('ix_suggestion_passage_id'))

    op.drop_table('suggestion')
    op.drop_table('passage_analysis')
    with op.batch_alter_table('grouping', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grouping_study_id'))
        batch_op.drop_index(batch_op.f('ix_grouping_job_id'))

    op.drop_table('grouping')

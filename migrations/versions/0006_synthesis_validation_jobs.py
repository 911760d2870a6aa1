"""Syntheses (versioned statements), validation rounds, background jobs, withdrawn quotes.

Revision ID: 0006
Revises: 0005
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('study_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('status', sa.Enum('queued', 'running', 'done', 'failed', name='job_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('progress', sa.Float(), nullable=False),
    sa.Column('message', sa.String(length=200), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_job_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['study_id'], ['study.id'], name=op.f('fk_job_study_id_study'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job'))
    )
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_job_study_id'), ['study_id'], unique=False)

    op.create_table('synthesis',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('study_id', sa.Integer(), nullable=False),
    sa.Column('group_session_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['group_session_id'], ['group_session.id'], name=op.f('fk_synthesis_group_session_id_group_session'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['study_id'], ['study.id'], name=op.f('fk_synthesis_study_id_study'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_synthesis')),
    sa.UniqueConstraint('study_id', 'group_session_id', name=op.f('uq_synthesis_study_id_group_session_id'))
    )
    with op.batch_alter_table('synthesis', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_synthesis_group_session_id'), ['group_session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_synthesis_study_id'), ['study_id'], unique=False)

    op.create_index(
        'uq_synthesis_transversal', 'synthesis', ['study_id'], unique=True,
        sqlite_where=sa.text('group_session_id IS NULL'),
        postgresql_where=sa.text('group_session_id IS NULL'),
    )
    op.create_table('statement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('synthesis_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('summary', 'interpretation', 'convergence', 'divergence', 'tension', 'hypothesis', 'proposal', 'evaluation', name='statement_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('group_label', sa.String(length=200), nullable=False),
    sa.Column('level', sa.Enum('practice', 'organisation', 'policy', name='proposal_level', native_enum=False, create_constraint=True, length=20), nullable=True),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['synthesis_id'], ['synthesis.id'], name=op.f('fk_statement_synthesis_id_synthesis'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statement'))
    )
    with op.batch_alter_table('statement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_statement_synthesis_id'), ['synthesis_id'], unique=False)

    op.create_table('validation_round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('study_id', sa.Integer(), nullable=False),
    sa.Column('synthesis_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('attributed', sa.Boolean(), nullable=False),
    sa.Column('share_answers', sa.Boolean(), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['opened_by_id'], ['user.id'], name=op.f('fk_validation_round_opened_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['study_id'], ['study.id'], name=op.f('fk_validation_round_study_id_study'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['synthesis_id'], ['synthesis.id'], name=op.f('fk_validation_round_synthesis_id_synthesis'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_validation_round'))
    )
    with op.batch_alter_table('validation_round', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_validation_round_study_id'), ['study_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_validation_round_synthesis_id'), ['synthesis_id'], unique=False)

    op.create_table('statement_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('statement_id', sa.Integer(), nullable=False),
    sa.Column('passage_id', sa.Integer(), nullable=False),
    sa.Column('coding_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['coding_id'], ['coding.id'], name=op.f('fk_statement_link_coding_id_coding'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['passage_id'], ['passage.id'], name=op.f('fk_statement_link_passage_id_passage'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['statement_id'], ['statement.id'], name=op.f('fk_statement_link_statement_id_statement'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statement_link')),
    sa.UniqueConstraint('statement_id', 'passage_id', 'coding_id', name=op.f('uq_statement_link_statement_id_passage_id_coding_id'))
    )
    with op.batch_alter_table('statement_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_statement_link_coding_id'), ['coding_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_statement_link_passage_id'), ['passage_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_statement_link_statement_id'), ['statement_id'], unique=False)

    op.create_table('statement_theme',
    sa.Column('statement_id', sa.Integer(), nullable=False),
    sa.Column('theme_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['statement_id'], ['statement.id'], name=op.f('fk_statement_theme_statement_id_statement'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['theme_id'], ['theme.id'], name=op.f('fk_statement_theme_theme_id_theme'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('statement_id', 'theme_id', name=op.f('pk_statement_theme'))
    )
    op.create_table('statement_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('statement_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('positions', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_statement_version_author_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['statement_id'], ['statement.id'], name=op.f('fk_statement_version_statement_id_statement'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statement_version')),
    sa.UniqueConstraint('statement_id', 'number', name=op.f('uq_statement_version_statement_id_number'))
    )
    with op.batch_alter_table('statement_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_statement_version_statement_id'), ['statement_id'], unique=False)

    op.create_table('validation_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_validation_link_participant_id_participant'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['validation_round.id'], name=op.f('fk_validation_link_round_id_validation_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_validation_link')),
    sa.UniqueConstraint('round_id', 'participant_id', name=op.f('uq_validation_link_round_id_participant_id')),
    sa.UniqueConstraint('nonce', name=op.f('uq_validation_link_nonce'))
    )
    with op.batch_alter_table('validation_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_validation_link_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_validation_link_round_id'), ['round_id'], unique=False)

    op.create_table('quote_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('link_id', sa.Integer(), nullable=False),
    sa.Column('passage_id', sa.Integer(), nullable=False),
    sa.Column('choice', sa.Enum('keep', 'rephrase', 'withdraw', name='quote_choice', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('rephrasing', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['link_id'], ['validation_link.id'], name=op.f('fk_quote_decision_link_id_validation_link'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['passage_id'], ['passage.id'], name=op.f('fk_quote_decision_passage_id_passage'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quote_decision')),
    sa.UniqueConstraint('link_id', 'passage_id', name=op.f('uq_quote_decision_link_id_passage_id'))
    )
    with op.batch_alter_table('quote_decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quote_decision_link_id'), ['link_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quote_decision_passage_id'), ['passage_id'], unique=False)

    op.create_table('round_statement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('statement_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['validation_round.id'], name=op.f('fk_round_statement_round_id_validation_round'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['statement_id'], ['statement.id'], name=op.f('fk_round_statement_statement_id_statement'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['statement_version.id'], name=op.f('fk_round_statement_version_id_statement_version'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_round_statement')),
    sa.UniqueConstraint('round_id', 'statement_id', name=op.f('uq_round_statement_round_id_statement_id'))
    )
    with op.batch_alter_table('round_statement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_statement_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_round_statement_statement_id'), ['statement_id'], unique=False)

    op.create_table('statement_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('link_id', sa.Integer(), nullable=False),
    sa.Column('statement_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('verdict', sa.Enum('agree', 'nuance', 'disagree', name='verdict', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['link_id'], ['validation_link.id'], name=op.f('fk_statement_answer_link_id_validation_link'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['statement_id'], ['statement.id'], name=op.f('fk_statement_answer_statement_id_statement'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['statement_version.id'], name=op.f('fk_statement_answer_version_id_statement_version'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statement_answer')),
    sa.UniqueConstraint('link_id', 'statement_id', name=op.f('uq_statement_answer_link_id_statement_id'))
    )
    with op.batch_alter_table('statement_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_statement_answer_link_id'), ['link_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_statement_answer_statement_id'), ['statement_id'], unique=False)

    # Plain ALTER TABLE, never batch mode: rebuilding passage on SQLite would drop the
    # full-text triggers (see 0002).
    op.add_column('passage', sa.Column('quote_withdrawn_at', sa.DateTime(timezone=True), nullable=True))



def downgrade():
    op.drop_column('passage', 'quote_withdrawn_at')

    with op.batch_alter_table('statement_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_statement_answer_statement_id'))
        batch_op.drop_index(batch_op.f('ix_statement_answer_link_id'))

    op.drop_table('statement_answer')
    with op.batch_alter_table('round_statement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_round_statement_statement_id'))
        batch_op.drop_index(batch_op.f('ix_round_statement_round_id'))

    op.drop_table('round_statement')
    with op.batch_alter_table('quote_decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quote_decision_passage_id'))
        batch_op.drop_index(batch_op.f('ix_quote_decision_link_id'))

    op.drop_table('quote_decision')
    with op.batch_alter_table('validation_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_validation_link_round_id'))
        batch_op.drop_index(batch_op.f('ix_validation_link_participant_id'))

    op.drop_table('validation_link')
    with op.batch_alter_table('statement_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_statement_version_statement_id'))

    op.drop_table('statement_version')
    op.drop_table('statement_theme')
    with op.batch_alter_table('statement_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_statement_link_statement_id'))
        batch_op.drop_index(batch_op.f('ix_statement_link_passage_id'))
        batch_op.drop_index(batch_op.f('ix_statement_link_coding_id'))

    op.drop_table('statement_link')
    with op.batch_alter_table('validation_round', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_validation_round_synthesis_id'))
        batch_op.drop_index(batch_op.f('ix_validation_round_study_id'))

    op.drop_table('validation_round')
    with op.batch_alter_table('statement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_statement_synthesis_id'))

    op.drop_table('statement')
    with op.batch_alter_table('synthesis', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_synthesis_study_id'))
        batch_op.drop_index(batch_op.f('ix_synthesis_group_session_id'))

    op.drop_index('uq_synthesis_transversal', table_name='synthesis')
    op.drop_table('synthesis')
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_study_id'))
        batch_op.drop_index(batch_op.f('ix_job_status'))

    op.drop_table('job')

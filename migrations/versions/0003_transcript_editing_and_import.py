"""Passage timestamps, revisions, idempotent live capture, seating order, import drafts.

Revision ID: 0003
Revises: 0002

`passage` gets plain ADD COLUMNs and an index: on SQLite a batch rebuild of
`passage` would drop the full-text-search triggers of migration 0002.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("passage", sa.Column("start_time", sa.Float(), nullable=True))
    op.add_column("passage", sa.Column("end_time", sa.Float(), nullable=True))
    op.add_column("passage", sa.Column("client_key", sa.String(length=64), nullable=True))
    op.create_index(
        "ix_passage_client_key", "passage", ["group_session_id", "client_key"], unique=True
    )
    op.add_column(
        "group_session", sa.Column("seating", sa.JSON(), server_default="[]", nullable=False)
    )
    op.add_column(
        "narrative",
        sa.Column("decided_by", sa.String(length=20), server_default="", nullable=False),
    )
    op.create_table(
        "passage_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("passage_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("speaker", sa.String(length=120), nullable=False),
        sa.Column("rejected", sa.Boolean(), nullable=False),
        sa.Column("edited_by_id", sa.Integer(), nullable=True),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["edited_by_id"], ["user.id"],
            name=op.f("fk_passage_revision_edited_by_id_user"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["passage_id"], ["passage.id"],
            name=op.f("fk_passage_revision_passage_id_passage"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_passage_revision")),
    )
    op.create_index(
        op.f("ix_passage_revision_passage_id"), "passage_revision", ["passage_id"], unique=False
    )
    op.create_table(
        "import_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("batch", sa.String(length=32), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("default_phase", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["study_id"], ["study.id"], name=op.f("fk_import_draft_study_id_study"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_import_draft_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_draft")),
    )
    op.create_index(op.f("ix_import_draft_batch"), "import_draft", ["batch"], unique=False)
    op.create_index(op.f("ix_import_draft_study_id"), "import_draft", ["study_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_import_draft_study_id"), table_name="import_draft")
    op.drop_index(op.f("ix_import_draft_batch"), table_name="import_draft")
    op.drop_table("import_draft")
    op.drop_index(op.f("ix_passage_revision_passage_id"), table_name="passage_revision")
    op.drop_table("passage_revision")
    op.drop_index("ix_passage_client_key", table_name="passage")
    # DROP COLUMN needs SQLite >= 3.35 (Python 3.11 ships newer); no table rebuild.
    op.drop_column("narrative", "decided_by")
    op.drop_column("group_session", "seating")
    op.drop_column("passage", "client_key")
    op.drop_column("passage", "end_time")
    op.drop_column("passage", "start_time")

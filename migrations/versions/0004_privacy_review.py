"""Personal-data findings and the study's private list of known real names.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "pii_finding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("group_session_id", sa.Integer(), nullable=True),
        sa.Column("object_type", sa.String(length=20), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("start_offset", sa.Integer(), nullable=False),
        sa.Column("end_offset", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("resolution", sa.String(length=120), nullable=False),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_session_id"], ["group_session.id"],
            name=op.f("fk_pii_finding_group_session_id_group_session"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"], ["user.id"],
            name=op.f("fk_pii_finding_resolved_by_id_user"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["study_id"], ["study.id"], name=op.f("fk_pii_finding_study_id_study"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pii_finding")),
    )
    op.create_index(op.f("ix_pii_finding_group_session_id"), "pii_finding", ["group_session_id"])
    op.create_index(op.f("ix_pii_finding_status"), "pii_finding", ["status"])
    op.create_index(op.f("ix_pii_finding_study_id"), "pii_finding", ["study_id"])
    op.create_table(
        "known_name",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["study_id"], ["study.id"], name=op.f("fk_known_name_study_id_study"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_known_name")),
    )
    op.create_index(op.f("ix_known_name_study_id"), "known_name", ["study_id"])


def downgrade():
    op.drop_index(op.f("ix_known_name_study_id"), table_name="known_name")
    op.drop_table("known_name")
    op.drop_index(op.f("ix_pii_finding_study_id"), table_name="pii_finding")
    op.drop_index(op.f("ix_pii_finding_status"), table_name="pii_finding")
    op.drop_index(op.f("ix_pii_finding_group_session_id"), table_name="pii_finding")
    op.drop_table("pii_finding")

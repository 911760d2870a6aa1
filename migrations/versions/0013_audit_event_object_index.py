"""The audit log gets an index by object and time: "was this view logged lately?" reads one
object's rows instead of every event of the last minutes.

Every view of a transcript asks, before writing its event, whether the same person opened
the same object within the last ten minutes (accounts/audit.py). With only the index on
`at`, PostgreSQL read every event of those minutes and filtered them: during a workshop
the participants' answers alone add thousands.

Revision ID: 0013
Revises: 0012
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    # IF NOT EXISTS: a run stopped before alembic stamped it finds the index made.
    op.create_index(
        "ix_audit_event_object",
        "audit_event",
        ["object_type", "object_id", "at"],
        unique=False,
        if_not_exists=True,
    )


def downgrade():
    op.drop_index("ix_audit_event_object", table_name="audit_event")

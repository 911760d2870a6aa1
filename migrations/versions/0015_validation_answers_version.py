"""A validation link counts the saves of its participant's answers.

`validation_link.answers_version`: the participant's page carries it, and answers sent
from a page drawn before another save (a second device, an older tab) that would change
what was saved since are refused (409) and shown next to the saved ones, instead of
silently overwriting the newer answers. Existing links start at 1; a page opened before
the upgrade sends no count and is checked against the saved answers too.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("validation_link")}
    if "answers_version" not in columns:  # a run stopped before stamping already added it
        # A plain ADD COLUMN: SQLite adds it in place (no rebuild), AUTOINCREMENT stays.
        op.add_column(
            "validation_link",
            sa.Column("answers_version", sa.Integer(), nullable=False, server_default="1"),
        )


def downgrade():
    op.drop_column("validation_link", "answers_version")

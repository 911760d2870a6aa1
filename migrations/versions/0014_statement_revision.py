"""Statements get a revision counter; passage revisions say whether they came from a merge.

`statement.revision`: every save that changes anything raises it.

Edit forms carried the number of the statement's newest text version, which a save
changing only the heading, the kind, the level or the themes left as it was: a second
facilitator's save drawn from the older state then overwrote those changes silently.
Existing statements start at their newest version number, so a form opened before the
upgrade still matches.

`passage_revision.merged_in`: merging two passages now keeps the second one's history on
the merged passage (it was deleted with it); those revisions are marked, since their
version numbers count the other passage's saves.

`version` on incident_sheet, narrative, theme, participant, group_session and grouping, `coding.memo_version`: their edit forms
carry it, and a save drawn from an older version is refused (409) instead of overwriting
another person's.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

VERSIONED = ("incident_sheet", "narrative", "theme", "participant", "group_session", "grouping")


def _add(table: str, column: sa.Column) -> None:
    """Add a column unless a run stopped before stamping already added it."""
    if column.name not in {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}:
        # A plain ADD COLUMN: SQLite adds it in place (no rebuild), AUTOINCREMENT stays.
        op.add_column(table, column)


def upgrade():
    _add("statement", sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))
    _add(
        "passage_revision",
        sa.Column("merged_in", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    for table in VERSIONED:
        _add(table, sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    _add("coding", sa.Column("memo_version", sa.Integer(), nullable=False, server_default="1"))
    # Only statements still at 1 (the default): a second run leaves counted saves alone.
    op.execute(
        "UPDATE statement SET revision = (SELECT max(number) FROM statement_version"
        " WHERE statement_version.statement_id = statement.id)"
        " WHERE revision = 1 AND EXISTS (SELECT 1 FROM statement_version"
        " WHERE statement_version.statement_id = statement.id)"
    )


def downgrade():
    op.drop_column("coding", "memo_version")
    for table in VERSIONED:
        op.drop_column(table, "version")
    op.drop_column("passage_revision", "merged_in")
    op.drop_column("statement", "revision")

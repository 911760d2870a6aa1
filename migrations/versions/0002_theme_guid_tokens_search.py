"""Theme GUIDs for REFI-QDA, personal API tokens, full-text search over passages.

Revision ID: 0002
Revises: 0001
"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("theme", schema=None) as batch_op:
        batch_op.add_column(sa.Column("guid", sa.String(length=36), nullable=True))
    theme = sa.table("theme", sa.column("id", sa.Integer), sa.column("guid", sa.String))
    connection = op.get_bind()
    for (theme_id,) in connection.execute(sa.select(theme.c.id)).all():
        connection.execute(
            theme.update().where(theme.c.id == theme_id).values(guid=str(uuid.uuid4()))
        )
    with op.batch_alter_table("theme", schema=None) as batch_op:
        batch_op.alter_column("guid", existing_type=sa.String(length=36), nullable=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_theme_study_id_guid"), ["study_id", "guid"]
        )

    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_api_token_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_token_user_id"), ["user_id"], unique=False)

    if connection.dialect.name == "sqlite":
        # An external-content FTS5 index kept in step with passage by triggers.
        # remove_diacritics 0: "privé" and "prive" stay different words, as in PostgreSQL.
        op.execute(
            "CREATE VIRTUAL TABLE passage_fts USING fts5(text, content='passage', "
            "content_rowid='id', tokenize='unicode61 remove_diacritics 0')"
        )
        op.execute("INSERT INTO passage_fts(rowid, text) SELECT id, text FROM passage")
        op.execute(
            "CREATE TRIGGER passage_fts_insert AFTER INSERT ON passage BEGIN "
            "INSERT INTO passage_fts(rowid, text) VALUES (new.id, new.text); END"
        )
        op.execute(
            "CREATE TRIGGER passage_fts_delete AFTER DELETE ON passage BEGIN "
            "INSERT INTO passage_fts(passage_fts, rowid, text) "
            "VALUES ('delete', old.id, old.text); END"
        )
        op.execute(
            "CREATE TRIGGER passage_fts_update AFTER UPDATE OF text ON passage BEGIN "
            "INSERT INTO passage_fts(passage_fts, rowid, text) "
            "VALUES ('delete', old.id, old.text); "
            "INSERT INTO passage_fts(rowid, text) VALUES (new.id, new.text); END"
        )
    else:
        # The same expression as app.retrieval.PG_DOCUMENT, or the index is not used.
        op.execute(
            "CREATE INDEX ix_passage_fts ON passage USING gin "
            "(to_tsvector('simple', translate(text, '@./:-_', '      ')))"
        )


def downgrade():
    connection = op.get_bind()
    if connection.dialect.name == "sqlite":
        for trigger in ("passage_fts_insert", "passage_fts_delete", "passage_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS passage_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_passage_fts")
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_token_user_id"))
    op.drop_table("api_token")
    with op.batch_alter_table("theme", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_theme_study_id_guid"), type_="unique")
        batch_op.drop_column("guid")

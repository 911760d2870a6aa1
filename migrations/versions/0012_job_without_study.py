"""A job may have no study yet: the restore of a study archive runs as a job and makes one.

`job.study_id` becomes nullable. On SQLite the table is rebuilt the way 0011 does it (the
SQLite documentation's procedure): the new table is the old one's own SQL text with only
`study_id INTEGER NOT NULL` changed, so AUTOINCREMENT, every CHECK, DEFAULT and REFERENCES
clause stay as they are; rows are copied with their ids, the indexes recreated and
sqlite_sequence kept at the highest id ever used. env.py runs SQLite upgrades with foreign
keys off (with them on, DROP TABLE would first delete the rows). PostgreSQL: a plain ALTER.

Revision ID: 0012
Revises: 0011
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

OLD_COLUMN = "\tstudy_id INTEGER NOT NULL, \n"
NEW_COLUMN = "\tstudy_id INTEGER, \n"


def _rebuild_job(bind, old: str, new: str) -> None:
    """Rebuild the job table with `old` column text replaced by `new`, keeping rows and ids."""
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'job'"
    ).scalar_one()
    if new in sql:  # already rebuilt (a run stopped before stamping)
        return
    if sql.count(old) != 1 or not sql.startswith('CREATE TABLE "job" ('):
        raise RuntimeError(f"0012: unexpected definition of table job: {sql}")
    indexes = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'job' AND type IN ('index', 'trigger')"
        " AND sql IS NOT NULL ORDER BY type, name"
    ).scalars().all()
    highest = bind.exec_driver_sql(
        "SELECT max(seq) FROM (SELECT seq FROM sqlite_sequence WHERE name = 'job'"
        " UNION ALL SELECT max(id) FROM job)"
    ).scalar()
    created = sql.replace(old, new).replace('CREATE TABLE "job" (', 'CREATE TABLE "_new_job" (', 1)
    bind.exec_driver_sql(created)
    bind.exec_driver_sql('INSERT INTO "_new_job" SELECT * FROM "job"')
    bind.exec_driver_sql('DROP TABLE "job"')  # its indexes go with it
    bind.exec_driver_sql('ALTER TABLE "_new_job" RENAME TO "job"')
    for statement in indexes:
        bind.exec_driver_sql(statement)
    bind.exec_driver_sql("DELETE FROM sqlite_sequence WHERE name = 'job'")
    if highest:
        bind.exec_driver_sql(
            "INSERT INTO sqlite_sequence (name, seq) VALUES ('job', ?)", (int(highest),)
        )


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _rebuild_job(bind, OLD_COLUMN, NEW_COLUMN)
    else:
        op.alter_column("job", "study_id", nullable=True)


def downgrade():
    bind = op.get_bind()
    # A job without a study (a restore that failed or is running) cannot stay.
    op.execute("DELETE FROM job WHERE study_id IS NULL")
    if bind.dialect.name == "sqlite":
        _rebuild_job(bind, NEW_COLUMN, OLD_COLUMN)
    else:
        op.alter_column("job", "study_id", nullable=False)

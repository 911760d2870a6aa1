"""SQLite ids are never reused: every table whose rows are named by an id gets AUTOINCREMENT.

A plain SQLite rowid table gives the highest id of a deleted row to the next insert, so the
audit log, bookmarked URLs, API scripts and archives could name someone else's new row.
SQLite cannot add AUTOINCREMENT to a table, so each one is rebuilt the way the SQLite
documentation prescribes (https://www.sqlite.org/lang_altertable.html#otheralter):
foreign keys off, create the new table from the old one's own SQL with the id column
changed, copy every row with its id, drop the old table, rename the new one, recreate
the old one's indexes and triggers (for `passage`, the three full-text triggers of 0002),
then check the foreign keys. Every CHECK, UNIQUE, DEFAULT and REFERENCES clause is the old
table's text, unchanged. sqlite_sequence starts at the highest id the table or anything
pointing at it has ever used (the audit log, personal-data findings, ids kept in JSON),
so an id deleted before this upgrade is not handed out again either.

PostgreSQL needs nothing: its identity sequences never hand out an id twice.

Revision ID: 0011
Revises: 0010
"""

import re

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# Every table of revision 0010 with a single integer primary key `id`, as it was then.
TABLES = (
    "user",
    "api_token",
    "audit_event",
    "login_session",
    "study",
    "group_session",
    "import_draft",
    "incident_sheet",
    "job",
    "known_name",
    "membership",
    "participant",
    "theme",
    "consent",
    "grouping",
    "narrative",
    "passage",
    "pii_finding",
    "synthesis",
    "coding",
    "passage_revision",
    "statement",
    "validation_round",
    "statement_link",
    "statement_version",
    "suggestion",
    "validation_link",
    "quote_decision",
    "round_statement",
    "statement_answer",
)

# Ids that outlive their rows, as revision 0010 stores them (see exchange/archive/format.py):
# table → queries giving the highest id of that table named elsewhere.
_AUDIT_OBJECT = "SELECT max(object_id) FROM audit_event WHERE object_type = '{table}'"
_AUDIT_DETAIL = (
    "SELECT max(json_extract(details, '$.{key}')) FROM audit_event"
    " WHERE json_valid(details) AND json_type(details, '$.{key}') = 'integer'{action}"
)
_FINDING = "SELECT max(object_id) FROM pii_finding WHERE object_type = '{kind}'"
_JSON_LIST = (
    "SELECT max(item.value) FROM {table}, json_each({table}.{column}) AS item"
    " WHERE json_valid({table}.{column}) AND json_type({table}.{column}) = 'array'"
    " AND item.type = 'integer'"
)
REFERENCES = {
    "user": [_AUDIT_DETAIL.format(key="user", action="")],
    "participant": [
        _AUDIT_DETAIL.format(key="participant", action=""),
        _JSON_LIST.format(table="group_session", column="seating"),
    ],
    "passage": [
        _AUDIT_DETAIL.format(key="passage", action=""),
        _AUDIT_DETAIL.format(key="new", action=" AND action = 'passage.split'"),
        _AUDIT_DETAIL.format(key="merged", action=" AND action = 'passage.merge'"),
        _FINDING.format(kind="passage"),
        _JSON_LIST.format(table="grouping", column="members"),
        _JSON_LIST.format(table="grouping", column="representatives"),
        "SELECT max(json_extract(item.value, '$.passage_id')) FROM suggestion,"
        " json_each(suggestion.evidence) AS item WHERE json_valid(suggestion.evidence)"
        " AND json_type(suggestion.evidence) = 'array' AND item.type = 'object'"
        " AND json_type(item.value, '$.passage_id') = 'integer'",
    ],
    "coding": [_AUDIT_DETAIL.format(key="coding", action=""), _FINDING.format(kind="coding")],
    "group_session": [_AUDIT_DETAIL.format(key="session", action="")],
    "statement": [
        _AUDIT_DETAIL.format(key="statement", action=""),
        _FINDING.format(kind="statement"),
    ],
    "statement_answer": [_FINDING.format(kind="statement_answer")],
    "quote_decision": [_FINDING.format(kind="quote_decision")],
    "incident_sheet": [_FINDING.format(kind="incident")],
    "validation_round": [_AUDIT_DETAIL.format(key="round", action="")],
    "validation_link": [_AUDIT_DETAIL.format(key="link", action="")],
    "theme": [
        "SELECT max(CAST(item.key AS INTEGER)) FROM grouping,"
        " json_each(grouping.theme_overlap) AS item WHERE json_valid(grouping.theme_overlap)"
        " AND json_type(grouping.theme_overlap) = 'object'",
    ],
}


def _with_autoincrement(table: str, sql: str) -> str:
    """Return the CREATE TABLE statement of `_new_<table>`: the old one with an AUTOINCREMENT id."""
    new, found = re.subn(
        rf'^CREATE TABLE ("?){re.escape(table)}\1 \(',
        f'CREATE TABLE "_new_{table}" (',
        sql,
        count=1,
    )
    # The table-level key becomes a column constraint: AUTOINCREMENT is only allowed there.
    new, dropped = re.subn(rf',\s*CONSTRAINT pk_{table} PRIMARY KEY \(id\)', "", new)
    new, keyed = re.subn(
        r"\(\s*id INTEGER NOT NULL,",
        f"(\n\tid INTEGER NOT NULL CONSTRAINT pk_{table} PRIMARY KEY AUTOINCREMENT,",
        new,
        count=1,
    )
    if (found, dropped, keyed) != (1, 1, 1):
        raise RuntimeError(f"0011: unexpected definition of table {table}: {sql}")
    return new


def _highest_id(bind, table: str) -> int:
    """Return the highest id the table or anything naming its rows has used."""
    queries = [f'SELECT max(id) FROM "{table}"', _AUDIT_OBJECT.format(table=table)]
    queries += REFERENCES.get(table, [])
    values = [bind.exec_driver_sql(query).scalar() for query in queries]
    return max((int(value) for value in values if value is not None), default=0)


def _rebuild(bind, table: str) -> None:
    """Rebuild one table with an AUTOINCREMENT id, keeping its rows, indexes and triggers."""
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).scalar_one()
    if "AUTOINCREMENT" in sql:  # already rebuilt (a run stopped before stamping 0011)
        return
    extras = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger')"
        " AND sql IS NOT NULL ORDER BY type, name",
        (table,),
    ).scalars().all()
    highest = _highest_id(bind, table)
    bind.exec_driver_sql(_with_autoincrement(table, sql))
    bind.exec_driver_sql(f'INSERT INTO "_new_{table}" SELECT * FROM "{table}"')
    bind.exec_driver_sql(f'DROP TABLE "{table}"')  # its indexes and triggers go with it
    bind.exec_driver_sql(f'ALTER TABLE "_new_{table}" RENAME TO "{table}"')
    for statement in extras:
        bind.exec_driver_sql(statement)
    bind.exec_driver_sql("DELETE FROM sqlite_sequence WHERE name = ?", (table,))
    if highest:
        bind.exec_driver_sql(
            "INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (table, highest)
        )


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    # With foreign keys on, DROP TABLE deletes the rows first and cascades to every child
    # table; the pragma is ignored inside a transaction, so the one alembic opened for this
    # revision is committed (it holds nothing yet) and a new one opened with the keys off.
    raw = bind.connection.driver_connection
    # env.py already runs SQLite upgrades with the keys off; the state found is restored.
    keys_were_on = raw.execute("PRAGMA foreign_keys").fetchone()[0]
    if raw.in_transaction:
        raw.execute("COMMIT")
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        raw.execute("BEGIN IMMEDIATE")
        try:
            broken_before = set(bind.exec_driver_sql("PRAGMA foreign_key_check").all())
            for table in TABLES:
                _rebuild(bind, table)
            broken = set(bind.exec_driver_sql("PRAGMA foreign_key_check").all()) - broken_before
            if broken:
                raise RuntimeError(f"0011: foreign keys broken by the rebuild: {sorted(broken)}")
            raw.execute("COMMIT")
        except BaseException:
            raw.execute("ROLLBACK")
            raise
    finally:
        raw.execute(f"PRAGMA foreign_keys={'ON' if keys_were_on else 'OFF'}")
        raw.execute("BEGIN IMMEDIATE")  # alembic stamps 0011 in the transaction it opened


def downgrade():
    # Nothing to undo: AUTOINCREMENT changes no column and no constraint, and the tables of
    # 0010 work as they are with it. Rebuilding them back would only make SQLite reuse ids
    # of deleted rows again, which is the bug 0011 fixes.
    pass

"""Writing a study archive: every table of the study as JSON lines, with a manifest."""

from __future__ import annotations

import enum
import hashlib
import io
import json
import zipfile
from datetime import UTC

from flask_babel import gettext as _
from sqlalchemy import (
    Date,
    DateTime,
)

from app.exchange.archive.format import (
    FINDING_OBJECTS,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    TABLES,
    USER_COLUMNS,
    ArchiveError,
    _references,
    _table,
    schema_revision,
)
from app.models.base import utcnow
from app.platform.database import reading
from app.platform.extensions import db


def _study_ids(name: str, study_id: int):
    """Return a select of the ids of `name`'s rows that belong to the study."""
    table = _table(name)
    column, parent = TABLES[name]
    if parent is None:
        return db.select(table.c.id).where(table.c.id == study_id)
    if parent == "study":
        return db.select(table.c.id).where(table.c[column] == study_id)
    return db.select(table.c.id).where(table.c[column].in_(_study_ids(parent, study_id)))


def _study_rows(name: str, study_id: int) -> list[dict]:
    table = _table(name)
    column, parent = TABLES[name]
    if parent is None:
        where = table.c.id == study_id
    elif parent == "study":
        where = table.c[column] == study_id
    else:
        where = table.c[column].in_(_study_ids(parent, study_id))
    query = db.select(table).where(where).order_by(*table.primary_key.columns)
    return [dict(row) for row in db.session.execute(query).mappings()]


def _encode(column, value):
    """Return a column value as JSON data."""
    if value is None:
        return None
    if isinstance(column.type, DateTime):
        # SQLite gives naive datetimes back; the app stores every timestamp in UTC.
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat()
    if isinstance(column.type, Date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _jsonl(name: str, rows: list[dict]) -> bytes:
    table = _table(name)
    lines = [
        json.dumps(
            {key: _encode(table.c[key], value) for key, value in row.items()},
            ensure_ascii=False,
            allow_nan=False,
            separators=(",", ":"),
        )
        for row in rows
    ]
    return "".join(line + "\n" for line in lines).encode("utf-8")


def _unarchived_references(name: str) -> list[str]:
    """Return the columns of `name` pointing at tables left out (`job_id`): stored as null."""
    return [
        c.name for c in _table(name).columns if c.foreign_keys and c.name not in _references(name)
    ]


def export_study_archive(study_id: int) -> bytes:
    """Return everything of a study as a versioned zip archive (format in the module doc)."""
    session = db.session()
    if db.engine.dialect.name == "postgresql":
        if (
            session.in_transaction()
            and reading()
            and not (session.new or session.dirty or session.deleted)
        ):
            # A download's access check has already read (each statement on its own
            # snapshot): end that, so the export's queries share the one below.
            session.commit()
        if not session.in_transaction():
            # One snapshot for all the tables' queries, so the archive is consistent while
            # others keep coding (the CLI and a download; SQLite's reading transaction
            # keeps its first snapshot by itself).
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    data = {name: _study_rows(name, study_id) for name in TABLES}
    for name, rows in data.items():
        for row in rows:
            row.update(dict.fromkeys(_unarchived_references(name)))
    if not data["study"]:
        raise ArchiveError(_("There is no study with number %(id)d.", id=study_id))
    ids = {name: {row["id"] for row in rows if "id" in row} for name, rows in data.items()}
    data["pii_finding"] = [
        row
        for row in data["pii_finding"]
        if row["object_id"] in ids.get(FINDING_OBJECTS.get(row["object_type"], ""), ())
    ]
    users = set()
    for name, rows in data.items():
        user_columns = [c for c, target in _references(name).items() if target == "user"]
        for row in rows:
            users.update(row[c] for c in user_columns if row[c] is not None)
    for row in data["audit_event"]:
        if row["object_type"] == "user" and row["object_id"] is not None:
            users.add(row["object_id"])
        if isinstance((row["details"] or {}).get("user"), int):
            users.add(row["details"]["user"])
    user_table = _table("user")
    data = {
        "user": [
            dict(row)
            for row in db.session.execute(
                db.select(*[user_table.c[c] for c in USER_COLUMNS])
                .where(user_table.c.id.in_(users))
                .order_by(user_table.c.id)
            ).mappings()
        ],
        **data,
    }
    files = {name: _jsonl(name, rows) for name, rows in data.items()}
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "schema_revision": schema_revision(),
        "created_at": utcnow().isoformat(),
        "study": {"id": study_id, "title": data["study"][0]["title"]},
        "tables": [
            {
                "name": name,
                "file": f"tables/{name}.jsonl",
                "rows": len(data[name]),
                "sha256": hashlib.sha256(body).hexdigest(),
            }
            for name, body in files.items()
        ],
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))
        for name, body in files.items():
            archive.writestr(f"tables/{name}.jsonl", body)
    return out.getvalue()

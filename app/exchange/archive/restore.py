"""Backup and restore of one study as a single versioned archive.

Format "magwb-study-archive", version 1: a zip file holding

- `manifest.json`: `{"format": "magwb-study-archive", "format_version": 1,
  "schema_revision": "<alembic revision of the exporting database>",
  "created_at": "<ISO 8601, UTC>", "study": {"id": <id>, "title": "..."},
  "tables": [{"name": "study", "file": "tables/study.jsonl", "rows": 1,
  "sha256": "<hex digest of the file>"}, ...]}`;
- `tables/<table>.jsonl` for every table in `TABLES` (also when empty): one JSON
  object per row and line, keys exactly the table's columns, rows by primary key.
  Values: numbers, booleans, strings and JSON as JSON; timestamps ISO 8601 in UTC
  with their offset (`2026-03-02T09:15:00.123456+00:00`); dates `YYYY-MM-DD`;
  enums by their stored value. Ids are the exporting instance's.

`user` holds only `id`, `email` and `display_name` of the accounts the study's rows
refer to (members, coders, authors, audit log): never password hashes, session or
API tokens. Not archived, on purpose: `job` (runs and progress of one instance,
results that are files of that instance; a `job_id` elsewhere is stored as null),
`import_draft` (uploaded files that can hold real names; they live a day at most),
`api_token` (personal credentials) and `passage_analysis` (a cache of lemmas that the
analysis rebuilds from the text).

A restore checks everything before it stores anything: zip limits (member count,
total size, compression ratio) and member names (no absolute or `..` paths, no
unexpected files), the manifest (format, version, schema revision equal to the
instance's), checksums and row counts, every line's JSON, columns and value types,
and that every reference points at a row of the archive. Then, in one savepoint,
it inserts every row with a new primary key and remaps every reference: foreign
keys, `audit_event.study_id`, the ids inside the JSON columns of `JSON_IDS`
(`group_session.seating`, `grouping.members` and `.representatives`, the keys of
`grouping.theme_overlap`, `suggestion.evidence[].passage_id`), `pii_finding.object_id`
and `audit_event.object_id` (by their `object_type`, a table name) and the ids in
audit details named in `AUDIT_DETAIL_IDS`. An id in JSON or in the audit log that
names an object which no longer exists is dropped or set to null: in another
instance its old id would name an unrelated row. A personal-data finding about a
deleted object is not exported: nothing is left to review, and it may hold a name.

Accounts are matched by e-mail; a missing one is created disabled and without a
password (as the demo coders are), so nobody can log in as it until an admin
invites the person; memberships, codings and authorship keep pointing at it.
Passages keep their `version`, rows keep their relative order, timestamps their
microseconds. A value unique across the instance that the instance already uses
(a second copy in the same instance) is cleared when the column allows it
(`study.demo_key`) or replaced by a fresh random one (`validation_link.nonce`).
Participants' validation links never open a restored copy: the URL token signs
the link id, which changes. The restoring user, if given, becomes an owner, and the
restore is recorded in the audit log (`study.import`).
"""

from __future__ import annotations

import enum
import hashlib
import io
import json
import math
import secrets
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Enum,
    Float,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.exc import SQLAlchemyError

from app.accounts.audit import record_event
from app.models import Membership, Role, User
from app.models.base import utcnow
from app.platform.extensions import db
from app.platform.forms import ValidationError, clean_email, clean_text

FORMAT = "magwb-study-archive"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MAX_MEMBERS = 100
MAX_TOTAL_BYTES = 512 * 1024 * 1024
MAX_RATIO = 100  # uncompressed / compressed, checked for members over 1 MiB
USER_COLUMNS = ("id", "email", "display_name")

# Restore order (parents first) and how each table's rows belong to the study:
# (column, table it points at); the study's own row is the one with its id.
TABLES: dict[str, tuple[str, str | None]] = {
    "study": ("id", None),
    "participant": ("study_id", "study"),
    "consent": ("participant_id", "participant"),
    "group_session": ("study_id", "study"),
    "narrative": ("group_session_id", "group_session"),
    "passage": ("group_session_id", "group_session"),
    "passage_revision": ("passage_id", "passage"),
    "theme": ("study_id", "study"),
    "incident_sheet": ("study_id", "study"),
    "incident_theme": ("incident_id", "incident_sheet"),
    "coding": ("passage_id", "passage"),
    "synthesis": ("study_id", "study"),
    "statement": ("synthesis_id", "synthesis"),
    "statement_version": ("statement_id", "statement"),
    "statement_link": ("statement_id", "statement"),
    "statement_theme": ("statement_id", "statement"),
    "validation_round": ("study_id", "study"),
    "round_statement": ("round_id", "validation_round"),
    "validation_link": ("round_id", "validation_round"),
    "statement_answer": ("link_id", "validation_link"),
    "quote_decision": ("link_id", "validation_link"),
    "pii_finding": ("study_id", "study"),
    "known_name": ("study_id", "study"),
    "suggestion": ("study_id", "study"),
    "grouping": ("study_id", "study"),
    "membership": ("study_id", "study"),
    "audit_event": ("study_id", "study"),
}
# Left out on purpose (see the module doc); `user` is archived apart, as USER_COLUMNS only.
EXCLUDED = frozenset({"user", "job", "import_draft", "api_token", "passage_analysis"})
# JSON columns holding ids: (table, column) → the table they name, and how they hold them.
# What a personal-data finding can be about (its object_type) and the table that holds it.
FINDING_OBJECTS = {
    "passage": "passage",
    "coding": "coding",
    "statement": "statement",
    "statement_answer": "statement_answer",
    "quote_decision": "quote_decision",
    "incident": "incident_sheet",
}
JSON_IDS = {
    ("group_session", "seating"): ("participant", "list"),
    ("grouping", "members"): ("passage", "list"),
    ("grouping", "representatives"): ("passage", "list"),
    ("grouping", "theme_overlap"): ("theme", "keys"),
    ("suggestion", "evidence"): ("passage", "passage_id"),
}
# Ids inside audit details: key → table, and keys whose meaning depends on the action.
AUDIT_DETAIL_IDS = {
    "participant": "participant",
    "passage": "passage",
    "coding": "coding",
    "session": "group_session",
    "statement": "statement",
    "round": "validation_round",
    "link": "validation_link",
    "user": "user",
}
AUDIT_ACTION_DETAIL_IDS = {
    ("passage.split", "new"): "passage",
    ("passage.merge", "merged"): "passage",
}


class ArchiveError(ValidationError):
    """An archive that cannot be restored (or a study that cannot be exported)."""

    def __init__(self, message) -> None:
        super().__init__(message, "archive")


@dataclass(frozen=True)
class ImportedStudy:
    """What a restore stored."""

    study_id: int
    title: str
    counts: dict[str, int] = field(default_factory=dict)
    users_matched: int = 0
    users_created: int = 0
    demo_key_cleared: bool = False


def schema_revision() -> str:
    """Return the database's Alembic revision (several heads joined by commas)."""
    try:
        found = db.session.execute(text("SELECT version_num FROM alembic_version")).scalars()
        return ",".join(sorted(found))
    except SQLAlchemyError as e:
        raise ArchiveError(_("This database has no schema revision; upgrade it first.")) from e


def _table(name: str):
    return db.metadata.tables[name]


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


def _references(name: str) -> dict[str, str]:
    """Return the columns of `name` pointing at archived rows, with the table of each."""
    refs = {
        column.name: next(iter(column.foreign_keys)).column.table.name
        for column in _table(name).columns
        if column.foreign_keys
    }
    refs = {
        column: target for column, target in refs.items() if target in TABLES or target == "user"
    }
    if name == "audit_event":
        refs["study_id"] = "study"
    return refs


def _unarchived_references(name: str) -> list[str]:
    """Return the columns of `name` pointing at tables left out (`job_id`): stored as null."""
    return [
        c.name for c in _table(name).columns if c.foreign_keys and c.name not in _references(name)
    ]


def export_study_archive(study_id: int) -> bytes:
    """Return everything of a study as a versioned zip archive (format in the module doc)."""
    if db.engine.dialect.name == "postgresql" and not db.session().in_transaction():
        # One snapshot for all the tables' queries, so the archive is consistent (when
        # the export starts the unit of work, as the CLI and a download do).
        db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    data = {name: _study_rows(name, study_id) for name in TABLES}
    for name, rows in data.items():
        for row in rows:
            row.update(dict.fromkeys(_unarchived_references(name)))
    if not data["study"]:
        raise ArchiveError(_("There is no study with number %(id)d.", id=study_id))
    ids = {name: {row["id"] for row in rows if "id" in row} for name, rows in data.items()}
    data["pii_finding"] = [
        row for row in data["pii_finding"] if row["object_id"] in ids.get(row["object_type"], ())
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


# ------------------------------------------------------------------------ reading


def _safe_name(name: str) -> bool:
    parts = name.split("/")
    return not (name.startswith("/") or "\\" in name or ":" in name or ".." in parts or "" in parts)


def _read_members(data: bytes) -> dict[str, bytes]:
    """Return the archive's members, refusing anything a zip bomb or traversal would need."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            raise ArchiveError(_("The archive holds too many files (%(n)d).", n=len(infos)))
        total, members = 0, {}
        for info in infos:
            if not _safe_name(info.filename):
                raise ArchiveError(
                    _(
                        "The archive holds a file with an unsafe name: %(name)s",
                        name=info.filename[:100],
                    )
                )
            if info.filename in members:
                raise ArchiveError(_("The archive holds %(name)s twice.", name=info.filename[:100]))
            total += info.file_size
            ratio = info.file_size / max(info.compress_size, 1)
            if total > MAX_TOTAL_BYTES or (info.file_size > 2**20 and ratio > MAX_RATIO):
                raise ArchiveError(
                    _("The archive unpacks to too much data; is it really a backup?")
                )
            with archive.open(info) as handle:
                body = handle.read(info.file_size + 1)
            if len(body) != info.file_size:
                raise ArchiveError(
                    _("The archive is damaged (%(name)s).", name=info.filename[:100])
                )
            members[info.filename] = body
        return members
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        NotImplementedError,
        RuntimeError,
        EOFError,
        OSError,
        zlib.error,
    ) as e:
        raise ArchiveError(_("This file is not a readable study archive (zip).")) from e


def _check_manifest(members: dict[str, bytes]) -> dict:
    """Return the manifest once format, version, revision, files and checksums are right."""
    try:
        manifest = json.loads(members[MANIFEST])
    except (KeyError, ValueError) as e:
        raise ArchiveError(_("The archive has no readable manifest.json.")) from e
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ArchiveError(_("This file is not a MAG Workbench study archive."))
    version = manifest.get("format_version")
    if type(version) is not int or version != FORMAT_VERSION:
        raise ArchiveError(
            _(
                "The archive has format version %(found)s; this instance reads version %(ours)d.",
                found=str(manifest.get("format_version"))[:20],
                ours=FORMAT_VERSION,
            )
        )
    ours = schema_revision()
    if manifest.get("schema_revision") != ours:
        raise ArchiveError(
            _(
                "The archive was made at database revision %(archive)s; this instance is at "
                "revision %(instance)s. Restore it on an instance at the same revision.",
                archive=str(manifest.get("schema_revision"))[:40],
                instance=ours,
            )
        )
    tables = manifest.get("tables")
    expected = ["user", *TABLES]
    if (
        not isinstance(tables, list)
        or [t.get("name") if isinstance(t, dict) else None for t in tables] != expected
    ):
        raise ArchiveError(_("The manifest does not list the tables this instance expects."))
    for entry in tables:
        name = entry["name"]
        file = f"tables/{name}.jsonl"
        body = members.get(file)
        if entry.get("file") != file or body is None:
            raise ArchiveError(_("The archive lacks the file tables/%(name)s.jsonl.", name=name))
        if hashlib.sha256(body).hexdigest() != entry.get("sha256"):
            raise ArchiveError(
                _(
                    "The checksum of tables/%(name)s.jsonl does not match: the file was changed "
                    "or damaged.",
                    name=name,
                )
            )
    unexpected = set(members) - {MANIFEST} - {f"tables/{name}.jsonl" for name in expected}
    if unexpected:
        raise ArchiveError(
            _("The archive holds an unexpected file: %(name)s", name=sorted(unexpected)[0][:100])
        )
    return manifest


def _decode(column, value):
    """Return a JSON value as the column's Python value; raise ValueError if it cannot be."""
    kind = column.type
    if value is None:
        if not column.nullable:
            raise ValueError("null")
        return None
    if isinstance(kind, DateTime):
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError("no time zone")
        return moment.astimezone(UTC)
    if isinstance(kind, Date):
        if not isinstance(value, str) or len(value) != 10:
            raise ValueError("date")
        return date.fromisoformat(value)
    if isinstance(kind, Enum):
        if value not in kind.enums:
            raise ValueError("enum")
        return kind.enum_class(value) if kind.enum_class else value
    if isinstance(kind, Boolean):
        ok = isinstance(value, bool)
    elif isinstance(kind, Integer):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(kind, Float):
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    elif isinstance(kind, String):
        ok = isinstance(value, str) and "\x00" not in value
        ok = ok and (kind.length is None or len(value) <= kind.length)
    elif isinstance(kind, JSON):
        ok = True
    else:
        ok = False
    if not ok:
        raise ValueError(type(value).__name__)
    return value


def _columns(name: str) -> list:
    table = _table(name)
    return [table.c[c] for c in USER_COLUMNS] if name == "user" else list(table.columns)


def _parse_table(name: str, body: bytes) -> list[dict]:
    """Return the decoded rows of one table file; errors name the file and line."""
    columns = _columns(name)
    keys = {column.name for column in columns}
    where = f"tables/{name}.jsonl"
    try:
        lines = body.decode("utf-8").split("\n")
    except UnicodeDecodeError as e:
        raise ArchiveError(_("%(file)s is not UTF-8 text.", file=where)) from e
    if lines[-1] != "":
        raise ArchiveError(_("%(file)s does not end with a line break.", file=where))
    rows = []
    for number, line in enumerate(lines[:-1], start=1):
        try:
            row = json.loads(line, parse_constant=_refuse_constant)
        except ValueError as e:
            raise ArchiveError(
                _("%(file)s, line %(line)d: not valid JSON.", file=where, line=number)
            ) from e
        if not isinstance(row, dict) or set(row) != keys:
            raise ArchiveError(
                _(
                    "%(file)s, line %(line)d: the columns are not those of the table.",
                    file=where,
                    line=number,
                )
            )
        decoded = {}
        for column in columns:
            try:
                decoded[column.name] = _decode(column, row[column.name])
            except (ValueError, TypeError) as e:
                raise ArchiveError(
                    _(
                        "%(file)s, line %(line)d: the value of %(column)s is not valid.",
                        file=where,
                        line=number,
                        column=column.name,
                    )
                ) from e
        rows.append(decoded)
    return rows


def _refuse_constant(name: str):
    raise ValueError(name)


# ------------------------------------------------------------------------ restoring


def _line_error(name: str, line: int, column: str) -> ArchiveError:
    return ArchiveError(
        _(
            "%(file)s, line %(line)d: %(column)s refers to a row that is not in the archive.",
            file=f"tables/{name}.jsonl",
            line=line,
            column=column,
        )
    )


def _check_rows(tables: dict[str, list[dict]]) -> None:
    """Refuse duplicate ids, bad accounts and references to rows the archive lacks."""
    ids: dict[str, set] = {}
    for name, rows in tables.items():
        if "id" in _table(name).c:
            ids[name] = {row["id"] for row in rows}
            if len(ids[name]) != len(rows):
                raise ArchiveError(_("tables/%(name)s.jsonl repeats an id.", name=name))
    if len(tables["study"]) != 1:
        raise ArchiveError(_("The archive must hold exactly one study."))
    emails = set()
    for number, row in enumerate(tables["user"], start=1):
        try:
            emails.add(clean_email(row["email"]))
            clean_text(row["display_name"], "display_name", max_length=120)
        except ValidationError as e:
            raise ArchiveError(
                _("tables/user.jsonl, line %(line)d: the account is not valid.", line=number)
            ) from e
    if len(emails) != len(tables["user"]):
        raise ArchiveError(_("tables/user.jsonl repeats an e-mail address."))
    for name in TABLES:
        references = _references(name)
        for number, row in enumerate(tables[name], start=1):
            for column, target in references.items():
                if row[column] is not None and row[column] not in ids[target]:
                    raise _line_error(name, number, column)
            for (table, column), (_target, shape) in JSON_IDS.items():
                if table == name and not _json_ids_well_formed(row[column], shape):
                    raise _line_error(name, number, column)
            if name == "pii_finding" and (
                row["object_type"] not in FINDING_OBJECTS
                or row["object_id"] not in ids.get(FINDING_OBJECTS[row["object_type"]], ())
            ):
                raise _line_error(name, number, "object_id")
            if name == "audit_event" and not isinstance(row["details"], dict):
                raise _line_error(name, number, "details")


def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _json_ids_well_formed(value, shape: str) -> bool:
    if shape == "list":
        return isinstance(value, list) and all(_is_id(v) for v in value)
    if shape == "keys":
        return isinstance(value, dict) and all(k.isascii() and k.isdecimal() for k in value)
    return isinstance(value, list) and all(
        isinstance(item, dict) and (item.get("passage_id") is None or _is_id(item["passage_id"]))
        for item in value
    )


def _remap_json(value, shape: str, mapping: dict):
    """Remap the ids in a JSON value; ids of rows the archive lacks name nothing here: dropped."""
    if shape == "list":
        return [mapping[v] for v in value if v in mapping]
    if shape == "keys":
        return {str(mapping[int(k)]): v for k, v in value.items() if int(k) in mapping}
    remapped = []
    for item in value:
        if item.get("passage_id") is not None:
            item = {**item, "passage_id": mapping.get(item["passage_id"])}
        remapped.append(item)
    return remapped


def _remap_details(action: str, details: dict, maps: dict[str, dict]) -> dict:
    remapped = dict(details)
    for key, value in details.items():
        target = AUDIT_ACTION_DETAIL_IDS.get((action, key)) or AUDIT_DETAIL_IDS.get(key)
        if target and isinstance(value, int) and not isinstance(value, bool):
            remapped[key] = maps[target].get(value)
    return remapped


def _adjust(name: str, row: dict, maps: dict[str, dict], taken: dict) -> None:
    """Remap the ids that are not foreign keys, and free values the instance already uses."""
    for (table, column), (target, shape) in JSON_IDS.items():
        if table == name:
            row[column] = _remap_json(row[column], shape, maps[target])
    if name == "pii_finding":
        row["object_id"] = maps[FINDING_OBJECTS[row["object_type"]]][row["object_id"]]
    elif name == "audit_event":
        row["object_id"] = maps.get(row["object_type"], {}).get(row["object_id"])
        row["details"] = _remap_details(row["action"], row["details"], maps)
    for column in _unique_columns(name):
        if row[column.name] is not None and row[column.name] in taken[name, column.name]:
            # A second copy in the same instance (study.demo_key, validation_link.nonce):
            # the original keeps its value; the copy gets none, or a fresh random one.
            row[column.name] = None if column.nullable else _fresh(column)


def _unique_columns(name: str) -> list:
    """Return the columns of `name` whose values are unique across the whole instance."""
    table = _table(name)
    unique = [c for c in table.constraints if isinstance(c, UniqueConstraint)]
    unique += [index for index in table.indexes if index.unique]
    single = {next(iter(c.columns)).name for c in unique if len(c.columns) == 1}
    return [c for c in table.columns if not c.primary_key and (c.unique or c.name in single)]


def _fresh(column) -> str:
    if not isinstance(column.type, String):
        raise ArchiveError(
            _(
                "tables/%(name)s.jsonl: a value of %(column)s is already used in this instance.",
                name=column.table.name,
                column=column.name,
            )
        )
    return secrets.token_urlsafe(24)[: column.type.length or None]


def _taken(tables: dict[str, list[dict]]) -> dict[tuple[str, str], set]:
    """Return the archive's instance-wide unique values that this instance already uses."""
    taken = {}
    for name in TABLES:
        for column in _unique_columns(name):
            values = [row[column.name] for row in tables[name] if row[column.name] is not None]
            taken[name, column.name] = set(
                db.session.execute(db.select(column).where(column.in_(values))).scalars()
            )
    return taken


def _store_users(rows: list[dict]) -> tuple[dict, int]:
    """Map archived accounts to this instance's by e-mail; create the missing ones, disabled."""
    mapping, created = {}, 0
    for row in rows:
        email = clean_email(row["email"])
        user = db.session.execute(db.select(User).filter_by(email=email)).scalar_one_or_none()
        if user is None:
            user = User(
                email=email,
                display_name=clean_text(row["display_name"], "display_name", max_length=120),
                password_hash=None,
                is_enabled=False,
            )
            db.session.add(user)
            db.session.flush()
            created += 1
        mapping[row["id"]] = user.id
    return mapping, created


class _TableRefused(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _store_table(name: str, rows: list[dict], maps: dict[str, dict], taken) -> None:
    table = _table(name)
    references = _references(name)
    params, parents = [], []
    for row in rows:
        new = dict(row)
        for column, target in references.items():
            if new[column] is None:
                continue
            if target == name:  # a tree (theme.parent_id): linked once every row has its id
                parents.append((row["id"], new[column]))
                new[column] = None
            else:
                new[column] = maps[target][new[column]]
        for column in _unarchived_references(name):
            new[column] = None
        _adjust(name, new, maps, taken)
        new.pop("id", None)  # the database gives the new primary key
        params.append(new)
    if not params:
        return
    try:
        if "id" in table.c:
            # Parameter order kept: new ids ascend as the old ones did.
            inserted = db.session.execute(
                db.insert(table).returning(table.c.id, sort_by_parameter_order=True), params
            ).scalars()
            maps[name] = dict(zip((row["id"] for row in rows), inserted, strict=True))
        else:
            db.session.execute(db.insert(table), params)
        if parents:
            (column,) = [c for c, target in references.items() if target == name]
            db.session.execute(
                db.update(table)
                .where(table.c.id == db.bindparam("row_id"))
                .values({column: db.bindparam("parent")}),
                [{"row_id": maps[name][r], "parent": maps[name][p]} for r, p in parents],
            )
    except SQLAlchemyError as e:
        raise _TableRefused(name) from e


def _store(tables: dict[str, list[dict]], owner_id: int | None) -> ImportedStudy:
    maps: dict[str, dict] = {name: {} for name in TABLES}
    maps["user"], created = _store_users(tables["user"])
    taken = _taken(tables)
    for name in TABLES:
        _store_table(name, tables[name], maps, taken)
    study_id = maps["study"][tables["study"][0]["id"]]
    if owner_id is not None:
        membership = db.session.execute(
            db.select(Membership).filter_by(study_id=study_id, user_id=owner_id)
        ).scalar_one_or_none()
        if membership is None:
            db.session.add(Membership(study_id=study_id, user_id=owner_id, role=Role.OWNER))
        else:
            membership.role = Role.OWNER
    record_event(
        "study.import",
        "study",
        study_id,
        user_id=owner_id,
        study_id=study_id,
        details={"format_version": FORMAT_VERSION, "users_created": created},
    )
    db.session.flush()
    return ImportedStudy(
        study_id=study_id,
        title=tables["study"][0]["title"],
        counts={name: len(tables[name]) for name in ["user", *TABLES]},
        users_matched=len(tables["user"]) - created,
        users_created=created,
        demo_key_cleared=bool(taken["study", "demo_key"]),
    )


def import_study_archive(data: bytes, *, owner_id: int | None = None) -> ImportedStudy:
    """Restore a study archive as a new study; on any error raise ArchiveError, storing nothing.

    Flushes but does not commit: the caller commits the unit of work.
    """
    members = _read_members(data)
    manifest = _check_manifest(members)
    tables = {
        name: _parse_table(name, members[f"tables/{name}.jsonl"]) for name in ["user", *TABLES]
    }
    for entry in manifest["tables"]:
        if entry.get("rows") != len(tables[entry["name"]]):
            raise ArchiveError(
                _(
                    "tables/%(name)s.jsonl does not hold the rows the manifest counts.",
                    name=entry["name"],
                )
            )
    _check_rows(tables)
    if owner_id is not None and db.session.get(User, owner_id) is None:
        raise ArchiveError(_("The account that should own the restored study does not exist."))
    try:
        with db.session.begin_nested():
            return _store(tables, owner_id)
    except _TableRefused as e:
        current_app.logger.warning(
            "Study archive refused by the database at table %s: %s", e.name, type(e.__cause__)
        )
        raise ArchiveError(
            _(
                "The rows of tables/%(name)s.jsonl break this database's rules (a duplicate or an "
                "impossible value). Nothing was stored.",
                name=e.name,
            )
        ) from e

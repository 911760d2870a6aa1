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
`api_token` and `login_session` (personal credentials), and `passage_analysis` (a cache
of lemmas that the analysis rebuilds from the text).

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

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import (
    text,
)
from sqlalchemy.exc import SQLAlchemyError

from app.platform.extensions import db
from app.platform.forms import ValidationError

FORMAT = "magwb-study-archive"


FORMAT_VERSION = 1


MANIFEST = "manifest.json"


MAX_MEMBERS = 100


MAX_MANIFEST_BYTES = 2**20  # read and checked before any table file is inflated


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
EXCLUDED = frozenset(
    {"user", "job", "import_draft", "api_token", "login_session", "passage_analysis"}
)


# JSON columns holding ids: (table, column) → the table they name, and how they hold them.
# What a personal-data finding can be about (its object_type) and the table that holds it.
FINDING_OBJECTS = {
    "passage": "passage",
    "coding": "coding",
    "statement": "statement",
    "statement_answer": "statement_answer",
    "quote_decision": "quote_decision",
    "incident": "incident_sheet",
    "narrative": "narrative",
    "speaker_label": "passage",
    "group_session": "group_session",
    "validation_round": "validation_round",
    "grouping": "grouping",
    "consent": "consent",
    "study": "study",
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


# Archives made at a key revision restore on an instance at its value: the tables hold the
# same columns, but for those of `ADDED_COLUMNS`. 0011 only made SQLite ids AUTOINCREMENT,
# 0012 only changed the job table (never archived), 0013 only added an index and 0014 added
# the version counters of ADDED_COLUMNS (statement.revision, coding.memo_version...) and
# passage_revision.merged_in, so yesterday's archives still restore; 0015 only added
# validation_link.answers_version, and 0016 only rewrote stored text (what XML cannot hold
# becomes U+FFFD, which a restore does too: checks._decode).
SAME_TABLES_AS = {
    "0010": "0016",
    "0011": "0016",
    "0012": "0016",
    "0013": "0016",
    "0014": "0016",
    "0015": "0016",
}
# Columns added since a revision of SAME_TABLES_AS: an older archive lacks them and its rows
# take the column's default (a restored statement starts again at revision 1).
ADDED_COLUMNS = {
    "0014": {
        ("statement", "revision"),
        ("passage_revision", "merged_in"),
        ("incident_sheet", "version"),
        ("narrative", "version"),
        ("theme", "version"),
        ("coding", "memo_version"),
        ("participant", "version"),
        ("group_session", "version"),
        ("grouping", "version"),
    },
    "0015": {("validation_link", "answers_version")},
}


def added_since(made_at: str) -> set[tuple[str, str]]:
    """Return the (table, column) pairs an archive made at `made_at` does not hold."""
    if made_at not in SAME_TABLES_AS:
        return set()
    return {
        pair for revision, pairs in ADDED_COLUMNS.items() if revision > made_at for pair in pairs
    }


def schema_revision() -> str:
    """Return the database's Alembic revision (several heads joined by commas)."""
    try:
        found = db.session.execute(text("SELECT version_num FROM alembic_version")).scalars()
        return ",".join(sorted(found))
    except SQLAlchemyError as e:
        raise ArchiveError(_("This database has no schema revision; upgrade it first.")) from e


def _table(name: str):
    return db.metadata.tables[name]


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


def _columns(name: str) -> list:
    table = _table(name)
    return [table.c[c] for c in USER_COLUMNS] if name == "user" else list(table.columns)

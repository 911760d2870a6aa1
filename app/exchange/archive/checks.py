"""Reading an archive and checking all of it before anything is stored.

Zip limits and member names, the manifest (format, version, schema revision),
checksums and row counts, then every line's JSON, columns, value types and references:
an error names the table file, the line and the column.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import zipfile
from datetime import UTC, date, datetime

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
)

from analysis import xml_safe
from app.exchange.archive.format import (
    FINDING_OBJECTS,
    FORMAT,
    FORMAT_VERSION,
    JSON_IDS,
    MANIFEST,
    MAX_MANIFEST_BYTES,
    MAX_MEMBERS,
    MAX_RATIO,
    MAX_TOTAL_BYTES,
    SAME_TABLES_AS,
    TABLES,
    ArchiveError,
    _columns,
    _references,
    _table,
    schema_revision,
)
from app.exchange.archive.remap import _json_ids_well_formed
from app.platform.files import ZIP_DAMAGE
from app.platform.forms import ValidationError, clean_email, clean_text


def _safe_name(name: str) -> bool:
    parts = name.split("/")
    return not (name.startswith("/") or "\\" in name or ":" in name or ".." in parts or "" in parts)


def _check_directory(infos: list[zipfile.ZipInfo]) -> None:
    """Refuse, from the zip's directory alone, what a zip bomb or a traversal would need."""
    if len(infos) > MAX_MEMBERS:
        raise ArchiveError(_("The archive holds too many files (%(n)d).", n=len(infos)))
    total, names = 0, set()
    for info in infos:
        if not _safe_name(info.filename):
            raise ArchiveError(
                _(
                    "The archive holds a file with an unsafe name: %(name)s",
                    name=info.filename[:100],
                )
            )
        if info.filename in names:
            raise ArchiveError(_("The archive holds %(name)s twice.", name=info.filename[:100]))
        names.add(info.filename)
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if total > MAX_TOTAL_BYTES or (info.file_size > 2**20 and ratio > MAX_RATIO):
            raise ArchiveError(_("The archive unpacks to too much data; is it really a backup?"))


def _inflate(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    with archive.open(info) as handle:
        body = handle.read(info.file_size + 1)
    if len(body) != info.file_size:
        raise ArchiveError(_("The archive is damaged (%(name)s).", name=info.filename[:100]))
    return body


def _read_members(data: bytes) -> dict[str, bytes]:
    """Return the archive's members once its directory and its manifest are checked.

    Nothing is inflated before the directory passed (`_check_directory`), and no table
    file before the manifest, itself at most `MAX_MANIFEST_BYTES`, names this instance's
    format, version, schema revision and tables: a wrong or hostile archive is refused
    before it costs any memory.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
        _check_directory(infos)
        manifest = next((info for info in infos if info.filename == MANIFEST), None)
        if manifest is None or manifest.file_size > MAX_MANIFEST_BYTES:
            raise ArchiveError(_("The archive has no readable manifest.json."))
        members = {MANIFEST: _inflate(archive, manifest)}
        _manifest_head(members[MANIFEST], {info.filename for info in infos})
        for info in infos:
            if info.filename != MANIFEST:
                members[info.filename] = _inflate(archive, info)
        return members
    except ArchiveError:
        raise  # a refusal of ours (a ValueError too), already saying what is wrong
    except ZIP_DAMAGE as e:
        raise ArchiveError(_("This file is not a readable study archive (zip).")) from e


def _check_manifest(members: dict[str, bytes]) -> dict:
    """Return the manifest once format, version, revision, files and checksums are right."""
    manifest = _manifest_head(members.get(MANIFEST), set(members))
    for entry in manifest["tables"]:
        name = entry["name"]
        if hashlib.sha256(members[entry["file"]]).hexdigest() != entry.get("sha256"):
            raise ArchiveError(
                _(
                    "The checksum of tables/%(name)s.jsonl does not match: the file was changed "
                    "or damaged.",
                    name=name,
                )
            )
    return manifest


def _manifest_head(raw: bytes | None, names: set[str]) -> dict:
    """Return the manifest once format, version, revision and the list of files are right."""
    try:
        manifest = json.loads(raw) if raw is not None else None
    except ValueError as e:
        raise ArchiveError(_("The archive has no readable manifest.json.")) from e
    if manifest is None:
        raise ArchiveError(_("The archive has no readable manifest.json."))
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
    made_at = manifest.get("schema_revision")
    if made_at != ours and (not isinstance(made_at, str) or SAME_TABLES_AS.get(made_at) != ours):
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
        if entry.get("file") != file or file not in names:
            raise ArchiveError(_("The archive lacks the file tables/%(name)s.jsonl.", name=name))
    unexpected = names - {MANIFEST} - {f"tables/{name}.jsonl" for name in expected}
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
        ok = isinstance(value, str) and (kind.length is None or len(value) <= kind.length)
        # What no export can write (NUL, other controls, U+FFFE, a lone surrogate, which no
        # database can even store) becomes U+FFFD, one code point for one: the archive's
        # coding offsets stay right, and an archive made before the input rules restores.
        value = xml_safe(value) if ok else value
    elif isinstance(kind, JSON):
        ok, value = True, _xml_safe_json(value)
    else:
        ok = False
    if not ok:
        raise ValueError(type(value).__name__)
    return value


def _xml_safe_json(value):
    """Return a JSON value with `xml_safe` applied to every string in it, keys included."""
    if isinstance(value, str):
        return xml_safe(value)
    if isinstance(value, list):
        return [_xml_safe_json(item) for item in value]
    if isinstance(value, dict):
        return {xml_safe(key): _xml_safe_json(item) for key, item in value.items()}
    return value


def _parse_table(name: str, body: bytes, missing: set[tuple[str, str]] = frozenset()) -> list[dict]:
    """Return the decoded rows of one table file; errors name the file and line.

    `missing` names the columns an older archive does not hold (`added_since`).
    """
    columns = [column for column in _columns(name) if (name, column.name) not in missing]
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

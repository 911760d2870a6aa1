"""Restoring a study archive: every check first, then one atomic insert with new ids.

The format and the checks are described in `format.py`; ids are remapped by `remap.py`.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError

from app.accounts.audit import record_event
from app.exchange.archive.checks import _check_manifest, _check_rows, _parse_table, _read_members
from app.exchange.archive.export import _unarchived_references
from app.exchange.archive.format import (
    FORMAT_VERSION,
    TABLES,
    ArchiveError,
    ImportedStudy,
    _references,
    _table,
    added_since,
)
from app.exchange.archive.remap import _adjust, _taken
from app.models import Membership, Role, User
from app.platform.extensions import db
from app.platform.forms import clean_email, clean_text

Progress = Callable[[float, str], None]


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
    # A finding points at a row of any table it names (FINDING_OBJECTS; groupings come after
    # findings in TABLES): store findings once those have new ids, before the audit events.
    last = ("pii_finding", "audit_event")
    for name in [name for name in TABLES if name not in last] + list(last):
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


def import_study_archive(
    data: bytes, *, owner_id: int | None = None, progress: Progress | None = None
) -> ImportedStudy:
    """Restore a study archive as a new study; on any error raise ArchiveError, storing nothing.

    Flushes but does not commit: the caller commits the unit of work. `progress` (a job's)
    is only called before anything is written, as it commits the session.
    """
    report = progress or (lambda fraction, message: None)
    report(0.05, _("Checking the archive"))
    members = _read_members(data)
    manifest = _check_manifest(members)
    report(0.2, _("Reading the tables"))
    missing = added_since(manifest["schema_revision"])
    tables = {
        name: _parse_table(name, members[f"tables/{name}.jsonl"], missing)
        for name in ["user", *TABLES]
    }
    for entry in manifest["tables"]:
        if entry.get("rows") != len(tables[entry["name"]]):
            raise ArchiveError(
                _(
                    "tables/%(name)s.jsonl does not hold the rows the manifest counts.",
                    name=entry["name"],
                )
            )
    report(0.4, _("Checking the rows"))
    _check_rows(tables)
    if owner_id is not None and db.session.get(User, owner_id) is None:
        raise ArchiveError(_("The account that should own the restored study does not exist."))
    report(0.6, _("Storing the study"))
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

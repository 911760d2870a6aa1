"""Id remapping for a restore: every row gets a new key and every reference follows it.

Foreign keys, ids inside JSON columns and audit details are rewritten with the maps
built while storing; unique columns that would collide get fresh values.
"""

from __future__ import annotations

import secrets

from flask_babel import gettext as _
from sqlalchemy import (
    String,
    UniqueConstraint,
)

from app.exchange.archive.format import (
    AUDIT_ACTION_DETAIL_IDS,
    AUDIT_DETAIL_IDS,
    FINDING_OBJECTS,
    JSON_IDS,
    TABLES,
    ArchiveError,
    _table,
)
from app.platform.extensions import db


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

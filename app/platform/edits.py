"""Edits of stored records drawn from a version: the shared lost-update check.

A record that people edit through a form carries a `version` column. The form
sends the version it was drawn from; the save locks the row, compares, and either
raises `StaleEdit` (the view answers 409 with both states) or raises the version.
Without the check, the later of two saves would silently overwrite the earlier.

Numbers given as "the highest so far + 1" (a passage's place in its phase, a session's
number, a theme's place) are allocated under the lock of the row they are counted under
(`lock_parent`), or two requests would read the same highest number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.platform.extensions import db
from app.platform.forms import as_number


@dataclass(frozen=True)
class Difference:
    """One field that differs between the saved record and a refused edit."""

    label: str
    saved: str
    yours: str


class StaleEdit(Exception):
    """The record was saved by someone else after this edit's form was drawn."""

    def __init__(self, record, differences: list[Difference]) -> None:
        super().__init__("stale edit")
        self.record = record
        self.differences = differences


def differences(saved: dict, yours: dict) -> list[Difference]:
    """Return the fields whose values differ: {label: shown value} in both dicts."""
    return [
        Difference(str(label), str(saved[label]), str(yours.get(label, "")))
        for label in saved
        if str(saved[label]) != str(yours.get(label, ""))
    ]


def claim_version(
    record, submitted, describe: Callable[[], list[Difference]], *, attribute: str = "version"
) -> None:
    """Check that `record` is still at the `submitted` version, then count this save.

    `attribute` names the counter (a record may count one field's saves apart, as a
    coding's memo does).

    `describe` is called on the freshly read record and returns the differences with
    the submitted values; none means the edit changes nothing that was saved since,
    so it goes through (nothing can be lost). The row is locked first (PostgreSQL:
    FOR UPDATE; SQLite writers are serialised by BEGIN IMMEDIATE), so two saves from
    the same version cannot both pass.
    """
    model = type(record)
    db.session.execute(db.select(model.id).where(model.id == record.id).with_for_update())
    db.session.expire(record)  # read it again, relationships too, as committed now
    current = getattr(record, attribute)
    if as_number(submitted, default=0) != current:
        found = describe()
        if found:
            raise StaleEdit(record, found)
    setattr(record, attribute, current + 1)


def lock_parent(model, row_id: int) -> None:
    """Hold a parent row's lock until commit, so numbers counted under it go one at a time.

    Take it before reading anything the allocation depends on (the highest number, a
    duplicate check). PostgreSQL: `FOR NO KEY UPDATE`, which another allocator waits for
    (and reads, once it has the lock, what the first one committed: each statement at READ
    COMMITTED sees the latest commits), while inserts of children, whose foreign key takes
    only KEY SHARE on the parent, go on. SQLite writers are serialised by BEGIN IMMEDIATE.
    """
    db.session.execute(
        db.select(model.id).where(model.id == row_id).with_for_update(key_share=True)
    )

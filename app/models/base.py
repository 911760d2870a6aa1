"""Helpers shared by the model modules."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Return the current time in UTC; every stored timestamp is UTC."""
    return datetime.now(UTC)


# Table options of every table whose rows are named by an id (URLs, the API, the audit
# log, archives): on SQLite, AUTOINCREMENT, so the id of a deleted row never names a new
# one (a plain rowid table gives the highest deleted id to the next insert). PostgreSQL's
# identity sequences never hand out an id twice. Migration 0011 rebuilt the older tables.
IDS_NEVER_REUSED = {"sqlite_autoincrement": True}

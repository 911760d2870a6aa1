"""Engine set-up and schema upgrades.

SQLite connections get WAL, foreign keys, a busy timeout and synchronous=FULL,
and every transaction starts with BEGIN IMMEDIATE. Python's sqlite3 module
otherwise opens transactions lazily, which loses concurrent read-then-write
updates silently (see SECURITY-NOTES): taking the write lock up front turns
that into waiting, bounded by the busy timeout.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.platform.config import ROOT
from app.platform.files import FOLDER_MODE, private_sqlite

MIGRATIONS_DIR = ROOT / "migrations"
BUSY_TIMEOUT_MS = 15_000


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, _record) -> None:
    """Set the pragmas every SQLite connection needs."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Let SQLAlchemy's "begin" hook below emit BEGIN itself.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # The file holds transcripts: 0600 before the WAL exists (SQLite gives the WAL and
    # shm files the database file's mode), and narrowed if an older start left it 0644.
    path = cursor.execute("PRAGMA database_list").fetchone()[2]
    if path:
        private_sqlite(Path(path))
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin_immediate(connection) -> None:
    """Start SQLite transactions with the write lock taken."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def is_sqlite(app: Flask) -> bool:
    """Tell whether the app runs on the embedded SQLite database."""
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")


def upgrade_schema(app: Flask) -> None:
    """Bring the database schema to the newest migration."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(
            mode=FOLDER_MODE, parents=True, exist_ok=True
        )
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))


FTS_OBJECTS = ("passage_fts", "ix_passage_fts")


def include_name(name: str | None, type_: str, _parent_names) -> bool:
    """Hide full-text search objects, which migrations manage by hand, from autogenerate."""
    return not (name and type_ in {"table", "index"} and name.startswith(FTS_OBJECTS))

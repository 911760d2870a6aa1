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
from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine

from app.config import ROOT

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
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))


def prepare_database(app: Flask) -> None:
    """On start: upgrade an embedded SQLite database, then load the demo if it is empty.

    PostgreSQL is never upgraded implicitly: several workers starting at once
    would race, and operators want to run `flask --app app db upgrade`
    deliberately. The demo is loaded only into a database without any study.
    """
    if app.config["AUTO_UPGRADE"] and is_sqlite(app):
        upgrade_schema(app)
    if is_sqlite(app):  # the embedded setup runs jobs in this process only
        from app.jobs import interrupt_abandoned_jobs

        interrupt_abandoned_jobs(app)
    if app.config["LOAD_DEMO"]:
        from app.demo import load_demo
        from app.extensions import db
        from app.models import Study

        with app.app_context():
            if not inspect(db.engine).has_table("study"):
                app.logger.warning(
                    "The database has no tables yet: run `flask --app app db upgrade`."
                )
                return
            if db.session.execute(db.select(Study.id).limit(1)).first() is None:
                load_demo()
                db.session.commit()


FTS_OBJECTS = ("passage_fts", "ix_passage_fts")


def include_name(name: str | None, type_: str, _parent_names) -> bool:
    """Hide full-text search objects, which migrations manage by hand, from autogenerate."""
    return not (name and type_ in {"table", "index"} and name.startswith(FTS_OBJECTS))

"""Engine set-up, reading and writing transactions, schema upgrades.

SQLite connections get WAL, foreign keys, a busy timeout and synchronous=FULL.
A transaction that may write starts with BEGIN IMMEDIATE: Python's sqlite3 module
otherwise opens transactions lazily, which loses concurrent read-then-write
updates silently or fails them halfway (see SECURITY-NOTES); taking the write
lock up front turns that into waiting, bounded by the busy timeout.

A request that only reads (GET, HEAD, OPTIONS, unless its view is marked
`@writes_on_get`) runs in reading transactions instead: a deferred BEGIN with
`PRAGMA query_only` on SQLite (WAL lets it read beside a writer, so a long import
never blocks a page); on PostgreSQL its statements go without BEGIN and COMMIT, each
in its own transaction, read only by the connection's default (`read_only_by_default`;
a READ ONLY transaction on servers before 14). A write attempted in
one fails at once with the database's own error, never silently and never only
under contention. Everything else (other methods, the CLI, jobs, tests that open
an app context) writes as before. `separate_write` runs a short write beside a
reading request, for the audit of what was read (accounts/audit.py).

A pooled PostgreSQL connection is checked before use without a round trip
(`_drop_closed_connection`): SQLAlchemy's `pool_pre_ping` sent a `SELECT 1` on every
checkout, a twentieth of the statements a request sends, to catch what this check
catches for free (the server closed the connection: a restart, an administrator).
"""

from __future__ import annotations

import os
import select
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask, current_app, g, has_app_context, request
from flask_migrate import upgrade
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import Pool

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


# TCP keepalives on PostgreSQL connections (libpq parameters; a URL's own values win): a
# peer that vanished without closing (host reboot, failover, a NAT or firewall dropping
# an idle flow) is noticed within about two minutes, and its socket then reads as closed.
KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 60,
    "keepalives_interval": 10,
    "keepalives_count": 5,
}


@event.listens_for(Engine, "do_connect")
def _keepalives(dialect, _record, _cargs, cparams) -> None:
    """Ask libpq for keepalives, so `_drop_closed_connection` sees dead peers too."""
    if dialect.name == "postgresql":
        for key, value in KEEPALIVES.items():
            cparams.setdefault(key, value)


@event.listens_for(Pool, "checkout")
def _drop_closed_connection(dbapi_connection, _record, _proxy) -> None:
    """Refuse a pooled PostgreSQL connection that the server has closed; the pool opens another.

    An idle connection has nothing to read: if its socket is readable, the server sent
    its termination notice and closed it (restart, `pg_terminate_backend`, an idle
    timeout), so raising DisconnectionError makes the pool discard it and connect again,
    as `pool_pre_ping` did, without sending a statement on every checkout. A peer that
    vanished silently is caught once keepalives have closed the socket (`_keepalives`);
    until then its first request fails and SQLAlchemy replaces the pool. SQLite
    connections are files: nothing to check. A driver other than psycopg 3 (a URL
    written `postgresql+psycopg2://`) gets the round trip of `pool_pre_ping` instead.
    """
    if isinstance(dbapi_connection, sqlite3.Connection):
        return
    pgconn = getattr(dbapi_connection, "pgconn", None)  # psycopg's libpq connection
    if pgconn is None:
        _ping(dbapi_connection)
        return
    if dbapi_connection.closed or dbapi_connection.broken:
        raise DisconnectionError("the PostgreSQL connection is closed")
    if _readable(pgconn.socket):
        raise DisconnectionError("PostgreSQL closed this idle connection")


def _readable(fd: int) -> bool:
    """Whether a socket has something to read now; poll(), since select() stops at fd 1024."""
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        return bool(poller.poll(0))
    readable, _, _ = select.select([fd], [], [], 0)  # Windows: no poll, no 1024 limit
    return bool(readable)


def _ping(dbapi_connection) -> None:
    """One round trip, for drivers whose socket we cannot see."""
    try:
        cursor = dbapi_connection.cursor()
        cursor.execute("SELECT 1")
        cursor.close()
    except Exception as error:  # any driver's "connection is gone"
        raise DisconnectionError(str(error)) from error


READING = "magwb_reading"  # on `g`: this request's transactions only read
WRITE_OPTION = "magwb_write"  # execution option: this connection writes, whatever `g` says
AUTOCOMMIT = "magwb_autocommit"  # in a connection's info: `_begin` turned autocommit on
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})  # the safe methods of HTTP


def writes_on_get(view: Callable) -> Callable:
    """Mark a GET view that writes (a cache filled on the way), so it keeps the write lock."""
    view.writes_on_get = True
    return view


def declare_reading() -> None:
    """Before each request: a GET, HEAD or OPTIONS reads only, unless its view says otherwise."""
    if request.method not in READING_METHODS or request.endpoint is None:
        return
    view = current_app.view_functions.get(request.endpoint)
    if not getattr(view, "writes_on_get", False):
        g.setdefault(READING, True)


def reading() -> bool:
    """Tell whether this request declared that it only reads."""
    return has_app_context() and g.get(READING, False)


@event.listens_for(Engine, "begin")
def _begin(connection: Connection) -> None:
    """Start a writing transaction with the write lock taken, a reading one without."""
    write = connection.get_execution_options().get(WRITE_OPTION)
    if write is None:
        write = not reading()
    dialect = connection.dialect.name
    if dialect == "sqlite":
        info = connection.connection.info  # per DBAPI connection: send the pragma on change
        if info.get("query_only", False) == write:
            connection.exec_driver_sql(f"PRAGMA query_only={0 if write else 1}")
            info["query_only"] = not write
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
    elif dialect == "postgresql":
        dbapi_connection = connection.connection.dbapi_connection
        record = connection.connection.info  # per DBAPI connection: did we turn autocommit on?
        alone = (
            not write
            # SQLAlchemy set an isolation level (an export's REPEATABLE READ): keep it.
            and "isolation_level" not in connection.get_execution_options()
            and _reads_only_by_default(dbapi_connection)
        )
        if alone and not dbapi_connection.autocommit:
            dbapi_connection.autocommit = record[AUTOCOMMIT] = True
        elif not alone and record.pop(AUTOCOMMIT, False):
            dbapi_connection.autocommit = False  # only ours: an AUTOCOMMIT engine keeps its own
        if not alone and dbapi_connection.read_only != (not write):
            dbapi_connection.read_only = not write  # psycopg then sends BEGIN READ ONLY or WRITE


READ_ONLY_DEFAULT = "-c default_transaction_read_only=on"


def read_only_by_default(engine: Engine) -> None:
    """Make the app's PostgreSQL connections read only unless a transaction says READ WRITE.

    Set when connecting (libpq's `options`, no statement). Every writing transaction begins
    `READ WRITE` explicitly (`_begin`), so only the statements of reading requests, sent
    without BEGIN and COMMIT (autocommit: each its own transaction, read only by this
    default), rely on it: a write among them fails with PostgreSQL's own error, as it did in
    a READ ONLY transaction. At READ COMMITTED each statement took its own snapshot inside
    a transaction too, so a page sees what it saw before, for two round trips less. Other
    engines (tests, scripts, `psql`) are left as they are.

    A write sent in autocommit on these connections (SQLAlchemy's `AUTOCOMMIT` isolation
    level, Alembic's `autocommit_block()` for `CREATE INDEX CONCURRENTLY`) sends no BEGIN,
    so it is read only too: such code must first `SET default_transaction_read_only = off`
    on its connection. Nothing in the app does so today. An operator's `PGOPTIONS` is kept.
    """
    if engine.dialect.name != "postgresql":
        return

    @event.listens_for(engine, "do_connect")
    def _read_only(_dialect, _record, _cargs, cparams) -> None:
        # A connection parameter replaces the PGOPTIONS environment variable in libpq:
        # start from it, so an operator's search_path or statement_timeout still applies.
        given = cparams.get("options", os.environ.get("PGOPTIONS", ""))
        cparams["options"] = f"{given} {READ_ONLY_DEFAULT}".strip()


def _reads_only_by_default(dbapi_connection) -> bool:
    """Whether the server reports this connection's transactions read only by default.

    PostgreSQL 14 and later report the setting on connecting; older servers, another
    driver or a connection made without `read_only_by_default` keep reading transactions.
    """
    info = getattr(dbapi_connection, "info", None)
    status = getattr(info, "parameter_status", None)
    return status is not None and status("default_transaction_read_only") == "on"


def end_reading(error: BaseException | None) -> None:
    """After a reading request, end its transaction with COMMIT instead of ROLLBACK.

    The two are the same for a transaction that wrote nothing, but psycopg forgets every
    statement it prepared on the connection, and sends `DEALLOCATE ALL` on the next
    rollback, whenever a transaction is rolled back: with a GET ending in ROLLBACK
    between most requests, no statement was ever executed five times in a row on one
    connection, so none was prepared, and PostgreSQL parsed and planned the participant
    page's joined queries again on every request (0.4–0.5 ms of planning each). Only a
    request that ended without an error, with nothing pending in the session, commits;
    anything else is rolled back by Flask-SQLAlchemy's own teardown as before.
    """
    if error is not None or not reading():
        return
    scoped = current_app.extensions["sqlalchemy"].session
    if not scoped.registry.has():
        return
    session = scoped()
    if not session.in_transaction():
        return
    if session.new or session.dirty or session.deleted:
        return  # a change a GET made in memory: never written, rolled back below
    try:
        session.commit()
    except Exception:  # noqa: BLE001 (a teardown must not raise: the session is removed next)
        # Flask runs teardowns without catching: a failed COMMIT (the server restarted
        # during the request) must not keep the scoped session from being removed.
        current_app.logger.warning("ending a reading transaction failed", exc_info=True)
        session.rollback()


@contextmanager
def separate_write(engine: Engine) -> Iterator[Connection]:
    """Yield a connection in its own short write transaction, committed on leaving.

    For a reading request that must record something (what it showed, to whom): the
    request keeps reading without the lock; only this transaction takes it, briefly.
    Never call it while this thread holds a write transaction (it would wait for itself).
    """
    with engine.connect() as connection:
        connection.execution_options(**{WRITE_OPTION: True})
        with connection.begin():
            yield connection


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

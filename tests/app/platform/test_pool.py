"""Pooled connections: no statement per checkout, and a connection the server closed is replaced."""

from __future__ import annotations

import time

from sqlalchemy import create_engine, event, text
from sqlalchemy.pool import NullPool

from app.platform.extensions import db
from tests.conftest import login


def _statements(engine, work) -> list[str]:
    """Return the statements `work()` sends through `engine`."""
    sent: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return sent


def test_a_checkout_sends_no_ping(app):
    """The configuration has no pool_pre_ping: taking a pooled connection sends nothing."""
    assert not app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("pool_pre_ping")
    with app.app_context():
        engine = db.engine
        with engine.connect() as connection:  # a connection in the pool
            connection.execute(text("SELECT 1"))
        pings: list[object] = []
        ping = engine.dialect.do_ping
        engine.dialect.do_ping = lambda dbapi_connection: pings.append(dbapi_connection) or True
        try:
            sent = _statements(engine, lambda: engine.connect().close())
        finally:
            engine.dialect.do_ping = ping
        assert sent == [] and pings == []


def test_a_connection_the_server_ended_is_replaced_before_a_request_uses_it(
    app, make_user, make_study
):
    """PostgreSQL ends the pooled connection (a restart, an administrator): the next request
    gets a new connection and answers 200, as with pool_pre_ping. (SQLite has no server:
    the same requests simply answer.)"""
    owner = make_user("owner@example.org")
    study_id = make_study(owner)
    client = app.test_client()
    login(client, "owner@example.org")
    assert client.get(f"/studies/{study_id}").status_code == 200
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "postgresql":
            with engine.connect() as connection:
                pooled = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
            admin_engine = create_engine(engine.url, poolclass=NullPool)
            with admin_engine.connect() as admin:  # another connection, outside the pool
                ended = admin.execute(
                    text("SELECT pg_terminate_backend(:pid)"), {"pid": pooled}
                ).scalar_one()
            admin_engine.dispose()
            assert ended
            time.sleep(0.2)  # the server's notice reaches the pooled connection's socket
    for _ in range(3):  # every pooled connection, the ended one included, is taken in turn
        assert client.get(f"/studies/{study_id}").status_code == 200


def test_a_socket_above_1024_is_checked_too():
    """select() cannot watch a descriptor ≥ 1024 (a busy worker's PostgreSQL socket can be
    one): the checkout check must still tell a readable socket from a quiet one."""
    import os
    import resource

    from app.platform.database import _readable

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 1200
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))
    read_end, write_end = os.pipe()
    high = os.dup2(read_end, 1100)
    try:
        assert _readable(high) is False
        os.write(write_end, b"x")
        assert _readable(high) is True
    finally:
        for fd in (high, read_end, write_end):
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_a_driver_without_a_visible_socket_is_pinged():
    """A PostgreSQL URL written for another driver (psycopg2): its dead connection is
    refused at checkout by a round trip, so the pool replaces it."""
    import pytest
    from sqlalchemy.exc import DisconnectionError

    from app.platform.database import _drop_closed_connection

    class Dead:
        def cursor(self):
            raise OSError("server closed the connection unexpectedly")

    class Alive:
        executed: list[str] = []

        def cursor(self):
            return self

        def execute(self, statement):
            self.executed.append(statement)

        def close(self):
            pass

    with pytest.raises(DisconnectionError):
        _drop_closed_connection(Dead(), None, None)
    alive = Alive()
    _drop_closed_connection(alive, None, None)
    assert alive.executed == ["SELECT 1"]


def test_postgresql_connections_ask_for_tcp_keepalives(app):
    """A peer that vanishes without closing (failover, a NAT dropping an idle flow) is
    noticed: libpq is asked for keepalives. (SQLite has no socket.)"""
    with app.app_context():
        engine = db.engine
        with engine.connect() as connection:
            raw = connection.connection.dbapi_connection
            if engine.dialect.name != "postgresql":
                assert not hasattr(raw, "pgconn")
                return
            parameters = raw.info.get_parameters()
    assert parameters.get("keepalives") == "1"
    assert parameters.get("keepalives_idle") == "60"

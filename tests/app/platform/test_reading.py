"""Reading requests never wait for the write lock; writing ones still take it and serialise."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import exc, text

from app.accounts.policy import login_required
from app.models import AuditEvent, Coding, User
from app.platform.database import writes_on_get
from app.platform.extensions import db
from tests.conftest import login


@pytest.fixture
def coded_study(app, make_user, make_study, make_passages):
    """A study with one session of two passages, its owner logged in on a client."""
    owner = make_user("owner@example.org")
    study_id = make_study(owner)
    session_id, passage_ids = make_passages(
        study_id, ["Le CPAS demande un rendez-vous en ligne.", "Je fais sa déclaration."]
    )
    client = app.test_client()
    login(client, "owner@example.org")
    return {"id": study_id, "session": session_id, "passages": passage_ids, "client": client}


def _hold_write_transaction(app, study_id):
    """Open a second connection that holds a write transaction (a long import, say)."""
    with app.app_context():
        engine = db.engine
    connection = engine.connect()
    transaction = connection.begin()  # BEGIN IMMEDIATE on SQLite: the write lock is taken
    connection.execute(
        text("UPDATE study SET description = 'held by an import' WHERE id = :id"),
        {"id": study_id},
    )
    return connection, transaction


def test_pages_answer_while_another_connection_holds_the_write_lock(app, coded_study):
    """While a writer holds its transaction open, the login page, study pages, the coding view
    reopened and the coding API answer at once, without "database is locked"."""
    study, client = coded_study["id"], coded_study["client"]
    coding_view = f"/studies/{study}/sessions/{coded_study['session']}/code"
    assert client.get(coding_view).status_code == 200  # the view's audit row is written now
    connection, transaction = _hold_write_transaction(app, study)
    try:
        assert app.test_client().get("/login").status_code == 200
        assert client.get("/studies/").status_code == 200
        assert client.get(f"/studies/{study}").status_code == 200
        reopened = client.get(coding_view)  # within the audit window: nothing to write
        assert reopened.status_code == 200 and "Le CPAS demande" in reopened.text
        listed = client.get(f"/api/studies/{study}/codings?passage={coded_study['passages'][0]}")
        assert listed.status_code == 200 and listed.json == {"codings": []}
    finally:
        transaction.commit()
        connection.close()


def test_a_write_waits_for_the_lock_and_both_writes_are_kept(app, coded_study):
    """A coding saved while another transaction writes is stored once that one commits,
    and the other transaction's change is kept too (serialised, nothing lost)."""
    study, client = coded_study["id"], coded_study["client"]
    connection, transaction = _hold_write_transaction(app, study)
    statuses = []

    def save_coding():
        response = client.post(
            f"/api/studies/{study}/codings",
            json={
                "passage_id": coded_study["passages"][1],
                "start": 3,
                "end": 7,
                "theme": "privacy",
            },
        )
        statuses.append(response.status_code)

    writer = threading.Thread(target=save_coding)
    try:
        writer.start()
    finally:
        transaction.commit()
        connection.close()
    writer.join()
    assert statuses == [201]
    with app.app_context():
        codings = [
            (c.start_offset, c.end_offset, c.quote)
            for c in db.session.execute(db.select(Coding)).scalars()
        ]
        description = db.session.execute(
            text("SELECT description FROM study WHERE id = :id"), {"id": study}
        ).scalar_one()
    assert codings == [(3, 7, "fais")]
    assert description == "held by an import"


def _add_probe_views(app):
    """Two GET views that write an audit row through the request's own unit of work."""

    def write_on_get():
        db.session.add(AuditEvent(action="probe.write", object_type="probe", object_id=1))
        db.session.commit()
        return "written"

    def declared_write_on_get():
        return write_on_get()

    app.add_url_rule("/probe/read", "probe_read", login_required(write_on_get))
    app.add_url_rule(
        "/probe/declared", "probe_declared", login_required(writes_on_get(declared_write_on_get))
    )


def _probe_rows(app) -> int:
    with app.app_context():
        return len(db.session.execute(db.select(AuditEvent).filter_by(action="probe.write")).all())


def test_a_write_in_a_reading_request_fails_loudly(make_app, make_user):
    """A GET view that writes in the request's transaction is refused by the database itself
    (not lost silently, not only under contention); declared with @writes_on_get it writes."""
    app = make_app()
    _add_probe_views(app)
    make_user("reader@example.org")
    client = app.test_client()
    login(client, "reader@example.org")
    with pytest.raises(exc.DBAPIError):
        client.get("/probe/read")
    assert _probe_rows(app) == 0
    assert client.get("/probe/declared").text == "written"
    assert _probe_rows(app) == 1


def test_background_work_and_the_cli_still_write_outside_requests(app, make_user):
    """Outside a request (CLI, jobs, scripts) a transaction writes as before."""
    user_id = make_user("cli@example.org")
    with app.app_context():
        db.session.add(AuditEvent(action="cli.write", object_type="user", object_id=user_id))
        db.session.commit()
        assert db.session.execute(db.select(AuditEvent).filter_by(action="cli.write")).scalar()


def test_a_reading_request_that_changed_an_object_in_memory_stores_nothing(make_app, make_user):
    """A GET view that changes a loaded object without committing answers normally, and the
    change is not stored: the reading transaction ends without writing it."""
    app = make_app()

    def rename_in_memory():
        user = db.session.execute(db.select(User).filter_by(email="reader@example.org")).scalar()
        user.display_name = "Changed on a GET"
        return "shown"

    app.add_url_rule("/probe/rename", "probe_rename", login_required(rename_in_memory))
    make_user("reader@example.org")
    client = app.test_client()
    login(client, "reader@example.org")
    assert client.get("/probe/rename").text == "shown"
    with app.app_context():
        names = db.session.execute(db.select(User.display_name)).scalars().all()
    assert "Changed on a GET" not in names


def test_reading_requests_keep_the_statements_postgresql_prepared(app, coded_study):
    """Pages read again and again are served by statements prepared on the pooled connection:
    a reading request ends with COMMIT, which, unlike ROLLBACK, leaves them prepared. (SQLite
    has no prepared statements to keep; the pages simply answer.)"""
    for _ in range(8):
        assert coded_study["client"].get(f"/studies/{coded_study['id']}").status_code == 200
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return
        with db.engine.connect() as connection:  # the pool's one connection, used by each GET
            prepared = connection.exec_driver_sql(
                "SELECT count(*) FROM pg_prepared_statements"
            ).scalar_one()
    assert prepared > 0


def test_a_reading_request_on_postgresql_sends_no_begin(make_app, make_user):
    """On PostgreSQL a reading request's statements each run as their own (read-only)
    transaction, without the two round trips of BEGIN and its end: the server sees each
    statement start its transaction. A writing request still runs in one transaction."""
    app = make_app()

    def timestamps():
        db.session.execute(text("SELECT 1"))
        same = db.session.execute(text("SELECT transaction_timestamp() = statement_timestamp()"))
        return str(same.scalar_one())

    app.add_url_rule("/probe/timestamps", "probe_timestamps", login_required(timestamps))
    app.add_url_rule(
        "/probe/timestamps-write",
        "probe_timestamps_write",
        login_required(timestamps),
        methods=["POST"],
    )
    make_user("reader@example.org")
    client = app.test_client()
    login(client, "reader@example.org")
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return
    assert client.get("/probe/timestamps").text == "True"
    assert client.post("/probe/timestamps-write").text == "False"

"""Database settings that protect data: SQLite pragmas, write locking, migrations."""

from __future__ import annotations

import threading
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, make_url, text

from app import create_app
from app.platform.database import include_name, upgrade_schema
from app.platform.extensions import db
from tests.conftest import BASE_CONFIG


def _fresh_database(database_url: str, tmp_path):
    """Yield the URL of a new, empty database of the same kind as the test database."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    name = f"magwb_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def fresh_url(database_url, tmp_path):
    yield from _fresh_database(database_url, tmp_path)


def test_migrations_build_an_empty_database_matching_the_models(fresh_url):
    """Upgrading an empty database reaches head and autogenerate finds nothing pending."""
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": fresh_url})
    upgrade_schema(app)
    with app.app_context():
        with db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={"compare_type": True, "render_as_batch": True, "include_name": include_name},
            )
            assert context.get_current_revision() is not None
            diff = compare_metadata(context, db.metadata)
        tables = set(inspect(db.engine).get_table_names())
        db.engine.dispose()
    assert diff == []
    assert {
        "user",
        "study",
        "membership",
        "group_session",
        "participant",
        "consent",
        "narrative",
        "passage",
        "theme",
        "coding",
        "audit_event",
    } <= tables


def test_upgrading_twice_keeps_the_data(fresh_url):
    """Running the upgrade on an existing database never needs deleting it."""
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": fresh_url})
    upgrade_schema(app)
    from app.accounts.users import create_user
    from app.studies.studies import create_study

    with app.app_context():
        owner = create_user("keep@example.org", "Keep", password="x" * 12)
        create_study("Kept study", "", "nl", owner_id=owner.id)
        db.session.commit()
    upgrade_schema(app)
    with app.app_context():
        titles = db.session.execute(text("SELECT title FROM study")).scalars().all()
        engine = db.engine
    engine.dispose()  # after the context returned the session's connection
    assert titles == ["Kept study"]


def test_sqlite_connections_are_configured_for_durability(tmp_path):
    """Every SQLite connection uses WAL, foreign keys, a busy timeout and full sync."""
    app = create_app(
        {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite3'}"}
    )
    with app.app_context(), db.engine.connect() as connection:
        read = lambda pragma: connection.exec_driver_sql(f"PRAGMA {pragma}").scalar()  # noqa: E731
        assert read("journal_mode") == "wal"
        assert read("foreign_keys") == 1
        assert read("busy_timeout") == 15000
        assert read("synchronous") == 2  # FULL


def test_foreign_keys_are_enforced(app, make_user):
    """A membership pointing at a missing study is rejected by the database itself."""
    from sqlalchemy.exc import IntegrityError

    user_id = make_user("fk@example.org")
    with app.app_context():
        with pytest.raises(IntegrityError):
            db.session.execute(
                text(
                    "INSERT INTO membership (study_id, user_id, role, granted_at) "
                    "VALUES (999, :u, 'owner', CURRENT_TIMESTAMP)"
                ),
                {"u": user_id},
            )
            db.session.commit()
        db.session.rollback()


def test_concurrent_read_then_write_loses_no_update(app, make_user, make_study):
    """Eight threads incrementing one value in read-then-write transactions lose nothing."""
    owner = make_user("count@example.org")
    study_id = make_study(owner)
    engine = None
    with app.app_context():
        engine = db.engine
        is_pg = engine.dialect.name == "postgresql"
    lock = "FOR UPDATE" if is_pg else ""

    def worker():
        for _ in range(25):
            with engine.begin() as connection:
                value = connection.execute(
                    text(f"SELECT length(description) FROM study WHERE id = :id {lock}"),
                    {"id": study_id},
                ).scalar_one()
                connection.execute(
                    text("UPDATE study SET description = :d WHERE id = :id"),
                    {"d": "x" * (value + 1), "id": study_id},
                )

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with engine.connect() as connection:
        final = connection.execute(
            text("SELECT length(description) FROM study WHERE id = :id"), {"id": study_id}
        ).scalar_one()
    assert final == 200


def test_migrations_downgrade_to_base_and_back(fresh_url):
    """Every migration can be undone and redone on this database."""
    from flask_migrate import downgrade

    from app.platform.database import MIGRATIONS_DIR

    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": fresh_url})
    upgrade_schema(app)
    with app.app_context():
        downgrade(directory=str(MIGRATIONS_DIR), revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade_schema(app)
    with app.app_context():
        assert "passage_revision" in inspect(db.engine).get_table_names()
        engine = db.engine
    engine.dispose()

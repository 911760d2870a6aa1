"""Migration 0012: a job may have no study (a restore makes it); SQLite keeps every job row.

On SQLite the job table is rebuilt: rows, ids, AUTOINCREMENT, the status CHECK, the foreign
key to the study and the indexes must all survive, and no deleted job id is handed out again.
"""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app import create_app
from app.accounts.users import create_user
from app.platform.database import MIGRATIONS_DIR, upgrade_schema
from app.platform.extensions import db
from app.studies.studies import create_study
from tests.conftest import BASE_CONFIG, later_columns

INSERT_JOB = (
    "INSERT INTO job (study_id, kind, params, status, progress, message, result, error,"
    " created_by_id, created_at) VALUES ({study}, 'export.docx', '{{}}', '{status}', 0.5,"
    " 'step', '{{}}', '', {user}, '2026-12-01 10:00:00')"
)


@pytest.fixture
def sqlite_0011(database_url, tmp_path):
    """An app on a new SQLite database at revision 0011, the last before 0012."""
    if not database_url.startswith("sqlite"):
        pytest.skip("0012 rebuilds the table only on SQLite (PostgreSQL: a plain ALTER)")
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'a.db'}"})
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR), revision="0011")
    yield app
    with app.app_context():
        db.engine.dispose()


def _table(connection) -> dict:
    """Return the job rows, its table SQL, its indexes and its sqlite_sequence."""
    return {
        "rows": connection.execute(text("SELECT * FROM job ORDER BY id")).all(),
        "sql": connection.execute(
            text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'job'")
        ).scalar_one(),
        "indexes": connection.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'job'")
        ).all(),
        "seq": connection.execute(
            text("SELECT seq FROM sqlite_sequence WHERE name = 'job'")
        ).scalar(),
    }


def test_upgrading_from_0011_keeps_every_job_and_lets_a_job_have_no_study(sqlite_0011):
    """Rows, ids, CHECK, foreign key and indexes stay; a deleted id is not reused."""
    app = sqlite_0011
    with app.app_context():
        with later_columns():
            owner = create_user("owner@example.org", "Owner", password="x" * 12)
            study = create_study("Étude", "", "fr", owner_id=owner.id)
        ids = {"study": study.id, "user": owner.id}
        for status in ("done", "failed", "running", "queued"):
            db.session.execute(text(INSERT_JOB.format(status=status, **ids)))
        db.session.execute(text("DELETE FROM job WHERE id = (SELECT max(id) FROM job)"))
        db.session.commit()
        before = _table(db.session.connection())
        db.session.rollback()
    assert len(before["rows"]) == 3 and before["seq"] == 4

    upgrade_schema(app)

    with app.app_context():
        connection = db.session.connection()
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
            ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
        )
        after = _table(connection)
        assert after["rows"] == before["rows"]
        assert after["indexes"] == before["indexes"]
        assert after["seq"] == 4
        assert after["sql"] == before["sql"].replace(
            "study_id INTEGER NOT NULL,", "study_id INTEGER,"
        )
        assert "AUTOINCREMENT" in after["sql"]
        assert connection.execute(text("PRAGMA foreign_key_check")).all() == []
        assert connection.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        connection.execute(text(INSERT_JOB.format(study="NULL", status="queued", user=ids["user"])))
        new_id = connection.execute(text("SELECT max(id) FROM job")).scalar()
        assert new_id == 5  # not 4, the id of the job deleted before the upgrade
        db.session.commit()
    bad_rows = [
        INSERT_JOB.format(status="lost", **ids),
        INSERT_JOB.format(study=999_999, status="queued", user=ids["user"]),
    ]
    with app.app_context():
        for statement in bad_rows:
            with pytest.raises(IntegrityError):
                db.session.execute(text(statement))
            db.session.rollback()
        db.session.execute(text(f"DELETE FROM study WHERE id = {ids['study']}"))
        db.session.commit()  # the study's jobs go with it; the restore's job stays
        assert db.session.scalar(text("SELECT count(*) FROM job")) == 1


def test_downgrading_0012_drops_jobs_without_study_and_keeps_the_others(sqlite_0011):
    """Back at 0011 a job needs a study again: the jobs without one are deleted."""
    app = sqlite_0011
    upgrade_schema(app)
    with app.app_context():
        owner = create_user("owner@example.org", "Owner", password="x" * 12)
        study = create_study("Étude", "", "fr", owner_id=owner.id)
        db.session.flush()
        db.session.execute(text(INSERT_JOB.format(study=study.id, status="done", user=owner.id)))
        db.session.execute(text(INSERT_JOB.format(study="NULL", status="failed", user=owner.id)))
        db.session.commit()
        downgrade(directory=str(MIGRATIONS_DIR), revision="0011")
        connection = db.session.connection()
        table = _table(connection)
        assert [row.study_id for row in table["rows"]] == [study.id]
        assert "study_id INTEGER NOT NULL," in table["sql"] and "AUTOINCREMENT" in table["sql"]
        assert table["seq"] == 2
        db.session.rollback()

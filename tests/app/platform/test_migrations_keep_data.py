"""Upgrading a database that holds research data keeps every row (SQLite rebuilds tables).

SQLite alters a table by rebuilding it (create, copy, DROP, rename). With foreign keys on,
the DROP deletes the old rows first and cascades to the child tables: a database with data
at 0001 lost every coding in 0002's rebuild of ``theme``. migrations/env.py now runs SQLite
upgrades with the keys off and checks them before committing.
"""

from __future__ import annotations

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from app import create_app
from app.platform.database import MIGRATIONS_DIR
from app.platform.extensions import db
from tests.conftest import BASE_CONFIG

NOW = "2026-01-05 10:00:00.000000"


@pytest.fixture
def sqlite_0001(database_url, tmp_path):
    if not database_url.startswith("sqlite"):
        pytest.skip("only SQLite rebuilds tables to alter them")
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'a.db'}"})
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR), revision="0001")
    yield app
    with app.app_context():
        db.engine.dispose()


def _fill_at_0001(connection) -> None:
    """One study, session, participant, theme, passage and coding, in 0001's own columns."""
    statements = [
        "INSERT INTO study (id, title, description, language, created_at)"
        f" VALUES (1, 'Étude', '', 'fr', '{NOW}')",
        "INSERT INTO group_session (id, study_id, number, title, place, language, status,"
        f" created_at) VALUES (1, 1, 1, 'Séance 1', 'Bruxelles', 'fr', 'held', '{NOW}')",
        "INSERT INTO participant (id, study_id, pseudonym, pseudonym_key, attributes,"
        f" created_at) VALUES (1, 1, 'Sophie', 'sophie', '{{}}', '{NOW}')",
        "INSERT INTO theme (id, study_id, key, label_nl, label_fr, label_en, definition_nl,"
        " definition_fr, definition_en, colour, position, seed_terms, created_at) VALUES"
        f" (1, 1, 'privacy', 'Privacy', 'Vie privée', 'Privacy', '', '', '', '#123456', 1,"
        f" '[]', '{NOW}')",
        "INSERT INTO passage (id, group_session_id, phase, position, speaker_kind,"
        " participant_id, speaker_label, text, version, created_at, updated_at) VALUES"
        " (1, 1, 3, 1, 'participant', 1, 'Sophie', 'Le CPAS a demandé mon mot de passe.',"
        f" 1, '{NOW}', '{NOW}')",
        "INSERT INTO coding (id, passage_id, theme_id, start_offset, end_offset, origin,"
        f" memo, created_at, updated_at) VALUES (1, 1, 1, 3, 7, 'manual', 'mémo', '{NOW}',"
        f" '{NOW}')",
    ]
    for statement in statements:
        connection.exec_driver_sql(statement)


def test_upgrading_a_0001_database_with_data_to_the_newest_revision_keeps_every_coding(
    sqlite_0001,
):
    app = sqlite_0001
    with app.app_context():
        with db.engine.begin() as connection:
            _fill_at_0001(connection)
        upgrade(directory=str(MIGRATIONS_DIR))
        with db.engine.connect() as connection:
            coding = connection.execute(
                text("SELECT passage_id, theme_id, start_offset, end_offset, memo FROM coding")
            ).all()
            theme = connection.execute(text("SELECT key, guid FROM theme")).one()
            passages = connection.execute(text("SELECT id, text FROM passage")).all()
            keys_on = connection.exec_driver_sql("PRAGMA foreign_keys").scalar()
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    assert coding == [(1, 1, 3, 7, "mémo")]
    assert theme.key == "privacy" and len(theme.guid) == 36
    assert passages == [(1, "Le CPAS a demandé mon mot de passe.")]
    assert keys_on == 1, "the app's connections get their foreign keys back"
    assert broken == []

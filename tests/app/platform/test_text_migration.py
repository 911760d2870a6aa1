"""Migration 0016: text stored before the input rules loses what XML cannot hold, offsets kept.

Old data (or a restored older archive) can hold U+FFFE, U+FFFF and control characters that
made the .qdc, .qdpx, Word and XLSX exports fail. The migration rewrites them as U+FFFD in
every column of user text, one code point for one, on SQLite and PostgreSQL, and a second
run changes nothing.
"""

from __future__ import annotations

import hashlib
import importlib.util

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from app import create_app
from app.models import (
    Coding,
    GroupSession,
    KnownName,
    Participant,
    Passage,
    PassageAnalysis,
    PassageRevision,
    SpeakerKind,
    Statement,
    StatementKind,
    StatementVersion,
    Study,
    Suggestion,
    Synthesis,
    Theme,
    User,
)
from app.platform.database import MIGRATIONS_DIR
from app.platform.extensions import db
from tests.app.platform.test_database import _fresh_database
from tests.conftest import BASE_CONFIG

# Text columns added after 0016 hold only text stored through the input rules
# (normalise_text, clean_text), so they need no rewrite: name each here with its reason.
ADDED_AFTER_0016: dict[str, str] = {}

OLD_TEXT = "Le \ufffeCPAS\x01 a demandé\uffff mon mot de passe.\x1f"
CODED = (4, 8)  # "CPAS"


def _migration():
    path = MIGRATIONS_DIR / "versions" / "0016_text_xml_can_hold.py"
    spec = importlib.util.spec_from_file_location("migration_0016", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _xml_safe(value: str) -> str:
    """What the migration promises: each forbidden code point becomes one U+FFFD."""
    return "".join(
        "\ufffd" if (ord(ch) < 0x20 and ch not in "\t\n\r") or ch in "\ufffe\uffff" else ch
        for ch in value
    )


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def test_every_text_column_is_rewritten_or_excluded_with_a_reason(app):
    """A new text or JSON column must be covered by the rewrite or say why it needs none."""
    migration = _migration()
    with app.app_context():
        columns = {
            f"{table.name}.{column.name}"
            for table in db.metadata.sorted_tables
            for column in table.columns
            if isinstance(column.type, sa.String | sa.Text | sa.JSON)
            and not isinstance(column.type, sa.Enum)
        }
    rewritten = {
        f"{table}.{column}"
        for listing in (migration.TEXT_COLUMNS, migration.JSON_COLUMNS)
        for table, names in listing.items()
        for column in names
    }
    excluded = set(migration.NOT_USER_TEXT) | set(ADDED_AFTER_0016)
    assert not rewritten & excluded
    assert columns - rewritten - excluded == set()
    assert rewritten | excluded <= columns  # no stale entry


@pytest.fixture
def at_0015(database_url, tmp_path):
    """An app on a fresh database of the test kind, migrated to 0015."""
    for url in _fresh_database(database_url, tmp_path):
        app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade(directory=str(MIGRATIONS_DIR), revision="0015")
        yield app
        with app.app_context():
            db.engine.dispose()


def _fill(app) -> dict:
    """Store a study whose texts hold what no XML export can write, as old data did."""
    with app.app_context():
        user = User(email="old@example.org", display_name="Ann\x07Coder")
        study = Study(title="Étude\uffff", description="a\x0bb", language="fr")
        theme = Theme(
            study=study,
            key="privacy",
            label_nl="Privacy",
            label_fr="Vie\ufffeprivée",
            label_en="Privacy",
            definition_fr="déf\x02",
            seed_terms={"fr": ["mot\uffff"], "nl": [], "en": []},
        )
        first = Participant(
            study=study,
            pseudonym="Ann\ufffe",
            pseudonym_key="ann\ufffe",
            attributes={"position\x1e": "assistante\x02"},
        )
        # Rewritten, it would take the first one's unique key: it stays as it is.
        second = Participant(study=study, pseudonym="Ann\uffff", pseudonym_key="ann\uffff")
        group_session = GroupSession(study=study, number=1, language="fr", title="Séance\x1b")
        passage = Passage(
            group_session=group_session,
            phase=3,
            position=1,
            speaker_kind=SpeakerKind.PARTICIPANT,
            participant=first,
            text=OLD_TEXT,
        )
        coding = Coding(passage=passage, theme=theme, start_offset=CODED[0], end_offset=CODED[1])
        coding.memo = "mémo\uffff"
        synthesis = Synthesis(study=study, group_session=group_session)
        statement = Statement(
            synthesis=synthesis, kind=StatementKind.SUMMARY, group_label="groupe\x1c"
        )
        version = StatementVersion(
            statement=statement, number=1, text="Texte\ufffe", positions="a\x08", note="n\uffff"
        )
        db.session.add_all([user, study, theme, first, second, passage, coding])
        db.session.add_all([synthesis, statement, version])
        db.session.flush()
        db.session.add_all(
            [
                PassageRevision(passage_id=passage.id, version=1, text="avant\ufffe"),
                Suggestion(
                    study_id=study.id,
                    passage_id=passage.id,
                    theme_id=theme.id,
                    score=0.9,
                    regime="zero-shot",
                    text_hash=_sha(OLD_TEXT),
                ),
                PassageAnalysis(
                    passage_id=passage.id, text_hash=_sha(OLD_TEXT), language="fr", prepared={}
                ),
            ]
        )
        if db.engine.dialect.name == "sqlite":  # PostgreSQL never stored a NUL
            db.session.add(KnownName(study_id=study.id, name="Jan\x00Peeters"))
        db.session.commit()
        return {"study": study.id, "passage": passage.id, "first": first.id, "second": second.id}


def _snapshot(app, ids: dict) -> dict:
    """Every stored value the test put in, read back with plain SQL."""
    with app.app_context(), db.engine.connect() as connection:

        def one(sql: str, **params):
            return tuple(connection.execute(text(sql), params).one())

        return {
            "user": one('SELECT display_name FROM "user"'),
            "study": one("SELECT title, description FROM study"),
            "theme": one("SELECT label_fr, definition_fr, seed_terms FROM theme"),
            "first": one(
                "SELECT pseudonym, pseudonym_key, attributes FROM participant WHERE id = :id",
                id=ids["first"],
            ),
            "second": one(
                "SELECT pseudonym, pseudonym_key FROM participant WHERE id = :id",
                id=ids["second"],
            ),
            "session": one("SELECT title FROM group_session"),
            "passage": one("SELECT text FROM passage"),
            "coding": one("SELECT start_offset, end_offset, memo FROM coding"),
            "revision": one("SELECT text FROM passage_revision"),
            "statement": one("SELECT group_label FROM statement"),
            "version": one("SELECT text, positions, note FROM statement_version"),
            "suggestion": one("SELECT text_hash FROM suggestion"),
            "cached": one("SELECT count(*) FROM passage_analysis"),
        }


def _json(value):
    import json

    return json.loads(value) if isinstance(value, str) else value


def test_the_upgrade_rewrites_what_xml_cannot_hold_and_keeps_every_offset(at_0015):
    """U+FFFE, U+FFFF and controls become U+FFFD everywhere; codings keep their words."""
    app = at_0015
    ids = _fill(app)
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))
    after = _snapshot(app, ids)
    new_text = _xml_safe(OLD_TEXT)
    assert after["passage"] == (new_text,)
    assert len(new_text) == len(OLD_TEXT)
    start, end, memo = after["coding"]
    assert (start, end) == CODED and new_text[start:end] == "CPAS"
    assert memo == "mémo\ufffd"
    assert after["user"] == ("Ann\ufffdCoder",)
    assert after["study"] == ("Étude\ufffd", "a\ufffdb")
    label, definition, terms = after["theme"]
    assert (label, definition) == ("Vie\ufffdprivée", "déf\ufffd")
    assert _json(terms)["fr"] == ["mot\ufffd"]
    pseudonym, key, attributes = after["first"]
    assert (pseudonym, key) == ("Ann\ufffd", "ann\ufffd")
    assert _json(attributes) == {"position\ufffd": "assistante\ufffd"}
    assert after["second"] == ("Ann\uffff", "ann\uffff"), "its key would repeat the first one's"
    assert after["session"] == ("Séance\ufffd",)
    assert after["revision"] == ("avant\ufffd",)
    assert after["statement"] == ("groupe\ufffd",)
    assert after["version"] == ("Texte\ufffd", "a\ufffd", "n\ufffd")
    assert after["suggestion"] == (_sha(new_text),), "decisions still hold for the passage"
    assert after["cached"] == (0,), "lemmas of the old text are dropped"
    with app.app_context():
        names = db.session.execute(text("SELECT name FROM known_name")).scalars().all()
        sqlite = db.engine.dialect.name == "sqlite"
    assert names == (["Jan\ufffdPeeters"] if sqlite else [])


def test_running_the_rewrite_again_changes_nothing(at_0015):
    """Idempotent: down to 0015 (which keeps the data) and up again leaves every value."""
    app = at_0015
    ids = _fill(app)
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))
    first = _snapshot(app, ids)
    with app.app_context():
        downgrade(directory=str(MIGRATIONS_DIR), revision="0015")
        upgrade(directory=str(MIGRATIONS_DIR))
    assert _snapshot(app, ids) == first

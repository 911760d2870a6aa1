"""Ids are never reused (issue 14): the id of a deleted row never names a new one.

On SQLite a plain rowid table hands the highest deleted id to the next insert, so the audit
log showed "coding 2861" created and deleted three times for three different codings, and a
script holding an old id acted on someone's new coding. Tables named by id are AUTOINCREMENT
(migration 0011 rebuilt the existing ones); PostgreSQL's identity sequences never reuse one.
"""

from __future__ import annotations

import re

import pytest
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict

from app import create_app
from app.accounts.users import create_user
from app.capture.joins import merge_with_next
from app.capture.passages import Speaker, add_passage, edit_passage
from app.coding.codings import code_passage, remove_coding
from app.coding.retrieval import matching_passages
from app.exchange.archive.format import ADDED_COLUMNS
from app.models import AuditEvent, GroupSession, Participant, Passage, SpeakerKind, Statement
from app.platform.database import MIGRATIONS_DIR, upgrade_schema
from app.platform.extensions import db
from app.studies.studies import create_study
from app.synthesis.statements import save_statement, synthesis_for
from tests.conftest import BASE_CONFIG, later_columns, login

# Upgrades run to the newest revision (0012 and later change nothing 0011 made).
HEAD = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
# Indexes later migrations add (0013: the audit log by object and time).
ADDED_SINCE_0011 = {"ix_audit_event_object"}

# Tables keyed by other rows' ids (links and a cache), not named by an id of their own.
KEYED_BY_OTHERS = {"incident_theme", "statement_theme", "passage_analysis"}


def _named_by_id(table) -> bool:
    return [c.name for c in table.primary_key.columns] == ["id"]


def _session_with_speaker(study_id: int) -> tuple[GroupSession, Speaker]:
    group_session = GroupSession(study_id=study_id, number=1, language="fr")
    person = Participant(study_id=study_id, pseudonym="Amina", pseudonym_key="amina")
    db.session.add_all([group_session, person])
    db.session.flush()
    return group_session, Speaker(SpeakerKind.PARTICIPANT, person.id)


@pytest.fixture
def study(app, make_user, make_study, make_passages):
    """A study with one session of three passages, and its owner."""
    owner = make_user("owner@example.org")
    study_id = make_study(owner)
    session_id, passages = make_passages(
        study_id, ["Le CPAS a fermé.", "On attend toujours.", "Personne ne répond."]
    )
    return {"id": study_id, "owner": owner, "session": session_id, "passages": passages}


def test_a_script_holding_a_deleted_coding_id_never_reaches_someone_elses_new_coding(
    client, app, study
):
    """Delete the newest coding by the API, code again: the new coding gets a new id."""
    login(client, "owner@example.org")
    api = f"/api/studies/{study['id']}/codings"
    ids = [
        client.post(
            api, json={"passage_id": passage, "start": 0, "end": 2, "theme": "privacy"}
        ).json["id"]
        for passage in study["passages"]
    ]
    deleted = max(ids)
    assert client.delete(f"{api}/{deleted}").status_code == 204
    new = client.post(
        api, json={"passage_id": study["passages"][0], "start": 3, "end": 7, "theme": "privacy"}
    ).json["id"]
    assert new != deleted
    # The script still holding the old id is told it is gone; the new coding is untouched.
    assert client.patch(f"{api}/{deleted}", json={"memo": "stale"}).status_code == 404
    assert client.delete(f"{api}/{deleted}").status_code == 404
    codings = {c["id"]: c for c in client.get(api).json["codings"]}
    assert codings[new]["memo"] == ""
    with app.app_context():
        history = db.session.execute(
            db.select(AuditEvent.action)
            .filter_by(object_type="coding", object_id=deleted)
            .order_by(AuditEvent.id)
        ).scalars()
        assert list(history) == ["coding.create", "coding.delete"]


def test_a_passage_merged_away_never_lends_its_id_to_the_next_passage(app, study):
    """Merging deletes the following passage; the next passage added gets a new id."""
    with app.app_context():
        group_session = db.session.get(GroupSession, study["session"])
        person = db.session.get(Passage, study["passages"][0]).participant_id
        speaker = Speaker(SpeakerKind.PARTICIPANT, person)
        first, _ = add_passage(group_session, 5, speaker, "Premier.", user_id=study["owner"])
        second, _ = add_passage(group_session, 5, speaker, "Deuxième.", user_id=study["owner"])
        db.session.commit()
        deleted = second.id
        assert deleted == db.session.scalar(db.select(db.func.max(Passage.id)))
        merge_with_next(first, user_id=study["owner"])
        db.session.commit()
        assert db.session.get(Passage, deleted) is None
        third, _ = add_passage(group_session, 5, speaker, "Troisième.", user_id=study["owner"])
        db.session.commit()
        assert third.id != deleted


def test_a_deleted_statement_id_is_not_given_to_the_next_statement(app, study):
    """Statements leave only with their session or study; a new one never takes such an id."""
    with app.app_context():
        synthesis = synthesis_for(study["id"], study["session"], create=True)
        form = MultiDict({"kind": "summary", "text": "Le CPAS ferme trop tôt."})
        statements = [save_statement(synthesis, form, user_id=study["owner"]) for _ in range(3)]
        db.session.commit()
        deleted = statements[-1].id
        db.session.delete(statements[-1])
        db.session.commit()
        db.session.expire(synthesis)
        new = save_statement(synthesis, form, user_id=study["owner"])
        db.session.commit()
        assert new.id != deleted
        assert db.session.get(Statement, deleted) is None


def test_every_table_named_by_id_never_reuses_ids_in_the_migrated_schema(app):
    """Models declare AUTOINCREMENT and the schema the migrations built has it (SQLite)."""
    tables = list(db.metadata.sorted_tables)
    assert {t.name for t in tables if not _named_by_id(t)} == KEYED_BY_OTHERS
    undeclared = [
        t.name
        for t in tables
        if _named_by_id(t) and not t.dialect_options["sqlite"]["autoincrement"]
    ]
    assert undeclared == []
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("PostgreSQL identity columns never reuse ids; nothing to declare")
        schema = dict(
            db.session.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'table'"))
            .tuples()
            .all()
        )
    # A later batch migration that rebuilds one of these tables must keep AUTOINCREMENT
    # (op.batch_alter_table(..., table_kwargs={"sqlite_autoincrement": True})).
    missing = [t.name for t in tables if _named_by_id(t) and "AUTOINCREMENT" not in schema[t.name]]
    assert missing == []


# ------------------------------------------------------------------ upgrading from 0010


def _rows(connection) -> dict[str, list[tuple]]:
    """Return every row of every model table, in rowid order (columns 0010 already had)."""
    rows = {}
    for table in db.metadata.sorted_tables:
        later = {column for name, column in LATER_COLUMNS if name == table.name}
        columns = ", ".join(f'"{c.name}"' for c in table.columns if c.name not in later)
        query = f'SELECT {columns} FROM "{table.name}" ORDER BY rowid'
        rows[table.name] = connection.execute(text(query)).all()
    return rows


def _schema(connection) -> dict[str, object]:
    """Return each table's named constraints, and every index and trigger, as SQL text."""
    tables = {
        name: sorted(re.findall(r"CONSTRAINT (\w+ (?:CHECK|UNIQUE|FOREIGN KEY).*?)(?:, )?\n", sql))
        for name, sql in connection.execute(
            text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%' AND sql IS NOT NULL"
            )
        ).tuples()
    }
    extras = connection.execute(
        text(
            "SELECT type, name, sql FROM sqlite_master"
            " WHERE type IN ('index', 'trigger') AND sql IS NOT NULL"
        )
    ).tuples()
    return {"tables": tables, "indexes and triggers": sorted(extras)}


@pytest.fixture
def sqlite_0010(database_url, tmp_path):
    """An app on a new SQLite database at revision 0010, the last before 0011."""
    if not database_url.startswith("sqlite"):
        pytest.skip("0011 changes only SQLite databases")
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'a.db'}"})
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR), revision="0010")
    yield app
    with app.app_context():
        db.engine.dispose()


# Columns that revisions after 0011 add: today's services write them, so they are added
# while the services fill the 0010 database and dropped again before 0011 runs.
LATER_COLUMNS = sorted(pair for pairs in ADDED_COLUMNS.values() for pair in pairs)


def _study_at_0010(app) -> dict:
    """Fill the old database through the services; delete the newest coding and passage."""
    with app.app_context(), later_columns():
        return _fill_0010(app)


def _fill_0010(app) -> dict:
    with app.app_context():
        owner = create_user("owner@example.org", "Owner", password="x" * 12)
        study = create_study("Étude", "", "fr", owner_id=owner.id)
        group_session, speaker = _session_with_speaker(study.id)
        words = ["facture", "huissier", "mutuelle", "loyer"]
        passages = [
            add_passage(group_session, 5, speaker, f"La {word} arrive.", user_id=owner.id)[0]
            for word in words
        ]
        codings = [
            code_passage(study.id, p.id, 3, 8, "privacy", coder_id=owner.id) for p in passages
        ]
        synthesis = synthesis_for(study.id, group_session.id, create=True)
        save_statement(synthesis, MultiDict({"kind": "summary", "text": "Trop."}), user_id=owner.id)
        db.session.commit()
        remove_coding(codings[-1], user_id=owner.id)
        merge_with_next(passages[-2], user_id=owner.id)  # deletes the newest passage
        db.session.commit()
        return {
            "study": study.id,
            "owner": owner.id,
            "session": group_session.id,
            "speaker": speaker,
            "words": words,
            "deleted coding": codings[-1].id,
            "deleted passage": passages[-1].id,
            "passages": [p.id for p in passages[:-1]],
        }


def test_upgrading_a_0010_database_keeps_every_row_and_stops_reusing_ids(sqlite_0010):
    """0011 keeps rows, constraints, indexes, triggers and search, and reuses no old id."""
    app = sqlite_0010
    old = _study_at_0010(app)
    with app.app_context():
        connection = db.session.connection()
        rows_before, schema_before = _rows(connection), _schema(connection)
        highest_coding = db.session.scalar(text("SELECT max(id) FROM coding"))
        db.session.rollback()
    assert highest_coding < old["deleted coding"]  # SQLite would hand it out again

    upgrade_schema(app)

    with app.app_context():
        connection = db.session.connection()
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD
        assert _rows(connection) == rows_before
        schema = _schema(connection)
        added = [entry for entry in schema["indexes and triggers"] if entry[1] in ADDED_SINCE_0011]
        kept = [entry for entry in schema["indexes and triggers"] if entry not in added]
        assert kept == schema_before["indexes and triggers"]
        assert [name for _type, name, _sql in added] == sorted(ADDED_SINCE_0011)
        assert schema["tables"] == schema_before["tables"]
        phase_check = "ck_passage_phase_range CHECK (phase BETWEEN 1 AND 11)"
        assert phase_check in schema["tables"]["passage"]
        assert {"passage_fts_insert", "passage_fts_delete", "passage_fts_update"} <= {
            name for kind, name, _sql in schema["indexes and triggers"] if kind == "trigger"
        }
        assert connection.execute(text("PRAGMA foreign_key_check")).all() == []
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        db.session.rollback()

        # Every passage is still found by its words, the merged one by both.
        for passage_id, word in zip(old["passages"], old["words"], strict=False):
            assert db.session.scalars(matching_passages(old["study"], [word])).all() == [passage_id]
        assert db.session.scalars(matching_passages(old["study"], ["loyer"])).all() == [
            old["passages"][-1]
        ]

        # New rows: ids above everything deleted before the upgrade, and search follows them.
        group_session = db.session.get(GroupSession, old["session"])
        passage, _ = add_passage(
            group_session, 5, old["speaker"], "Le CPAS répond.", user_id=old["owner"]
        )
        coding = code_passage(old["study"], passage.id, 3, 7, "privacy", coder_id=old["owner"])
        db.session.commit()
        assert passage.id > old["deleted passage"]
        assert coding.id > old["deleted coding"]
        assert db.session.scalars(matching_passages(old["study"], ["répond"])).all() == [passage.id]
        edit_passage(
            passage,
            version=passage.version,
            text="Le CPAS se tait.",
            speaker=old["speaker"],
            phase=5,
            user_id=old["owner"],
            codings_choice="keep",
        )
        db.session.commit()
        assert db.session.scalars(matching_passages(old["study"], ["répond"])).all() == []
        assert db.session.scalars(matching_passages(old["study"], ["tait"])).all() == [passage.id]
        passage_id, coding_id = passage.id, coding.id

    # CHECK constraints still refuse bad rows, and foreign keys are enforced again.
    bad_rows = [
        f"UPDATE coding SET end_offset = start_offset WHERE id = {coding_id}",
        f"UPDATE passage SET phase = 12 WHERE id = {passage_id}",
        f"UPDATE passage SET participant_id = NULL WHERE id = {passage_id}",
        f"UPDATE group_session SET number = 0 WHERE id = {old['session']}",
        "UPDATE membership SET role = 'boss'",
        f"INSERT INTO coding (passage_id, theme_id, start_offset, end_offset, origin, memo,"
        f" created_at, updated_at) VALUES ({passage_id}, 999999, 0, 1, 'manual', '', 0, 0)",
    ]
    with app.app_context():
        for statement in bad_rows:
            with pytest.raises(IntegrityError):
                db.session.execute(text(statement))
            db.session.rollback()


def test_starting_the_app_on_a_0010_database_upgrades_it_and_reuses_no_id(sqlite_0010):
    """The embedded start path (auto upgrade) rebuilds the tables; the API then gives new ids."""
    old = _study_at_0010(sqlite_0010)
    started = create_app(
        {
            **BASE_CONFIG,
            "SQLALCHEMY_DATABASE_URI": sqlite_0010.config["SQLALCHEMY_DATABASE_URI"],
            "AUTO_UPGRADE": True,
        }
    )
    client = started.test_client()
    response = client.post("/login", data={"email": "owner@example.org", "password": "x" * 12})
    assert response.status_code == 302
    created = client.post(
        f"/api/studies/{old['study']}/codings",
        json={"passage_id": old["passages"][0], "start": 0, "end": 2, "theme": "privacy"},
    )
    assert created.status_code == 201
    assert created.json["id"] > old["deleted coding"]
    with started.app_context():
        assert db.session.scalar(text("SELECT version_num FROM alembic_version")) == HEAD
        assert db.session.scalar(text("PRAGMA foreign_keys")) == 1
        db.engine.dispose()


def test_0011_run_again_after_a_stop_before_stamping_changes_nothing(sqlite_0010):
    """0011 commits its rebuild before alembic stamps it: a second run finds it done."""
    from flask_migrate import stamp

    app = sqlite_0010
    _study_at_0010(app)
    upgrade_schema(app)
    with app.app_context():
        connection = db.session.connection()
        rows, sequences = (
            _rows(connection),
            connection.execute(text("SELECT * FROM sqlite_sequence")).all(),
        )
        db.session.rollback()
        stamp(directory=str(MIGRATIONS_DIR), revision="0010")
    upgrade_schema(app)
    with app.app_context():
        connection = db.session.connection()
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD
        assert _rows(connection) == rows
        assert connection.execute(text("SELECT * FROM sqlite_sequence")).all() == sequences
        db.session.rollback()

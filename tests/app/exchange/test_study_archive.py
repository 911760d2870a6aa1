"""Study backup and restore: lossless, into any database; nothing stored from a bad archive."""

from __future__ import annotations

import enum
import hashlib
import io
import json
import zipfile
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func

from app import create_app
from app.accounts.audit import record_event
from app.coding.retrieval import matching_passages
from app.demo import load_demo
from app.exchange.archive.export import export_study_archive
from app.exchange.archive.format import EXCLUDED, TABLES, ArchiveError, added_since
from app.exchange.archive.restore import import_study_archive
from app.models import (
    ConsentScope,
    GroupSession,
    KnownName,
    Membership,
    Passage,
    PassageRevision,
    PiiFinding,
    ProposalLevel,
    QuoteChoice,
    QuoteDecision,
    Role,
    RoundStatement,
    Statement,
    StatementAnswer,
    StatementKind,
    StatementLink,
    StatementVersion,
    Study,
    Synthesis,
    User,
    ValidationLink,
    ValidationRound,
    Verdict,
)
from app.models.analysis import Grouping, GroupingStatus, Suggestion, SuggestionStatus
from app.models.jobs import Job
from app.platform.database import upgrade_schema
from app.platform.extensions import db
from app.studies.participants import record_consent
from tests.conftest import BASE_CONFIG

ARCHIVED = [
    "study", "participant", "consent", "group_session", "narrative", "passage",
    "passage_revision", "theme", "incident_sheet", "incident_theme", "coding", "synthesis",
    "statement", "statement_version",
    "statement_link", "statement_theme", "validation_round", "round_statement",
    "validation_link", "statement_answer", "quote_decision", "pii_finding", "known_name",
    "suggestion", "grouping", "membership", "audit_event",
]  # fmt: skip
# Keys the schema makes unique; any other row is known by its whole content (ids resolved).
NATURAL = {
    "user": ("email",),
    "study": (),
    "participant": ("pseudonym_key",),
    "group_session": ("number",),
    "theme": ("key",),
    "statement_version": ("statement_id", "number"),
    "validation_link": ("round_id", "participant_id"),
}
DETAIL_IDS = {"participant": "participant", "passage": "passage", "coding": "coding"}
DETAIL_IDS |= {"session": "group_session", "user": "user", "new": "passage"}
DETAIL_IDS |= {"statement": "statement", "round": "validation_round", "link": "validation_link"}
UNIQUE_WORD = "zeldzaamherstelwoord"


# ------------------------------------------------------------------ a canonical dump


def _study_rows(study_id: int) -> dict[str, list[dict]]:
    """Every row of the study per table, by primary key, written out independently."""
    tables = db.metadata.tables

    def select(name, condition):
        table = tables[name]
        query = db.select(table).where(condition).order_by(*table.primary_key.columns)
        return [dict(row) for row in db.session.execute(query).mappings()]

    rows = {"study": select("study", tables["study"].c.id == study_id)}
    for name in (
        "participant",
        "group_session",
        "theme",
        "incident_sheet",
        "synthesis",
        "validation_round",
    ):
        rows[name] = select(name, tables[name].c.study_id == study_id)
    for name in (
        "pii_finding",
        "known_name",
        "suggestion",
        "grouping",
        "membership",
        "audit_event",
    ):
        rows[name] = select(name, tables[name].c.study_id == study_id)
    for name, column, parent in [
        ("consent", "participant_id", "participant"),
        ("narrative", "group_session_id", "group_session"),
        ("passage", "group_session_id", "group_session"),
        ("passage_revision", "passage_id", "passage"),
        ("coding", "passage_id", "passage"),
        ("statement", "synthesis_id", "synthesis"),
        ("statement_version", "statement_id", "statement"),
        ("statement_link", "statement_id", "statement"),
        ("statement_theme", "statement_id", "statement"),
        ("incident_theme", "incident_id", "incident_sheet"),
        ("round_statement", "round_id", "validation_round"),
        ("validation_link", "round_id", "validation_round"),
        ("statement_answer", "link_id", "validation_link"),
        ("quote_decision", "link_id", "validation_link"),
    ]:
        parents = [row["id"] for row in rows[parent]]
        rows[name] = select(name, tables[name].c[column].in_(parents))
    return rows


def canonical(study_id: int, *, drop=()) -> dict[str, list]:
    """Return the study with every id replaced by the natural key of the row it names.

    Rows stay in primary-key order, so equal dumps also mean the order was kept.
    """
    rows = _study_rows(study_id)
    by_id = {name: {row["id"]: row for row in found if "id" in row} for name, found in rows.items()}
    users = db.session.execute(db.select(User.id, User.email)).all()
    by_id["user"] = {uid: {"id": uid, "email": email} for uid, email in users}
    keys: dict = {}

    def value(v):
        if isinstance(v, datetime):
            return (v if v.tzinfo else v.replace(tzinfo=UTC)).astimezone(UTC)
        return v.value if isinstance(v, enum.Enum) else v

    def key(table: str, row_id):
        row = by_id.get(table, {}).get(row_id)
        if row is None:
            return None  # an object that no longer exists
        if (table, row_id) not in keys:
            if table in NATURAL:
                keys[table, row_id] = (table, *[resolve(table, c, row[c]) for c in NATURAL[table]])
            else:
                keys[table, row_id] = (table, content(table, row))
        return keys[table, row_id]

    def resolve(table: str, column: str, v):
        if table == "audit_event" and column == "study_id":
            return "study" if v == study_id else ("other", v)
        fks = db.metadata.tables[table].c[column].foreign_keys
        if fks and v is not None:
            return key(next(iter(fks)).column.table.name, v)
        return value(v)

    def content(table: str, row: dict) -> tuple:
        items = []
        for column, v in row.items():
            if column == "id" or column in drop:
                continue
            if column == "object_id" and table in ("audit_event", "pii_finding"):
                items.append((column, key(row["object_type"], v)))
            elif column in ("seating", "members", "representatives"):
                target = "participant" if column == "seating" else "passage"
                found = (key(target, p) for p in v)
                items.append((column, tuple(k for k in found if k is not None)))
            elif column == "theme_overlap":
                found = ((key("theme", int(k)), share) for k, share in v.items())
                items.append((column, tuple(sorted((k, d) for k, d in found if k is not None))))
            elif column == "evidence":
                found = [{**e, "passage_id": key("passage", e.get("passage_id"))} for e in v]
                items.append((column, tuple(tuple(sorted(e.items(), key=repr)) for e in found)))
            elif column == "details":
                ids = {k: key(DETAIL_IDS[k], d) for k, d in v.items() if k in DETAIL_IDS}
                items.append((column, tuple(sorted({**v, **ids}.items(), key=repr))))
            else:
                items.append((column, resolve(table, column, v)))
        return tuple(items)

    dump = {}
    for table, found in rows.items():
        dump[table] = [content(table, row) for row in found]
        if table in {"statement_theme", "incident_theme"}:
            dump[table].sort(key=repr)
        if table in NATURAL:
            natural = [key(table, row["id"]) for row in found]
            assert len(set(natural)) == len(natural), table  # the natural key is a key
    dump["pii_finding"] = [r for r in dump["pii_finding"] if dict(r)["object_id"] is not None]
    dump["audit_event"] = [r for r in dump["audit_event"] if dict(r)["action"] != "study.import"]
    return dump


def table_counts() -> dict[str, int]:
    """Rows in every table of the database."""
    return {
        name: db.session.scalar(db.select(func.count()).select_from(table))
        for name, table in db.metadata.tables.items()
    }


# ------------------------------------------------------------------ a study with everything


@pytest.fixture
def study(app, make_user, add_member):
    """The demo study plus a synthesis, a validation round, consents, findings, audit events."""
    owner = make_user("owner@example.org")
    researcher = make_user("researcher@example.org")
    with app.app_context():
        demo = load_demo(owner_id=owner)
        db.session.flush()
        study_id = demo.id
        first, second = demo.group_sessions
        people = {p.pseudonym: p for p in demo.participants}
        first.seating = [people[name].id for name in ("Lotte", "Bram", "Fatima")]
        passages = sorted(first.passages, key=lambda p: (p.phase, p.position))
        spoken = [p for p in passages if p.participant is not None and p.codings]
        quoted, other = spoken[0], spoken[1]
        coding = quoted.codings[0]
        themes = {t.key: t for t in demo.themes}
        themes["outsourcing"].parent_id = themes["dependency"].id
        # An edited passage: version 2, one revision, a word only it contains.
        other.text = other.text + " " + UNIQUE_WORD
        db.session.flush()
        assert other.version == 2
        db.session.add(
            PassageRevision(passage_id=other.id, version=1, text="earlier", edited_by_id=owner)
        )
        other.start_time, other.end_time = 12.345678, 15.5
        synthesis = db.session.execute(
            db.select(Synthesis).filter_by(study_id=study_id, group_session_id=first.id)
        ).scalar_one_or_none() or Synthesis(study_id=study_id, group_session_id=first.id)
        transversal = db.session.execute(
            db.select(Synthesis).filter_by(study_id=study_id, group_session_id=None)
        ).scalar_one_or_none() or Synthesis(study_id=study_id, group_session_id=None)
        convergence = Statement(synthesis=synthesis, kind=StatementKind.CONVERGENCE, position=101)
        proposal = Statement(
            synthesis=synthesis,
            kind=StatementKind.PROPOSAL,
            position=102,
            level=ProposalLevel.POLICY,
            archived_at=datetime(2026, 4, 1, 8, 30, 0, 123456, tzinfo=UTC),
        )
        hypothesis = Statement(synthesis=transversal, kind=StatementKind.HYPOTHESIS, position=101)
        convergence.themes.extend([themes["privacy"], themes["dependency"]])
        db.session.add_all([synthesis, transversal, convergence, proposal, hypothesis])
        db.session.flush()
        v1 = StatementVersion(
            statement=convergence, number=1, text="Eerste versie", author_id=owner
        )
        v2 = StatementVersion(
            statement=convergence, number=2, text="Tweede", note="na ronde", author_id=researcher
        )
        db.session.add_all(
            [
                v1,
                v2,
                StatementVersion(statement=proposal, number=1, text="Voorstel", author_id=None),
                StatementVersion(statement=hypothesis, number=1, text="Hypothese"),
                StatementLink(statement=convergence, passage_id=quoted.id, coding_id=coding.id),
                StatementLink(statement=convergence, passage_id=other.id, coding_id=None),
            ]
        )
        db.session.flush()
        round_ = ValidationRound(
            study_id=study_id,
            synthesis_id=synthesis.id,
            title="Ronde 1",
            opened_by_id=owner,
            expires_at=datetime(2026, 5, 1, tzinfo=UTC),
        )
        db.session.add(round_)
        db.session.flush()
        link = ValidationLink(
            round_id=round_.id,
            participant_id=quoted.participant_id,
            nonce="a-nonce-of-the-test-round",
        )
        db.session.add_all(
            [
                link,
                RoundStatement(round_id=round_.id, statement_id=convergence.id, version_id=v2.id),
            ]
        )
        db.session.flush()
        db.session.add_all(
            [
                StatementAnswer(
                    link_id=link.id,
                    statement_id=convergence.id,
                    version_id=v2.id,
                    verdict=Verdict.NUANCE,
                    comment="Juist, maar...",
                ),
                QuoteDecision(link_id=link.id, passage_id=quoted.id, choice=QuoteChoice.WITHDRAW),
            ]
        )
        quoted.quote_withdrawn_at = datetime(2026, 4, 2, 9, 0, 0, 1, tzinfo=UTC)
        record_consent(
            people["Bram"], ConsentScope.QUOTATION, False, date(2026, 3, 1), user_id=owner
        )
        people["Sanne"].erased_at = datetime(2026, 4, 3, tzinfo=UTC)
        db.session.add(KnownName(study_id=study_id, name="Jan Peeters"))
        for object_type, object_id, text in [
            ("passage", quoted.id, "Jan"),
            ("coding", coding.id, ""),
            ("statement", convergence.id, "Peeters"),
            ("passage", 987_654_321, "orphan"),  # about a passage that no longer exists
        ]:
            db.session.add(
                PiiFinding(
                    study_id=study_id,
                    group_session_id=first.id,
                    object_type=object_type,
                    object_id=object_id,
                    kind="name",
                    start_offset=0,
                    end_offset=3,
                    text=text,
                    status="open" if text else "dismissed",
                    resolved_by_id=None if text else researcher,
                )
            )
        job = Job(study_id=study_id, kind="suggest", created_by_id=owner)
        db.session.add(job)
        db.session.flush()
        db.session.add_all(
            [
                Suggestion(
                    study_id=study_id,
                    passage_id=other.id,
                    theme_id=themes["privacy"].id,
                    score=0.8125,
                    regime="learned",
                    evidence=[
                        {"kind": "term", "text": "pin", "start": 0, "end": 3},
                        {"kind": "similar", "passage_id": quoted.id, "score": 0.5},
                    ],
                    status=SuggestionStatus.ACCEPTED,
                    text_hash="0" * 64,
                    job_id=job.id,
                    coding_id=coding.id,
                    decided_by_id=researcher,
                    decided_at=datetime(2026, 4, 4, 10, 0, tzinfo=UTC),
                ),
                Grouping(
                    study_id=study_id,
                    job_id=job.id,
                    label="Digitale drempels",
                    terms=["pin", "ebox"],
                    members=[quoted.id, other.id, 987_654_321],
                    representatives=[other.id],
                    theme_overlap={str(themes["privacy"].id): 0.5, "987654321": 0.1},
                    best_theme_id=themes["privacy"].id,
                    status=GroupingStatus.OPEN,
                ),
            ]
        )
        from app.models import Consequence, IncidentSheet, WorkerAction

        sheet = IncidentSheet(
            study_id=study_id,
            organisation="bank",
            channel="app",
            barriers="geen smartphone",
            worker_action=WorkerAction.INSTEAD,
            consequence=Consequence.GAVE_UP,
            minutes_spent=30,
            narrative="De bank eist de app; ik deed de aanvraag in haar plaats.",
        )
        sheet.themes = [themes["outsourcing"], themes["dependency"]]
        db.session.add(sheet)
        add = {"user_id": owner, "study_id": study_id}
        record_event("passage.split", "passage", quoted.id, details={"new": other.id}, **add)
        record_event("theme.delete", "theme", 987_654_321, details={"key": "gone"}, **add)
        record_event("membership.grant", "study", study_id, details={"user": researcher}, **add)
        db.session.add(Membership(study_id=study_id, user_id=researcher, role=Role.RESEARCHER))
        db.session.commit()
        return study_id


# ------------------------------------------------------------------ round trips


def test_every_table_is_archived_or_deliberately_left_out(app):
    """A new table must be added to the archive or to the documented exclusions."""
    assert list(TABLES) == ARCHIVED
    assert set(db.metadata.tables) == set(TABLES) | EXCLUDED


def test_restore_into_the_same_database_copies_every_table(app, study):
    """A second copy in the same database equals the original table by table."""
    with app.app_context():
        original = canonical(study)
        before = table_counts()
        archive = export_study_archive(study)
        imported = import_study_archive(archive)
        db.session.commit()
        copy = canonical(imported.study_id, drop=("nonce", "demo_key"))
        assert canonical(study) == original  # the original is untouched
        after = table_counts()
        restored = db.session.get(Study, imported.study_id)
        assert restored.demo_key is None and imported.demo_key_cleared
        assert db.session.get(Study, study).demo_key == "demo"
        (event,) = db.session.execute(
            db.select(Passage.id).where(Passage.text.contains(UNIQUE_WORD))
            .join(GroupSession).filter(GroupSession.study_id == imported.study_id)
        ).all()  # fmt: skip
        assert event
    assert imported.users_created == 0 and imported.users_matched == 4
    assert copy == canonical_without(original, ("nonce", "demo_key"))
    for table in ARCHIVED:
        assert len(copy[table]) == len(original[table]) > 0, table
    # One orphan finding is left out, one audit event records the restore, the rest doubles.
    assert after["pii_finding"] - before["pii_finding"] == len(original["pii_finding"])
    assert after["audit_event"] - before["audit_event"] == len(original["audit_event"]) + 1
    assert after["user"] == before["user"]


def canonical_without(dump: dict, columns: tuple[str, ...]) -> dict:
    """Drop columns from a canonical dump (values that must differ in a second copy)."""
    return {
        table: [tuple(item for item in row if item[0] not in columns) for row in rows]
        for table, rows in dump.items()
    }


def test_restore_into_a_fresh_database_is_lossless(app, study, tmp_path):
    """Restored into an empty SQLite database: same rows, ids remapped, accounts disabled."""
    with app.app_context():
        original = canonical(study)
        archive = export_study_archive(study)
        passage_times = sorted(
            (p.version, p.updated_at.replace(tzinfo=UTC), p.quote_withdrawn_at)
            for p in db.session.execute(
                db.select(Passage).join(GroupSession).filter_by(study_id=study)
            ).scalars()
        )
    fresh = create_app(
        {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'fresh.sqlite3'}"}
    )
    upgrade_schema(fresh)
    with fresh.app_context():
        from app.accounts.users import create_user
        from app.studies.studies import create_study

        boss = create_user("boss@example.org", "Boss", password="correct horse battery staple")
        create_study("Already here", "", "nl", owner_id=boss.id)  # so ids differ from the source
        db.session.commit()
        imported = import_study_archive(archive, owner_id=boss.id)
        db.session.commit()
        copy = canonical(imported.study_id)
        roles = {
            m.user.email: m.role
            for m in db.session.execute(
                db.select(Membership).filter_by(study_id=imported.study_id)
            ).scalars()
        }
        created = db.session.execute(db.select(User).where(User.id != boss.id)).scalars().all()
        assert {u.email for u in created} == {
            "owner@example.org",
            "researcher@example.org",
            "demo-coder-a@demo.invalid",
            "demo-coder-b@demo.invalid",
        }
        assert all(not u.is_enabled and u.password_hash is None for u in created)
        restored_times = sorted(
            (p.version, p.updated_at.replace(tzinfo=UTC), p.quote_withdrawn_at)
            for p in db.session.execute(db.select(Passage)).scalars()
        )
        archived_at = db.session.execute(
            db.select(Statement.archived_at).where(Statement.archived_at.is_not(None))
        ).scalar_one()
        db.engine.dispose()
    assert imported.users_created == 4 and not imported.demo_key_cleared
    assert roles == {
        "owner@example.org": Role.OWNER,
        "researcher@example.org": Role.RESEARCHER,
        "boss@example.org": Role.OWNER,
    }
    original["membership"] = [r for r in original["membership"]]
    copy["membership"] = [
        r for r in copy["membership"] if ("user_id", ("user", "boss@example.org")) not in r
    ]
    assert copy == original
    assert [t[:2] for t in restored_times] == [t[:2] for t in passage_times]
    assert max(version for version, *_ in restored_times) > 1  # edited passages keep theirs
    # Timestamps come back to the microsecond, in UTC (SQLite hands them back without zone).
    assert archived_at.replace(tzinfo=archived_at.tzinfo or UTC) == datetime(
        2026, 4, 1, 8, 30, 0, 123456, tzinfo=UTC
    )


def test_archive_holds_no_credentials_and_documents_itself(app, study):
    """Accounts carry id, e-mail and name only; the manifest lists each file with its checksum."""
    with app.app_context():
        archive = export_study_archive(study)
        owner = db.session.execute(
            db.select(User).filter_by(email="owner@example.org")
        ).scalar_one()
        secrets = [owner.password_hash, owner.session_token]
    members = zipfile.ZipFile(io.BytesIO(archive))
    manifest = json.loads(members.read("manifest.json"))
    assert manifest["format"] == "magwb-study-archive" and manifest["format_version"] == 1
    assert manifest["schema_revision"] and manifest["created_at"].endswith("+00:00")
    assert [t["name"] for t in manifest["tables"]] == ["user", *ARCHIVED]
    for entry in manifest["tables"]:
        body = members.read(entry["file"])
        assert hashlib.sha256(body).hexdigest() == entry["sha256"]
        assert body.count(b"\n") == entry["rows"]
    users = [json.loads(line) for line in members.read("tables/user.jsonl").splitlines()]
    assert all(set(user) == {"id", "email", "display_name"} for user in users)
    unpacked = b"".join(members.read(name) for name in members.namelist())
    assert all(secret and secret.encode() not in unpacked for secret in secrets)
    assert b"argon2" not in unpacked and b"token_hash" not in unpacked
    assert "tables/job.jsonl" not in members.namelist()
    assert "tables/import_draft.jsonl" not in members.namelist()


def test_search_finds_restored_passages(app, study):
    """The full-text index knows the restored passages."""
    with app.app_context():
        imported = import_study_archive(export_study_archive(study))
        db.session.commit()
        for terms in ([UNIQUE_WORD], ["eBox"]):
            found = db.session.execute(matching_passages(imported.study_id, terms)).scalars().all()
            before = db.session.execute(matching_passages(study, terms)).scalars().all()
            assert len(found) == len(before) > 0
            assert set(found).isdisjoint(before)


# ------------------------------------------------------------------ refused archives


def _rewrite(archive: bytes, change, *, fix_checksums: bool = True) -> bytes:
    """Return the archive with its members changed by `change(dict)`; checksums redone."""
    source = zipfile.ZipFile(io.BytesIO(archive))
    members = {name: source.read(name) for name in source.namelist()}
    change(members)
    if fix_checksums and "manifest.json" in members:
        manifest = json.loads(members["manifest.json"])
        for entry in manifest["tables"]:
            if entry["file"] in members:
                entry["sha256"] = hashlib.sha256(members[entry["file"]]).hexdigest()
        members["manifest.json"] = json.dumps(manifest).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, body in members.items():
            target.writestr(name, body)
    return out.getvalue()


def _line(members, table: str, number: int, change) -> None:
    name = f"tables/{table}.jsonl"
    lines = members[name].decode().split("\n")
    lines[number - 1] = change(lines[number - 1])
    members[name] = "\n".join(lines).encode()


def _manifest(members, **values) -> None:
    manifest = json.loads(members["manifest.json"])
    manifest.update(values)
    members["manifest.json"] = json.dumps(manifest).encode()


def _drop_column(members, table: str, column: str) -> None:
    name = f"tables/{table}.jsonl"
    rows = [json.loads(line) for line in members[name].decode().split("\n") if line]
    assert all(row.pop(column) is not None for row in rows)
    members[name] = "".join(json.dumps(row) + "\n" for row in rows).encode()


def _set(table: str, number: int, **values):
    def change(members):
        def edit(line):
            row = json.loads(line)
            row.update(values)
            return json.dumps(row)

        _line(members, table, number, edit)

    return change


def _count_one_more(members) -> None:
    manifest = json.loads(members["manifest.json"])
    (entry,) = [t for t in manifest["tables"] if t["name"] == "coding"]
    entry["rows"] += 1
    members["manifest.json"] = json.dumps(manifest).encode()


def _bomb(members) -> None:
    members["tables/known_name.jsonl"] = b" " * (40 * 2**20)


def _twin_participant(members) -> None:
    """Two participants with the same pseudonym: only the database's constraint can tell."""
    first = json.loads(members["tables/participant.jsonl"].decode().split("\n")[0])
    _set("participant", 2, pseudonym_key=first["pseudonym_key"])(members)
    _set("user", 1, email="nobody-yet@example.org")(members)  # an account created, then undone


CORRUPTIONS = {
    "not a zip": (lambda archive: b"PK\x03\x04 garbage", "not a readable study archive"),
    "bad checksum": (
        lambda a: _rewrite(a, _set("coding", 1, memo="changed"), fix_checksums=False),
        "checksum of tables/coding.jsonl does not match",
    ),
    "bad json line": (
        lambda a: _rewrite(a, lambda m: _line(m, "passage", 3, lambda _l: "{not json")),
        "tables/passage.jsonl, line 3: not valid JSON",
    ),
    "wrong format version": (
        lambda a: _rewrite(a, lambda m: _manifest(m, format_version=2)),
        "format version 2; this instance reads version 1",
    ),
    "other format": (
        lambda a: _rewrite(a, lambda m: _manifest(m, format="something-else")),
        "not a MAG Workbench study archive",
    ),
    "other revision": (
        lambda a: _rewrite(a, lambda m: _manifest(m, schema_revision="0001")),
        "made at database revision 0001; this instance is at revision",
    ),
    "missing table file": (
        lambda a: _rewrite(a, lambda m: m.pop("tables/coding.jsonl")),
        "lacks the file tables/coding.jsonl",
    ),
    "zip bomb": (lambda a: _rewrite(a, _bomb), "unpacks to too much data"),
    "row count": (
        lambda a: _rewrite(a, _count_one_more),
        "tables/coding.jsonl does not hold the rows the manifest counts",
    ),
    "traversal name": (
        lambda a: _rewrite(a, lambda m: m.update({"../../escape.txt": b"x"})),
        "unsafe name: ../../escape.txt",
    ),
    "extra file": (
        lambda a: _rewrite(a, lambda m: m.update({"tables/job.jsonl": b""})),
        "unexpected file: tables/job.jsonl",
    ),
    "dangling reference": (
        lambda a: _rewrite(a, _set("coding", 2, theme_id=99_999_999)),
        "tables/coding.jsonl, line 2: theme_id refers to a row that is not in the archive",
    ),
    "wrong type": (
        lambda a: _rewrite(a, _set("passage", 4, text=12)),
        "tables/passage.jsonl, line 4: the value of text is not valid",
    ),
    "naive timestamp": (
        lambda a: _rewrite(a, _set("coding", 1, created_at="2026-03-02T09:00:00")),
        "tables/coding.jsonl, line 1: the value of created_at is not valid",
    ),
    "missing column": (
        lambda a: _rewrite(a, lambda m: _line(m, "theme", 1, lambda _l: '{"id": 1}')),
        "tables/theme.jsonl, line 1: the columns are not those of the table",
    ),
    "refused by the database": (
        lambda a: _rewrite(a, _twin_participant),
        "rows of tables/participant.jsonl break this database's rules",
    ),
}


_EXPORTED: dict[str, bytes] = {}


@pytest.fixture
def exported(request, app) -> bytes:
    """The archive of the `study` fixture, made once for the tests of damaged archives.

    They run on the database holding that study (the first) or on an empty one:
    either way, no table may gain or lose a row.
    """
    if "archive" not in _EXPORTED:
        study_id = request.getfixturevalue("study")
        with app.app_context():
            _EXPORTED["archive"] = export_study_archive(study_id)
    return _EXPORTED["archive"]


@pytest.mark.parametrize("case", list(CORRUPTIONS))
def test_a_damaged_archive_is_refused_and_stores_nothing(app, exported, case):
    """Each kind of damage gives a message naming it, and no table gains or loses a row."""
    corrupt, message = CORRUPTIONS[case]
    with app.app_context():
        archive = corrupt(exported)
        before = table_counts()
        with pytest.raises(ArchiveError) as refused:
            import_study_archive(archive)
        db.session.commit()  # even a caller that commits after the error stores nothing
        assert table_counts() == before
    assert message in str(refused.value.message)
    assert "eBox" not in str(refused.value.message)


def test_archive_from_another_schema_revision_names_both(app, exported):
    """The revision error says which revision the archive has and which the instance has."""
    with app.app_context():
        archive = _rewrite(exported, lambda m: _manifest(m, schema_revision="0042"))
        revision = db.session.execute(db.text("SELECT version_num FROM alembic_version")).scalar()
        with pytest.raises(ArchiveError) as refused:
            import_study_archive(archive)
    assert "0042" in refused.value.message and revision in refused.value.message


@pytest.mark.parametrize("made_at", ["0010", "0011", "0012", "0013", "0014", "0015"])
def test_archive_made_before_ids_were_made_autoincrement_still_restores(app, exported, made_at):
    """0011 to 0016 changed no archived column but for those 0014 and 0015 added
    (statement.revision..., validation_link.answers_version): archives made at 0010 to 0015
    (without the ones added after them) restore."""
    with app.app_context():
        revision = db.session.execute(db.text("SELECT version_num FROM alembic_version")).scalar()
        assert revision == "0016"

        def older(members):
            _manifest(members, schema_revision=made_at)
            for table, column in added_since(made_at):
                _drop_column(members, table, column)

        archive = _rewrite(exported, older)
        result = import_study_archive(archive)
        assert result.counts["passage"] > 0 and result.counts["coding"] > 0
        assert result.counts["statement"] > 0


def _stored_with_a_damaged_table(archive: bytes, **manifest_values) -> bytes:
    """Rewrite the archive with stored (uncompressed) members, then damage one table's bytes."""
    source = zipfile.ZipFile(io.BytesIO(archive))
    members = {name: source.read(name) for name in source.namelist()}
    _manifest(members, **manifest_values)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as target:
        for name, body in members.items():
            target.writestr(name, body)
    marker = members["tables/study.jsonl"][:40]
    damaged = marker[:-1] + (b"X" if marker[-1:] != b"X" else b"Y")
    return out.getvalue().replace(marker, damaged, 1)


def test_the_manifest_is_checked_before_any_table_file_is_inflated(app, exported):
    """A wrong manifest is refused as such even when a table file would fail to inflate."""
    with app.app_context():
        revision = db.session.execute(db.text("SELECT version_num FROM alembic_version")).scalar()
        with pytest.raises(ArchiveError) as refused:  # right manifest: the damage is found
            import_study_archive(_stored_with_a_damaged_table(exported, schema_revision=revision))
        assert "not a readable study archive" in refused.value.message
        with pytest.raises(ArchiveError) as refused:  # wrong manifest: no table was read
            import_study_archive(_stored_with_a_damaged_table(exported, format_version=99))
        assert "format version 99" in refused.value.message

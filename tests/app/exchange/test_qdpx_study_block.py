"""Consents and statements travel in our own .qdpx extension, under the quotation rule."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
from lxml import etree

from app.demo import load_demo
from app.exchange.qdpx import export_qdpx, import_qdpx
from app.exchange.qdpx.archive import project_schema
from app.exchange.qdpx.study_block import NAME, SEPARATOR
from app.models import (
    Consent,
    ConsentScope,
    Participant,
    Passage,
    Statement,
    StatementLink,
    Study,
    Synthesis,
)
from app.platform.extensions import db
from app.synthesis.quotations import consent_in_force, is_quotable

NS = {"q": "urn:QDA-XML:project:1.0"}


@pytest.fixture
def owner(make_user):
    return make_user("owner@example.org", password=None)


def _statements(study_id: int) -> list[Statement]:
    return list(
        db.session.execute(
            db.select(Statement)
            .join(Synthesis)
            .where(Synthesis.study_id == study_id, Statement.archived_at.is_(None))
            .order_by(Statement.id)
        ).scalars()
    )


def _consents(study: Study) -> dict[str, dict[str, bool | None]]:
    return {
        p.pseudonym: {s.value: consent_in_force(p, s) for s in ConsentScope}
        for p in study.participants
        if p.erased_at is None and p.pseudonym != "Unattributed"
    }


def _statement_view(statement: Statement) -> tuple:
    """What a reader of the synthesis sees: kind, text, themes, session, quotes."""
    session = statement.synthesis.group_session
    return (
        statement.kind.value,
        statement.level.value if statement.level else None,
        statement.group_label,
        statement.current.text,
        statement.current.positions,
        tuple(t.key for t in statement.themes),
        session.number if session else None,
        tuple(sorted(link.quote for link in statement.links)),
    )


def _block(data: bytes) -> str:
    archive = zipfile.ZipFile(io.BytesIO(data))
    root = etree.fromstring(archive.read("project.qde"))
    (note,) = [n for n in root.iterfind("q:Notes/q:Note", NS) if n.get("name") == NAME]
    assert not root.xpath("//q:Code/q:NoteRef[@targetGUID=$g]", namespaces=NS, g=note.get("guid"))
    return archive.read("sources/" + note.get("plainTextPath").removeprefix("internal://")).decode()


def test_demo_round_trip_keeps_consents_and_statements(app, owner):
    """Ours → ours: every consent in force and every statement with its quotes comes back."""
    with app.app_context():
        study = load_demo(owner_id=owner)
        db.session.commit()
        data = export_qdpx(study, user_id=owner)
        assert project_schema().validate(
            etree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read("project.qde"))
        )
        assert _block(data).startswith(SEPARATOR + "\n")
        result = import_qdpx(data, filename="demo.qdpx", owner_id=owner, language="fr")
        db.session.commit()
        before, after = study, result.study
        assert _consents(after) == _consents(before) and len(_consents(before)) == 14
        assert result.counts["statements"] == len(_statements(before.id)) == 33
        # A quote comes back where the quotation rule let it out (all demo speakers consented).
        expected = [
            _statement_view(s)[:-1]
            + (tuple(sorted(k.quote for k in s.links if is_quotable(k.passage))),)
            for s in _statements(before.id)
        ]
        assert [_statement_view(s) for s in _statements(after.id)] == expected
        assert sum(len(s.links) for s in _statements(after.id)) == 61
        # The statements' own notes are their readable copies, not "unattached notes".
        assert not any("not attached" in str(w) for w in result.warnings)
        # And the imported study quotes again: export it once more, same block, still valid.
        again = export_qdpx(after, user_id=owner)
        assert _block(again).count("[magwb] statement=") == 33
        db.session.rollback()


def test_only_what_the_quotation_rule_allows_leaves_in_the_block(app, owner):
    """Erased: no label, no consent; no quotation consent: no links; withdrawn: the flag only."""
    with app.app_context():
        study = load_demo(owner_id=owner)
        people = {p.pseudonym: p for p in study.participants}
        erased, refused = people["Lotte"], people["Amina"]
        erased.erased_at = erased.created_at
        erased.pseudonym = "erased-99"
        refused.consents.append(
            Consent(scope=ConsentScope.QUOTATION, granted=False, given_on=date(2026, 6, 1))
        )
        withdrawn = db.session.execute(
            db.select(Passage).filter_by(participant_id=people["Bram"].id).limit(1)
        ).scalar_one()
        withdrawn.quote_withdrawn_at = withdrawn.created_at
        db.session.flush()
        amina_links = db.session.execute(
            db.select(StatementLink).join(Passage).filter(Passage.participant_id == refused.id)
        ).all()
        assert amina_links  # the demo quotes her, so the test means something
        data = export_qdpx(study, user_id=owner)
        block = _block(data)
        assert "erased-99" not in block and "erased-" not in block
        result = import_qdpx(data, filename="demo.qdpx", owner_id=owner, language="fr")
        imported = {p.pseudonym: p for p in result.study.participants}
        assert "Lotte" not in imported and "erased-99" not in imported
        assert consent_in_force(imported["Amina"], ConsentScope.QUOTATION) is False
        amina_quoted = db.session.execute(
            db.select(StatementLink)
            .join(Passage)
            .filter(Passage.participant_id == imported["Amina"].id)
        ).all()
        assert not amina_quoted
        flagged = db.session.execute(
            db.select(Passage)
            .filter(Passage.quote_withdrawn_at.is_not(None))
            .join(Participant)
            .filter(Participant.study_id == result.study.id)
        ).scalars()
        assert [p.text for p in flagged] == ["[…]"]
        db.session.rollback()


def test_a_damaged_block_imports_what_fits_and_says_what_did_not(app, owner):
    """A block line that points nowhere is left out with a warning; the rest imports."""
    with app.app_context():
        study = load_demo(owner_id=owner)
        data = export_qdpx(study, user_id=owner)
        source = zipfile.ZipFile(io.BytesIO(data))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as target:
            for info in source.infolist():
                body = source.read(info.filename)
                if body.startswith(SEPARATOR.encode()):
                    body = body.replace(b"[magwb] kind=summary", b"[magwb] kind=poem", 1)
                    body = body.replace(b"[magwb] case=", b"[magwb] case=not-a-guid", 1)
                    at = body.rfind(b"[magwb] session=") + len(b"[magwb] session=")
                    body = body[:at] + b"x" + body[at + 1 :]  # a damaged session GUID
                target.writestr(info, body)
        result = import_qdpx(out.getvalue(), filename="d.qdpx", owner_id=owner, language="fr")
        assert result.counts["statements"] == 31  # not moved to the transversal analysis
        assert any("did not fit" in str(w) for w in result.warnings)
        db.session.rollback()

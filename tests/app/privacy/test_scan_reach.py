"""The privacy scan reaches every stored text field, and the queue says where each finding is."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.models import (
    Consent,
    ConsentScope,
    Grouping,
    GroupSession,
    IncidentSheet,
    Narrative,
    Participant,
    Passage,
    PiiFinding,
    SpeakerKind,
    Statement,
    StatementKind,
    StatementVersion,
    Study,
    Synthesis,
    ValidationRound,
)
from app.models.base import utcnow
from app.platform.extensions import db
from tests.conftest import login

NATIONAL_NUMBER = "85.07.30-033.28"


@pytest.fixture
def world(app, client, make_user, make_study):
    """A study holding one row of every kind with a plain-text field, all free of findings."""
    from app.models import Consequence, WorkerAction

    owner = make_user("owner@example.org")
    study_id = make_study(owner, title="Étude eBox")
    login(client, "owner@example.org")
    with app.app_context():
        participant = Participant(study_id=study_id, pseudonym="Amina", pseudonym_key="amina")
        group_session = GroupSession(study_id=study_id, number=1, language="fr", title="Séance")
        synthesis = Synthesis(study_id=study_id, group_session=group_session)
        statement = Statement(synthesis=synthesis, kind=StatementKind.INTERPRETATION)
        db.session.add_all([participant, group_session, synthesis, statement])
        db.session.add_all(
            [
                Passage(
                    group_session=group_session,
                    phase=3,
                    position=1,
                    speaker_kind=SpeakerKind.FACILITATOR,
                    speaker_label="Animatrice",
                    text="Le guichet est fermé.",
                ),
                StatementVersion(statement=statement, number=1, text="L'eBox coupe le lien."),
                ValidationRound(
                    study_id=study_id,
                    synthesis=synthesis,
                    title="Premier tour",
                    expires_at=utcnow() + timedelta(days=7),
                ),
                Grouping(study_id=study_id, label="Guichets", terms=["guichet"], labels={}),
                Consent(
                    participant=participant,
                    scope=list(ConsentScope)[0],
                    granted=True,
                    given_on=date(2026, 1, 5),
                ),
                IncidentSheet(
                    study_id=study_id,
                    organisation="CPAS",
                    channel="eBox",
                    worker_action=WorkerAction.INSTEAD,
                    consequence=list(Consequence)[0],
                    narrative="Le formulaire était en ligne.",
                ),
            ]
        )
        db.session.commit()
    return {"study": study_id}


# (model, field, value stored, where the queue says it is, where it is stored)
FIELDS = [
    (GroupSession, "title", "Chez jeanne.titre@example.be", "session title"),
    (GroupSession, "place", "Bureau de lieu.seance@example.be", "session place"),
    (Passage, "speaker_label", "animatrice@example.be", "speaker label"),
    (ValidationRound, "title", "Tour pour tour.titre@example.be", "round title"),
    (Grouping, "label", "Groupe de label.groupe@example.be", "grouping label"),
    (Grouping, "note", "Voir note.groupe@example.be", "grouping note"),
    (Grouping, "labels", {"fr": "Libellé de libelle@example.be"}, "grouping label"),
    (Grouping, "terms", ["guichet", "terme@example.be"], "grouping terms"),
    (Consent, "note", f"Numéro national {NATIONAL_NUMBER} noté.", "consent note"),
    (Study, "title", "Étude de etude.titre@example.be", "study title"),
    (Study, "description", "Contact: description@example.be", "study description"),
    (StatementVersion, "note", "Après un appel de note.version@example.be", "synthesis statement"),
    (IncidentSheet, "organisation", "CPAS de org@example.be", "incident sheet: organisation"),
    (IncidentSheet, "channel", "canal@example.be", "incident sheet: channel"),
]


def _found(value) -> str:
    """The e-mail address or national number a stored value holds."""
    text = " ".join(value.values()) if isinstance(value, dict) else " ".join(value)
    if NATIONAL_NUMBER in text:
        return NATIONAL_NUMBER
    return next(word for word in text.split() if "@" in word)


def _stored(app, model, field):
    with app.app_context():
        return getattr(db.session.execute(db.select(model)).scalar_one(), field)


def _queued(client, study_id: int, found: str) -> str:
    """Return the queue entry (its HTML) that marks `found`, or ""."""
    page = client.get(f"/studies/{study_id}/privacy/")
    assert page.status_code == 200
    return next((item for item in page.text.split("<li>") if f"<mark>{found}</mark>" in item), "")


@pytest.mark.parametrize(
    ("model", "field", "value", "place"),
    FIELDS,
    ids=[f"{model.__name__}.{field}" for model, field, _v, _p in FIELDS],
)
def test_the_study_scan_queues_and_replaces_personal_data_in_every_field(
    app, client, world, model, field, value, place
):
    """A number or e-mail in any stored field is queued by the scan, with where it is, and
    a replacement from the queue removes it from the field and from the queue."""
    with app.app_context():
        setattr(db.session.execute(db.select(model)).scalar_one(), field, value)
        db.session.commit()
    found = _found(value if not isinstance(value, str) else [value])
    study_id = world["study"]
    assert client.post(f"/studies/{study_id}/privacy/scan").status_code == 302

    item = _queued(client, study_id, found)
    assert item, f"{found} is not in the review queue"
    assert f">{place}</a>" in item  # where it is, as a link to its page
    with app.app_context():
        finding_id = db.session.execute(
            db.select(PiiFinding.id).filter_by(text=found, status="open")
        ).scalar_one()

    response = client.post(
        f"/studies/{study_id}/privacy/findings/{finding_id}",
        data={"action": "placeholder", "placeholder": "[X]"},
    )
    assert response.status_code == 302
    stored = str(_stored(app, model, field))
    assert found not in stored and "[X]" in stored
    assert _queued(client, study_id, found) == ""
    # A second scan finds nothing left there.
    client.post(f"/studies/{study_id}/privacy/scan")
    assert _queued(client, study_id, found) == ""


def test_every_source_is_scanned_in_every_field(app):
    """Each source of the privacy field list has a finding type whose text holds each of its
    fields (and a name in the queue), or is history whose newest text is scanned."""
    from app.privacy.fields import HISTORY, SOURCES
    from app.privacy.queue import place_names
    from app.privacy.texts import field_at, finding_text

    mark = "marque@example.be"
    with app.test_request_context():
        names = place_names()
    for source in SOURCES:
        if not source.finding:
            assert source.model in HISTORY, f"{source.model.__name__} is never scanned"
            continue
        for name in (*source.fields, *source.json_fields):
            row = _row_with(source, name, mark)
            text = finding_text(source.finding, row)
            assert mark in text, f"{source.model.__name__}.{name} is not scanned"
            field = field_at(source.finding, row, text.index(mark))
            assert names.get((source.finding, field)), f"no place name for {source.finding}"
    # The newest version of a statement is scanned whole: text, positions and note.
    for name in ("text", "positions", "note"):
        statement = Statement(group_label="", versions=[StatementVersion(**{name: mark})])
        assert mark in finding_text("statement", statement)


def _row_with(source, name: str, value: str):
    """Return an unsaved row of the source with `value` in field `name`."""
    if source.model is Statement:
        return Statement(**{name: value}, versions=[StatementVersion(text="")])
    if source.model is Narrative:
        return Narrative(**{name: value})
    return source.model(**{name: [value] if name in source.json_fields else value})


def test_saving_a_session_or_a_consent_note_queues_its_personal_data(app, client, world):
    """The session form and the consent form check their texts when saved, without a scan."""
    study_id = world["study"]
    response = client.post(
        f"/studies/{study_id}/sessions/new",
        data={
            "number": "2",
            "language": "fr",
            "status": "planned",
            "title": "Séance",
            "place": "Chez lieu.deux@example.be",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        participant_id = db.session.execute(db.select(Participant.id)).scalar_one()
    response = client.post(
        f"/studies/{study_id}/participants/{participant_id}",
        data={
            "action": "consent",
            "scope": "quotation",
            "granted": "1",
            "given_on": "2026-02-01",
            "note": f"Signé, numéro {NATIONAL_NUMBER}",
        },
    )
    assert response.status_code in (302, 303)
    assert ">session place</a>" in _queued(client, study_id, "lieu.deux@example.be")
    assert ">consent note</a>" in _queued(client, study_id, NATIONAL_NUMBER)


def test_findings_in_every_field_survive_a_study_archive(app, client, world):
    """A study archive keeps the findings of every field, and its restore points them at the
    restored rows (a grouping's finding too, though groupings are stored after findings)."""
    from app.exchange.archive.export import export_study_archive
    from app.exchange.archive.restore import import_study_archive
    from app.privacy.queue import open_findings
    from app.privacy.texts import finding_row, finding_text

    with app.app_context():
        for model, field, value, _place in FIELDS:
            setattr(db.session.execute(db.select(model)).scalar_one(), field, value)
        db.session.commit()
    assert client.post(f"/studies/{world['study']}/privacy/scan").status_code == 302
    with app.app_context():
        original = {(f.object_type, f.text) for f in open_findings(world["study"])}
        assert {_found(v if not isinstance(v, str) else [v]) for *_m, v, _p in FIELDS} <= {
            text for _kind, text in original
        }
        restored = import_study_archive(export_study_archive(world["study"])).study_id
        db.session.commit()
        copies = open_findings(restored)
        assert {(f.object_type, f.text) for f in copies} == original
        for finding in copies:
            row = finding_row(finding.object_type, finding.object_id)
            text = finding_text(finding.object_type, row)
            assert text[finding.start_offset : finding.end_offset] == finding.text


def test_a_typed_speaker_label_is_checked_when_the_passage_is_saved(app, client, world):
    """A facilitator label holding an e-mail warns on save and is queued as a speaker label."""
    with app.app_context():
        session_id = db.session.execute(db.select(GroupSession.id)).scalar_one()
    response = client.post(
        f"/studies/{world['study']}/sessions/{session_id}/passages",
        data={"phase": "3", "speaker": "f:marie@example.be", "text": "Le guichet ferme."},
        follow_redirects=True,
    )
    assert "may hold personal data" in response.text
    assert ">speaker label</a>" in _queued(client, world["study"], "marie@example.be")

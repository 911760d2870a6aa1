"""Several facilitators acting at the same moment: one wins, nothing is duplicated or lost."""

from __future__ import annotations

import threading

from app.models import (
    Coding,
    GroupSession,
    Participant,
    Passage,
    SpeakerKind,
    Statement,
    StatementKind,
    StatementVersion,
    Suggestion,
    Synthesis,
    Theme,
)
from app.platform.extensions import db
from tests.conftest import login

WRITERS = 6


def _together(app, requests):
    """Run one request per logged-in client at the same moment; return the status codes."""
    clients = []
    for _ in requests:
        client = app.test_client()
        login(client, "owner@example.org")
        clients.append(client)
    barrier = threading.Barrier(len(requests))
    statuses = [None] * len(requests)

    def run(index):
        barrier.wait()
        try:
            statuses[index] = requests[index](clients[index]).status_code
        except Exception:  # the test client re-raises a server error: count it as a 500
            statuses[index] = 500

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def _study(app, make_user, make_study):
    owner = make_user("owner@example.org")
    study_id = make_study(owner)
    with app.app_context():
        group_session = GroupSession(study_id=study_id, number=1, language="fr")
        person = Participant(study_id=study_id, pseudonym="Amina", pseudonym_key="amina")
        passage = Passage(
            group_session=group_session,
            phase=5,
            position=1,
            speaker_kind=SpeakerKind.PARTICIPANT,
            participant=person,
            text="Je lui ai donné mon code PIN pour qu'elle fasse le virement.",
        )
        db.session.add_all([group_session, person, passage])
        db.session.commit()
        return study_id, group_session.id, passage.id


def _statement(app, study_id: int, session_id: int, kind: StatementKind, text: str) -> int:
    """Store a statement of `kind` at version 1 in the session's synthesis; return its id."""
    with app.app_context():
        synthesis = Synthesis(study_id=study_id, group_session_id=session_id)
        statement = Statement(synthesis=synthesis, kind=kind)
        statement.versions.append(StatementVersion(number=1, text=text))
        db.session.add_all([synthesis, statement])
        db.session.commit()
        return statement.id


def test_simultaneous_edits_of_a_statement_keep_one_and_refuse_the_others(
    app, make_user, make_study
):
    study_id, session_id, _passage = _study(app, make_user, make_study)
    statement_id = _statement(
        app, study_id, session_id, StatementKind.CONVERGENCE, "Version de départ."
    )
    url = f"/studies/{study_id}/statements/{statement_id}"
    requests = [
        (
            lambda c, n=n: c.post(
                url, data={"kind": "convergence", "text": f"Texte {n}", "base_version": 1}
            )
        )
        for n in range(WRITERS)
    ]
    statuses = _together(app, requests)
    assert sorted(statuses) == [303] + [409] * (WRITERS - 1)
    with app.app_context():
        numbers = db.session.execute(
            db.select(StatementVersion.number).filter_by(statement_id=statement_id)
        ).scalars()
        assert sorted(numbers) == [1, 2]


def test_simultaneous_accepts_of_a_suggestion_code_the_passage_once(app, make_user, make_study):
    from app.suggestions.feeding import text_hash

    study_id, _session, passage_id = _study(app, make_user, make_study)
    with app.app_context():
        theme = db.session.execute(
            db.select(Theme).filter_by(study_id=study_id, key="privacy")
        ).scalar_one()
        passage = db.session.get(Passage, passage_id)
        suggestion = Suggestion(
            study_id=study_id,
            passage=passage,
            theme=theme,
            score=0.9,
            regime="zero-shot",
            text_hash=text_hash(passage.text),
        )
        db.session.add(suggestion)
        db.session.commit()
        url = f"/studies/{study_id}/analysis/suggestions/{suggestion.id}"
    statuses = _together(
        app, [lambda c: c.post(url, data={"decision": "accept"}) for _ in range(WRITERS)]
    )
    assert statuses == [303] * WRITERS
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(Coding.id))).scalar_one() == 1


def test_simultaneous_heading_edits_of_a_statement_keep_one(app, make_user, make_study):
    """Saves that change only the heading, all from revision 1: one wins, the rest are 409."""
    study_id, session_id, _passage = _study(app, make_user, make_study)
    statement_id = _statement(
        app, study_id, session_id, StatementKind.INTERPRETATION, "Le code circule."
    )
    url = f"/studies/{study_id}/statements/{statement_id}"
    requests = [
        (
            lambda c, n=n: c.post(
                url,
                data={
                    "kind": "interpretation",
                    "text": "Le code circule.",
                    "group_label": f"Titre {n}",
                    "base_version": 1,
                },
            )
        )
        for n in range(WRITERS)
    ]
    statuses = _together(app, requests)
    assert sorted(statuses) == [303] + [409] * (WRITERS - 1)
    with app.app_context():
        statement = db.session.get(Statement, statement_id)
        assert statement.revision == 2 and statement.group_label.startswith("Titre ")


def test_simultaneous_edits_of_an_incident_sheet_keep_one(app, make_user, make_study):
    """Sheet saves from version 1 at the same moment: one wins, the others are 409."""
    from app.models import Consequence, IncidentSheet, WorkerAction

    study_id, _session, _passage = _study(app, make_user, make_study)
    with app.app_context():
        sheet = IncidentSheet(
            study_id=study_id,
            organisation="bank",
            channel="app",
            worker_action=WorkerAction.INFORMED,
            consequence=Consequence.DELAY,
        )
        db.session.add(sheet)
        db.session.commit()
        sheet_id = sheet.id
    url = f"/studies/{study_id}/incidents/{sheet_id}"
    form = {"organisation": "bank", "channel": "app", "worker_action": "informed"}
    requests = [
        (
            lambda c, n=n: c.post(
                url, data={**form, "consequence": "delay", "narrative": f"Récit {n}", "version": 1}
            )
        )
        for n in range(WRITERS)
    ]
    statuses = _together(app, requests)
    assert sorted(statuses) == [303] + [409] * (WRITERS - 1)
    with app.app_context():
        sheet = db.session.get(IncidentSheet, sheet_id)
        assert sheet.version == 2 and sheet.narrative.startswith("Récit ")

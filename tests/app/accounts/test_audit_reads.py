"""What reading requests record: views once per person and window, every download, token use."""

from __future__ import annotations

from datetime import timedelta

from app.accounts.audit import VIEW_WINDOW
from app.accounts.tokens import create_token
from app.models import ApiToken, AuditEvent, Participant
from app.platform.extensions import db
from tests.conftest import login


def _views(app, action: str) -> list[tuple[int, int]]:
    """Return (user id, object id) of the stored events of `action`, oldest first."""
    with app.app_context():
        rows = db.session.execute(
            db.select(AuditEvent.user_id, AuditEvent.object_id)
            .filter_by(action=action)
            .order_by(AuditEvent.id)
        ).all()
    return [tuple(row) for row in rows]


def test_reopening_the_coding_view_records_one_view_per_person_and_window(
    app, make_user, make_study, add_member, make_passages
):
    """Opening the coding view twice in a row writes one audit row; another person's view and
    a view after the window are recorded; the owner's audit log shows who viewed what."""
    owner = make_user("owner@example.org")
    researcher = make_user("researcher@example.org")
    study_id = make_study(owner)
    add_member(study_id, researcher, "researcher")
    session_id, _passages = make_passages(study_id, ["Le CPAS demande un rendez-vous."])
    url = f"/studies/{study_id}/sessions/{session_id}/code"
    owner_client, researcher_client = app.test_client(), app.test_client()
    login(owner_client, "owner@example.org")
    login(researcher_client, "researcher@example.org")

    assert owner_client.get(url).status_code == 200
    assert owner_client.get(url).status_code == 200
    assert _views(app, "session.view_coding") == [(owner, session_id)]

    assert researcher_client.get(url).status_code == 200
    assert _views(app, "session.view_coding") == [(owner, session_id), (researcher, session_id)]

    with app.app_context():  # the owner's view is now older than the window
        event = db.session.execute(
            db.select(AuditEvent).filter_by(user_id=owner, action="session.view_coding")
        ).scalar_one()
        event.at = event.at - VIEW_WINDOW - timedelta(minutes=1)
        db.session.commit()
    assert owner_client.get(url).status_code == 200
    assert _views(app, "session.view_coding") == [
        (owner, session_id),
        (researcher, session_id),
        (owner, session_id),
    ]

    log = owner_client.get(f"/studies/{study_id}/audit/")
    assert log.status_code == 200
    assert log.text.count("session.view_coding") == 3
    assert "Researcher" in log.text and "Owner" in log.text


def test_the_session_overview_records_its_view_apart_from_the_coding_view(
    app, make_user, make_study, make_passages
):
    """Opening the session page and the coding view are two different views, each kept once."""
    owner = make_user("owner@example.org")
    study_id = make_study(owner)
    session_id, _passages = make_passages(study_id, ["Je fais sa déclaration."])
    client = app.test_client()
    login(client, "owner@example.org")
    for _ in range(2):
        assert client.get(f"/studies/{study_id}/sessions/{session_id}").status_code == 200
        assert client.get(f"/studies/{study_id}/sessions/{session_id}/code").status_code == 200
    assert _views(app, "session.view") == [(owner, session_id)]
    assert _views(app, "session.view_coding") == [(owner, session_id)]


def test_every_download_of_a_participant_record_is_kept(app, make_user, make_study):
    """Downloads are not coalesced: two exports of a participant's data are two rows."""
    owner = make_user("owner@example.org")
    study_id = make_study(owner)
    with app.app_context():
        participant = Participant(study_id=study_id, pseudonym="Amina", pseudonym_key="amina")
        db.session.add(participant)
        db.session.commit()
        participant_id = participant.id
    client = app.test_client()
    login(client, "owner@example.org")
    url = f"/studies/{study_id}/participants/{participant_id}/export.json"
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200
    assert _views(app, "participant.export") == [(owner, participant_id)] * 2


def test_a_reading_api_call_notes_the_token_use(app, make_user, make_study):
    """A GET with a personal token stores when the token was last used."""
    owner = make_user("owner@example.org")
    study_id = make_study(owner)
    with app.app_context():
        _record, token = create_token(owner, "script")
        db.session.commit()
    response = app.test_client().get(
        f"/api/studies/{study_id}/themes", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    with app.app_context():
        assert db.session.execute(db.select(ApiToken.last_used_at)).scalar_one() is not None

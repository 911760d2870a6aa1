"""Story proposals and the group's choice, shown on the session page."""

from __future__ import annotations

from app.models import GroupSession, Narrative, Participant
from app.platform.extensions import db
from tests.conftest import login


def _setup(app, client, make_user, make_study):
    owner = make_user("owner@example.org")
    study_id = make_study(owner)
    with app.app_context():
        group_session = GroupSession(study_id=study_id, number=1, language="fr")
        people = [
            Participant(study_id=study_id, pseudonym=n, pseudonym_key=n.lower())
            for n in ("Sophie", "Karim")
        ]
        db.session.add_all([group_session, *people])
        db.session.commit()
        ids = {"session": group_session.id, "Sophie": people[0].id, "Karim": people[1].id}
    login(client, "owner@example.org")
    ids["base"] = f"/studies/{study_id}/sessions/{ids['session']}"
    return ids


def test_proposals_votes_and_choice_appear_on_the_session_page(app, client, make_user, make_study):
    """Two proposals with votes; choosing one shows it with its narrator."""
    s = _setup(app, client, make_user, make_study)
    for who, title, votes in (("Sophie", "L'eBox oubliée", "4"), ("Karim", "Le guichet", "2")):
        response = client.post(
            f"{s['base']}/narratives",
            data={
                "proposer": s[who],
                "title": title,
                "summary": "…",
                "votes": votes,
                "decided_by": "vote",
            },
        )
        assert response.status_code == 302
    with app.app_context():
        chosen_id = db.session.execute(
            db.select(Narrative.id).filter_by(title="L'eBox oubliée")
        ).scalar_one()
    client.post(
        f"{s['base']}/narratives/{chosen_id}/choice", data={"chosen": "1", "narrator": s["Sophie"]}
    )
    page = client.get(s["base"]).text
    assert "chosen story, told by Sophie" in page
    assert "4 votes" in page and "2 votes" in page
    assert page.index("L&#39;eBox oubliée") < page.index("Le guichet")  # chosen first


def test_bad_proposal_is_refused_and_nothing_stored(app, client, make_user, make_study):
    """A proposal without title, or by someone outside the study, is not stored."""
    s = _setup(app, client, make_user, make_study)
    for data in (
        {"proposer": s["Sophie"], "title": ""},
        {"proposer": "999", "title": "X"},
        {"proposer": s["Sophie"], "title": "X", "votes": "many"},
    ):
        response = client.post(f"{s['base']}/narratives", data=data)
        assert response.status_code == 303
    with app.app_context():
        assert db.session.execute(db.select(Narrative)).first() is None


def test_undoing_the_choice(app, client, make_user, make_study):
    """A choice can be undone, for example when the narrator declines."""
    s = _setup(app, client, make_user, make_study)
    client.post(f"{s['base']}/narratives", data={"proposer": s["Karim"], "title": "T"})
    with app.app_context():
        narrative_id = db.session.execute(db.select(Narrative.id)).scalar_one()
    client.post(f"{s['base']}/narratives/{narrative_id}/choice", data={"chosen": "1"})
    client.post(f"{s['base']}/narratives/{narrative_id}/choice", data={"chosen": "0"})
    with app.app_context():
        narrative = db.session.get(Narrative, narrative_id)
        assert not narrative.is_chosen and narrative.narrator_id is None

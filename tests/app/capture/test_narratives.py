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


def _proposal(app, client, s) -> int:
    data = {"proposer": s["Sophie"], "title": "L'eBox oubliée", "summary": "…", "votes": "4"}
    assert client.post(f"{s['base']}/narratives", data=data).status_code == 302
    with app.app_context():
        return db.session.execute(db.select(Narrative.id)).scalar_one()


def test_a_stale_proposal_edit_is_refused_with_both_versions(app, client, make_user, make_study):
    """Two facilitators edit one proposal: the later save from the older form is 409."""
    s = _setup(app, client, make_user, make_study)
    narrative_id = _proposal(app, client, s)
    assert 'name="version" value="1"' in client.get(s["base"]).text
    url = f"{s['base']}/narratives/{narrative_id}"
    mine = {"proposer": s["Sophie"], "title": "L'eBox oubliée", "votes": "4", "version": "1"}
    assert (
        client.post(url, data={**mine, "summary": "Le courrier n'arrive plus."}).status_code == 302
    )
    second = client.post(url, data={**mine, "summary": "Le rappel est perdu.", "votes": "5"})
    assert second.status_code == 409
    assert "Someone else saved this while you were editing" in second.text
    assert "Le courrier n&#39;arrive plus." in second.text and "Le rappel est perdu." in second.text
    assert 'name="version" value="2"' in second.text
    with app.app_context():
        narrative = db.session.get(Narrative, narrative_id)
        assert (narrative.summary, narrative.votes) == ("Le courrier n'arrive plus.", 4)


def test_a_proposal_edit_without_a_version_cannot_overwrite(app, client, make_user, make_study):
    """An edit of a proposal that does not say which version it started from changes nothing."""
    s = _setup(app, client, make_user, make_study)
    narrative_id = _proposal(app, client, s)
    response = client.post(
        f"{s['base']}/narratives/{narrative_id}",
        data={"proposer": s["Karim"], "title": "Autre titre"},
    )
    assert response.status_code == 409
    with app.app_context():
        assert db.session.get(Narrative, narrative_id).title == "L'eBox oubliée"

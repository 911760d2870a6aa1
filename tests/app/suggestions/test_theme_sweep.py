"""The theme sweep page: one-key decisions that code or reject, a ranking that learns, access."""

from __future__ import annotations

import pytest

from app.models import (
    AuditEvent,
    Coding,
    CodingOrigin,
    Passage,
    Suggestion,
    SuggestionStatus,
    Theme,
)
from app.platform.extensions import db
from app.suggestions.feeding import study_decisions
from tests.conftest import csrf_token, login

TEXTS = (
    "Elle n'avait plus de code PIN pour sa banque et m'a donné son mot de passe itsme.",
    "Je garde le mot de passe de sa boîte mail et son code PIN dans mon tiroir.",
    "Il m'a dicté son numéro national et son mot de passe pour la déclaration.",
    "Le guichet de la commune est fermé, on nous envoie tout le monde au CPAS.",
    "Je remplis sa déclaration d'impôts à sa place, ce n'est pas mon métier.",
    "Nous avons parlé du calendrier de la prochaine séance.",
    "La banque a fermé son agence et renvoie les gens vers l'application.",
    "Le formulaire demandait son mot de passe <b>et</b> son consentement, je n'ai pas aimé.",
)


@pytest.fixture
def world(app, make_user, make_study, add_member, make_passages):
    """A French session of eight passages; an owner, a researcher, an observer, an outsider."""
    owner = make_user("owner@example.org")
    study_id = make_study(owner)
    add_member(study_id, make_user("coder@example.org"), "researcher")
    add_member(study_id, make_user("observer@example.org"), "observer")
    make_user("outsider@example.org")
    _session_id, passage_ids = make_passages(study_id, TEXTS)
    with app.app_context():
        theme = db.session.execute(
            db.select(Theme).filter_by(study_id=study_id, key="privacy")
        ).scalar_one()
        return {
            "owner": owner,
            "study": study_id,
            "theme": theme.id,
            "passages": passage_ids,
            "base": f"/studies/{study_id}/sweep/{theme.id}",
        }


JSON = {"Accept": "application/json"}


def _state(client, w) -> dict:
    response = client.get(f"{w['base']}/state")
    assert response.status_code == 200
    return response.get_json()


def _decide(client, w, state: dict, decision: str, **extra):
    current = state["current"]
    data = {"passage_id": current["id"], "text_hash": current["text_hash"], "decision": decision}
    return client.post(f"{w['base']}/decide", data={**data, **extra}, headers=JSON)


def test_accept_codes_the_whole_passage_through_the_coding_service(app, client, world):
    """Accepting codes the passage shown from first to last character, audited, and counts."""
    login(client, "coder@example.org")
    state = _state(client, world)
    assert (state["progress"]["total"], state["progress"]["reviewed"]) == (8, 0)
    assert state["progress"]["accepted"] == 0
    shown = state["current"]["id"]
    response = _decide(client, world, state, "accept")
    assert response.status_code == 200
    body = response.get_json()
    assert body["progress"]["reviewed"] == 1 and body["progress"]["accepted"] == 1
    assert body["current"]["id"] != shown
    with app.app_context():
        coding = db.session.execute(db.select(Coding)).scalar_one()
        passage = db.session.get(Passage, shown)
        assert (coding.passage_id, coding.theme_id) == (shown, world["theme"])
        assert (coding.start_offset, coding.end_offset) == (0, len(passage.text))
        assert coding.origin == CodingOrigin.SUGGESTION
        assert coding.coder.email == "coder@example.org"
        suggestion = db.session.execute(db.select(Suggestion)).scalar_one()
        assert suggestion.status == SuggestionStatus.ACCEPTED and suggestion.coding_id == coding.id
        actions = set(db.session.execute(db.select(AuditEvent.action)).scalars())
        assert {"coding.create", "suggestion.accept"} <= actions


def test_reject_is_stored_as_a_negative_example(app, client, world):
    """Rejecting codes nothing and stores a rejected suggestion the theme model learns from."""
    login(client, "owner@example.org")
    state = _state(client, world)
    shown = state["current"]["id"]
    body = _decide(client, world, state, "reject").get_json()
    assert body["progress"]["reviewed"] == 1 and body["progress"]["accepted"] == 0
    assert shown not in [entry["id"] for entry in body["queue"]]
    with app.app_context():
        assert db.session.execute(db.select(Coding)).first() is None
        suggestion = db.session.execute(db.select(Suggestion)).scalar_one()
        assert suggestion.status == SuggestionStatus.REJECTED
        assert suggestion.passage_id == shown and suggestion.theme_id == world["theme"]
        _labels, rejected = study_decisions(world["study"])
        assert rejected[shown] == {f"t{world['theme']}"}


def test_ranking_changes_after_decisions(client, world):
    """After an accept and a reject, the scores of the passages still to review change."""
    login(client, "owner@example.org")
    before = _state(client, world)
    scores_before = {entry["id"]: entry["score"] for entry in before["queue"]}
    state = _decide(client, world, before, "accept").get_json()
    state = _decide(client, world, state, "reject").get_json()
    decided = {before["current"]["id"], before["queue"][1]["id"]}
    after = {entry["id"]: entry["score"] for entry in state["queue"]}
    assert not decided & set(after)
    common = set(after) & set(scores_before)
    assert common and any(after[i] != scores_before[i] for i in common)


def test_skip_moves_on_and_stores_nothing(app, client, world):
    """Skipping shows another passage, keeps the skipped one out of the queue, stores nothing."""
    login(client, "owner@example.org")
    state = _state(client, world)
    body = _decide(client, world, state, "skip").get_json()
    assert body["current"]["id"] != state["current"]["id"]
    assert body["skipped"] == [state["current"]["id"]]
    assert body["progress"]["reviewed"] == 0
    with app.app_context():
        assert db.session.execute(db.select(Suggestion)).first() is None


def test_a_changed_or_already_decided_passage_is_refused(app, client, world):
    """A stale text hash or a second decision on the same passage is a 409 and stores nothing."""
    login(client, "owner@example.org")
    state = _state(client, world)
    stale = _decide(client, world, state, "accept", text_hash="0" * 64)
    assert stale.status_code == 409 and "changed" in stale.get_json()["message"]
    assert _decide(client, world, state, "reject").status_code == 200
    again = _decide(client, world, state, "accept")
    assert again.status_code == 409 and "already decided" in again.get_json()["message"]
    with app.app_context():
        assert db.session.execute(db.select(Coding)).first() is None
        assert len(db.session.execute(db.select(Suggestion)).all()) == 1


def test_page_works_without_scripts(client, world):
    """The plain form posts and redirects back to the page, which shows the new progress."""
    login(client, "owner@example.org")
    page = client.get(world["base"])
    assert page.status_code == 200
    state = _state(client, world)
    form = {
        "passage_id": state["current"]["id"],
        "text_hash": state["current"]["text_hash"],
        "decision": "accept",
    }
    response = client.post(f"{world['base']}/decide", data=form)
    assert response.status_code == 303 and response.headers["Location"].endswith(world["base"])
    page = client.get(world["base"]).text
    assert 'data-field="reviewed">1<' in page and 'data-field="accepted">1<' in page
    skip = {**form, "passage_id": _state(client, world)["current"]["id"], "decision": "skip"}
    response = client.post(f"{world['base']}/decide", data=skip)
    assert "skipped=" in response.headers["Location"]


def test_evidence_is_highlighted_and_text_escaped(client, world):
    """The shown passage marks its evidence words; markup typed in a passage stays text."""
    login(client, "owner@example.org")
    for _ in range(8):
        state = _state(client, world)
        if "&lt;b&gt;" in state["html"]:
            break
        _decide(client, world, state, "skip")
    html = state["html"]
    assert "&lt;b&gt;et&lt;/b&gt;" in html and "<b>et</b>" not in html
    assert "<mark>mot de passe</mark>" in html


def test_codebook_links_to_the_sweep_for_coders_only(client, world):
    """Coders see a sweep link per theme in the codebook; observers do not."""
    login(client, "coder@example.org")
    codebook = client.get(f"/studies/{world['study']}/codebook/").text
    assert f'href="{world["base"]}"' in codebook
    client.post("/logout")
    login(client, "observer@example.org")
    codebook = client.get(f"/studies/{world['study']}/codebook/").text
    assert "/sweep/" not in codebook


@pytest.mark.parametrize(
    ("email", "status"), [("observer@example.org", 403), ("outsider@example.org", 404)]
)
def test_observers_and_outsiders_cannot_sweep(app, client, world, email, status):
    """An observer is refused (403); someone outside the study sees nothing there (404)."""
    login(client, email)
    assert client.get(world["base"]).status_code == status
    assert client.get(f"{world['base']}/state").status_code == status
    form = {"passage_id": world["passages"][0], "text_hash": "x", "decision": "accept"}
    assert client.post(f"{world['base']}/decide", data=form).status_code == status
    with app.app_context():
        assert db.session.execute(db.select(Coding)).first() is None


def test_anonymous_visitors_are_sent_to_login(client, world):
    """Without an account the sweep redirects to the login page."""
    response = client.get(world["base"])
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_theme_of_another_study_is_not_found(client, world, make_study, app):
    """A theme id from another study answers 404 inside this study."""
    other = make_study(world["owner"], "Other")
    login(client, "owner@example.org")
    with app.app_context():
        foreign = (
            db.session.execute(db.select(Theme.id).where(Theme.study_id == other)).scalars().first()
        )
    assert client.get(f"/studies/{world['study']}/sweep/{foreign}").status_code == 404


def test_decisions_need_the_csrf_token(make_app, world):
    """With CSRF protection on, a decision without the page's token is refused."""
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    page = client.get("/login")
    client.post(
        "/login",
        data={
            "email": "owner@example.org",
            "password": "correct horse battery staple",
            "csrf_token": csrf_token(page.data),
        },
    )
    page = client.get(world["base"])
    token = csrf_token(page.data)
    state = client.get(f"{world['base']}/state").get_json()
    form = {
        "passage_id": state["current"]["id"],
        "text_hash": state["current"]["text_hash"],
        "decision": "accept",
    }
    refused = client.post(f"{world['base']}/decide", data=form, headers=JSON)
    assert refused.status_code == 400
    accepted = client.post(
        f"{world['base']}/decide", data={**form, "csrf_token": token}, headers=JSON
    )
    assert accepted.status_code == 200 and accepted.get_json()["progress"]["accepted"] == 1

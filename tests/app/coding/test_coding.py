"""Coding through the JSON API: offsets in code points, tokens, and refusal of bad input."""

from __future__ import annotations

import pytest

from app.models import (
    ApiToken,
    AuditEvent,
    Coding,
    GroupSession,
    Participant,
    Passage,
    SpeakerKind,
    Theme,
)
from app.platform.extensions import db
from tests.conftest import login

TEXT = "Élodie a dit: « le CPAS 👍🏽 ferme » — café ☕ et eID."


@pytest.fixture
def study(app, make_user, make_study, add_member):
    """A study with one passage containing accents and non-BMP emoji, and its members."""
    owner = make_user("owner@example.org")
    study_id = make_study(owner)
    for role in ("facilitator", "researcher", "observer"):
        add_member(study_id, make_user(f"{role}@example.org"), role)
    with app.app_context():
        group_session = GroupSession(study_id=study_id, number=1, language="fr")
        participant = Participant(study_id=study_id, pseudonym="Élodie", pseudonym_key="élodie")
        passage = Passage(
            group_session=group_session,
            phase=5,
            position=1,
            text=TEXT,
            speaker_kind=SpeakerKind.PARTICIPANT,
            participant=participant,
        )
        db.session.add_all([group_session, participant, passage])
        db.session.commit()
        themes = {t.key: t.id for t in db.session.execute(db.select(Theme)).scalars()}
        return {"id": study_id, "passage": passage.id, "themes": themes, "owner": owner}


def _codings(app) -> list[Coding]:
    with app.app_context():
        return db.session.execute(db.select(Coding)).scalars().all()


def _post(client, study, **body):
    payload = {"passage_id": study["passage"], "theme": "privacy", **body}
    return client.post(f"/api/studies/{study['id']}/codings", json=payload)


def test_coding_covers_exactly_the_selected_code_points(client, app, study):
    """Offsets count code points: a span after an emoji holds exactly the chosen words."""
    login(client, "facilitator@example.org")
    start = TEXT.index("ferme")
    response = _post(client, study, start=start, end=start + len("ferme"), memo="clé")
    assert response.status_code == 201, response.json
    assert response.json["text"] == "ferme"
    start = TEXT.index("👍🏽")
    response = _post(client, study, start=start, end=start + 2, theme="dependency")
    assert response.json["text"] == "👍🏽"
    with app.app_context():
        stored = db.session.execute(db.select(Coding).order_by(Coding.id)).scalars().all()
        assert [c.quote for c in stored] == ["ferme", "👍🏽"]
        assert stored[0].memo == "clé" and stored[0].coder.email == "facilitator@example.org"
        assert (
            db.session.execute(db.select(AuditEvent).filter_by(action="coding.create")).first()
            is not None
        )


@pytest.mark.parametrize(
    "body, fragment",
    [
        ({"start": 0, "end": len(TEXT) + 1}, "is not inside the passage"),
        ({"start": -1, "end": 3}, "is not inside the passage"),
        ({"start": 5, "end": 5}, "is empty"),
        ({"start": 6, "end": 2}, "is empty"),
        ({"start": "0", "end": 3}, "whole numbers"),
        ({"start": 0, "end": 3, "theme": "no_such_theme"}, "not in this study's codebook"),
        ({"start": 0, "end": 3, "passage_id": 999999}, "passage does not exist"),
    ],
)
def test_bad_coding_requests_are_refused_with_json(client, app, study, body, fragment):
    """Offsets outside the passage, empty spans, unknown themes: 422 JSON, nothing stored."""
    login(client, "facilitator@example.org")
    response = _post(client, study, **body)
    assert response.status_code == 422
    assert fragment in response.json["message"]
    assert _codings(app) == []


def test_theme_of_another_study_is_refused(client, app, study, make_study):
    """A theme id from another study's codebook cannot be applied here."""
    other = make_study(study["owner"], "Other")
    with app.app_context():
        foreign = db.session.execute(
            db.select(Theme.id).filter_by(study_id=other, key="privacy")
        ).scalar_one()
    login(client, "facilitator@example.org")
    response = _post(client, study, start=0, end=3, theme=foreign)
    assert response.status_code == 422 and "codebook" in response.json["message"]
    assert _codings(app) == []


def test_body_must_be_json(client, app, study):
    """A form-encoded body is refused with a message saying what to send."""
    login(client, "facilitator@example.org")
    response = client.post(f"/api/studies/{study['id']}/codings", data={"start": "0"})
    assert response.status_code == 422 and "JSON object" in response.json["message"]


def test_observer_cannot_code(client, app, study):
    """Observers read; coding is refused with 403 JSON."""
    login(client, "observer@example.org")
    response = _post(client, study, start=0, end=3)
    assert response.status_code == 403 and response.json["error"] == 403
    assert _codings(app) == []


def _token(client, email: str) -> str:
    login(client, email)
    response = client.post("/account/tokens/", data={"name": "script"})
    assert response.status_code == 201
    return response.data.split(b'id="new-token">')[1].split(b"<")[0].decode()


def test_token_works_without_cookie_and_is_stored_hashed(app, study):
    """A personal token authenticates API calls; only its hash is in the database."""
    token = _token(app.test_client(), "researcher@example.org")
    script = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    response = script.post(
        f"/api/studies/{study['id']}/codings",
        headers=headers,
        json={"passage_id": study["passage"], "start": 0, "end": 6, "theme": "role_confusion"},
    )
    assert response.status_code == 201
    assert (
        script.get(f"/api/studies/{study['id']}/codings", headers=headers).json["codings"][0][
            "text"
        ]
        == "Élodie"
    )
    with app.app_context():
        stored = db.session.execute(db.select(ApiToken)).scalar_one()
        assert token not in (stored.token_hash, stored.prefix) and stored.last_used_at
    assert script.get("/studies/", headers=headers).status_code == 302  # API only


def test_token_of_user_without_rights_is_refused(app, study):
    """An observer's token cannot code, and a revoked token stops working."""
    browser = app.test_client()
    token = _token(browser, "observer@example.org")
    headers = {"Authorization": f"Bearer {token}"}
    script = app.test_client()
    response = script.post(
        f"/api/studies/{study['id']}/codings",
        headers=headers,
        json={"passage_id": study["passage"], "start": 0, "end": 3, "theme": "privacy"},
    )
    assert response.status_code == 403
    assert script.get(f"/api/studies/{study['id']}/themes", headers=headers).status_code == 200
    with app.app_context():
        token_id = db.session.execute(db.select(ApiToken.id)).scalar_one()
    assert browser.post(f"/account/tokens/{token_id}/revoke").status_code == 302
    assert script.get(f"/api/studies/{study['id']}/themes", headers=headers).status_code == 401
    bogus = {"Authorization": "Bearer magwb_not-a-real-token"}
    assert script.get(f"/api/studies/{study['id']}/themes", headers=bogus).status_code == 401
    assert _codings(app) == []


def test_cookie_requests_to_the_api_need_the_csrf_header(make_app, make_user, make_study):
    """With CSRF on, a cookie-authenticated API write without X-CSRFToken is refused."""
    app = make_app(WTF_CSRF_ENABLED=True)
    owner = make_user("csrf@example.org")
    study_id = make_study(owner)
    client = app.test_client()
    from tests.conftest import PASSWORD, csrf_token

    token = csrf_token(client.get("/login").data)
    client.post(
        "/login", data={"email": "csrf@example.org", "password": PASSWORD, "csrf_token": token}
    )
    page = client.get(f"/studies/{study_id}/codebook/")
    body = {"key": "non_take_up", "label_en": "Non-take-up"}
    assert client.post(f"/api/studies/{study_id}/themes", json=body).status_code == 400
    response = client.post(
        f"/api/studies/{study_id}/themes", json=body, headers={"X-CSRFToken": csrf_token(page.data)}
    )
    assert response.status_code == 201


def test_coders_remove_their_own_codings_reviewers_any(client, app, study):
    """A researcher cannot delete a facilitator's coding; the facilitator and owner can."""
    login(client, "facilitator@example.org")
    coding_id = _post(client, study, start=0, end=6).json["id"]
    url = f"/api/studies/{study['id']}/codings/{coding_id}"
    researcher = app.test_client()
    login(researcher, "researcher@example.org")
    assert researcher.delete(url).status_code == 403
    assert researcher.patch(url, json={"memo": "x"}).status_code == 403
    saved = client.patch(url, json={"memo": "revisit", "memo_version": 1})
    assert saved.json["memo"] == "revisit"
    assert client.delete(url).status_code == 204
    assert _codings(app) == []
    assert client.delete(url).status_code == 404


def test_a_coding_is_deleted_only_through_its_own_study(client, app, study, make_study):
    """A researcher deletes their own coding; through another study's address (where they
    are owner) the same coding is a 404 and stays, with no delete in the audit log."""
    researcher = app.test_client()
    login(researcher, "researcher@example.org")
    own = _post(researcher, study, start=0, end=6).json["id"]
    assert researcher.delete(f"/api/studies/{study['id']}/codings/{own}").status_code == 204
    login(client, "owner@example.org")
    kept = _post(client, study, start=0, end=6).json["id"]
    other = make_study(study["owner"], "Other")
    assert client.delete(f"/api/studies/{other}/codings/{kept}").status_code == 404
    assert [c.id for c in _codings(app)] == [kept]
    with app.app_context():
        deletes = db.session.execute(
            db.select(AuditEvent.object_id, AuditEvent.details).filter_by(action="coding.delete")
        ).all()
    assert deletes == [(own, {"passage": study["passage"], "theme": "privacy"})]


def test_coding_view_shows_codings_and_offsets(client, app, study):
    """The coding view marks coded runs with their start offsets and lists quotes."""
    login(client, "facilitator@example.org")
    start = TEXT.index("café")
    _post(client, study, start=start, end=start + 4)
    page = client.get(
        f"/studies/{study['id']}/sessions/1/code".replace(
            "/sessions/1/", f"/sessions/{_session_id(app)}/"
        )
    )
    assert page.status_code == 200
    html = page.data.decode()
    assert f'data-start="{start}"' in html and "<q>café</q>" in html
    assert 'data-key="1"' in html and "coding.js" in html


def _session_id(app) -> int:
    with app.app_context():
        return db.session.execute(db.select(GroupSession.id)).scalar_one()


def test_coding_a_stale_passage_is_refused(client, app, study):
    """A coding sent with an outdated passage version gets 409 instead of wrong words."""
    login(client, "facilitator@example.org")
    response = _post(client, study, start=0, end=6, passage_version=99)
    assert response.status_code == 409 and "reload" in response.json["message"]
    assert _post(client, study, start=0, end=6, passage_version=1).status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        {"start": 0, "end": 3, "theme": ["privacy"]},
        {"start": 0, "end": 3, "theme": 10**30},
        {"start": 0, "end": 3, "passage_id": 10**30},
        {"start": 0, "end": 3, "passage_id": "²"},
        {"start": 10**30, "end": 10**31},
    ],
)
def test_odd_json_values_are_refused_not_crashing(client, app, study, body):
    """Wrong types and huge numbers give 422 JSON, never a server error."""
    login(client, "facilitator@example.org")
    response = _post(client, study, **body)
    assert response.status_code == 422
    assert _codings(app) == []


@pytest.mark.parametrize(
    "path",
    [
        "/studies/99999999999999999999",
        "/studies/{study}/segments?theme=²",
        "/studies/{study}/segments?session=99999999999999999999",
        "/studies/{study}/segments?to=9999-12-31",
        "/api/studies/{study}/codings?coder=²",
    ],
)
def test_odd_urls_are_not_server_errors(client, study, path):
    """Huge ids, non-ASCII digits and extreme dates are answered without a 500."""
    login(client, "facilitator@example.org")
    response = client.get(path.format(study=study["id"]))
    assert response.status_code in {200, 404}


def test_deeply_nested_json_is_refused(client, app, study):
    """A body of 100,000 nested brackets is a 422, not a crash."""
    login(client, "facilitator@example.org")
    response = client.post(
        f"/api/studies/{study['id']}/codings", data="[" * 100_000, content_type="application/json"
    )
    assert response.status_code == 422


def test_form_routes_check_the_coding_belongs_to_the_session_in_the_url(client, app, study):
    """Removing a coding through another session's URL is a 404 and removes nothing."""
    login(client, "facilitator@example.org")
    coding_id = _post(client, study, start=0, end=6).json["id"]
    with app.app_context():
        other = GroupSession(study_id=study["id"], number=2, language="fr")
        db.session.add(other)
        db.session.commit()
        other_id = other.id
    url = f"/studies/{study['id']}/sessions/{other_id}/codings/{coding_id}"
    assert client.post(f"{url}/delete").status_code == 404
    assert client.post(f"{url}/memo", data={"memo": "x"}).status_code == 404
    assert len(_codings(app)) == 1


def test_a_stale_memo_form_is_refused_with_both_memos(client, app, study):
    """Coder and reviewer edit one memo: the later save from the older page is 409."""
    login(client, "facilitator@example.org")
    coding_id = _post(client, study, start=0, end=6).json["id"]
    url = f"/studies/{study['id']}/sessions/{_session_id(app)}/codings/{coding_id}"
    assert 'name="memo_version" value="1"' in client.get(url).text
    owner = app.test_client()
    login(owner, "owner@example.org")
    first = owner.post(f"{url}/memo", data={"memo": "Relire avec le groupe.", "memo_version": "1"})
    assert first.status_code == 302
    second = client.post(f"{url}/memo", data={"memo": "Citation forte.", "memo_version": "1"})
    assert second.status_code == 409
    assert "Someone else saved this while you were editing" in second.text
    assert "Relire avec le groupe." in second.text and "Citation forte." in second.text
    assert 'name="memo_version" value="2"' in second.text
    assert [c.memo for c in _codings(app)] == ["Relire avec le groupe."]


def test_api_memo_with_an_old_version_is_refused(client, app, study):
    """PATCH with the memo_version read earlier answers 409 once someone saved the memo."""
    login(client, "facilitator@example.org")
    created = _post(client, study, start=0, end=6).json
    assert created["memo_version"] == 1
    url = f"/api/studies/{study['id']}/codings/{created['id']}"
    saved = client.patch(url, json={"memo": "revoir", "memo_version": 1})
    assert saved.status_code == 200 and saved.json["memo_version"] == 2
    stale = client.patch(url, json={"memo": "autre", "memo_version": 1})
    assert stale.status_code == 409
    assert (stale.json["memo"], stale.json["yours"]) == ("revoir", "autre")
    assert [c.memo for c in _codings(app)] == ["revoir"]


def test_api_memo_without_a_version_is_refused_with_428(client, app, study):
    """An old client's PATCH without memo_version no longer overwrites a memo saved since:
    428 with a message saying what to send, and the first memo stays stored."""
    login(client, "facilitator@example.org")
    created = _post(client, study, start=0, end=6).json
    url = f"/api/studies/{study['id']}/codings/{created['id']}"
    other = app.test_client()
    login(other, "owner@example.org")
    assert other.patch(url, json={"memo": "revoir", "memo_version": 1}).status_code == 200
    blind = client.patch(url, json={"memo": "autre"})
    assert blind.status_code == 428
    assert "memo_version" in blind.json["message"]
    assert [c.memo for c in _codings(app)] == ["revoir"]
    assert client.get(f"/api/studies/{study['id']}/codings").json["codings"][0]["memo_version"] == 2

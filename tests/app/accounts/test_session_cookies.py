"""Cookies: a visit without a login is not re-sent its cookie; a login stays tied to its browser.

Session protection ("strong") empties a login session used from another browser or
address. A participant or visitor has no login to protect: their responses carry no
Set-Cookie once the first one has given them their session (its CSRF token).
"""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from app.models import Participant, StatementAnswer
from app.platform.extensions import db
from tests.conftest import csrf_token, login


@pytest.fixture
def personal_link(app, make_user, make_study):
    """An open round of one statement for one participant; returns (link token, statement id)."""
    from app.synthesis.links import link_token
    from app.synthesis.rounds import create_round
    from app.synthesis.statements import save_statement, synthesis_for

    owner = make_user("owner@example.org")
    study_id = make_study(owner)
    with app.app_context():
        db.session.add(Participant(study_id=study_id, pseudonym="Amina", pseudonym_key="amina"))
        synthesis = synthesis_for(study_id, None, create=True)
        statement = save_statement(
            synthesis,
            MultiDict({"kind": "convergence", "text": "Le guichet ferme."}),
            user_id=owner,
        )
        round_ = create_round(
            synthesis, MultiDict({"statements": str(statement.id), "days": "7"}), user_id=owner
        )
        db.session.commit()
        return link_token(round_.links[0]), statement.id


def test_a_participant_gets_no_cookie_again_once_their_visit_has_one(app, personal_link):
    """Opening the link again, answering and seeing the saved page send no Set-Cookie."""
    token, statement_id = personal_link
    participant = app.test_client()
    first = participant.get(f"/v/{token}")
    assert first.status_code == 200
    page = participant.get(f"/v/{token}")
    assert page.status_code == 200 and page.headers.getlist("Set-Cookie") == []
    answer = participant.post(
        f"/v/{token}",
        data={f"verdict-{statement_id}": "agree", "csrf_token": csrf_token(page.data)},
    )
    assert answer.status_code == 303 and answer.headers.getlist("Set-Cookie") == []
    saved = participant.get(answer.location)
    assert saved.status_code == 200 and saved.headers.getlist("Set-Cookie") == []
    with app.app_context():
        stored = db.session.execute(db.select(StatementAnswer)).scalar_one()
        assert stored.verdict.value == "agree"


def test_a_visitor_reading_the_login_page_again_gets_no_cookie(client, make_user):
    """The login page, asked a second time by the same browser, sends no Set-Cookie."""
    make_user("anna@example.org")
    assert client.get("/login").status_code == 200
    again = client.get("/login")
    assert again.status_code == 200 and again.headers.getlist("Set-Cookie") == []


def test_a_login_cookie_replayed_by_another_browser_is_not_logged_in(app, make_user):
    """A login cookie sent from another browser (user agent) is refused; the owner's works."""
    make_user("dora@example.org")
    laptop = app.test_client()
    thief = app.test_client()
    login(laptop, "dora@example.org")
    cookie = laptop.get_cookie("session")
    thief.set_cookie("session", cookie.value, domain=cookie.domain or "localhost")
    response = thief.get("/studies/", headers={"User-Agent": "Other browser/1.0"})
    assert response.status_code == 302 and "/login" in response.location
    assert laptop.get("/studies/").status_code == 200

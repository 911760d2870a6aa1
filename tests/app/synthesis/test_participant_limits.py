"""Participants' pages are limited per personal link, not per address.

A room answering together behind one Wi-Fi NAT shares one address; each person has
their own link. The limits are counted in the limiter's real storage (memory://).
"""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from app.models import Participant, StatementAnswer
from app.platform.extensions import db

ROOM = "192.0.2.40"  # the room's NAT address


@pytest.fixture
def room(app, make_user, make_study):
    """A study of 40 participants with an open round on one statement; returns (tokens, sid)."""
    from app.synthesis.links import link_token
    from app.synthesis.rounds import create_round
    from app.synthesis.statements import save_statement, synthesis_for

    owner = make_user("owner@example.org")
    study_id = make_study(owner)
    with app.app_context():
        db.session.add_all(
            Participant(study_id=study_id, pseudonym=f"P{n:02d}", pseudonym_key=f"p{n:02d}")
            for n in range(40)
        )
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
        return [link_token(link) for link in round_.links], statement.id


def test_forty_participants_behind_one_address_answer_without_429(make_app, room):
    """Each of 40 links opens its page, answers and sees it saved within a minute: no 429."""
    tokens, sid = room
    app = make_app(RATELIMIT_ENABLED=True)  # the default limit, 60 per minute
    client = app.test_client()
    statuses = set()
    for token in tokens:
        for response in (
            client.get(f"/v/{token}", environ_base={"REMOTE_ADDR": ROOM}),
            client.post(
                f"/v/{token}",
                data={f"verdict-{sid}": "agree"},
                environ_base={"REMOTE_ADDR": ROOM},
            ),
            client.get(f"/v/{token}?saved=1", environ_base={"REMOTE_ADDR": ROOM}),
        ):
            statuses.add(response.status_code)
    assert statuses == {200, 303}
    with app.app_context():
        assert len(db.session.execute(db.select(StatementAnswer.id)).all()) == 40


def test_one_link_over_its_limit_gets_a_readable_429_page(make_app, room):
    """A link asked for too often is paused with a page saying to wait; the others go on."""
    tokens, _sid = room
    app = make_app(RATELIMIT_ENABLED=True, VALIDATION_RATE_LIMIT="5 per minute")
    client = app.test_client()
    first = [
        client.get(f"/v/{tokens[0]}", environ_base={"REMOTE_ADDR": ROOM}).status_code
        for _ in range(5)
    ]
    assert first == [200] * 5
    paused = client.get(f"/v/{tokens[0]}", environ_base={"REMOTE_ADDR": ROOM})
    assert paused.status_code == 429
    assert paused.text.startswith("<!doctype html>")
    assert "Please wait a minute" in paused.text and "reload" in paused.text
    other = client.get(f"/v/{tokens[1]}", environ_base={"REMOTE_ADDR": ROOM})
    assert other.status_code == 200


def test_guessed_links_are_counted_per_address_and_valid_ones_are_not(make_app, room):
    """Unknown links use up the address's allowance; opening real links does not."""
    tokens, _sid = room
    app = make_app(RATELIMIT_ENABLED=True, VALIDATION_RATE_LIMIT="3 per minute")
    client = app.test_client()
    for token in tokens[:10]:  # ten people, one address: far more than 3 requests
        assert client.get(f"/v/{token}", environ_base={"REMOTE_ADDR": ROOM}).status_code == 200
    guesses = [
        client.get(f"/v/guess-{n}", environ_base={"REMOTE_ADDR": "198.51.100.9"}).status_code
        for n in range(4)
    ]
    assert guesses == [404, 404, 404, 429]
    assert client.get(f"/v/{tokens[10]}", environ_base={"REMOTE_ADDR": ROOM}).status_code == 200


def test_an_address_out_of_guesses_still_opens_and_answers_real_links(make_app, room):
    """Mistyped links use up the address's allowance; people behind it keep answering."""
    tokens, sid = room
    app = make_app(RATELIMIT_ENABLED=True, VALIDATION_RATE_LIMIT="3 per minute")
    client = app.test_client()
    guesses = [
        client.get(f"/v/{tokens[0]}x", environ_base={"REMOTE_ADDR": ROOM}).status_code
        for _ in range(4)
    ]
    assert guesses == [404, 404, 404, 429]
    assert client.get(f"/v/{tokens[1]}", environ_base={"REMOTE_ADDR": ROOM}).status_code == 200
    sent = client.post(
        f"/v/{tokens[1]}", data={f"verdict-{sid}": "agree"}, environ_base={"REMOTE_ADDR": ROOM}
    )
    assert sent.status_code == 303
    with app.app_context():
        assert len(db.session.execute(db.select(StatementAnswer.id)).all()) == 1


def test_links_behind_a_trusted_proxy_are_https(make_app, make_user, room):
    """Behind a trusted HTTPS proxy, the personal links handed out start with https://."""
    from app.models import ValidationRound
    from tests.conftest import login

    app = make_app(TRUSTED_PROXIES=1)
    client = app.test_client()
    client.environ_base.update(
        REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5", HTTP_X_FORWARDED_PROTO="https"
    )
    login(client, "owner@example.org")
    with app.app_context():
        round_ = db.session.execute(db.select(ValidationRound)).scalar_one()
        url = f"/studies/{round_.study_id}/rounds/{round_.id}/links"
    page = client.get(url).text
    assert "https://localhost/v/" in page and "http://localhost/v/" not in page

"""A participant's personal link costs a fixed number of SQL statements, however big the round."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event
from werkzeug.datastructures import MultiDict

from app.models import (
    AuditEvent,
    Coding,
    Consent,
    ConsentScope,
    GroupSession,
    Participant,
    Passage,
    SpeakerKind,
    Statement,
    StatementKind,
    StatementLink,
    StatementVersion,
    Synthesis,
    Theme,
    ValidationLink,
)
from app.models.base import utcnow
from app.platform.extensions import db
from tests.conftest import answers_revision

# Most pages the statements of a round are answered from: the target of issue 16.
MOST_STATEMENTS = 10


@pytest.fixture(params=[False, True], ids=["own-answers", "shared-answers"])
def rounds(request, app, make_user, make_study):
    """Two rounds on one session's synthesis: one statement quoting Amina and Bart, and five
    statements quoting the participant (Amina), others, a coding, a speaker without
    quotation consent and a facilitator; answers shared with the group or not. Returns
    every participant's link tokens per round."""
    from app.synthesis.links import link_token
    from app.synthesis.rounds import create_round

    owner = make_user("owner@example.org")
    study_id = make_study(owner)
    with app.app_context():
        group_session = GroupSession(study_id=study_id, number=1, language="fr")
        people = {}
        for name in ("Amina", "Bart", "Chloé", "Dirk", "Silent"):
            person = Participant(study_id=study_id, pseudonym=name, pseudonym_key=name.lower())
            if name != "Silent":  # Silent never consented to being quoted
                person.consents.append(
                    Consent(scope=ConsentScope.QUOTATION, granted=True, given_on=utcnow().date())
                )
            people[name] = person
        passages = {}
        for position, name in enumerate([*people, "Amina", "Amina", "Animatrice"], start=1):
            person = people.get(name)
            passages.setdefault(name, []).append(
                Passage(
                    group_session=group_session,
                    phase=5,
                    position=position,
                    speaker_kind=SpeakerKind.PARTICIPANT if person else SpeakerKind.FACILITATOR,
                    participant=person,
                    speaker_label="" if person else name,
                    text=f"{name} ({position}): le guichet est fermé, tout se fait en ligne.",
                )
            )
        db.session.add_all([group_session, *people.values()])
        db.session.flush()
        theme = db.session.execute(db.select(Theme).filter_by(study_id=study_id)).scalars().first()
        coding = Coding(
            passage=passages["Dirk"][0], theme=theme, coder_id=owner, start_offset=0, end_offset=12
        )
        db.session.add(coding)
        synthesis = Synthesis(study_id=study_id, group_session=group_session)

        def statement(number: int) -> Statement:
            made = Statement(synthesis=synthesis, kind=StatementKind.DIVERGENCE, position=number)
            made.versions.append(
                StatementVersion(number=1, text=f"Affirmation {number}", positions="CPAS, OCMW")
            )
            return made

        small = statement(0)
        small.links.extend(
            [
                StatementLink(passage=passages["Amina"][0]),
                StatementLink(passage=passages["Bart"][0]),
            ]
        )
        large = [statement(number) for number in range(1, 6)]
        for number, made in enumerate(large):
            made.links.extend(
                [
                    StatementLink(passage=passages["Amina"][number % 3]),
                    StatementLink(passage=passages[("Bart", "Chloé")[number % 2]][0]),
                    StatementLink(passage=coding.passage, coding=coding),
                    StatementLink(passage=passages["Silent"][0]),
                    StatementLink(passage=passages["Animatrice"][0]),
                ]
            )
        db.session.add_all([synthesis, small, *large])
        db.session.flush()
        tokens = {}
        shared = [("share_answers", "1")] if request.param else []
        for name, members in (("small", [small]), ("large", large)):
            form = MultiDict(
                [("statements", str(s.id)) for s in members] + [("attributed", "1"), *shared]
            )
            round_ = create_round(synthesis, form, user_id=owner)
            db.session.flush()
            links = db.session.execute(db.select(ValidationLink).filter_by(round_id=round_.id))
            tokens[name] = {
                link.participant.pseudonym: link_token(link) for link in links.scalars()
            }
        db.session.commit()
        return {
            "tokens": tokens,
            "silent": passages["Silent"][0].text,
            "kind": "shared" if request.param else "own",
        }


@contextmanager
def counting(app):
    """Count the SQL statements the application sends inside the block."""
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def count(_connection, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _answer(client, token: str, *, comment: str = "") -> None:
    """Answer every statement of the link's page ("nuance", with `comment`)."""
    page = client.get(f"/v/{token}").text
    form = {}
    for statement_id in re.findall(r'name="verdict-(\d+)"', page):
        form |= {f"verdict-{statement_id}": "nuance", f"comment-{statement_id}": comment}
    assert client.post(f"/v/{token}", data=form).status_code == 303


def _page(app, client, token: str) -> tuple[str, int]:
    client.get(f"/v/{token}")  # the first request of a link, warming nothing in the database
    with counting(app) as seen:
        response = client.get(f"/v/{token}")
    assert response.status_code == 200
    return response.text, len(seen)


def test_the_page_costs_the_same_statements_for_two_quotes_or_twenty_five(app, rounds):
    """Opening a link sends as many statements for 5 statements and 25 quotes as for 1 and 2."""
    for tokens in rounds["tokens"].values():  # the group answers, so there is more to show
        for name in ("Amina", "Bart", "Silent"):
            _answer(app.test_client(), tokens[name], comment=f"Ce que {name} en pense")
    client = app.test_client()
    _small_page, small = _page(app, client, rounds["tokens"]["small"]["Amina"])
    large_page, large = _page(app, client, rounds["tokens"]["large"]["Amina"])
    assert large == small
    assert large <= MOST_STATEMENTS
    # And it is the full page: the same rules decide what shows.
    assert large_page.count('class="statement-card"') == 5
    assert large_page.count('class="own-quote"') == 5  # her words, under each statement
    assert large_page.count('class="quote-choice"') == 3  # one choice per own passage
    assert large_page.count("— Animatrice") == 5  # facilitators' words are always quotable
    assert large_page.count("<blockquote>Dirk (4): le</blockquote>") == 5  # a coded span
    assert rounds["silent"] not in large_page  # no quotation consent: never shown
    shared = large_page.count("Ce que Bart en pense")
    assert shared == (5 if "shared" in rounds["kind"] else 0)  # the group's answers, if shared
    assert "Ce que Silent en pense" not in large_page  # never: Silent may not be quoted


def test_an_answer_costs_the_same_statements_however_many_quotes_it_keeps(app, rounds):
    """Re-sending unchanged answers and quote choices costs the same for a small and large round."""
    counts = {}
    for name, tokens in rounds["tokens"].items():
        token = tokens["Amina"]
        client = app.test_client()
        page = client.get(f"/v/{token}").text
        form = {f"verdict-{sid}": "agree" for sid in re.findall(r'name="verdict-(\d+)"', page)}
        form |= {f"quote-{pid}": "keep" for pid in re.findall(r'name="quote-(\d+)"', page)}
        assert client.post(f"/v/{token}", data=form).status_code == 303  # the first answer
        with counting(app) as seen:
            response = client.post(f"/v/{token}", data=form)  # the same again: nothing changes
        assert response.status_code == 303
        counts[name] = len(seen)
    assert counts["large"] == counts["small"]
    assert counts["large"] <= MOST_STATEMENTS


def _audited(app) -> list[dict]:
    with app.app_context():
        events = db.session.execute(
            db.select(AuditEvent).filter_by(action="validation.answer").order_by(AuditEvent.id)
        )
        return [e.details for e in events.scalars()]


def _last_seen(app, token: str):
    from app.synthesis.links import link_from_token

    with app.test_request_context():
        return link_from_token(token).last_seen_at


def test_changed_answers_send_one_audit_insert_and_each_changed_verdict_is_logged(app, rounds):
    """Three of five verdicts changed: three audit events, in the form's order, sent as one
    INSERT; the two unchanged answers are neither written nor logged again."""
    token = rounds["tokens"]["large"]["Amina"]
    client = app.test_client()
    ids = list(dict.fromkeys(re.findall(r'name="verdict-(\d+)"', client.get(f"/v/{token}").text)))
    assert len(ids) == 5
    first = {f"verdict-{sid}": "agree" for sid in ids}
    assert client.post(f"/v/{token}", data=first).status_code == 303
    second = {f"verdict-{sid}": "disagree" for sid in ids[:3]} | {
        f"verdict-{sid}": "agree" for sid in ids[3:]
    }
    second |= answers_revision(client, f"/v/{token}")  # the page reloaded after the first
    with counting(app) as seen:
        assert client.post(f"/v/{token}", data=second).status_code == 303
    audit_inserts = [s for s in seen if s.startswith("INSERT INTO audit_event")]
    assert len(audit_inserts) == 1  # three events, one statement
    # The link's last use was written by the first answer a moment ago: not again (the
    # link's row only counts the save, `answers_version`).
    assert not any("last_seen_at" in s for s in seen if s.startswith("UPDATE validation_link"))
    events = _audited(app)
    assert [(e["statement"], e["verdict"]) for e in events] == [
        *[(int(sid), "agree") for sid in ids],
        *[(int(sid), "disagree") for sid in ids[:3]],
    ]
    page = client.get(f"/v/{token}").text
    assert page.count('value="disagree" checked') == 3  # the last verdicts are the stored ones


def test_the_links_last_use_is_kept_to_the_minute(app, rounds):
    """The first answer sets when the link was last used; another within the minute leaves
    it; one more than a minute later moves it."""
    token = rounds["tokens"]["small"]["Bart"]
    client = app.test_client()
    assert _last_seen(app, token) is None
    sid = re.findall(r'name="verdict-(\d+)"', client.get(f"/v/{token}").text)[0]
    assert client.post(f"/v/{token}", data={f"verdict-{sid}": "agree"}).status_code == 303
    first = _last_seen(app, token)
    assert first is not None
    again = {f"verdict-{sid}": "nuance", **answers_revision(client, f"/v/{token}")}
    assert client.post(f"/v/{token}", data=again).status_code == 303
    assert _last_seen(app, token) == first
    with app.app_context():
        long_ago = utcnow() - timedelta(minutes=5)
        db.session.execute(db.update(ValidationLink).values(last_seen_at=long_ago))
        db.session.commit()
    later = {f"verdict-{sid}": "agree", **answers_revision(client, f"/v/{token}")}
    assert client.post(f"/v/{token}", data=later).status_code == 303
    # Compared as naive UTC: SQLite returns naive datetimes, PostgreSQL aware ones.
    later = _last_seen(app, token).replace(tzinfo=None)
    assert later > long_ago.replace(tzinfo=None) + timedelta(minutes=4)


def test_answers_and_quote_choices_are_logged_in_one_insert(app, rounds):
    """A first answer with five verdicts and three quote choices: eight audit events, the
    answers' then the choices', sent as one INSERT."""
    token = rounds["tokens"]["large"]["Amina"]
    client = app.test_client()
    page = client.get(f"/v/{token}").text
    verdicts = list(dict.fromkeys(re.findall(r'name="verdict-(\d+)"', page)))
    quotes = list(dict.fromkeys(re.findall(r'name="quote-(\d+)"', page)))
    assert (len(verdicts), len(quotes)) == (5, 3)
    form = {f"verdict-{sid}": "agree" for sid in verdicts}
    form |= {f"quote-{pid}": "withdraw" for pid in quotes}
    with counting(app) as seen:
        assert client.post(f"/v/{token}", data=form).status_code == 303
    assert sum(s.startswith("INSERT INTO audit_event") for s in seen) == 1
    with app.app_context():
        events = db.session.execute(
            db.select(AuditEvent.action, AuditEvent.details)
            .where(AuditEvent.action.in_(["validation.answer", "validation.quote"]))
            .order_by(AuditEvent.id)
        ).all()
    logged = [(action, d.get("statement") or d.get("passage")) for action, d in events]
    assert logged == [
        *[("validation.answer", int(sid)) for sid in verdicts],
        *[("validation.quote", int(pid)) for pid in quotes],
    ]

"""Syntheses and validation rounds: statements, versions, personal links, answers."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import event

from app.models import (
    AuditEvent,
    Consent,
    ConsentScope,
    GroupSession,
    Participant,
    Passage,
    PiiFinding,
    QuoteDecision,
    SpeakerKind,
    Statement,
    StatementAnswer,
    StatementVersion,
    ValidationLink,
    ValidationRound,
)
from app.models.base import utcnow
from app.platform.extensions import db
from tests.conftest import answers_revision, login

LINK = re.compile(r"http://localhost(/v/[A-Za-z0-9_.\-]+)")


@pytest.fixture
def world(app, client, make_user, make_study):
    """Two groups (sessions 1 and 2) of one study, each with two speakers and a passage each."""
    owner = make_user("owner@example.org")
    study_id = make_study(owner)
    ids = {"study": study_id, "owner": owner}
    with app.app_context():
        for number, names in ((1, ("Amina", "Bart")), (2, ("Chloé", "Dirk"))):
            group_session = GroupSession(study_id=study_id, number=number, language="fr")
            db.session.add(group_session)
            for position, name in enumerate(names, start=1):
                person = Participant(study_id=study_id, pseudonym=name, pseudonym_key=name.lower())
                person.consents.append(
                    Consent(scope=ConsentScope.QUOTATION, granted=True, given_on=utcnow().date())
                )
                db.session.add(person)
                passage = Passage(
                    group_session=group_session,
                    phase=5,
                    position=position,
                    speaker_kind=SpeakerKind.PARTICIPANT,
                    participant=person,
                    text=f"{name} dit: le guichet est fermé, on fait tout en ligne.",
                )
                db.session.add(passage)
                db.session.flush()
                ids[name] = person.id
                ids[f"passage-{name}"] = passage.id
            ids[f"session{number}"] = group_session.id
        db.session.commit()
    login(client, "owner@example.org")
    return ids


def _statement(client, w, session_key, text, kind="convergence", **extra):
    response = client.post(
        f"/studies/{w['study']}/statements",
        data={"session_id": w[session_key], "kind": kind, "text": text, **extra},
    )
    assert response.status_code == 303, response.text
    return int(response.headers["Location"].rsplit("statement-", 1)[1])


def _link_quote(client, w, statement_id, passage_id):
    response = client.post(
        f"/studies/{w['study']}/statements/{statement_id}/links", data={"passage_id": passage_id}
    )
    assert response.status_code == 303


def _open_round(client, w, session_key, statement_ids, **extra):
    with client.application.app_context():
        synthesis_id = db.session.get(Statement, statement_ids[0]).synthesis_id
    response = client.post(
        f"/studies/{w['study']}/syntheses/{synthesis_id}/rounds",
        data={"statements": statement_ids, "days": "7", "attributed": "1", **extra},
    )
    assert response.status_code == 303, response.text
    round_id = int(response.headers["Location"].split("/rounds/")[1].split("/")[0])
    page = client.get(f"/studies/{w['study']}/rounds/{round_id}/links").text
    links = {}
    for card in page.split('class="link-card"')[1:]:
        name = re.search(r"<h2>([^<]+)</h2>", card).group(1)
        links[name] = LINK.search(card).group(1)
    return round_id, links


def test_statements_are_versioned_and_a_stale_edit_is_refused(app, client, world):
    """Editing adds a version; an edit based on an old version gets 409 and keeps both texts."""
    w = world
    sid = _statement(client, w, "session1", "Le numérique déplace le travail vers le CPAS.")
    page = client.get(f"/studies/{w['study']}/sessions/{w['session1']}/synthesis").text
    assert "Le numérique déplace le travail vers le CPAS." in page
    saved = client.post(
        f"/studies/{w['study']}/statements/{sid}",
        data={"kind": "convergence", "text": "Le numérique déplace le travail.", "base_version": 1},
    )
    assert saved.status_code == 303
    stale = client.post(
        f"/studies/{w['study']}/statements/{sid}",
        data={"kind": "convergence", "text": "Mon texte concurrent", "base_version": 1},
    )
    assert stale.status_code == 409
    assert "Mon texte concurrent" in stale.text and "Le numérique déplace le travail." in stale.text
    with app.app_context():
        versions = db.session.execute(
            db.select(StatementVersion.text)
            .filter_by(statement_id=sid)
            .order_by(StatementVersion.number)
        ).scalars()
        assert list(versions) == [
            "Le numérique déplace le travail vers le CPAS.",
            "Le numérique déplace le travail.",
        ]
    history = client.get(f"/studies/{w['study']}/statements/{sid}").text
    assert "Version 2" in history and "Version 1" in history


def test_a_proposal_needs_a_level_and_an_empty_statement_is_refused(app, client, world):
    w = world
    response = client.post(
        f"/studies/{w['study']}/statements",
        data={"session_id": w["session1"], "kind": "proposal", "text": "Rouvrir un guichet."},
    )
    assert response.status_code == 422
    assert "practice, organisation or policy" in response.text
    empty = client.post(
        f"/studies/{w['study']}/statements",
        data={"session_id": w["session1"], "kind": "summary", "text": "   "},
    )
    assert empty.status_code == 422
    with app.app_context():
        assert db.session.execute(db.select(Statement)).first() is None


def test_statement_text_is_scanned_for_personal_data(app, client, world):
    w = world
    sid = _statement(client, w, "session1", "Écrire à jan.peeters@example.be pour le suivi.")
    with app.app_context():
        finding = db.session.execute(
            db.select(PiiFinding).filter_by(object_type="statement", object_id=sid)
        ).scalar_one()
        assert finding.kind == "email"
    queue = client.get(f"/studies/{w['study']}/privacy/").text
    assert "jan.peeters@example.be" in queue


def test_participant_answers_change_and_withdraw_through_the_personal_link(app, client, world):
    """The whole loop: open a round, answer, withdraw a quote, change an answer, dashboard."""
    w = world
    first = _statement(client, w, "session1", "Le guichet fermé renvoie vers le CPAS.")
    second = _statement(client, w, "session1", "Tout le monde n'est pas d'accord.", "divergence")
    _link_quote(client, w, first, w["passage-Amina"])
    _link_quote(client, w, first, w["passage-Bart"])
    round_id, links = _open_round(client, w, "session1", [first, second])
    assert set(links) == {"Amina", "Bart"}  # only the group of session 1

    visitor = app.test_client()
    page = visitor.get(links["Amina"])
    assert page.status_code == 200
    assert "Le guichet fermé renvoie vers le CPAS." in page.text
    assert page.text.count('class="own-quote"') == 1  # her own words, highlighted
    answered = visitor.post(
        links["Amina"],
        data={
            f"verdict-{first}": "agree",
            f"verdict-{second}": "disagree",
            f"comment-{second}": "Pour moi c'est une question de moyens.",
            f"quote-{w['passage-Amina']}": "withdraw",
        },
    )
    assert answered.status_code == 303
    with app.app_context():
        assert db.session.get(Passage, w["passage-Amina"]).quote_withdrawn_at is not None
        actions = db.session.execute(db.select(AuditEvent.action)).scalars().all()
        assert actions.count("validation.answer") == 2 and "validation.quote" in actions
    changed = visitor.post(
        links["Amina"],
        data={
            **answers_revision(visitor, links["Amina"]),
            f"verdict-{second}": "nuance",
            f"comment-{second}": "Pour moi c'est une question de moyens.",
        },
    )
    assert changed.status_code == 303
    again = visitor.get(links["Amina"]).text
    assert re.search(rf'name="verdict-{second}" value="nuance" checked', again)
    dashboard = client.get(f"/studies/{w['study']}/rounds/{round_id}").text
    assert "Amina" in dashboard and "Pour moi c&#39;est une question de moyens." in dashboard
    assert "Bart" in dashboard  # still has to answer
    with app.app_context():
        answers = db.session.execute(db.select(StatementAnswer)).scalars().all()
        assert sorted(a.verdict.value for a in answers) == ["agree", "nuance"]


def test_keeping_a_quote_again_lifts_the_withdrawal(app, client, world):
    w = world
    sid = _statement(client, w, "session1", "Un constat partagé.")
    _link_quote(client, w, sid, w["passage-Bart"])
    _, links = _open_round(client, w, "session1", [sid])
    visitor = app.test_client()
    visitor.post(links["Bart"], data={f"quote-{w['passage-Bart']}": "withdraw"})
    revision = answers_revision(visitor, links["Bart"])
    visitor.post(links["Bart"], data={**revision, f"quote-{w['passage-Bart']}": "keep"})
    with app.app_context():
        assert db.session.get(Passage, w["passage-Bart"]).quote_withdrawn_at is None


def test_a_link_of_group_a_cannot_read_or_write_group_b(app, client, world):
    w = world
    mine = _statement(client, w, "session1", "Énoncé du groupe A.")
    theirs = _statement(client, w, "session2", "Énoncé secret du groupe B.")
    _link_quote(client, w, theirs, w["passage-Chloé"])
    _, links_a = _open_round(client, w, "session1", [mine])
    _open_round(client, w, "session2", [theirs])
    visitor = app.test_client()
    page = visitor.get(links_a["Amina"]).text
    assert "Énoncé secret du groupe B." not in page and "Chloé" not in page
    response = visitor.post(
        links_a["Amina"],
        data={
            f"verdict-{theirs}": "disagree",
            f"quote-{w['passage-Chloé']}": "withdraw",
            f"verdict-{mine}": "agree",
        },
    )
    assert response.status_code == 303
    with app.app_context():
        answers = db.session.execute(db.select(StatementAnswer.statement_id)).scalars().all()
        assert answers == [mine]
        assert db.session.execute(db.select(QuoteDecision)).first() is None
        assert db.session.get(Passage, w["passage-Chloé"]).quote_withdrawn_at is None


@pytest.mark.parametrize("tamper", ["flip", "guess", "other-nonce"])
def test_forged_tokens_get_404(app, client, world, tamper):
    w = world
    sid = _statement(client, w, "session1", "Un énoncé.")
    _, links = _open_round(client, w, "session1", [sid])
    url = links["Amina"]
    if tamper == "flip":
        forged = url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")
    elif tamper == "guess":
        forged = "/v/WzEsICJhYmMiXQ.guessed-signature"
    else:  # a valid signature over a made-up nonce is refused too
        with app.app_context():
            from itsdangerous import URLSafeSerializer

            from app.synthesis.links import TOKEN_SALT

            link_id = db.session.execute(db.select(ValidationLink.id)).scalars().first()
            forged = "/v/" + URLSafeSerializer(app.config["SECRET_KEY"], salt=TOKEN_SALT).dumps(
                [link_id, "not-the-nonce"]
            )
    visitor = app.test_client()
    assert visitor.get(forged).status_code == 404
    assert visitor.post(forged, data={f"verdict-{sid}": "agree"}).status_code == 404
    with app.app_context():
        assert db.session.execute(db.select(StatementAnswer)).first() is None


@pytest.mark.parametrize("how", ["revoked", "expired", "closed", "reissued"])
def test_dead_links_get_a_clear_page_and_change_nothing(app, client, world, how):
    w = world
    sid = _statement(client, w, "session1", "Un énoncé.")
    round_id, links = _open_round(client, w, "session1", [sid])
    with app.app_context():
        link = db.session.execute(
            db.select(ValidationLink).filter_by(participant_id=w["Amina"])
        ).scalar_one()
        link_id = link.id
    base = f"/studies/{w['study']}/rounds/{round_id}"
    if how == "revoked":
        assert client.post(f"{base}/links/{link_id}/revoke").status_code == 303
    elif how == "closed":
        assert client.post(f"{base}/close").status_code == 303
    elif how == "reissued":
        assert client.post(f"{base}/links/{link_id}/reissue").status_code == 303
    else:
        with app.app_context():
            round_ = db.session.get(ValidationRound, round_id)
            round_.expires_at = utcnow() - timedelta(minutes=1)
            db.session.commit()
    visitor = app.test_client()
    page = visitor.get(links["Amina"])
    posted = visitor.post(links["Amina"], data={f"verdict-{sid}": "agree"})
    if how == "reissued":  # the old address is simply unknown now
        assert page.status_code == posted.status_code == 404
    else:
        assert page.status_code == posted.status_code == 410
        assert "no longer works" in page.text or "ne fonctionne plus" in page.text
        assert "Un énoncé." not in page.text
    with app.app_context():
        assert db.session.execute(db.select(StatementAnswer)).first() is None


@pytest.mark.parametrize("how", ["erased", "withdrew"])
def test_erasure_and_withdrawal_close_every_door_even_reissue(app, client, world, how):
    """An erased or withdrawn participant's link stays dead, and reissuing it changes nothing."""
    from app.studies.participants import erase_participant, record_consent

    w = world
    sid = _statement(client, w, "session1", "Un énoncé.")
    round_id, links = _open_round(client, w, "session1", [sid])
    with app.app_context():
        person = db.session.get(Participant, w["Amina"])
        link = db.session.execute(
            db.select(ValidationLink).filter_by(participant_id=person.id)
        ).scalar_one()
        link_id, nonce = link.id, link.nonce
        if how == "erased":
            erase_participant(person, user_id=w["owner"], real_names=[])
        else:
            record_consent(person, "participation", False, utcnow().date(), user_id=w["owner"])
        db.session.commit()
    base = f"/studies/{w['study']}/rounds/{round_id}"
    assert client.post(f"{base}/links/{link_id}/reissue").status_code == 303
    links_page = client.get(f"{base}/links").text
    assert "cannot be renewed" in links_page or "ne peut pas" in links_page
    with app.app_context():
        link = db.session.get(ValidationLink, link_id)
        assert link.nonce == nonce  # no new address was made
    visitor = app.test_client()
    page = visitor.get(links["Amina"])
    posted = visitor.post(links["Amina"], data={f"verdict-{sid}": "agree"})
    assert page.status_code == posted.status_code == 410
    assert "erased-" not in page.text and "Amina" not in page.text
    with app.app_context():
        assert db.session.execute(db.select(StatementAnswer)).first() is None
    # A new round does not invite them either.
    _, new_links = _open_round(client, w, "session1", [sid])
    assert "Amina" not in new_links and not any(n.startswith("erased-") for n in new_links)


def test_an_answered_round_survives_a_restart(app, client, world, make_app):
    w = world
    sid = _statement(client, w, "session1", "Un énoncé durable.")
    _, links = _open_round(client, w, "session1", [sid])
    app.test_client().post(
        links["Bart"], data={f"verdict-{sid}": "nuance", f"comment-{sid}": "Oui, mais."}
    )
    with app.app_context():
        db.engine.dispose()
    restarted = make_app()  # a new process would build exactly this
    page = restarted.test_client().get(links["Bart"]).text
    assert re.search(rf'name="verdict-{sid}" value="nuance" checked', page)
    assert "Oui, mais." in page


def test_anonymous_rounds_hide_who_answered_and_shared_answers_hide_names(app, client, world):
    w = world
    sid = _statement(client, w, "session1", "Un énoncé.")
    with app.app_context():
        synthesis_id = db.session.get(Statement, sid).synthesis_id
    response = client.post(
        f"/studies/{w['study']}/syntheses/{synthesis_id}/rounds",
        data={"statements": [sid], "days": "7", "share_answers": "1"},
    )
    round_id = int(response.headers["Location"].split("/rounds/")[1].split("/")[0])
    links_page = client.get(f"/studies/{w['study']}/rounds/{round_id}/links").text
    urls = {
        re.search(r"<h2>([^<]+)</h2>", card).group(1): LINK.search(card).group(1)
        for card in links_page.split('class="link-card"')[1:]
    }
    visitor = app.test_client()
    visitor.post(
        urls["Bart"], data={f"verdict-{sid}": "disagree", f"comment-{sid}": "Pas du tout."}
    )
    dashboard = client.get(f"/studies/{w['study']}/rounds/{round_id}").text
    assert "Pas du tout." in dashboard
    assert "Bart" not in dashboard.split('id="silent-heading"')[1]
    other = app.test_client().get(urls["Amina"]).text
    assert "Pas du tout." in other and "Bart" not in other
    # Once Bart withdraws his quotation consent, his words no longer reach the group.
    from app.studies.participants import record_consent

    with app.app_context():
        bart = db.session.get(Participant, w["Bart"])
        record_consent(bart, "quotation", False, utcnow().date(), user_id=w["owner"])
        db.session.commit()
    other = app.test_client().get(urls["Amina"]).text
    assert "Pas du tout." not in other


def test_validation_state_follows_the_answers(app, client, world):
    """While the round is open the state says how many answered, never "validated"."""
    from app.synthesis.state import ValidationState, statement_validation

    w = world
    sid = _statement(client, w, "session1", "Un énoncé.")
    round_id, links = _open_round(client, w, "session1", [sid])
    visitor = app.test_client()
    with app.app_context():
        state = statement_validation(db.session.get(Statement, sid))
        assert state.state == ValidationState.PENDING
        assert (state.answered, state.invited) == (0, 2)
    visitor.post(links["Amina"], data={f"verdict-{sid}": "agree"})
    with app.app_context():
        state = statement_validation(db.session.get(Statement, sid))
        assert state.state == ValidationState.PENDING  # one early answer is not the group's
        assert (state.answered, state.invited) == (1, 2)
    page = client.get(f"/studies/{w['study']}/sessions/{w['session1']}/synthesis").text
    assert "validated" not in page and "1 of 2 participants answered" in page
    visitor.post(links["Bart"], data={f"verdict-{sid}": "disagree", f"comment-{sid}": "Non."})
    client.post(f"/studies/{w['study']}/rounds/{round_id}/close")
    with app.app_context():
        state = statement_validation(db.session.get(Statement, sid))
        assert state.state == ValidationState.CONTESTED and state.disagreements == ["Non."]
    page = client.get(f"/studies/{w['study']}/sessions/{w['session1']}/synthesis").text
    assert "contested" in page and "2 of 2 participants answered" in page


def test_a_round_closed_without_answers_says_so(app, client, world):
    from app.synthesis.state import ValidationState, statement_validation

    w = world
    sid = _statement(client, w, "session1", "Un énoncé.")
    round_id, _links = _open_round(client, w, "session1", [sid])
    client.post(f"/studies/{w['study']}/rounds/{round_id}/close")
    with app.app_context():
        state = statement_validation(db.session.get(Statement, sid))
        assert state.state == ValidationState.NO_ANSWERS


def test_participant_links_are_rate_limited_against_guessing(make_app):
    limited = make_app(RATELIMIT_ENABLED=True, VALIDATION_RATE_LIMIT="3 per minute")
    visitor = limited.test_client()
    statuses = [visitor.get(f"/v/guess-{n}").status_code for n in range(4)]
    assert statuses == [404, 404, 404, 429]


def test_an_erased_label_never_reaches_the_other_participants_pages(app, client, world):
    """Statements naming an erased participant show the marker, not `erased-N`, to the group."""
    from app.studies.participants import erase_participant

    w = world
    sid = _statement(client, w, "session1", "Bart et Amina divergent.", positions="Bart: non.")
    _, links = _open_round(client, w, "session1", [sid])
    with app.app_context():
        erase_participant(db.session.get(Participant, w["Bart"]), user_id=w["owner"], real_names=[])
        db.session.commit()
    page = app.test_client().get(links["Amina"]).text
    assert "erased-" not in page and "Bart" not in page
    assert "[…] et Amina divergent." in page


@pytest.mark.parametrize("verdict", ["agree", "disagree"], ids=["double-click", "two-tabs"])
def test_two_first_answers_of_one_link_at_once_store_one_answer(app, client, world, verdict):
    """A first answer sent twice at once from one page state (a double click, two tabs): on
    PostgreSQL the other request commits "agree" just before this one locks the link. The
    same answer again is saved as is (303); a different one is refused (409) and the other
    request's answer stays: one answer, one audit event, never an error. (On SQLite the
    write lock lets no two run at once; the same requests give the same result.)"""
    w = world
    statement_id = _statement(client, w, "session1", "Le guichet fermé renvoie vers le CPAS.")
    round_id, links = _open_round(client, w, "session1", [statement_id])
    with app.app_context():
        engine = db.engine
        link_id = db.session.execute(
            db.select(ValidationLink.id)
            .filter_by(round_id=round_id)
            .join(Participant)
            .filter(Participant.pseudonym == "Amina")
        ).scalar_one()
        version_id = db.session.get(Statement, statement_id).current.id
    page = answers_revision(app.test_client(), links["Amina"])
    raced = []

    def the_other_request(_connection, _cursor, statement, *_args):
        locking = statement.startswith("SELECT validation_link.id") and "FOR UPDATE" in statement
        if raced or not locking or engine.dialect.name != "postgresql":
            return
        raced.append(True)
        with engine.connect() as other:  # a second connection: the other request, committed
            other.execution_options(magwb_write=True)
            with other.begin():
                other.execute(
                    StatementAnswer.__table__.insert().values(
                        link_id=link_id,
                        statement_id=statement_id,
                        version_id=version_id,
                        verdict="agree",
                        comment="",
                        updated_at=utcnow(),
                    )
                )
                table = ValidationLink.__table__
                other.execute(
                    table.update()
                    .where(table.c.id == link_id)
                    .values(answers_version=table.c.answers_version + 1)
                )
                other.execute(
                    AuditEvent.__table__.insert().values(
                        action="validation.answer",
                        object_type="statement_answer",
                        details={"verdict": "agree"},
                    )
                )

    if engine.dialect.name != "postgresql":  # the other request simply comes first
        assert (
            app.test_client()
            .post(links["Amina"], data={**page, f"verdict-{statement_id}": "agree"})
            .status_code
            == 303
        )
    event.listen(engine, "before_cursor_execute", the_other_request)
    try:
        answered = app.test_client().post(
            links["Amina"], data={**page, f"verdict-{statement_id}": verdict}
        )
    finally:
        event.remove(engine, "before_cursor_execute", the_other_request)
    assert answered.status_code == (303 if verdict == "agree" else 409)
    assert raced == ([True] if engine.dialect.name == "postgresql" else [])
    with app.app_context():
        stored = db.session.execute(db.select(StatementAnswer)).scalars().all()
        audited = (
            db.session.execute(db.select(AuditEvent).filter_by(action="validation.answer"))
            .scalars()
            .all()
        )
    assert [(a.link_id, a.verdict.value) for a in stored] == [(link_id, "agree")]
    assert [e.details["verdict"] for e in audited] == ["agree"]


def _sent_by(page: str) -> dict[str, str]:
    """Return what a browser sends from a participant's page as drawn: the hidden fields,
    the checked choices and the comments."""
    form = dict(re.findall(r'<input type="hidden" name="([\w-]+)" value="([^"]*)"', page))
    form |= dict(re.findall(r'<input type="radio" name="([\w-]+)" value="(\w+)" checked>', page))
    for name, text in re.findall(
        r'<textarea id="[\w-]+" name="([\w-]+)"[^>]*>([^<]*)</textarea>', page
    ):
        form[name] = html.unescape(text)
    return form


def _answer_of(app, statement_id: int) -> tuple[str, str]:
    with app.app_context():
        answer = db.session.execute(
            db.select(StatementAnswer).filter_by(statement_id=statement_id)
        ).scalar_one()
        return answer.verdict.value, answer.comment


def test_answers_from_an_older_page_are_refused_and_shown_next_to_the_saved_ones(
    app, client, world
):
    """Answered on a phone, then an older laptop tab submitted: 409 in the group's language
    with both answers, the phone's stays stored; saving again from that page replaces it."""
    w = world
    sid = _statement(client, w, "session1", "Le guichet fermé renvoie vers le CPAS.")
    _, links = _open_round(client, w, "session1", [sid])
    laptop, phone = app.test_client(), app.test_client()
    old_tab = laptop.get(links["Amina"]).text
    assert 'name="revision" value="1"' in old_tab
    on_phone = _sent_by(phone.get(links["Amina"]).text)
    on_phone |= {f"verdict-{sid}": "disagree", f"comment-{sid}": "Ce sont les moyens."}
    assert phone.post(links["Amina"], data=on_phone).status_code == 303
    # The laptop's tab still shows no answer; she answers there differently.
    on_laptop = _sent_by(old_tab) | {f"verdict-{sid}": "agree", f"comment-{sid}": ""}
    refused = laptop.post(links["Amina"], data=on_laptop)
    assert refused.status_code == 409
    assert "Vous avez modifié vos réponses ailleurs" in refused.text
    assert "Je ne suis pas d'accord: Ce sont les moyens." in html.unescape(refused.text)
    assert _answer_of(app, sid) == ("disagree", "Ce sont les moyens.")  # the phone's
    # The refused page keeps her laptop answer in the form, at the saved revision.
    again = _sent_by(refused.text)
    assert again[f"verdict-{sid}"] == "agree" and again["revision"] == "2"
    assert laptop.post(links["Amina"], data=again).status_code == 303  # deliberately
    assert _answer_of(app, sid) == ("agree", "")


def test_an_older_page_still_saves_what_replaces_nothing_saved_since(app, client, world):
    """From an older page, a statement answered nowhere else is saved; one answered since
    elsewhere and left as the page showed it (blank) is not touched."""
    w = world
    first = _statement(client, w, "session1", "Le guichet fermé renvoie vers le CPAS.")
    second = _statement(client, w, "session1", "Tout se fait en ligne.", "divergence")
    _, links = _open_round(client, w, "session1", [first, second])
    laptop, phone = app.test_client(), app.test_client()
    old_tab = _sent_by(laptop.get(links["Bart"]).text)
    assert phone.post(links["Bart"], data={f"verdict-{first}": "nuance"}).status_code == 303
    saved = laptop.post(links["Bart"], data=old_tab | {f"verdict-{second}": "agree"})
    assert saved.status_code == 303
    assert _answer_of(app, first) == ("nuance", "")
    assert _answer_of(app, second) == ("agree", "")


def test_a_withdrawal_made_elsewhere_is_not_undone_by_an_older_page(app, client, world):
    """Withdrawn on the phone, "keep" sent from an older tab: 409, the quote stays withdrawn."""
    w = world
    sid = _statement(client, w, "session1", "Un constat partagé.")
    _link_quote(client, w, sid, w["passage-Bart"])
    _, links = _open_round(client, w, "session1", [sid])
    laptop, phone = app.test_client(), app.test_client()
    quote = f"quote-{w['passage-Bart']}"
    kept = _sent_by(laptop.get(links["Bart"]).text) | {quote: "keep"}
    assert laptop.post(links["Bart"], data=kept).status_code == 303
    old_tab = _sent_by(laptop.get(links["Bart"]).text)
    assert old_tab[quote] == "keep"
    withdrawn = _sent_by(phone.get(links["Bart"]).text) | {quote: "withdraw"}
    assert phone.post(links["Bart"], data=withdrawn).status_code == 303
    refused = laptop.post(links["Bart"], data=old_tab | {f"verdict-{sid}": "agree"})
    assert refused.status_code == 409
    assert "Je la retire\u00a0: ne me citez pas" in refused.text  # saved, in her language
    with app.app_context():
        assert db.session.get(Passage, w["passage-Bart"]).quote_withdrawn_at is not None
        decision = db.session.execute(db.select(QuoteDecision)).scalar_one()
        assert decision.choice.value == "withdraw"
        assert db.session.execute(db.select(StatementAnswer)).first() is None


def test_an_older_page_cannot_put_back_personal_data_replaced_since(app, client, world):
    """A reviewer replaces the e-mail address in a participant's comment; her older tab,
    sent again with another verdict, answers 409 instead of restoring the address."""
    from app.privacy.replace import replace_everywhere

    w = world
    sid = _statement(client, w, "session1", "Le guichet fermé renvoie vers le CPAS.")
    _, links = _open_round(client, w, "session1", [sid])
    tab = app.test_client()
    comment = "Écrivez-moi: amina.k@example.be"
    first = _sent_by(tab.get(links["Amina"]).text)
    first |= {f"verdict-{sid}": "nuance", f"comment-{sid}": comment}
    assert tab.post(links["Amina"], data=first).status_code == 303
    old_tab = _sent_by(tab.get(links["Amina"]).text)
    with app.app_context():
        finding = db.session.execute(
            db.select(PiiFinding).filter_by(object_type="statement_answer", kind="email")
        ).scalar_one()
        replace_everywhere(finding, "[e-mail]", user_id=w["owner"])
        db.session.commit()
    refused = tab.post(links["Amina"], data=old_tab | {f"verdict-{sid}": "agree"})
    assert refused.status_code == 409
    assert _answer_of(app, sid) == ("nuance", "Écrivez-moi: [e-mail]")

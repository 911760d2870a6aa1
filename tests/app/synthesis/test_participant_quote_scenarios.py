"""Which quotes a personal link shows, in cases the page's bulk loading could get wrong.

Facilitators' turns follow the session rule (shown only from sessions the holder spoke in
or was seated at); the newest consent decision by date wins even when it was stored
first; a participant cannot withdraw someone else's quote by posting its field; a refused
answer (422) stores no answer, quote decision or audit event.
"""

from __future__ import annotations

import html
from datetime import date

import pytest
from werkzeug.datastructures import MultiDict

from app.models import (
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
    ValidationLink,
)
from app.platform.extensions import db


def _words(name):
    return f"{name} raconte: le guichet est ferme."


@pytest.fixture
def world(app, make_user, make_study):
    from app.synthesis.links import link_token
    from app.synthesis.rounds import create_round

    owner = make_user("owner@example.org")
    study_id = make_study(owner)
    with app.app_context():
        people = {}
        for name in ("Amina", "Bart", "Chloe", "Emma"):
            p = Participant(study_id=study_id, pseudonym=name, pseudonym_key=name.lower())
            people[name] = p
        # Bart: the withdrawal is inserted first (lower id) but dated later than the grant.
        people["Bart"].consents.append(
            Consent(scope=ConsentScope.QUOTATION, granted=False, given_on=date(2026, 6, 1))
        )
        people["Bart"].consents.append(
            Consent(scope=ConsentScope.QUOTATION, granted=True, given_on=date(2026, 1, 1))
        )
        for n in ("Amina", "Chloe", "Emma"):
            people[n].consents.append(
                Consent(scope=ConsentScope.QUOTATION, granted=True, given_on=date(2026, 1, 1))
            )
        db.session.add_all(people.values())
        db.session.flush()
        s1 = GroupSession(study_id=study_id, number=1, language="fr")
        s2 = GroupSession(study_id=study_id, number=2, language="fr", seating=[people["Emma"].id])
        ps = {
            "Amina": Passage(
                group_session=s1,
                phase=5,
                position=1,
                speaker_kind=SpeakerKind.PARTICIPANT,
                participant=people["Amina"],
                text=_words("Amina"),
            ),
            "Bart": Passage(
                group_session=s1,
                phase=5,
                position=2,
                speaker_kind=SpeakerKind.PARTICIPANT,
                participant=people["Bart"],
                text=_words("Bart"),
            ),
            "Facil2": Passage(
                group_session=s2,
                phase=5,
                position=1,
                speaker_kind=SpeakerKind.FACILITATOR,
                speaker_label="Animatrice",
                text=_words("Facil2"),
            ),
            "Facil1": Passage(
                group_session=s1,
                phase=5,
                position=3,
                speaker_kind=SpeakerKind.FACILITATOR,
                speaker_label="Animatrice",
                text=_words("Facil1"),
            ),
            "Chloe": Passage(
                group_session=s2,
                phase=5,
                position=2,
                speaker_kind=SpeakerKind.PARTICIPANT,
                participant=people["Chloe"],
                text=_words("Chloe"),
            ),
        }
        db.session.add_all([s1, s2])
        synthesis = Synthesis(study_id=study_id, group_session_id=None)
        st1 = Statement(synthesis=synthesis, kind=StatementKind.CONVERGENCE, position=1)
        st1.versions.append(StatementVersion(number=1, text="Un."))
        st1.links.extend(StatementLink(passage=p) for p in (ps["Chloe"], ps["Facil2"], ps["Amina"]))
        st2 = Statement(synthesis=synthesis, kind=StatementKind.CONVERGENCE, position=2)
        st2.versions.append(StatementVersion(number=1, text="Deux."))
        st2.links.extend(StatementLink(passage=p) for p in (ps["Bart"], ps["Facil1"]))
        db.session.add_all([synthesis, st1, st2])
        db.session.flush()
        r = create_round(
            synthesis,
            MultiDict(
                [("statements", str(st1.id)), ("statements", str(st2.id)), ("share_answers", "1")]
            ),
            user_id=owner,
        )
        db.session.flush()
        links = db.session.execute(db.select(ValidationLink).filter_by(round_id=r.id)).scalars()
        tokens = {link.participant.pseudonym: link_token(link) for link in links}
        out = {
            "tokens": tokens,
            "st1": st1.id,
            "st2": st2.id,
            **{f"p-{k}": v.id for k, v in ps.items()},
        }
        db.session.commit()
    return out


def shown(text):
    text = html.unescape(text)
    return {n for n in ("Amina", "Bart", "Chloe", "Facil1", "Facil2") if _words(n) in text}


def test_a_speaker_sees_quotes_of_their_session_and_not_a_later_withdrawn_consent(app, world):
    c = app.test_client()
    page = c.get(f"/v/{world['tokens']['Amina']}").text
    # Bart's newest consent (by date) is a withdrawal; Facil2 and Chloe are session 2.
    assert shown(page) == {"Amina", "Facil1"}


def test_a_seated_participant_sees_their_session_including_the_facilitator(app, world):
    c = app.test_client()
    page = c.get(f"/v/{world['tokens']['Emma']}").text
    assert shown(page) == {"Chloe", "Facil2"}


def test_a_participant_cannot_withdraw_someone_elses_quote(app, world):
    c = app.test_client()
    r = c.post(
        f"/v/{world['tokens']['Amina']}",
        data={f"quote-{world['p-Chloe']}": "withdraw", f"quote-{world['p-Amina']}": "keep"},
    )
    assert r.status_code == 303
    with app.app_context():
        assert db.session.get(Passage, world["p-Chloe"]).quote_withdrawn_at is None


def test_a_refused_answer_writes_nothing(app, world):
    from app.models import AuditEvent, QuoteDecision, StatementAnswer

    c = app.test_client()
    r = c.post(
        f"/v/{world['tokens']['Amina']}",
        data={
            f"verdict-{world['st1']}": "nuance",
            f"comment-{world['st1']}": "Appelez 0470 12 34 56",
            f"quote-{world['p-Amina']}": "rephrase",
        },
    )
    assert r.status_code == 422
    with app.app_context():
        assert db.session.execute(db.select(StatementAnswer)).first() is None
        assert db.session.execute(db.select(QuoteDecision)).first() is None
        assert (
            db.session.execute(db.select(AuditEvent).filter_by(action="validation.answer")).first()
            is None
        )

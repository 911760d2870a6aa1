"""Which quotes a participant's link shows (`rounds.round_quotes`), on the page and after answering.

Their own words always; someone else's only while quotable (not withdrawn, not erased,
quotation consent in force) and from a session the link's holder spoke in or was seated at.
The page, the page after an answer and the page re-shown with a refused answer (422) all
apply the same rule.
"""

from __future__ import annotations

import html
import re

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
from app.models.base import utcnow
from app.platform.extensions import db
from tests.conftest import answers_revision


def _words(name: str) -> str:
    return f"{name} raconte: le guichet est fermé, tout passe par l'application."


@pytest.fixture
def transversal(app, make_user, make_study):
    """A study-wide round on a statement quoting Amina and Bart (session 1) and Chloé
    (session 2), and one quoting nobody; Emma never spoke but is seated at session 2.
    Returns the link tokens and ids."""
    from app.synthesis.links import link_token
    from app.synthesis.rounds import create_round

    owner = make_user("owner@example.org")
    study_id = make_study(owner)
    with app.app_context():
        people = {}
        for name in ("Amina", "Bart", "Chloé", "Emma"):
            person = Participant(study_id=study_id, pseudonym=name, pseudonym_key=name.lower())
            person.consents.append(
                Consent(scope=ConsentScope.QUOTATION, granted=True, given_on=utcnow().date())
            )
            people[name] = person
        db.session.add_all(people.values())
        db.session.flush()
        passages = {}
        for number, names in ((1, ("Amina", "Bart")), (2, ("Chloé",))):
            group_session = GroupSession(study_id=study_id, number=number, language="fr")
            if number == 2:
                group_session.seating = [people["Chloé"].id, people["Emma"].id]
            for position, name in enumerate(names, start=1):
                passages[name] = Passage(
                    group_session=group_session,
                    phase=5,
                    position=position,
                    speaker_kind=SpeakerKind.PARTICIPANT,
                    participant=people[name],
                    text=_words(name),
                )
            db.session.add(group_session)
        synthesis = Synthesis(study_id=study_id, group_session_id=None)  # the transversal one
        statement = Statement(synthesis=synthesis, kind=StatementKind.CONVERGENCE, position=1)
        statement.versions.append(StatementVersion(number=1, text="Tout passe par l'écran."))
        statement.links.extend(StatementLink(passage=passage) for passage in passages.values())
        unquoted = Statement(synthesis=synthesis, kind=StatementKind.HYPOTHESIS, position=2)
        unquoted.versions.append(StatementVersion(number=1, text="Les guichets ferment."))
        db.session.add_all([synthesis, statement, unquoted])
        db.session.flush()
        chosen = [("statements", str(statement.id)), ("statements", str(unquoted.id))]
        round_ = create_round(synthesis, MultiDict([*chosen, ("attributed", "1")]), user_id=owner)
        db.session.flush()
        links = db.session.execute(db.select(ValidationLink).filter_by(round_id=round_.id))
        tokens = {link.participant.pseudonym: link_token(link) for link in links.scalars()}
        world = {
            "owner": owner,
            "tokens": tokens,
            "statement": statement.id,
            "unquoted": unquoted.id,
            **{f"passage-{name}": passage.id for name, passage in passages.items()},
            **{name: person.id for name, person in people.items()},
        }
        db.session.commit()
    return world


def _pages(app, token: str, statement_id: int) -> dict[str, str]:
    """The link's page as opened, after an answer is saved, and re-shown with a refused answer."""
    client = app.test_client()
    pages = {"opened": client.get(f"/v/{token}").text}
    answered = client.post(
        f"/v/{token}",
        data={f"verdict-{statement_id}": "nuance", f"comment-{statement_id}": "Oui, mais."},
    )
    assert answered.status_code == 303
    pages["answered"] = client.get(answered.headers["Location"]).text
    refused = client.post(f"/v/{token}", data={f"comment-{statement_id}": "Sans verdict."})
    assert refused.status_code == 422  # a comment without a verdict: the page comes back
    pages["refused"] = refused.text
    return pages


def _shown(page: str) -> set[str]:
    """Whose words the page quotes."""
    text = html.unescape(page)
    return {name for name in ("Amina", "Bart", "Chloé") if _words(name) in text}


def test_a_link_quotes_only_the_sessions_its_holder_spoke_in_or_was_seated_at(app, transversal):
    w = transversal
    for name, expected in (("Amina", {"Amina", "Bart"}), ("Emma", {"Chloé"})):
        for moment, page in _pages(app, w["tokens"][name], w["statement"]).items():
            assert _shown(page) == expected, (name, moment)
    amina = app.test_client().get(f"/v/{w['tokens']['Amina']}").text
    assert amina.count('class="own-quote"') == 1  # her own words, to keep, reword or withdraw
    assert re.search(rf'name="quote-{w["passage-Amina"]}"', amina)


@pytest.mark.parametrize("how", ["consent", "withdrawn-quote", "erased"])
def test_words_taken_back_leave_the_others_pages_at_once(app, transversal, how):
    """Bart takes his words back: no page of Amina's shows them any more, not even after an
    answer or a refused one; Bart himself still sees them while he can open his link."""
    from app.studies.participants import erase_participant, record_consent

    w = transversal
    assert _shown(app.test_client().get(f"/v/{w['tokens']['Amina']}").text) == {"Amina", "Bart"}
    bart = app.test_client()
    if how == "withdrawn-quote":
        withdrawn = bart.post(
            f"/v/{w['tokens']['Bart']}", data={f"quote-{w['passage-Bart']}": "withdraw"}
        )
        assert withdrawn.status_code == 303
    with app.app_context():
        person = db.session.get(Participant, w["Bart"])
        if how == "consent":
            record_consent(person, "quotation", False, utcnow().date(), user_id=w["owner"])
        elif how == "erased":
            erase_participant(person, user_id=w["owner"], real_names=[])
        db.session.commit()
        assert (db.session.get(Passage, w["passage-Bart"]).quote_withdrawn_at is not None) == (
            how == "withdrawn-quote"
        )
    for moment, page in _pages(app, w["tokens"]["Amina"], w["statement"]).items():
        assert _shown(page) == {"Amina"}, moment
    own = bart.get(f"/v/{w['tokens']['Bart']}")
    if how == "erased":
        assert own.status_code == 410  # an erased participant's link no longer opens
    else:
        assert own.status_code == 200
        assert _shown(own.text) == {"Amina", "Bart"}
        assert own.text.count('class="own-quote"') == 1


def test_each_changed_answer_is_audited_and_each_changed_comment_scanned(app, transversal):
    """Answers are written together: still one audit event per changed verdict, in the form's
    order, and each changed comment's findings point at its own answer."""
    from app.models import AuditEvent, PiiFinding, StatementAnswer

    w = transversal
    first, second = w["statement"], w["unquoted"]
    token = w["tokens"]["Amina"]
    client = app.test_client()
    form = {
        f"verdict-{first}": "nuance",
        f"comment-{first}": "Appelez-moi au 0470 12 34 56.",
        f"verdict-{second}": "disagree",
        f"comment-{second}": "Pas d'accord.",
    }
    assert client.post(f"/v/{token}", data=form).status_code == 303
    form[f"verdict-{second}"] = "agree"  # the verdict alone changes: no new words to scan
    form |= answers_revision(client, f"/v/{token}")
    assert client.post(f"/v/{token}", data=form).status_code == 303
    form |= answers_revision(client, f"/v/{token}")
    assert client.post(f"/v/{token}", data=form).status_code == 303  # nothing changes
    with app.app_context():
        answers = {
            a.statement_id: a for a in db.session.execute(db.select(StatementAnswer)).scalars()
        }
        assert {sid: a.verdict.value for sid, a in answers.items()} == {
            first: "nuance",
            second: "agree",
        }
        events = db.session.execute(
            db.select(AuditEvent).filter_by(action="validation.answer").order_by(AuditEvent.id)
        ).scalars()
        assert [(e.object_id, e.details["statement"], e.details["verdict"]) for e in events] == [
            (answers[first].id, first, "nuance"),
            (answers[second].id, second, "disagree"),
            (answers[second].id, second, "agree"),
        ]
        findings = db.session.execute(db.select(PiiFinding)).scalars().all()
        assert [(f.object_type, f.object_id, f.kind) for f in findings] == [
            ("statement_answer", answers[first].id, "phone")
        ]

"""A participant's right-of-access download names nobody who may not be named (art. 15(4)).

Karim asks for his data. He spoke about Sanne, who withdrew from the study, and Marc, who was
erased; a coding memo, his consent note and his story title name Sanne too. His download
shows `[…]` for both, keeps his own pseudonym and every other word of his, keeps Sanne-Lotte
(who did not withdraw: pseudonymous data of the study, as in the exchange files) and its
coding offsets point at the same words in the scrubbed text.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest

from app.models import (
    Coding,
    Consent,
    ConsentScope,
    GroupSession,
    Narrative,
    Participant,
    Passage,
    QuoteChoice,
    QuoteDecision,
    RoundStatement,
    SpeakerKind,
    Statement,
    StatementAnswer,
    StatementKind,
    StatementVersion,
    Synthesis,
    Theme,
    ValidationLink,
    ValidationRound,
    Verdict,
)
from app.platform.extensions import db
from tests.conftest import login

SAID = "Ik, Karim, belde met Sanne en Marc, niet met Sanne-Lotte: de bank weigerde elke afspraak."
AFTER = "de bank weigerde elke afspraak"
MEMO = "Karim herhaalt wat sanne zei."
NOTE = "Mondeling, samen met Sanne."
STORY = "Karim en Sanne aan het loket"
MARKER = "[…]"


def _person(study_id: int, name: str) -> Participant:
    person = Participant(study_id=study_id, pseudonym=name, pseudonym_key=name.lower())
    for scope in ConsentScope:
        person.consents.append(Consent(scope=scope, granted=True, given_on=date(2026, 1, 5)))
    return person


@pytest.fixture
def karim(app, client, make_user, make_study):
    """Karim's study: his passage names Sanne, Marc (erased) and Sanne-Lotte; it is coded."""
    study_id = make_study(make_user("owner@example.org"))
    login(client, "owner@example.org")
    with app.app_context():
        karim, sanne, lotte, marc = (
            _person(study_id, name) for name in ("Karim", "Sanne", "Sanne-Lotte", "Marc")
        )
        karim.consents[0].note = NOTE
        group_session = GroupSession(study_id=study_id, number=1, language="nl")
        passage = Passage(
            group_session=group_session,
            phase=5,
            position=1,
            participant=karim,
            speaker_kind=SpeakerKind.PARTICIPANT,
            text=SAID,
        )
        story = Narrative(group_session=group_session, proposer=karim, title=STORY)
        db.session.add_all([karim, sanne, lotte, marc, group_session, passage, story])
        db.session.flush()
        theme = db.session.execute(db.select(Theme).filter_by(study_id=study_id)).scalars().first()
        spans = {
            "after": (SAID.index(AFTER), SAID.index(AFTER) + len(AFTER)),
            "name": (SAID.index("Sanne"), SAID.index("Sanne") + 5),
            "across": (SAID.index("met Sanne"), SAID.index(" niet")),
        }
        for key, (start, end) in spans.items():
            memo = MEMO if key == "after" else key
            db.session.add(
                Coding(passage=passage, theme=theme, start_offset=start, end_offset=end, memo=memo)
            )
        db.session.commit()
        ids = {"study": study_id, "karim": karim.id, "sanne": sanne.id, "marc": marc.id}
    erase = f"/studies/{study_id}/participants/{ids['marc']}/erase"
    assert client.post(erase, data={"confirm": "Marc"}).status_code == 302
    return ids


def _withdraw(app, participant_id: int) -> None:
    with app.app_context():
        person = db.session.get(Participant, participant_id)
        person.consents.append(
            Consent(scope=ConsentScope.PARTICIPATION, granted=False, given_on=date(2026, 3, 1))
        )
        db.session.commit()


def _download(client, ids) -> dict:
    response = client.get(f"/studies/{ids['study']}/participants/{ids['karim']}/export.json")
    assert response.status_code == 200
    return json.loads(response.data)


def _codings(record) -> dict[str, dict]:
    """Karim's codings by what they code: the words after the names, a name, across both."""
    (passage,) = record["passages"]
    return {
        "after" if coding["memo"].startswith("Karim herhaalt") else coding["memo"]: coding
        for coding in passage["codings"]
    }


def test_a_withdrawn_participants_pseudonym_is_not_in_anothers_download(app, client, karim):
    """Sanne withdrew: her name is `[…]` in Karim's words, memo, note and story; his stay."""
    _withdraw(app, karim["sanne"])
    record = _download(client, karim)
    body = json.dumps(record, ensure_ascii=False)
    assert "Sanne" in body  # only as Sanne-Lotte
    assert "Sanne" not in body.replace("Sanne-Lotte", "") and "sanne" not in body
    assert f"erased-{karim['marc']}" not in body and "Marc" not in body
    assert record["pseudonym"] == "Karim"
    (passage,) = record["passages"]
    assert passage["text"] == (
        "Ik, Karim, belde met […] en […], niet met Sanne-Lotte: de bank weigerde elke afspraak."
    )
    assert record["consents"][0]["note"] == "Mondeling, samen met […]."
    assert record["narratives"][0]["title"] == "Karim en […] aan het loket"
    codings = _codings(record)
    assert codings["after"]["memo"] == "Karim herhaalt wat […] zei."
    # Every coding's offsets point at its words in the text as downloaded.
    for coding in codings.values():
        assert passage["text"][coding["start"] : coding["end"]] == coding["quote"]
    assert codings["after"]["quote"] == AFTER
    assert codings["name"]["quote"] == MARKER  # kept: a coding of Karim's words, on the marker
    assert codings["across"]["quote"] == "met […] en […],"


def test_the_requesters_own_pseudonym_and_words_stay_when_they_withdrew(app, client, karim):
    """Karim withdrew himself: his own copy still names him, and Sanne (not withdrawn) too."""
    _withdraw(app, karim["karim"])
    record = _download(client, karim)
    assert record["pseudonym"] == "Karim"
    (passage,) = record["passages"]
    assert passage["text"] == SAID.replace("Marc", MARKER)
    assert record["narratives"][0]["title"] == STORY
    codings = _codings(record)
    assert codings["after"]["memo"] == MEMO
    assert codings["name"]["quote"] == "Sanne"
    for coding in codings.values():
        assert passage["text"][coding["start"] : coding["end"]] == coding["quote"]


PUT = "Karim en Sanne zagen de bank als de drempel."
COMMENT = "Eerder Sanne dan ik, denk ik."
REPHRASED = "De bank weigerde, zeg het zo."
LOTTE_SAID = "Lotte-geheim-4417: ik ben het oneens."


@pytest.fixture
def answered(app, karim):
    """A round of session 1: Karim and Sanne-Lotte answered a statement; Karim decided a quote."""
    with app.app_context():
        group_session = db.session.execute(db.select(GroupSession)).scalar_one()
        people = {
            p.pseudonym: p
            for p in db.session.execute(
                db.select(Participant).filter_by(study_id=karim["study"])
            ).scalars()
        }
        passage = db.session.execute(
            db.select(Passage).filter_by(participant_id=karim["karim"])
        ).scalar_one()
        synthesis = Synthesis(study_id=karim["study"], group_session=group_session)
        statement = Statement(synthesis=synthesis, kind=StatementKind.INTERPRETATION)
        old = StatementVersion(statement=statement, number=1, text="Een eerdere tekst.")
        put = StatementVersion(statement=statement, number=2, text=PUT)
        validation_round = ValidationRound(
            study_id=karim["study"],
            synthesis=synthesis,
            title="Ronde 1",
            expires_at=datetime(2026, 5, 1, 12, 0),
        )
        validation_round.items.append(RoundStatement(statement=statement, version=put))
        links = {
            name: ValidationLink(
                round=validation_round,
                participant=people[name],
                nonce=f"nonce-of-{name.lower()}-8f3a1c",
                last_seen_at=datetime(2026, 4, 2, 9, 30) if name == "Karim" else None,
            )
            for name in ("Karim", "Sanne-Lotte")
        }
        db.session.add_all([synthesis, statement, old, put, validation_round, *links.values()])
        db.session.flush()
        for name, verdict, comment in (
            ("Karim", Verdict.NUANCE, COMMENT),
            ("Sanne-Lotte", Verdict.DISAGREE, LOTTE_SAID),
        ):
            db.session.add(
                StatementAnswer(
                    link=links[name],
                    statement=statement,
                    version_id=put.id,
                    verdict=verdict,
                    comment=comment,
                )
            )
        db.session.add(
            QuoteDecision(
                link=links["Karim"],
                passage=passage,
                choice=QuoteChoice.REPHRASE,
                rephrasing=REPHRASED,
            )
        )
        db.session.commit()
        from app.synthesis.links import link_token

        secrets = [link.nonce for link in links.values()] + [
            link_token(link) for link in links.values()
        ]
    return karim | {"secrets": secrets}


def test_the_download_holds_the_participants_validation_answers_and_quote_decisions(
    app, client, answered
):
    """Karim's round: the statement as put to him, his answer, comment, decision, link dates."""
    (entry,) = _download(client, answered)["validation"]
    assert entry["round"]["title"] == "Ronde 1" and entry["round"]["session"] == 1
    assert entry["round"]["expires"].startswith("2026-05-01")
    assert entry["link"]["issued"] and entry["link"]["revoked"] is None
    assert entry["link"]["last_used"].startswith("2026-04-02T09:30")
    (answer,) = entry["answers"]
    assert answer["statement"] == PUT and answer["answer"] == "nuance"
    assert answer["comment"] == COMMENT
    (decision,) = entry["quote_decisions"]
    assert decision["quote"] == SAID.replace("Marc", MARKER)  # Marc was erased
    assert decision["decision"] == "rephrase"
    assert decision["rephrasing"] == REPHRASED


def test_another_participants_validation_answers_are_not_in_the_download(app, client, answered):
    """Sanne-Lotte answered the same round: her verdict and comment are not in Karim's file."""
    response = client.get(
        f"/studies/{answered['study']}/participants/{answered['karim']}/export.json"
    )
    assert "Lotte-geheim-4417" not in response.text and "disagree" not in response.text


def test_a_withdrawn_participants_pseudonym_is_scrubbed_from_validation_answers(
    app, client, answered
):
    """Sanne withdrew: her name is `[…]` in the statement and Karim's comment; his stays."""
    _withdraw(app, answered["sanne"])
    (entry,) = _download(client, answered)["validation"]
    (answer,) = entry["answers"]
    assert answer["statement"] == "Karim en […] zagen de bank als de drempel."
    assert answer["comment"] == "Eerder […] dan ik, denk ik."
    assert entry["quote_decisions"][0]["quote"] == SAID.replace("Sanne", MARKER, 1).replace(
        "Marc", MARKER
    )


def test_no_link_token_or_nonce_is_in_the_download(app, client, answered):
    """The raw download holds no link's nonce or signed token, Karim's or anyone's."""
    body = client.get(
        f"/studies/{answered['study']}/participants/{answered['karim']}/export.json"
    ).text
    for secret in answered["secrets"]:
        assert secret not in body
    assert "nonce" not in body and "token" not in body

"""A participant's right-of-access download names nobody who may not be named (art. 15(4)).

Karim asks for his data. He spoke about Sanne, who withdrew from the study, and Marc, who was
erased; a coding memo, his consent note and his story title name Sanne too. His download
shows `[…]` for both, keeps his own pseudonym and every other word of his, keeps Sanne-Lotte
(who did not withdraw: pseudonymous data of the study, as in the exchange files) and its
coding offsets point at the same words in the scrubbed text.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from app.models import (
    Coding,
    Consent,
    ConsentScope,
    GroupSession,
    Narrative,
    Participant,
    Passage,
    SpeakerKind,
    Theme,
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

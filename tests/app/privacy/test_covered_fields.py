"""Replacement and erasure reach every stored text field, and match whole names only."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.models import (
    Coding,
    GroupSession,
    Narrative,
    Participant,
    Passage,
    PassageRevision,
    PiiFinding,
    SpeakerKind,
    Statement,
    Theme,
)
from app.platform.extensions import db
from tests.conftest import login


@pytest.fixture
def world(app, client, make_user, make_study):
    """A logged-in owner, a session, and two participants: "Ann" and "Karim"."""
    owner = make_user("owner@example.org")
    study_id = make_study(owner)
    login(client, "owner@example.org")
    with app.app_context():
        ann = Participant(study_id=study_id, pseudonym="Ann", pseudonym_key="ann")
        karim = Participant(study_id=study_id, pseudonym="Karim", pseudonym_key="karim")
        group_session = GroupSession(study_id=study_id, number=1, language="fr")
        db.session.add_all([ann, karim, group_session])
        db.session.commit()
        ids = {"study": study_id, "ann": ann.id, "karim": karim.id, "session": group_session.id}
    return ids


def _passage(app, world, text: str, *, speaker: str = "karim", code: str = "") -> int:
    """Store a passage said by a participant (coded on `code` if given); return its id."""
    with app.app_context():
        passage = Passage(
            group_session_id=world["session"],
            phase=5,
            position=1,
            speaker_kind=SpeakerKind.PARTICIPANT,
            participant_id=world[speaker],
            text=text,
        )
        db.session.add(passage)
        if code:
            theme = db.session.execute(db.select(Theme).filter_by(key="privacy")).scalar_one()
            start = text.index(code)
            db.session.add(
                Coding(
                    passage=passage,
                    theme=theme,
                    start_offset=start,
                    end_offset=start + len(code),
                )
            )
        db.session.commit()
        return passage.id


def _list_names(client, world, names: str):
    """Add real names to the study's private list (one per line), as the privacy page does."""
    return client.post(f"/studies/{world['study']}/privacy/names", data={"names": names})


def _facilitator_says(client, world, text: str):
    """Type a facilitator's passage into the session (phase 3), which scans it for names."""
    return client.post(
        f"/studies/{world['study']}/sessions/{world['session']}/passages",
        data={"phase": "3", "speaker": "f:Animatrice", "text": text},
    )


def _replace_person(app, client, world, name: str):
    """Replace the open finding of the person `name` by "[NOM]" from the review queue."""
    with app.app_context():
        finding_id = db.session.execute(
            db.select(PiiFinding.id).filter_by(kind="person", text=name)
        ).scalar()
    return client.post(
        f"/studies/{world['study']}/privacy/findings/{finding_id}",
        data={"action": "placeholder", "placeholder": "[NOM]"},
    )


def _add_statement(client, world, text: str, group_label: str | None = None):
    """Add an interpretation to the session's synthesis (under a heading, if given)."""
    data = {"session_id": world["session"], "kind": "interpretation", "text": text}
    if group_label is not None:
        data["group_label"] = group_label
    return client.post(f"/studies/{world['study']}/statements", data=data)


def _erase(client, world, real_names: str = "") -> None:
    response = client.post(
        f"/studies/{world['study']}/participants/{world['ann']}/erase",
        data={"confirm": "Ann", "real_names": real_names},
    )
    assert response.status_code == 302


def _text(app, passage_id: int) -> str:
    with app.app_context():
        return db.session.get(Passage, passage_id).text


def _quote(app) -> str:
    with app.app_context():
        return db.session.execute(db.select(Coding)).scalar_one().quote


def test_replacing_a_name_reaches_story_titles_and_summaries(app, client, world):
    """A name replaced from the queue leaves the proposed stories' titles and summaries too."""
    _list_names(client, world, "Jeanne Dupont")
    _facilitator_says(client, world, "Jeanne Dupont a tout signé.")
    with app.app_context():
        db.session.add(
            Narrative(
                group_session_id=world["session"],
                proposer_id=world["karim"],
                title="Le mandat de Jeanne Dupont",
                summary="Jeanne Dupont ne sait pas lire l'écran.",
            )
        )
        db.session.commit()
    response = _replace_person(app, client, world, "Jeanne Dupont")
    assert response.status_code == 302
    with app.app_context():
        narrative = db.session.execute(db.select(Narrative)).scalar_one()
        assert narrative.title == "Le mandat de [NOM]"
        assert narrative.summary == "[NOM] ne sait pas lire l'écran."


def test_erasure_removes_the_pseudonym_from_synthesis_headings(app, client, world):
    """An interpretation grouped under "Ce que Ann voit" is regrouped under the neutral label."""
    response = _add_statement(client, world, "L'eBox coupe le lien.", "Ce que Ann voit")
    assert response.status_code == 303
    _erase(client, world)
    with app.app_context():
        heading = db.session.execute(db.select(Statement.group_label)).scalar_one()
    assert heading == f"Ce que erased-{world['ann']} voit"


def test_erasure_removes_the_pseudonym_from_the_speaker_of_old_revisions(app, client, world):
    """A passage's history no longer says Ann spoke it once (the speaker of each revision)."""
    passage_id = _passage(app, world, "Je passe par le CPAS.", speaker="karim")
    with app.app_context():
        db.session.add(
            PassageRevision(
                passage_id=passage_id, version=1, text="Je passe par le CPAS.", speaker="Ann"
            )
        )
        db.session.commit()
    _erase(client, world)
    with app.app_context():
        speakers = db.session.execute(db.select(PassageRevision.speaker)).scalars().all()
    assert speakers == [f"erased-{world['ann']}"]


def test_erasure_finds_names_in_any_case(app, client, world):
    """Real names and the pseudonym go whatever their case in the text or in the form."""
    passage_id = _passage(
        app,
        world,
        "ann dupont et ANN DUPONT, puis Éloïse Martin et ÉLOÏSE MARTIN, vues par ANN.",
        code="vues par",
    )
    _erase(client, world, real_names="Ann Dupont\néloïse martin")
    label = f"erased-{world['ann']}"
    assert _text(app, passage_id) == (
        f"{label} et {label}, puis {label} et {label}, vues par {label}."
    )
    assert _quote(app) == "vues par"  # the coding stayed on its words


def test_erasure_finds_a_name_whatever_its_apostrophe_or_spacing(app, client, world):
    """ "O'Brien Marie" given for erasure also goes as "O’Brien" over a line break."""
    passage_id = _passage(app, world, "Chez O’Brien\nMarie, puis o'brien marie.")
    _erase(client, world, real_names="O'Brien Marie")
    label = f"erased-{world['ann']}"
    assert _text(app, passage_id) == f"Chez {label}, puis {label}."


def test_erasure_keeps_accents_as_typed(app, client, world):
    """Erasing "Eloise" leaves "Éloïse", a different spelling the facilitator did not give."""
    passage_id = _passage(app, world, "Éloïse et Eloise.")
    _erase(client, world, real_names="Eloise")
    assert _text(app, passage_id) == f"Éloïse et erased-{world['ann']}."


def test_erasing_ann_leaves_longer_names_and_reaches_ann_next_to_punctuation(app, client, world):
    """Erasing "Ann" keeps "Ann-Marie" and "Annick" but takes "d'Ann", "Ann's" and "(Ann)"."""
    passage_id = _passage(
        app, world, "Ann-Marie et Annick, d'Ann, Ann's book (Ann) et Marie-Ann.", code="book"
    )
    _erase(client, world)
    label = f"erased-{world['ann']}"
    assert _text(app, passage_id) == (
        f"Ann-Marie et Annick, d'{label}, {label}'s book ({label}) et Marie-Ann."
    )
    assert _quote(app) == "book"


def test_erasing_a_hyphenated_name_removes_it_whole(app, client, world):
    """Erasing the real name "Ann-Marie" replaces all of it, the longer name first."""
    passage_id = _passage(app, world, "Ann-Marie Dupont, dite Ann-Marie, dite Ann.")
    _erase(client, world, real_names="Ann-Marie\nAnn-Marie Dupont")
    label = f"erased-{world['ann']}"
    assert _text(app, passage_id) == f"{label}, dite {label}, dite {label}."


def test_replacing_ann_leaves_ann_marie_and_annick(app, client, world):
    """Replacing a finding "Ann" from the queue keeps the longer names built on it."""
    _list_names(client, world, "Ann")
    _facilitator_says(client, world, "Ann a appelé Ann-Marie et Annick pour d'Ann.")
    response = _replace_person(app, client, world, "Ann")
    assert response.status_code == 302
    with app.app_context():
        texts = db.session.execute(db.select(Passage.text)).scalars().all()
    assert texts == ["[NOM] a appelé Ann-Marie et Annick pour d'[NOM]."]


def test_every_kind_of_scanned_text_keeps_its_findings_in_the_study_archive():
    """Each kind of text the scan queues findings for is one the study archive restores."""
    from app.exchange.archive.format import FINDING_OBJECTS
    from app.privacy.fields import SOURCES

    assert {source.finding for source in SOURCES if source.finding} == set(FINDING_OBJECTS)


def test_every_stored_text_column_is_covered_or_excluded_with_a_reason(app):
    """A new free-text column must join the privacy field list or say why it holds no one."""
    from app.privacy.fields import NOT_PERSONAL, covered_columns

    with app.app_context():
        columns = {
            f"{mapper.class_.__name__}.{column.key}"
            for mapper in db.Model.registry.mappers
            for column in mapper.columns
            if isinstance(column.type, sa.String | sa.Text | sa.JSON)
            and not isinstance(column.type, sa.Enum)
        }
    covered = covered_columns()
    assert not covered & set(NOT_PERSONAL)
    assert columns - covered - set(NOT_PERSONAL) == set()
    assert covered | set(NOT_PERSONAL) <= columns  # no stale entry


def test_scanning_the_study_rechecks_incident_sheets_for_names_added_later(app, client, world):
    """A study scan finds a newly listed real name in an incident sheet too."""
    from app.models import Consequence, IncidentSheet, WorkerAction

    with app.app_context():
        db.session.add(
            IncidentSheet(
                study_id=world["study"],
                organisation="CPAS",
                channel="eBox",
                worker_action=WorkerAction.INSTEAD,
                consequence=list(Consequence)[0],
                narrative="Le fils de Gaspard Vuylsteke a dû tout remplir.",
            )
        )
        db.session.commit()
    _list_names(client, world, "Gaspard Vuylsteke")
    assert client.post(f"/studies/{world['study']}/privacy/scan").status_code == 302
    page = client.get(f"/studies/{world['study']}/privacy/").text
    assert "Gaspard Vuylsteke" in page and "remplir" in page


def test_a_name_in_a_story_proposal_is_queued_with_its_context(app, client, world):
    """Saving a story proposal that names someone warns and queues the name for review."""
    _list_names(client, world, "Gaspard Vuylsteke")
    response = client.post(
        f"/studies/{world['study']}/sessions/{world['session']}/narratives",
        data={
            "proposer": world["karim"],
            "title": "Le dossier de Gaspard Vuylsteke",
            "summary": "Un mandat signé sans comprendre.",
        },
        follow_redirects=True,
    )
    assert "may hold personal data" in response.text
    page = client.get(f"/studies/{world['study']}/privacy/").text
    assert "Gaspard Vuylsteke" in page and "Le dossier de" in page


def test_a_name_in_a_statement_heading_is_queued(app, client, world):
    """A heading that names someone is checked like the statement's text."""
    _list_names(client, world, "Gaspard Vuylsteke")
    _add_statement(client, world, "L'eBox coupe le lien.", "Autour de Gaspard Vuylsteke")
    with app.app_context():
        found = db.session.execute(
            db.select(PiiFinding.object_type, PiiFinding.text).filter_by(status="open")
        ).all()
    assert ("statement", "Gaspard Vuylsteke") in found
    page = client.get(f"/studies/{world['study']}/privacy/").text
    assert "Autour de" in page


def test_a_report_refusal_places_a_statement_finding_in_its_session_not_a_memos_phase(
    app, client, world
):
    """A name in statement 1 is reported in session 1, not in the phase of coding 1."""
    from app.exchange.reports import pii_problems

    _passage(app, world, "Le guichet est fermé.", code="guichet")  # coding 1, phase 5
    with app.app_context():
        db.session.execute(db.select(Coding)).scalar_one().memo = "Voir Gaspard Vuylsteke"
        db.session.commit()
    _list_names(client, world, "Gaspard Vuylsteke")
    _add_statement(client, world, "Gaspard Vuylsteke a tout signé.")
    assert client.post(f"/studies/{world['study']}/privacy/scan").status_code == 302
    with app.test_request_context():
        problems = sorted(pii_problems(world["study"], None))
    assert problems == ["session 1, phase 5: name finding", "session 1: name finding"]

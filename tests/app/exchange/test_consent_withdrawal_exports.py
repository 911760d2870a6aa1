"""A participant who withdraws (from the study, or their quotation consent) is quoted nowhere.

The decision is recorded through the participant page, as a facilitator would; then
every export a person outside the study team can receive is made through the web UI:
both Word reports (whole study, one session), the segment CSV and XLSX, the REFI-QDA
project, and another participant's validation page. The withdrawn participant's words
are in none of them; the other participant's words still are.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date

import pytest
from openpyxl import load_workbook
from werkzeug.datastructures import MultiDict

from app.models import (
    Coding,
    Consent,
    ConsentScope,
    GroupSession,
    Membership,
    Narrative,
    Participant,
    Passage,
    Role,
    SpeakerKind,
    Statement,
    StatementKind,
    StatementLink,
    StatementVersion,
    Study,
    Synthesis,
    ValidationLink,
)
from app.platform.extensions import db
from app.studies.codebook import seed_default_codebook
from app.synthesis.links import link_token
from app.synthesis.rounds import create_round
from tests.conftest import csrf_token, login

WITHDRAWING = "Zonder mij kon ze haar leefloon niet meer aanvragen, zegt Sanne."
STAYING = "Het loket is dicht en iedereen stuurt de mensen naar ons door."
STORY = "Het verhaal van de gesloten loketten"
STATEMENT = "De werker wordt het laatste redmiddel."


@pytest.fixture
def app(make_app, tmp_path):
    return make_app(JOBS_MODE="sync", EXPORT_DIR=str(tmp_path / "exports"))


@pytest.fixture
def study(app, client, make_user):
    """A study where Sanne and Karim consented to everything, each quoted and coded."""
    owner = make_user("owner@example.org")
    with app.app_context():
        study = Study(title="Withdrawal", language="nl")
        db.session.add(study)
        db.session.flush()
        db.session.add(Membership(study=study, user_id=owner, role=Role.OWNER))
        theme = {t.key: t for t in seed_default_codebook(study)}["dependency"]
        group_session = GroupSession(study=study, number=1, language="nl")
        synthesis = Synthesis(study=study, group_session=group_session)
        statement = Statement(synthesis=synthesis, kind=StatementKind.CONVERGENCE, position=1)
        statement.themes.append(theme)
        statement.versions.append(StatementVersion(number=1, text=STATEMENT))
        db.session.add_all([group_session, synthesis, statement])
        ids = {}
        for position, (name, text) in enumerate([("Sanne", WITHDRAWING), ("Karim", STAYING)]):
            person = Participant(study=study, pseudonym=name, pseudonym_key=name.lower())
            for scope in (ConsentScope.PARTICIPATION, ConsentScope.QUOTATION):
                person.consents.append(
                    Consent(scope=scope, granted=True, given_on=date(2026, 1, 5))
                )
            passage = Passage(
                group_session=group_session,
                phase=5,
                position=position,
                speaker_kind=SpeakerKind.PARTICIPANT,
                participant=person,
                text=text,
            )
            db.session.add_all([person, passage])
            db.session.flush()
            coding = Coding(
                passage=passage, theme=theme, coder_id=owner, start_offset=0, end_offset=len(text)
            )
            db.session.add_all([coding, StatementLink(statement=statement, passage=passage)])
            ids[name] = person.id
        sanne = db.session.get(Participant, ids["Sanne"])
        db.session.add(
            Narrative(group_session=group_session, proposer=sanne, title=STORY, is_chosen=True)
        )
        db.session.flush()
        create_round(synthesis, MultiDict({"statements": str(statement.id)}), user_id=owner)
        db.session.commit()
        ids.update(study=study.id, session=group_session.id)
    login(client, "owner@example.org")
    return ids


def _docx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "\n".join(
            re.sub(r"<[^>]+>", "", archive.read(name).decode("utf-8"))
            for name in archive.namelist()
            if name.endswith(".xml")
        )


def _zip_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "\n".join(archive.read(name).decode("utf-8") for name in archive.namelist())


def _xlsx_text(data: bytes) -> str:
    workbook = load_workbook(io.BytesIO(data))
    return "\n".join(
        str(cell.value) for sheet in workbook for row in sheet.iter_rows() for cell in row
    )


def _report_link(client, study_id: int, **form) -> str:
    started = client.post(f"/studies/{study_id}/exports/report", data={"language": "nl", **form})
    page = client.get(started.headers["Location"]).text
    return re.search(r'href="(/studies/\d+/exports/report/\d+\.docx)"', page).group(1)


def _withdraw(client, ids: dict, scope: str):
    url = f"/studies/{ids['study']}/participants/{ids['Sanne']}"
    form = {
        "csrf_token": csrf_token(client.get(url).data),
        "action": "consent",
        "scope": scope,
        "granted": "0",
        "given_on": "2026-03-01",
    }
    return client.post(url, data=form)


def _exports(app, client, ids: dict) -> dict[str, str]:
    study_id = ids["study"]
    with app.app_context():
        link = db.session.execute(
            db.select(ValidationLink).filter_by(participant_id=ids["Karim"])
        ).scalar_one()
        token = link_token(link)
    return {
        "report": _docx_text(client.get(_report_link(client, study_id)).data),
        "session report": _docx_text(
            client.get(_report_link(client, study_id, sessions=str(ids["session"]))).data
        ),
        "segments.csv": client.get(f"/studies/{study_id}/exports/segments.csv").data.decode(
            "utf-8-sig"
        ),
        "segments.xlsx": _xlsx_text(client.get(f"/studies/{study_id}/exports/segments.xlsx").data),
        "project.qdpx": _zip_text(client.get(f"/studies/{study_id}/exports/project.qdpx").data),
        "validation page": app.test_client().get(f"/v/{token}").text,
    }


@pytest.mark.parametrize("scope", ["participation", "quotation"])
def test_a_withdrawn_participant_is_quoted_in_no_export(app, client, study, scope):
    """After withdrawing, Sanne's words, story and name leave in no file; Karim's still do."""
    before = _exports(app, client, study)
    for name, text in before.items():  # not vacuous: both were quoted before
        assert STAYING in text, name
        assert WITHDRAWING in text or name == "validation page", name
    assert STORY in before["report"]

    assert _withdraw(client, study, scope).status_code == 302
    after = _exports(app, client, study)
    for name, text in after.items():
        assert WITHDRAWING not in text, name
        assert "leefloon" not in text, name
        assert STAYING in text, name
    assert STORY not in after["report"] and STORY not in after["session report"]
    assert "Sanne" not in after["report"] and "Karim" in after["report"]
    assert STATEMENT in after["report"]  # the facilitators' statement stays


@pytest.mark.parametrize("scope", ["participation", "quotation"])
def test_a_report_made_before_a_withdrawal_can_no_longer_be_downloaded(app, client, study, scope):
    """A finished report that still quotes Sanne is gone (410) once she withdraws."""
    link = _report_link(client, study["study"])
    assert WITHDRAWING in _docx_text(client.get(link).data)
    _withdraw(client, study, scope)
    gone = client.get(link)
    assert gone.status_code == 410
    assert "a consent decision recorded" in gone.text and "Make the report again" in gone.text

"""A participant who withdraws (from the study, or their quotation consent) is quoted nowhere.

The decision is recorded through the participant page, as a facilitator would; then
every export a person outside the study team can receive is made through the web UI:
both Word reports (whole study, one session), the segment CSV and XLSX, the REFI-QDA
project, and another participant's validation page. The withdrawn participant's words
are in none of them; the other participant's words still are. Who withdrew from the
study is, like an erased participant, not even a person in those files: no REFI-QDA case,
no attributes in the project, the report's group composition or the attribute matrix.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date

import pytest
from lxml import etree
from werkzeug.datastructures import MultiDict

from app import create_app
from app.accounts.users import create_user
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
from app.platform.database import upgrade_schema
from app.platform.extensions import db
from app.studies.codebook import seed_default_codebook
from app.synthesis.links import link_token
from app.synthesis.rounds import create_round
from tests.conftest import BASE_CONFIG, PASSWORD, csrf_token, docx_text, login, xlsx_text, zip_text

WITHDRAWING = "Zonder mij kon ze haar leefloon niet meer aanvragen, zegt Sanne."
STAYING = "Het loket is dicht en iedereen stuurt de mensen naar ons door."
STORY = "Het verhaal van de gesloten loketten"
STATEMENT = "De werker wordt het laatste redmiddel."
# Few people hold these in a small field: they point at Sanne without her name.
SANNE = {"organisation_type": "Huurdersbond", "position": "ombudsvrouw"}
KARIM = {"organisation_type": "OCMW", "position": "maatschappelijk werker"}
NS = {"q": "urn:QDA-XML:project:1.0"}


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
        speakers = [("Sanne", WITHDRAWING, SANNE), ("Karim", STAYING, KARIM)]
        for position, (name, text, attributes) in enumerate(speakers):
            person = Participant(
                study=study, pseudonym=name, pseudonym_key=name.lower(), attributes=attributes
            )
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
        "report": docx_text(client.get(_report_link(client, study_id)).data),
        "session report": docx_text(
            client.get(_report_link(client, study_id, sessions=str(ids["session"]))).data
        ),
        "segments.csv": client.get(f"/studies/{study_id}/exports/segments.csv").data.decode(
            "utf-8-sig"
        ),
        "segments.xlsx": xlsx_text(client.get(f"/studies/{study_id}/exports/segments.xlsx").data),
        "project.qdpx": zip_text(client.get(f"/studies/{study_id}/exports/project.qdpx").data),
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
    assert WITHDRAWING in docx_text(client.get(link).data)
    _withdraw(client, study, scope)
    gone = client.get(link)
    assert gone.status_code == 410
    assert "a consent decision recorded" in gone.text and "Make the report again" in gone.text


def _project(data: bytes) -> tuple[etree._Element, str]:
    """Return a .qdpx's parsed project.qde and the text of the MAG Workbench study-data note."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        root = etree.fromstring(archive.read("project.qde"))
        notes = root.findall("q:Notes/q:Note", NS)
        (note,) = [n for n in notes if n.get("name").startswith("MAG Workbench study data")]
        path = "sources/" + note.get("plainTextPath").removeprefix("internal://")
        return root, archive.read(path).decode("utf-8")


def _cases(root: etree._Element) -> dict[str, tuple[str, set[str]]]:
    """Return each case by name: its GUID and the values of its variables."""
    return {
        case.get("name"): (
            case.get("guid"),
            {value.text for value in case.iterfind("q:VariableValue/q:TextValue", NS)},
        )
        for case in root.iterfind("q:Cases/q:Case", NS)
    }


@pytest.mark.parametrize("scope", ["participation", "quotation"])
def test_who_withdrew_from_the_study_is_no_case_in_the_refi_qda_project(app, client, study, scope):
    """Withdrawn from the study: no case, no attributes, a nameless turn; quotation only: a case."""
    url = f"/studies/{study['study']}/exports/project.qdpx"
    before, _note = _project(client.get(url).data)
    sanne_guid, values = _cases(before)["Sanne"]
    assert values == set(SANNE.values())  # not vacuous: she was a case with her attributes

    assert _withdraw(client, study, scope).status_code == 302
    data = client.get(url).data
    root, note = _project(data)
    cases = _cases(root)
    assert cases["Karim"][1] == set(KARIM.values())
    assert f"[magwb] case={cases['Karim'][0]}" in note
    if scope == "quotation":  # her words are withheld, but she still took part
        assert cases["Sanne"] == (sanne_guid, set(SANNE.values()))
        return
    assert set(cases) == {"Karim"}
    project = zip_text(data)
    for trace in ("Sanne", sanne_guid, *SANNE.values()):
        assert trace not in project, trace
    assert note.count("[magwb] case=") == 1  # her consent decisions went with her case
    (source,) = root.iterfind("q:Sources/q:TextSource", NS)
    assert "[…]" in source.findtext("q:Description", namespaces=NS)  # her turn, nameless


def test_a_project_without_the_withdrawn_participant_imports_without_them(
    app, client, study, tmp_path
):
    """Exported after Sanne left the study and imported elsewhere: no trace of her, Karim whole."""
    _withdraw(client, study, "participation")
    data = client.get(f"/studies/{study['study']}/exports/project.qdpx").data
    fresh = create_app(
        {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'fresh.sqlite3'}"}
    )
    upgrade_schema(fresh)
    with fresh.app_context():
        create_user("elsewhere@example.org", "Elsewhere", password=PASSWORD)
        db.session.commit()
    elsewhere = fresh.test_client()
    login(elsewhere, "elsewhere@example.org")
    imported = elsewhere.post(
        "/import/", data={"file": (io.BytesIO(data), "withdrawal.qdpx"), "language": "nl"}
    )
    assert imported.status_code == 200 and "The study was imported." in imported.text
    with fresh.app_context():
        study_id = db.session.execute(db.select(Study.id)).scalar_one()
        people = db.session.execute(db.select(Participant)).scalars().all()
        assert [(p.pseudonym, p.attributes) for p in people] == [("Karim", KARIM)]
        assert {c.scope: c.granted for c in people[0].consents} == {
            ConsentScope.PARTICIPATION: True,
            ConsentScope.QUOTATION: True,
        }
        turns = db.session.execute(
            db.select(Passage.text, Passage.participant_id).order_by(Passage.position)
        ).all()
        assert turns == [("[…]", None), (STAYING, people[0].id)]
    again = zip_text(elsewhere.get(f"/studies/{study_id}/exports/project.qdpx").data)
    assert STAYING in again
    for trace in ("Sanne", WITHDRAWING, *SANNE.values()):
        assert trace not in again, trace
    with fresh.app_context():
        db.engine.dispose()


def test_the_group_composition_and_attribute_matrix_leave_out_who_withdrew(app, client, study):
    """Sanne's position and organisation are in no report table or matrix file once she left."""
    study_id = study["study"]
    matrix_url = f"/studies/{study_id}/exports/matrices.xlsx?attribute=position"
    csv_url = f"/studies/{study_id}/matrices/attribute.csv?attribute=position"
    page_url = f"/studies/{study_id}/matrices?attribute=position"
    before = docx_text(client.get(_report_link(client, study_id)).data)
    assert all(value in before for value in SANNE.values())  # not vacuous
    assert "ombudsvrouw" in xlsx_text(client.get(matrix_url).data)
    assert "ombudsvrouw" in client.get(csv_url).data.decode("utf-8-sig")

    _withdraw(client, study, "participation")
    report = docx_text(client.get(_report_link(client, study_id)).data)
    session_report = docx_text(
        client.get(_report_link(client, study_id, sessions=str(study["session"]))).data
    )
    for text in (report, session_report):
        assert "1 deelnemer nam deel aan deze sessies" in text
        assert all(value in text for value in KARIM.values())
        assert not any(value in text for value in SANNE.values())
    matrix = xlsx_text(client.get(matrix_url).data)
    assert "maatschappelijk werker" in matrix and "ombudsvrouw" not in matrix
    # The matrices page's own CSV download is a file that may leave too.
    csv = client.get(csv_url).data.decode("utf-8-sig")
    assert "maatschappelijk werker" in csv and "ombudsvrouw" not in csv
    assert "ombudsvrouw" in client.get(page_url).text  # the page, inside the team, keeps it

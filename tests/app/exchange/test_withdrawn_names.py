"""The pseudonym of a participant who withdrew from the study leaves in no export.

Karim speaks about Sanne, a memo and a facilitators' statement name her, and so do a session
title and a story title. Once Sanne withdraws her participation, every file a person outside
the team can receive (both Word reports, the segment CSV and XLSX, the matrices workbook, the
REFI-QDA project, another participant's validation page) shows `[…]` where her name was,
while Karim and Sanne-Lotte (who did not withdraw) keep theirs. In the REFI-QDA project the
codings and statement links follow the shortened text, a coding only of her name is left
out, and the project imports back with each coding on its words.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from werkzeug.datastructures import MultiDict

from app.exchange.qdpx import import_qdpx
from app.exchange.qdpx.layout import parse_passage_field, read_block
from app.exchange.qdpx.study_block import NAME
from app.models import (
    Coding,
    Consent,
    ConsentScope,
    Consequence,
    GroupSession,
    IncidentSheet,
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
    WorkerAction,
)
from app.platform.extensions import db
from app.studies.codebook import seed_default_codebook
from app.synthesis.links import link_token
from app.synthesis.quotations import Redactor
from app.synthesis.rounds import create_round
from tests.conftest import csrf_token, docx_text, login, xlsx_text, zip_text

KARIM_SAYS = "Ik belde met Sanne en de bank weigerde elke afspraak."
AFTER = "de bank weigerde elke afspraak"  # coded: the words after her name
SANNE_SAYS = "Ik moest mijn wachtwoord aan de werker geven."
MEMO = "Zoals sanne zei, en Sanne-Lotte ook."
STATEMENT = "Sanne en Karim zien, met Sanne-Lotte, de werker als laatste redmiddel."
POSITIONS = "Sanne (ombudsvrouw) tegenover Karim."
SESSION_TITLE = "Het loket van Sanne"
STORY = "Karim en Sanne aan het loket"
INCIDENT = "Sanne bracht de man naar het OCMW, want de bank sloot haar loket."
MARKER = "[…]"
NS = {"q": "urn:QDA-XML:project:1.0"}
# Her name as a whole word, any case; "Sanne-Lotte" is someone else.
SANNE = re.compile(r"(?<![\w-])sanne(?![\w-])", re.IGNORECASE)


@pytest.fixture
def app(make_app, tmp_path):
    return make_app(JOBS_MODE="sync", EXPORT_DIR=str(tmp_path / "exports"))


def _person(study, name: str, attributes: dict) -> Participant:
    person = Participant(
        study=study, pseudonym=name, pseudonym_key=name.lower(), attributes=attributes
    )
    for scope in (ConsentScope.PARTICIPATION, ConsentScope.QUOTATION):
        person.consents.append(Consent(scope=scope, granted=True, given_on=date(2026, 1, 5)))
    return person


def _passage(group_session, person, position: int, text: str) -> Passage:
    return Passage(
        group_session=group_session,
        phase=5,
        position=position,
        speaker_kind=SpeakerKind.PARTICIPANT,
        participant=person,
        text=text,
    )


@pytest.fixture
def study(app, client, make_user):
    """Sanne, Karim and Sanne-Lotte consented; Karim's words, a memo and a statement name Sanne."""
    owner = make_user("owner@example.org")
    with app.app_context():
        study = Study(title="Dossiers", language="nl")
        db.session.add(study)
        db.session.flush()
        db.session.add(Membership(study=study, user_id=owner, role=Role.OWNER))
        themes = {t.key: t for t in seed_default_codebook(study)}
        group_session = GroupSession(study=study, number=1, language="nl", title=SESSION_TITLE)
        sanne = _person(study, "Sanne", {"position": "ombudsvrouw"})
        karim = _person(study, "Karim", {"position": "maatschappelijk werker"})
        lotte = _person(study, "Sanne-Lotte", {"position": "vrijwilliger"})
        karims = _passage(group_session, karim, 1, KARIM_SAYS)
        sannes = _passage(group_session, sanne, 2, SANNE_SAYS)
        db.session.add_all([group_session, sanne, karim, lotte, karims, sannes])
        db.session.flush()
        at = KARIM_SAYS.index(AFTER)
        after = Coding(
            passage=karims,
            theme=themes["dependency"],
            coder_id=owner,
            start_offset=at,
            end_offset=at + len(AFTER),
            memo=MEMO,
        )
        name_at = KARIM_SAYS.index("Sanne")
        only_name = Coding(  # words all inside her name: they cannot leave
            passage=karims,
            theme=themes["privacy"],
            coder_id=owner,
            start_offset=name_at,
            end_offset=name_at + len("Sanne"),
        )
        across = Coding(  # starts inside her name: "anne en de"
            passage=karims,
            theme=themes["role_confusion"],
            coder_id=owner,
            start_offset=name_at + 1,
            end_offset=name_at + len("Sanne en de"),
        )
        own = Coding(
            passage=sannes,
            theme=themes["privacy"],
            coder_id=owner,
            start_offset=0,
            end_offset=len(SANNE_SAYS),
        )
        synthesis = Synthesis(study=study, group_session=group_session)
        statement = Statement(
            synthesis=synthesis,
            kind=StatementKind.DIVERGENCE,
            position=1,
            versions=[StatementVersion(number=1, text=STATEMENT, positions=POSITIONS)],
            links=[StatementLink(passage=karims, coding=after)],
        )
        statement.themes.append(themes["dependency"])
        story = Narrative(group_session=group_session, proposer=karim, title=STORY, is_chosen=True)
        sheet = IncidentSheet(
            study=study,
            organisation="bank",
            channel="app",
            worker_action=WorkerAction.WITH_PERSON,
            consequence=Consequence.DELAY,
            narrative=INCIDENT,
        )
        db.session.add_all([after, only_name, across, own, synthesis, statement, story, sheet])
        db.session.flush()
        create_round(synthesis, MultiDict({"statements": str(statement.id)}), user_id=owner)
        db.session.commit()
        ids = {"study": study.id, "session": group_session.id, "Sanne": sanne.id}
        ids["Karim"] = karim.id
    login(client, "owner@example.org")
    return ids


def _withdraw_participation(client, ids: dict) -> None:
    url = f"/studies/{ids['study']}/participants/{ids['Sanne']}"
    form = {
        "csrf_token": csrf_token(client.get(url).data),
        "action": "consent",
        "scope": "participation",
        "granted": "0",
        "given_on": "2026-03-01",
    }
    assert client.post(url, data=form).status_code == 302


def _report(client, study_id: int, **form) -> str:
    started = client.post(f"/studies/{study_id}/exports/report", data={"language": "nl", **form})
    page = client.get(started.headers["Location"]).text
    link = re.search(r'href="(/studies/\d+/exports/report/\d+\.docx)"', page).group(1)
    return docx_text(client.get(link).data)


def _exports(app, client, ids: dict) -> dict[str, str]:
    study_id = ids["study"]
    with app.app_context():
        link = db.session.execute(
            db.select(ValidationLink).filter_by(participant_id=ids["Karim"])
        ).scalar_one()
        token = link_token(link)
    url = f"/studies/{study_id}/exports"
    return {
        "report": _report(client, study_id),
        "session report": _report(client, study_id, sessions=str(ids["session"])),
        "segments.csv": client.get(f"{url}/segments.csv").data.decode("utf-8-sig"),
        "segments.xlsx": xlsx_text(client.get(f"{url}/segments.xlsx").data),
        "matrices.xlsx": xlsx_text(client.get(f"{url}/matrices.xlsx?attribute=position").data),
        "project.qdpx": zip_text(client.get(f"{url}/project.qdpx").data),
        "validation page": app.test_client().get(f"/v/{token}").text,
    }


def test_a_withdrawn_participants_pseudonym_is_in_no_export(app, client, study):
    """After Sanne withdraws, her name is `[…]` in every export; Karim and Sanne-Lotte stay."""
    before = _exports(app, client, study)
    for name, text in before.items():  # not vacuous: her name was in every file with text
        assert SANNE.search(text) or name == "matrices.xlsx", name
    assert "anne en de" in before["segments.csv"] and "anne en de" in before["project.qdpx"]

    _withdraw_participation(client, study)
    after = _exports(app, client, study)
    for name, text in after.items():
        assert not SANNE.search(text), (name, SANNE.search(text))
        assert "anne en de" not in text, name  # nor the rest of it, in a coding starting inside
    for name in ("report", "session report", "project.qdpx", "validation page"):
        assert "Sanne-Lotte" in after[name], name  # who did not withdraw keeps their name
        assert "Karim" in after[name], name
    for name in ("segments.csv", "segments.xlsx"):
        assert "Karim" in after[name] and f"Zoals {MARKER} zei, en Sanne-Lotte ook." in after[name]
        assert AFTER in after[name] and f"{MARKER} en de" in after[name], name
    statement = f"{MARKER} en Karim zien, met Sanne-Lotte, de werker als laatste redmiddel."
    for name in ("report", "session report", "project.qdpx", "validation page"):
        assert statement in after[name], name
    assert (
        "Het loket van [" in after["report"]
        and f"Karim en {MARKER} aan het loket" in after["report"]
    )
    assert f"Ik belde met {MARKER} en {AFTER}." in after["project.qdpx"]
    assert INCIDENT.replace("Sanne", MARKER) in after["report"]  # the incident chapter too


def _project(data: bytes):
    archive = zipfile.ZipFile(io.BytesIO(data))
    root = etree.fromstring(archive.read("project.qde"))

    def read(element) -> str:
        path = element.get("plainTextPath").removeprefix("internal://")
        return archive.read(f"sources/{path}").decode()

    return root, read


def test_refi_qda_codings_follow_the_scrubbed_name_and_import_back(app, client, study, make_user):
    """In the .qdpx a coding after her name covers the same words, and still does re-imported."""
    _withdraw_participation(client, study)
    data = client.get(f"/studies/{study['study']}/exports/project.qdpx").data
    root, read = _project(data)
    (source,) = root.iterfind(".//q:TextSource", NS)
    body = read(source)
    selections = list(source.iterfind("q:PlainTextSelection", NS))
    # Her own passage's codings and the coding of her name alone are left out; one starting
    # inside her name covers the marker.
    coded = {body[int(s.get("startPosition")) : int(s.get("endPosition"))]: s for s in selections}
    assert set(coded) == {AFTER, f"{MARKER} en de"}
    assert coded[AFTER].findtext("q:Description", namespaces=NS) == (
        f"Zoals {MARKER} zei, en Sanne-Lotte ook."
    )
    _visible, fields = read_block(source.find("q:Description", NS).text)
    karims = parse_passage_field(next(v for n, v in fields if n == "passage"))
    (note,) = [n for n in root.iterfind(".//q:Note", NS) if n.get("name") == NAME]
    (link,) = [
        line.split("=", 1)[1].split()
        for line in read(note).split("\n")
        if line.startswith("[magwb] link=")
    ]
    assert body[karims.start : karims.end][int(link[2]) : int(link[3])] == AFTER

    elsewhere = make_user("elsewhere@example.org")
    with app.app_context():
        result = import_qdpx(data, filename="dossiers.qdpx", owner_id=elsewhere, language="nl")
        db.session.commit()
        imported = result.study.id
        passages = db.session.execute(
            db.select(Passage)
            .join(GroupSession)
            .filter(GroupSession.study_id == imported)
            .order_by(Passage.position)
        ).scalars()
        texts = {p.text: p for p in passages}
        assert set(texts) == {f"Ik belde met {MARKER} en {AFTER}.", MARKER}
        karims = texts[f"Ik belde met {MARKER} en {AFTER}."]
        assert sorted((c.quote, c.theme.key, c.memo) for c in karims.codings) == [
            (f"{MARKER} en de", "role_confusion", ""),
            (AFTER, "dependency", f"Zoals {MARKER} zei, en Sanne-Lotte ook."),
        ]
        statement = db.session.execute(
            db.select(Statement).join(Synthesis).filter(Synthesis.study_id == imported)
        ).scalar_one()
        assert [link.quote for link in statement.links] == [AFTER]
        assert statement.current.text.startswith(f"{MARKER} en Karim zien, met Sanne-Lotte,")
        people = db.session.execute(
            db.select(Participant.pseudonym).filter_by(study_id=imported)
        ).scalars()
        assert sorted(people) == ["Karim", "Sanne-Lotte"]


def test_a_participant_who_did_not_withdraw_keeps_their_name_everywhere(app, client, study):
    """Without a withdrawal the exchange files keep Sanne's name, in others' words too."""
    exports = _exports(app, client, study)
    for name in ("segments.csv", "segments.xlsx", "project.qdpx", "validation page"):
        assert "Zoals sanne zei" in exports[name] or STATEMENT in exports[name], name
    assert f"Ik belde met Sanne en {AFTER}." in exports["project.qdpx"]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(["Sanne", "sanne", "Sanne-Lotte", "SANNE", " ", "'s", "-", "x", "\n"]),
        max_size=12,
    ),
    st.data(),
)
def test_a_withdrawn_name_is_scrubbed_whole_and_a_kept_one_stays(pieces, data):
    """Every whole "Sanne" becomes the marker, each "Sanne-Lotte" stays, spans follow the text."""
    text = "".join(pieces)
    edit = Redactor(["Sanne"], ["Sanne-Lotte", "Karim"]).edit(text)
    assert not SANNE.search(edit.text)
    assert edit.text.count("Sanne-Lotte") == text.count("Sanne-Lotte")
    for a, b in edit.spans:  # only whole occurrences of her name were replaced
        assert text[a:b].casefold() == "sanne"
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    moved = edit.span(start, end)
    if moved is None:  # only words all inside one replaced name stay home
        assert any(a <= start and end <= b for a, b in edit.spans)
    elif not any(a < o < b for a, b in edit.spans for o in (start, end)):
        starts = dict(edit.spans)
        expected, at = [], start
        while at < end:  # the words, each name replaced in the whole text as the marker
            expected.append(MARKER if at in starts else text[at])
            at = starts.get(at, at + 1)
        assert edit.text[moved[0] : moved[1]] == "".join(expected)

"""A pseudonym that is also an ordinary word takes the name, never the word.

Rose's name is "rose" in "the rents rose"; erasing her or scrubbing her name from an export
used to match it in any case and rewrote "the rents [label] by 10 %" for good. A name that is
an ordinary word (its lower case, in nl, fr or en) now goes only with a capital initial,
while a name that is not a word ("sanne") still goes in any case: a missed name is a leak.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from werkzeug.datastructures import MultiDict

from app.models import (
    Coding,
    Consent,
    ConsentScope,
    Consequence,
    GroupSession,
    IncidentSheet,
    Membership,
    Participant,
    Passage,
    PiiFinding,
    Role,
    SpeakerKind,
    Statement,
    StatementKind,
    StatementLink,
    StatementVersion,
    Study,
    Synthesis,
    WorkerAction,
)
from app.platform.extensions import db
from app.privacy.fields import name_pattern
from app.studies.codebook import seed_default_codebook
from app.synthesis.quotations import Redactor
from app.synthesis.rounds import create_round
from tests.conftest import csrf_token, docx_text, login

KARIM_SAYS = "Rose said the rents rose by 10 %, and sanne agreed."
CODED = "said the rents rose"  # coded across nothing but words
ACROSS = "Rose said the rents rose"  # coded across her name
STATEMENT = "Rose and Karim: the rents rose, and sanne saw it too."
INCIDENT = "The rents ROSE again; ROSE called the OCMW."
MARKER = "[…]"
ROSE_WORDS = 2  # "the rents rose" in Karim's passage and in the statement; "ROSE" is her name


@pytest.fixture
def app(make_app, tmp_path):
    return make_app(JOBS_MODE="sync", EXPORT_DIR=str(tmp_path / "exports"))


def _person(study, name: str) -> Participant:
    person = Participant(study=study, pseudonym=name, pseudonym_key=name.lower())
    for scope in (ConsentScope.PARTICIPATION, ConsentScope.QUOTATION):
        person.consents.append(Consent(scope=scope, granted=True, given_on=date(2026, 1, 5)))
    return person


@pytest.fixture
def study(app, client, make_user):
    """Karim's passage, a statement, an incident and a finding name Rose and say "rose"."""
    owner = make_user("owner@example.org")
    with app.app_context():
        study = Study(title="Rents", language="en")
        db.session.add(study)
        db.session.flush()
        db.session.add(Membership(study=study, user_id=owner, role=Role.OWNER))
        themes = {t.key: t for t in seed_default_codebook(study)}
        group_session = GroupSession(study=study, number=1, language="en")
        people = {name: _person(study, name) for name in ("Rose", "Sanne", "Karim")}
        karims = Passage(
            group_session=group_session,
            phase=5,
            position=1,
            speaker_kind=SpeakerKind.PARTICIPANT,
            participant=people["Karim"],
            text=KARIM_SAYS,
        )
        at = KARIM_SAYS.index(CODED)
        coded = Coding(
            passage=karims,
            theme=themes["dependency"],
            coder_id=owner,
            start_offset=at,
            end_offset=at + len(CODED),
        )
        across = Coding(
            passage=karims,
            theme=themes["privacy"],
            coder_id=owner,
            start_offset=0,
            end_offset=len(ACROSS),
        )
        synthesis = Synthesis(study=study, group_session=group_session)
        statement = Statement(
            synthesis=synthesis,
            kind=StatementKind.CONVERGENCE,
            position=1,
            versions=[StatementVersion(number=1, text=STATEMENT)],
            links=[StatementLink(passage=karims, coding=coded)],
        )
        statement.themes.append(themes["dependency"])
        sheet = IncidentSheet(
            study=study,
            organisation="landlord",
            channel="app",
            worker_action=WorkerAction.WITH_PERSON,
            consequence=Consequence.DELAY,
            narrative=INCIDENT,
        )
        db.session.add_all([group_session, *people.values(), karims, coded, across])
        db.session.add_all([synthesis, statement, sheet])
        db.session.flush()
        finding = PiiFinding(  # a queued finding that only says the word
            study_id=study.id,
            group_session_id=group_session.id,
            object_type="passage",
            object_id=karims.id,
            kind="phone",
            start_offset=0,
            end_offset=10,
            text="the rents rose: call 0470 12 34 56",
        )
        db.session.add(finding)
        create_round(synthesis, MultiDict({"statements": str(statement.id)}), user_id=owner)
        db.session.commit()
        ids = {name: person.id for name, person in people.items()}
        ids |= {"study": study.id, "passage": karims.id, "sheet": sheet.id, "finding": finding.id}
        ids["statement"] = statement.id
    login(client, "owner@example.org")
    return ids


def test_a_name_that_is_a_word_matches_only_with_a_capital():
    """ "Rose" and "ROSE" are her name, "rose" is a word; "sanne" is Sanne in any case."""
    pattern = name_pattern(["Rose", "Sanne", "Rose Janssens", "De Rose"], ignore_case=True)
    found = [m[0] for m in pattern.finditer(KARIM_SAYS + " " + INCIDENT)]
    assert found == ["Rose", "sanne", "ROSE", "ROSE"]
    # A name of several parts is decided whole: any part with a capital, if all are words.
    assert [m[0] for m in pattern.finditer("de rose, de Rose, rose janssens")] == [
        "de Rose",
        "rose janssens",
    ]
    # As typed (a finding's replacement): case as found, word or not.
    assert [m[0] for m in name_pattern(["rose"]).finditer(KARIM_SAYS)] == ["rose"]


def _erase(client, ids: dict, name: str):
    url = f"/studies/{ids['study']}/participants/{ids[name]}"
    form = {"csrf_token": csrf_token(client.get(url).data), "confirm": name}
    return client.post(f"{url}/erase", data=form, follow_redirects=True)


def test_erasure_replaces_the_names_and_keeps_the_word(app, client, study):
    """Erasing Rose keeps "the rents rose" and says so; erasing Sanne takes "sanne" too."""
    page = _erase(client, study, "Rose").text
    rose = f"erased-{study['Rose']}"
    assert "2 lower-case occurrences of a name that is also an ordinary word" in page
    page = _erase(client, study, "Sanne").text
    sanne = f"erased-{study['Sanne']}"
    assert "lower-case" not in page  # "sanne" is not a word: nothing was kept
    with app.app_context():
        passage = db.session.get(Passage, study["passage"])
        assert passage.text == f"{rose} said the rents rose by 10 %, and {sanne} agreed."
        quotes = sorted(coding.quote for coding in passage.codings)
        assert quotes == [f"{rose} said the rents rose", CODED]
        statement = db.session.get(Statement, study["statement"])
        assert (
            statement.current.text == f"{rose} and Karim: the rents rose, and {sanne} saw it too."
        )
        sheet = db.session.get(IncidentSheet, study["sheet"])
        assert sheet.narrative == f"The rents {rose} again; {rose} called the OCMW."  # capitals
        # A queued finding is dropped only if it names her, not for saying the word.
        assert db.session.get(PiiFinding, study["finding"]) is not None


def _report(client, study_id: int) -> str:
    started = client.post(
        f"/studies/{study_id}/exports/report", data={"language": "en", "override_pii": "1"}
    )
    page = client.get(started.headers["Location"]).text
    link = re.search(r'href="(/studies/\d+/exports/report/\d+\.docx)"', page).group(1)
    return docx_text(client.get(link).data)


def _withdraw(client, ids: dict, name: str, scope: str = "participation") -> None:
    """Record that a participant refuses `scope` (participation: withdraws from the study)."""
    url = f"/studies/{ids['study']}/participants/{ids[name]}"
    form = {
        "csrf_token": csrf_token(client.get(url).data),
        "action": "consent",
        "scope": scope,
        "granted": "0",
        "given_on": "2026-03-01",
    }
    assert client.post(url, data=form).status_code == 302


def test_exports_scrub_a_withdrawn_name_and_keep_the_word(client, study):
    """After Rose and Sanne withdraw, the report and segments keep "the rents rose"."""
    _withdraw(client, study, "Rose")
    _withdraw(client, study, "Sanne")
    report = _report(client, study["study"])
    assert f"{MARKER} and Karim: the rents rose, and {MARKER} saw it too." in report
    assert "The rents [" in report and "ROSE" not in report
    segments = client.get(f"/studies/{study['study']}/exports/segments.csv")
    text = segments.data.decode("utf-8-sig")
    assert CODED in text and f"{MARKER} said the rents rose" in text
    assert "Rose" not in text and "sanne" not in text


def test_the_redactor_keeps_a_word_that_is_also_a_withdrawn_name():
    """A scrubbed "Rose" leaves "rose" the word and its offsets in place; "sanne" goes."""
    edit = Redactor(["Rose", "Sanne"], ["Karim"]).edit(KARIM_SAYS)
    assert edit.text == f"{MARKER} said the rents rose by 10 %, and {MARKER} agreed."
    start = KARIM_SAYS.index(CODED)
    assert edit.text[slice(*edit.span(start, start + len(CODED)))] == CODED


def _export_sections(client, study_id: int) -> dict[str, str]:
    """Return the export page's sections (report, exchange, sheets) as their HTML."""
    page = client.get(f"/studies/{study_id}/exports/").text
    parts = re.findall(r'<section aria-labelledby="(\w+)-heading">(.*?)</section>', page, re.S)
    return dict(parts)


def test_the_export_page_names_a_withdrawn_name_kept_as_a_word(app, client, study):
    """After Rose withdraws, every export section names her and counts the words kept."""
    _withdraw(client, study, "Rose")
    sections = _export_sections(client, study["study"])
    for key in ("report", "exchange", "sheets"):
        assert "Some names this export scrubs are also ordinary words." in sections[key]
        assert f"Rose: {ROSE_WORDS} lower-case occurrences" in sections[key]


def test_the_export_page_counts_a_lone_word_once(app, client, study):
    """Rose's name in a passage counts no occurrence; "the rents rose" alone counts 1."""
    with app.app_context():
        for model in (Statement, IncidentSheet, PiiFinding):
            for row in db.session.execute(db.select(model)).scalars():
                db.session.delete(row)
        db.session.commit()
    _withdraw(client, study, "Rose")
    sections = _export_sections(client, study["study"])
    assert "Rose: 1 lower-case occurrence<" in sections["exchange"]


def test_the_export_page_says_nothing_of_a_name_that_is_no_word(client, study):
    """After Sanne withdraws ("sanne" is scrubbed in any case), no export shows the notice."""
    _withdraw(client, study, "Sanne")
    page = client.get(f"/studies/{study['study']}/exports/").text
    assert "lower-case" not in page and "ordinary words" not in page


def test_a_name_without_quote_consent_is_noticed_for_the_report_only(client, study):
    """Rose may not be quoted: the Word report scrubs her, the exchange files keep her name."""
    _withdraw(client, study, "Rose", scope="quotation")
    sections = _export_sections(client, study["study"])
    assert f"Rose: {ROSE_WORDS} lower-case occurrences" in sections["report"]
    assert "lower-case" not in sections["exchange"] + sections["sheets"]


def test_the_segments_page_names_a_withdrawn_name_kept_as_a_word(client, study):
    """The coded segments page, which downloads segments too, shows the same notice."""
    _withdraw(client, study, "Rose")
    page = client.get(f"/studies/{study['study']}/segments").text
    assert f"Rose: {ROSE_WORDS} lower-case occurrences" in page

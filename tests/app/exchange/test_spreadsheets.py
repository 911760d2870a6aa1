"""Coded segments and matrices as CSV and XLSX: reopened, filtered, no formulas, only quotables."""

from __future__ import annotations

import csv
import io
from datetime import date

import openpyxl
import pytest

from app.coding.matrices import cooccurrence, theme_matrix
from app.coding.retrieval import SegmentFilters
from app.demo import load_demo
from app.exchange.spreadsheets import matrix_xlsx, segments_csv, segments_xlsx
from app.models import Coding, ConsentScope, GroupSession, Participant, Passage, Theme
from app.models.base import utcnow
from app.platform.extensions import db
from app.synthesis.quotations import has_quotation_consent
from tests.conftest import login

EVIL_MEMO = '=HYPERLINK("http://evil.example/x","click")'


@pytest.fixture
def demo(app, make_user):
    """The demo study with one withdrawn passage, one erased participant and a formula memo."""
    owner = make_user("owner@example.org")
    with app.app_context():
        study = load_demo(owner_id=owner)
        db.session.flush()
        codings = db.session.execute(db.select(Coding).order_by(Coding.id)).scalars().all()
        quotable = [c for c in codings if c.passage.participant is not None]
        quotable = [c for c in quotable if has_quotation_consent(c.passage.participant)]
        withdrawn, erased = quotable[0], quotable[-1]
        evil = next(
            c
            for c in quotable
            if c.passage_id != withdrawn.passage_id
            and c.passage.participant_id != erased.passage.participant_id
        )
        assert len({withdrawn.passage.participant_id, erased.passage.participant_id}) == 2
        withdrawn.passage.quote_withdrawn_at = utcnow()
        erased.passage.participant.erased_at = utcnow()
        evil.memo = EVIL_MEMO
        db.session.commit()
        return {
            "study": study.id,
            "withdrawn": withdrawn.quote,
            "erased": erased.passage.participant.pseudonym,
            "evil": evil.id,
        }


def _expected(study_id: int, keep=lambda coding: True) -> list[Coding]:
    """The quotable codings of the study, by the rule written out here independently."""
    codings = db.session.execute(
        db.select(Coding).join(Passage).join(GroupSession).filter(GroupSession.study_id == study_id)
    ).scalars()
    result = []
    for coding in codings:
        speaker = coding.passage.participant
        if coding.passage.quote_withdrawn_at is not None or not keep(coding):
            continue
        if speaker is not None:
            quotation = [c for c in speaker.consents if c.scope == ConsentScope.QUOTATION]
            if speaker.erased_at is not None or not (quotation and quotation[-1].granted):
                continue
        result.append(coding)
    return result


def _rows(sheet) -> list[dict]:
    header = [cell.value for cell in sheet[1]]
    return [
        dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)
    ]


def test_xlsx_lists_only_quotable_segments_with_their_attribution(app, demo):
    """One row per quotable segment: session, phase, speaker, attributes, theme, quote, memo..."""
    with app.app_context():
        body = segments_xlsx(demo["study"], SegmentFilters(), language="en")
        expected = _expected(demo["study"])
        evil = db.session.get(Coding, demo["evil"])
        evil_quote, evil_speaker = evil.quote, evil.passage.participant
        evil_theme = evil.theme.label("en")
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    header = [cell.value for cell in sheet[1]]
    assert header == [
        "Session", "Session title", "Date", "Phase", "Phase name", "Speaker",
        "Organisation type", "Position", "Theme key", "Theme", "Quote", "Memo", "Coder", "Coded on",
    ]  # fmt: skip
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["K"].width > sheet.column_dimensions["A"].width
    rows = _rows(sheet)
    assert len(rows) == len(expected) > 20
    quotes = [row["Quote"] for row in rows]
    assert demo["withdrawn"] not in quotes
    assert demo["erased"] not in {row["Speaker"] for row in rows}
    assert not {"Wouter", "Marc"} & {row["Speaker"] for row in rows}  # no quotation consent
    (evil_row,) = [row for row in rows if row["Memo"] == EVIL_MEMO]
    assert evil_row["Quote"] == evil_quote and evil_row["Speaker"] == evil_speaker.pseudonym
    assert evil_row["Organisation type"] == evil_speaker.attributes["organisation_type"]
    assert evil_row["Theme"] == evil_theme and evil_row["Coder"].endswith("(demo)")
    assert isinstance(evil_row["Session"], int) and 1 <= evil_row["Phase"] <= 11


def test_xlsx_never_holds_a_formula(app, demo):
    """A memo typed as a formula is stored as text, exactly as typed, in every workbook."""
    with app.app_context():
        bodies = [
            segments_xlsx(demo["study"], SegmentFilters(), language="en"),
            matrix_xlsx(demo["study"], language="en"),
        ]
    for body in bodies:
        for sheet in openpyxl.load_workbook(io.BytesIO(body)).worksheets:
            for row in sheet.iter_rows():
                assert all(cell.data_type != "f" for cell in row)
    sheet = openpyxl.load_workbook(io.BytesIO(bodies[0])).active
    (cell,) = [c for row in sheet.iter_rows() for c in row if c.value == EVIL_MEMO]
    assert cell.data_type == "s" and cell.quotePrefix


def test_csv_matches_the_xlsx_and_defuses_formulas(app, demo):
    """The CSV has the same rows; a formula-like cell gets the apostrophe of the other CSVs."""
    with app.app_context():
        body = segments_csv(demo["study"], SegmentFilters(), language="en")
        expected = _expected(demo["study"])
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows) == len(expected)
    assert "'" + EVIL_MEMO in {row["Memo"] for row in rows}
    assert demo["withdrawn"] not in {row["Quote"] for row in rows}
    assert not {"Wouter", "Marc", demo["erased"]} & {row["Speaker"] for row in rows}
    for row in rows:
        assert not any(value.startswith(("=", "+", "-", "@")) for value in row.values())


def test_filters_of_the_retrieval_page_apply(app, demo):
    """Session, phase, theme and search-word filters narrow the export as on the page."""
    with app.app_context():
        second = db.session.execute(db.select(GroupSession).filter_by(number=2)).scalar_one()
        privacy = db.session.execute(db.select(Theme).filter_by(key="privacy")).scalar_one()
        cpas = {
            p.id
            for p in db.session.execute(db.select(Participant)).scalars()
            if p.attributes.get("organisation_type") == "CPAS"
        }
        cases = [
            (
                SegmentFilters(session_id=second.id),
                lambda c: c.passage.group_session_id == second.id,
            ),
            (SegmentFilters(phase=5), lambda c: c.passage.phase == 5),
            (SegmentFilters(theme_ids=frozenset({privacy.id})), lambda c: c.theme_id == privacy.id),
            (
                SegmentFilters(attribute=("organisation_type", "CPAS")),
                lambda c: c.passage.participant_id in cpas,
            ),
            (SegmentFilters(date_from=date(2000, 1, 1), date_to=date(2000, 1, 2)), lambda c: False),
        ]
        for filters, keep in cases:
            sheet = openpyxl.load_workbook(io.BytesIO(segments_xlsx(demo["study"], filters))).active
            rows = _rows(sheet)
            assert len(rows) == len(_expected(demo["study"], keep)), filters
        rows = _rows(
            openpyxl.load_workbook(
                io.BytesIO(segments_xlsx(demo["study"], SegmentFilters(session_id=second.id)))
            ).active
        )
        assert rows and {row["Session"] for row in rows} == {2}


def test_matrix_workbook_has_one_sheet_per_matrix_with_the_page_counts(app, demo):
    """Theme × session, × phase, × attribute and co-occurrence, counts as on the matrices page."""
    with app.app_context():
        body = matrix_xlsx(demo["study"], language="en")
        by_session = theme_matrix(demo["study"], "session")
        by_attribute = theme_matrix(demo["study"], "attribute", "organisation_type")
        pairs = cooccurrence(demo["study"])
        keys = [theme.key for theme in by_session["themes"]]
        session_counts = [
            [by_session["counts"].get((t.id, k), 0) for k, _n in by_session["columns"]]
            for t in by_session["themes"]
        ]
        diagonal = [pairs["counts"].get((t.id, t.id), 0) for t in pairs["themes"]]
        cpas_column = [c for c, _l in by_attribute["columns"]].index("CPAS")
        cpas = [by_attribute["counts"].get((t.id, "CPAS"), 0) for t in by_attribute["themes"]]
    book = openpyxl.load_workbook(io.BytesIO(body))
    assert book.sheetnames == [
        "Themes by session",
        "Themes by phase",
        "Themes by participant attribute",
        "Co-occurrence",
    ]
    sessions = book["Themes by session"]
    assert [c.value for c in sessions[1]] == ["Key", "Theme", "Session 1", "Session 2"]
    assert [row[0] for row in sessions.iter_rows(min_row=2, values_only=True)] == keys
    assert [list(row[2:]) for row in sessions.iter_rows(min_row=2, values_only=True)] == (
        session_counts
    )
    assert sum(map(sum, session_counts)) > 20
    phases = book["Themes by phase"]
    assert phases.max_column == 2 + 11
    attribute = [
        row[2 + cpas_column] for row in book.worksheets[2].iter_rows(min_row=2, values_only=True)
    ]
    assert attribute == cpas
    matrix = list(book["Co-occurrence"].iter_rows(min_row=2, values_only=True))
    assert [row[2 + i] for i, row in enumerate(matrix)] == diagonal
    assert book["Co-occurrence"].freeze_panes == "C2"


@pytest.mark.parametrize(
    ("language", "session", "theme"),
    [("fr", "Séance", "Dépendance"), ("nl", "Sessie", "Afhankelijkheid")],
)
def test_command_line_exports_speak_the_chosen_language(
    app, demo, tmp_path, language, session, theme
):
    """`flask export csv|xlsx --language` translates headers, phase names and theme labels."""
    runner = app.test_cli_runner()
    base = ["--study", str(demo["study"]), "--language", language]
    csv_path, xlsx_path = tmp_path / "segments.csv", tmp_path / "matrices.xlsx"
    assert runner.invoke(args=["export", "csv", *base, "-o", str(csv_path)]).exit_code == 0
    assert (
        runner.invoke(args=["export", "xlsx", *base, "--matrices", "-o", str(xlsx_path)]).exit_code
        == 0
    )
    rows = list(csv.reader(io.StringIO(csv_path.read_text(encoding="utf-8-sig"))))
    assert rows[0][0] == session
    assert theme in {
        row[rows[0].index("Thème" if language == "fr" else "Thema")] for row in rows[1:]
    }
    workbook = openpyxl.load_workbook(xlsx_path)
    assert workbook.worksheets[0]["B1"].value in {"Thème", "Thema"}
    assert workbook.worksheets[0]["B2"].value == theme


def test_web_exports_follow_the_interface_language(app, client, demo, make_user):
    """The segment CSV downloaded from a French interface has French headers and labels."""
    login(client, "owner@example.org")
    response = client.get(
        f"/studies/{demo['study']}/exports/segments.csv",
        headers={"Accept-Language": "fr-BE,fr;q=0.9"},
    )
    assert response.status_code == 200
    header = next(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert header[:2] == ["Séance", "Titre de la séance"]

"""Taguette's highlights export as codings of an existing study (web, CLI, atomic, exact)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook

from app.demo import load_demo
from app.exchange.taguette import HighlightsError, import_highlights
from app.models import AuditEvent, Coding, Study, Theme
from app.platform.extensions import db
from tests.conftest import csrf_token, login

CORPUS = Path(__file__).with_name("interop")
REAL_CSV = (CORPUS / "taguette-highlights.csv").read_bytes()


@pytest.fixture
def owner(make_user):
    return make_user("solo@example.org", password=None)


@pytest.fixture
def demo(app, client, make_user):
    owner = make_user("owner@example.org")
    with app.app_context():
        study_id = load_demo(owner_id=owner).id
        db.session.commit()
    login(client, "owner@example.org")
    return study_id, owner


def _codings(study_id: int) -> list[Coding]:
    return list(
        db.session.execute(
            db.select(Coding).join(Theme).where(Theme.study_id == study_id).order_by(Coding.id)
        ).scalars()
    )


def _csv(*rows: tuple[str, str, str]) -> bytes:
    lines = ["id,document,tag,content"]
    lines += [f'{n},"{d}","{t}","{c}"' for n, (d, t, c) in enumerate(rows, start=1)]
    return ("\r\n".join(lines) + "\r\n").encode()


def test_real_taguette_export_codes_the_matching_passages_exactly(app, demo):
    """Taguette's own CSV: 8 rows → 8 codings on the exact characters, tags mapped by name."""
    study_id, owner = demo
    with app.app_context():
        study = db.session.get(Study, study_id)
        before = len(_codings(study_id))
        result = import_highlights(study, REAL_CSV, filename="h.csv", coder_id=owner)
        db.session.commit()
        assert (result.codings, result.themes_created, result.skipped) == (
            8,
            ["outsourcing.banks"],
            0,
        )
        new = _codings(study_id)[before:]
        quotes = {(c.theme.key, c.passage.text[c.start_offset : c.end_offset]) for c in new}
        assert ("dependency", "Op het einde zat zijn pincode in zijn dossier") in quotes
        # "vie privée" is the French label of the demo's privacy theme (case ignored).
        assert (
            "privacy",
            "nu staat het in een Excel-bestand op de gedeelde schijf van ons team",
        ) in quotes
        assert ("outsourcing_banks", "omdat zijn bankkantoor dicht was gegaan") in quotes
        assert {c.coder_id for c in new} == {owner}
        assert {c.passage.group_session.number for c in new} == {1, 2}
        event = db.session.execute(db.select(AuditEvent).filter_by(action="coding.import")).scalar()
        assert event.details == {"codings": 8, "themes": 1}
        # Importing the same file again adds nothing.
        again = import_highlights(study, REAL_CSV, filename="h.csv", coder_id=owner)
        assert (again.codings, again.skipped) == (0, 8)


def test_xlsx_export_gives_the_same_codings_as_the_csv(app, demo):
    """Taguette's own XLSX export of the same highlights codes the same spans."""
    study_id, owner = demo
    with app.app_context():
        study = db.session.get(Study, study_id)
        data = (CORPUS / "taguette-highlights.xlsx").read_bytes()
        result = import_highlights(study, data, filename="h.xlsx", coder_id=owner, store=False)
        assert (result.codings, result.themes_created) == (8, ["outsourcing.banks"])


def test_one_bad_line_refuses_the_file_and_lists_every_problem(app, demo):
    """Unknown document, missing text and ambiguous text: all named by line, nothing stored."""
    study_id, owner = demo
    data = _csv(
        ("Sleutels van andermans digitale leven", "dependency", "Op het einde zat zijn pincode"),
        ("Nowhere", "dependency", "anything"),
        ("session 1", "dependency", "This sentence was never said"),
        ("SESSIE 1", "new tag", "Ja"),
    )
    with app.app_context():
        study = db.session.get(Study, study_id)
        before = len(_codings(study_id))
        with pytest.raises(HighlightsError) as caught:
            import_highlights(study, data, filename="bad.csv", coder_id=owner)
        db.session.rollback()
        problems = caught.value.problems
        assert len(problems) == 3
        assert problems[0].startswith("bad.csv, line 3:") and "Nowhere" in problems[0]
        assert problems[1].startswith("bad.csv, line 4:") and "not in one passage" in problems[1]
        assert problems[2].startswith("bad.csv, line 5:") and "places of session 1" in problems[2]
        assert len(_codings(study_id)) == before
        assert not db.session.execute(db.select(Theme).filter_by(key="new_tag")).scalar()


def test_text_matches_whatever_the_white_space_and_offsets_are_code_points(
    app, owner, make_study, make_passages
):
    """Taguette joins a highlight's pieces with single spaces: the span is still exact."""
    study_id = make_study(owner)
    text = "Le code 🔑 PIN,\n  noté\tdans le carnet. Fin."
    make_passages(study_id, ["Rien ici.", text])
    data = _csv(("Session 1", "Vie privée", "code 🔑 PIN, noté dans le carnet."))
    with app.app_context():
        import_highlights(db.session.get(Study, study_id), data, filename="t.csv", coder_id=owner)
        db.session.commit()
        (coding,) = _codings(study_id)
        assert (coding.start_offset, coding.end_offset) == (3, 37)
        assert coding.passage.text[3:37] == "code 🔑 PIN,\n  noté\tdans le carnet."
        assert coding.theme.key == "privacy"


def test_untagged_highlights_are_skipped_with_a_warning(app, owner, make_study, make_passages):
    """Taguette lists untagged highlights with an empty tag: skipped, and said so."""
    study_id = make_study(owner)
    make_passages(study_id, ["Un texte."])
    with app.app_context():
        result = import_highlights(
            db.session.get(Study, study_id),
            _csv(("Séance 1", "", "Un texte.")),
            filename="t.csv",
            coder_id=owner,
        )
        assert result.codings == 0 and "line 2" in result.warnings[0]


def test_a_file_that_is_not_a_highlights_export_is_refused(app, owner, make_study):
    """The header must be Taguette's; a .xlsx that is no workbook says so."""
    study_id = make_study(owner)
    with app.app_context():
        study = db.session.get(Study, study_id)
        with pytest.raises(HighlightsError, match="t.csv"):
            import_highlights(study, b"tag,description\nx,y\n", filename="t.csv", coder_id=owner)
        with pytest.raises(HighlightsError) as caught:
            import_highlights(study, b"PK not a zip", filename="t.xlsx", coder_id=owner)
        assert "Excel" in caught.value.problems[0]


def test_web_page_checks_then_imports_and_shows_problems(app, client, demo):
    """Check-only stores nothing; an import stores; a bad file answers 422 with its lines."""
    study_id, _owner = demo
    url = f"/studies/{study_id}/exports/taguette"
    page = client.get(url)
    assert page.status_code == 200
    token = csrf_token(page.data)

    def post(data: bytes, name: str, **form):
        body = {"csrf_token": token, "file": (io.BytesIO(data), name), **form}
        return client.post(url, data=body, content_type="multipart/form-data")

    with app.app_context():
        before = len(_codings(study_id))
    checked = post(REAL_CSV, "highlights.csv", check_only="1")
    assert checked.status_code == 200 and b"outsourcing.banks" in checked.data
    with app.app_context():
        assert len(_codings(study_id)) == before
    bad = post(_csv(("Nowhere", "x", "y")), "bad.csv")
    assert bad.status_code == 422 and b"bad.csv, line 2" in bad.data
    done = post(REAL_CSV, "highlights.csv")
    assert done.status_code == 302
    with app.app_context():
        assert len(_codings(study_id)) == before + 8


def test_cli_imports_highlights_and_check_stores_nothing(app, runner, make_user, tmp_path):
    """`flask import taguette FILE --study ID --coder EMAIL [--check]`."""
    owner = make_user("owner@example.org", password=None)
    with app.app_context():
        study_id = load_demo(owner_id=owner).id
        db.session.commit()
        before = len(_codings(study_id))
    path = tmp_path / "highlights.xlsx"
    path.write_bytes((CORPUS / "taguette-highlights.xlsx").read_bytes())
    args = ["import", "taguette", str(path), "--study", str(study_id)]
    checked = runner.invoke(args=[*args, "--coder", "owner@example.org", "--check"])
    assert checked.exit_code == 0 and "would add 8 codings" in checked.output
    with app.app_context():
        assert len(_codings(study_id)) == before
    done = runner.invoke(args=[*args, "--coder", "owner@example.org"])
    assert done.exit_code == 0 and "added 8 codings" in done.output
    with app.app_context():
        assert len(_codings(study_id)) == before + 8
    bad = tmp_path / "bad.csv"
    bad.write_bytes(_csv(("Nowhere", "x", "y")))
    failed = runner.invoke(
        args=[
            "import",
            "taguette",
            str(bad),
            "--study",
            str(study_id),
            "--coder",
            "owner@example.org",
        ]
    )
    assert failed.exit_code != 0 and "bad.csv, line 2" in failed.output


def test_xlsx_written_by_hand_reads_like_taguettes(app, owner, make_study, make_passages):
    """An XLSX with Taguette's header (ids as numbers) imports the same way."""
    study_id = make_study(owner)
    make_passages(study_id, ["Une phrase assez longue."])
    workbook = Workbook()
    workbook.active.append(["id", "document", "tag", "content"])
    workbook.active.append([1, "session 1.docx", "Dépendance", "phrase assez"])
    out = io.BytesIO()
    workbook.save(out)
    with app.app_context():
        result = import_highlights(
            db.session.get(Study, study_id), out.getvalue(), filename="t.xlsx", coder_id=owner
        )
        assert result.codings == 1

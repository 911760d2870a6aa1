"""Exports and imports through the web UI and the command line, checked on the produced files."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date

import pytest
from docx import Document
from openpyxl import load_workbook

from app.demo import load_demo
from app.models import (
    AuditEvent,
    Consent,
    ConsentScope,
    GroupSession,
    Job,
    JobStatus,
    Participant,
    Passage,
    PiiFinding,
    SpeakerKind,
    Study,
    Theme,
)
from app.platform.extensions import db
from app.synthesis.links import link_token
from tests.conftest import docx_text, login, xlsx_text


@pytest.fixture
def app(make_app, tmp_path):
    return make_app(JOBS_MODE="sync", EXPORT_DIR=str(tmp_path / "exports"))


@pytest.fixture
def demo(app, client, make_user):
    owner = make_user("owner@example.org", admin=True)
    with app.app_context():
        study_id = load_demo(owner_id=owner).id
        db.session.commit()
    login(client, "owner@example.org")
    return study_id


def _qdpx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "\n".join(archive.read(name).decode("utf-8") for name in archive.namelist())


def _actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.execute(db.select(AuditEvent.action)).scalars())


def test_the_word_report_is_made_as_a_job_and_downloaded(app, client, demo):
    response = client.post(f"/studies/{demo}/exports/report", data={"language": "nl"})
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).text
    assert "Done." in page
    link = re.search(r'href="(/studies/\d+/exports/report/\d+\.docx)"', page).group(1)
    download = client.get(link)
    assert download.status_code == 200
    assert "attachment" in download.headers["Content-Disposition"]
    assert download.headers["Cache-Control"] == "no-store"
    document = Document(io.BytesIO(download.data))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert "Afhankelijkheid" in headings  # the chosen language, theme by theme
    assert {"export.docx", "export.download"} <= set(_actions(app))


def test_open_personal_data_findings_stop_the_report_unless_overridden(app, client, demo):
    """Open findings answer with a page linking to the review queue; no job fails."""
    with app.app_context():
        group_session = db.session.execute(
            db.select(GroupSession).filter_by(study_id=demo, number=1)
        ).scalar_one()
        db.session.add(
            PiiFinding(
                study_id=demo,
                group_session=group_session,
                object_type="passage",
                object_id=1,
                kind="phone",
                start_offset=0,
                end_offset=4,
                text="0470",
            )
        )
        db.session.commit()
    refused = client.post(f"/studies/{demo}/exports/report", data={"language": "en"})
    assert refused.status_code == 409
    page = refused.text
    assert "The report was not made" in page and "session 1" in page and "0470" not in page
    assert f'href="/studies/{demo}/privacy/"' in page
    with app.app_context():
        assert db.session.execute(db.select(Job).filter_by(kind="export.docx")).first() is None
    forced = client.post(
        f"/studies/{demo}/exports/report", data={"language": "en", "override_pii": "1"}
    )
    assert "Done." in client.get(forced.headers["Location"]).text
    assert "report.pii_override" in _actions(app)


def test_qdpx_spreadsheets_and_archive_downloads(app, client, demo):
    qdpx = client.get(f"/studies/{demo}/exports/project.qdpx")
    assert qdpx.status_code == 200
    with zipfile.ZipFile(io.BytesIO(qdpx.data)) as archive:
        assert "project.qde" in archive.namelist()
    xlsx = client.get(f"/studies/{demo}/exports/segments.xlsx?phase=5")
    workbook = load_workbook(io.BytesIO(xlsx.data))
    sheet = workbook.active
    header = [c.value for c in sheet[1]]
    phases = {row[header.index("Phase")] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert phases == {5}  # the retrieval filters apply
    csv = client.get(f"/studies/{demo}/exports/segments.csv").data.decode("utf-8-sig")
    assert csv.splitlines()[0].startswith("Session")
    matrices = load_workbook(io.BytesIO(client.get(f"/studies/{demo}/exports/matrices.xlsx").data))
    assert len(matrices.sheetnames) == 4
    archive = client.get(f"/studies/{demo}/exports/archive.zip")
    with zipfile.ZipFile(io.BytesIO(archive.data)) as opened:
        assert "manifest.json" in opened.namelist()
    assert {"export.qdpx", "export.segments", "export.matrices", "export.archive"} <= set(
        _actions(app)
    )


def test_importing_an_archive_and_a_project_creates_studies_and_bad_files_store_nothing(
    app, client, demo
):
    archive = client.get(f"/studies/{demo}/exports/archive.zip").data
    qdpx = client.get(f"/studies/{demo}/exports/project.qdpx").data
    restored = client.post("/import/", data={"file": (io.BytesIO(archive), "backup.zip")})
    assert restored.status_code == 303  # to the restore's job page (test_restore_job.py)
    assert "Done. The study was restored." in client.get(restored.headers["Location"]).text
    imported = client.post(
        "/import/",
        data={"file": (io.BytesIO(qdpx), "demo.qdpx"), "language": "fr"},
    )
    assert imported.status_code == 200 and "The study was imported." in imported.text
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(Study.id))).scalar_one() == 3
    broken = client.post("/import/", data={"file": (io.BytesIO(b"not a zip"), "x.qdpx")})
    assert broken.status_code == 422 and "x.qdpx" in broken.text
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(Study.id))).scalar_one() == 3


def test_the_command_line_writes_every_format(app, demo, tmp_path):
    runner = app.test_cli_runner()
    commands = {
        "report.docx": ["export", "docx", "--study", str(demo), "--language", "fr"],
        "project.qdpx": ["export", "qdpx", "--study", str(demo)],
        "codebook.qdc": ["export", "qdc", "--study", str(demo)],
        "segments.csv": ["export", "csv", "--study", str(demo)],
        "segments.xlsx": ["export", "xlsx", "--study", str(demo)],
        "matrices.xlsx": ["export", "xlsx", "--study", str(demo), "--matrices"],
        "study.zip": ["export", "study", str(demo)],
    }
    for name, args in commands.items():
        result = runner.invoke(args=[*args, "-o", str(tmp_path / name)])
        assert result.exit_code == 0, (name, result.output)
    assert Document(str(tmp_path / "report.docx")).paragraphs
    assert b"<CodeBook" in (tmp_path / "codebook.qdc").read_bytes()
    assert load_workbook(tmp_path / "segments.xlsx").active.max_row > 10
    restored = runner.invoke(
        args=["import", "study", str(tmp_path / "study.zip"), "--owner", "owner@example.org"]
    )
    assert restored.exit_code == 0, restored.output
    project = runner.invoke(
        args=["import", "qdpx", str(tmp_path / "project.qdpx"), "--owner", "owner@example.org"]
    )
    assert project.exit_code == 0, project.output
    missing = runner.invoke(args=["export", "qdpx", "--study", "9999", "-o", str(tmp_path / "x")])
    assert missing.exit_code != 0 and "No study with id 9999" in missing.output
    assert not (tmp_path / "x").exists()


def test_exports_after_a_withdrawal_do_not_contain_the_withdrawn_quote(app, client, make_user):
    """Issue 6: a participant withdraws a quote through their link; no produced file has it."""
    owner = make_user("owner@example.org")
    quote = "Zonder mij kon ze haar leefloon niet meer aanvragen."
    with app.app_context():
        study = Study(title="Withdrawal", language="nl")
        db.session.add(study)
        db.session.flush()
        from app.models import Membership, Role
        from app.studies.codebook import seed_default_codebook

        db.session.add(Membership(study=study, user_id=owner, role=Role.OWNER))
        themes = {t.key: t for t in seed_default_codebook(study)}
        group_session = GroupSession(study=study, number=1, language="nl")
        person = Participant(study=study, pseudonym="Sanne", pseudonym_key="sanne")
        person.consents.append(
            Consent(scope=ConsentScope.QUOTATION, granted=True, given_on=date(2026, 1, 5))
        )
        passage = Passage(
            group_session=group_session,
            phase=5,
            position=1,
            speaker_kind=SpeakerKind.PARTICIPANT,
            participant=person,
            text=quote,
        )
        db.session.add_all([group_session, person, passage])
        db.session.flush()
        from app.models import Coding

        db.session.add(
            Coding(
                passage=passage,
                theme=themes["dependency"],
                coder_id=owner,
                start_offset=0,
                end_offset=len(quote),
            )
        )
        db.session.commit()
        study_id, passage_id = study.id, passage.id
    login(client, "owner@example.org")
    statement = client.post(
        f"/studies/{study_id}/statements",
        data={
            "session_id": group_session_id(app, study_id),
            "kind": "convergence",
            "text": "De werker wordt het laatste redmiddel.",
            "themes": [theme_id(app, study_id, "dependency")],
        },
    )
    statement_id = int(statement.headers["Location"].rsplit("statement-", 1)[1])
    client.post(
        f"/studies/{study_id}/statements/{statement_id}/links", data={"passage_id": passage_id}
    )
    before = xlsx_text(client.get(f"/studies/{study_id}/exports/segments.xlsx").data)
    assert quote in before
    with app.app_context():
        from werkzeug.datastructures import MultiDict

        from app.models import Synthesis
        from app.synthesis.rounds import create_round

        synthesis = db.session.execute(db.select(Synthesis)).scalar_one()
        round_ = create_round(
            synthesis, MultiDict({"statements": str(statement_id)}), user_id=owner
        )
        db.session.commit()
        token = link_token(round_.links[0])
    answered = app.test_client().post(f"/v/{token}", data={f"quote-{passage_id}": "withdraw"})
    assert answered.status_code == 303

    report = client.post(f"/studies/{study_id}/exports/report", data={"language": "nl"})
    page = client.get(report.headers["Location"]).text
    link = re.search(r'href="(/studies/\d+/exports/report/\d+\.docx)"', page).group(1)
    files = {
        "docx": docx_text(client.get(link).data),
        "xlsx": xlsx_text(client.get(f"/studies/{study_id}/exports/segments.xlsx").data),
        "csv": client.get(f"/studies/{study_id}/exports/segments.csv").data.decode("utf-8-sig"),
        "qdpx": _qdpx_text(client.get(f"/studies/{study_id}/exports/project.qdpx").data),
    }
    for name, text in files.items():
        assert quote not in text, name
    assert "De werker wordt het laatste redmiddel." in files["docx"]  # the statement stays


def group_session_id(app, study_id: int) -> int:
    with app.app_context():
        return db.session.execute(
            db.select(GroupSession.id).filter_by(study_id=study_id)
        ).scalar_one()


def theme_id(app, study_id: int, key: str) -> int:
    with app.app_context():
        return db.session.execute(
            db.select(Theme.id).filter_by(study_id=study_id, key=key)
        ).scalar_one()


def test_a_missing_report_file_says_so(app, client, demo):
    with app.app_context():
        job = Job(study_id=demo, kind="export.docx", status=JobStatus.DONE)
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    response = client.get(f"/studies/{demo}/exports/report/{job_id}.docx")
    assert response.status_code == 410 and "Make the report again" in response.text


def test_every_download_has_its_own_file_name_even_with_a_long_title(app, client, demo):
    """Segments and matrices (both .xlsx) never download under the same name."""
    with app.app_context():
        db.session.get(Study, demo).title = "Digitalisering en sociaal werk in Brussel " * 3
        db.session.commit()
    names = {}
    for path in ("segments.xlsx", "matrices.xlsx", "segments.csv", "project.qdpx"):
        response = client.get(f"/studies/{demo}/exports/{path}")
        assert response.status_code == 200
        names[path] = response.headers["Content-Disposition"].split('filename="')[1].rstrip('"')
    assert len(set(names.values())) == len(names)
    assert "-segments-" in names["segments.xlsx"] and "-matrices-" in names["matrices.xlsx"]


def test_a_downloaded_archive_is_one_moment_of_the_study_while_others_write(
    app, client, demo, monkeypatch
):
    """A coder's edit committed while the download runs is in none of its tables, or all.

    The edit lands after the study row is read and before the passages are: an archive
    read table by table at different moments would hold the study of before and the
    passage of after (PostgreSQL read each statement on its own snapshot).
    """
    from sqlalchemy import text

    from app.exchange.archive import export
    from app.platform.database import separate_write

    with app.app_context():
        passage_id = db.session.scalar(
            db.select(Passage.id)
            .join(GroupSession)
            .where(GroupSession.study_id == demo)
            .order_by(Passage.id)
        )
        engine = db.engine
    read = export._study_rows

    def rows_then_someone_edits(name: str, study_id: int):
        rows = read(name, study_id)
        if name == "study":
            with separate_write(engine) as other:  # another writer, committed at once
                other.execute(
                    text(
                        "UPDATE passage SET text = 'edited meanwhile', version = version + 1"
                        " WHERE id = :id"
                    ),
                    {"id": passage_id},
                )
        return rows

    monkeypatch.setattr(export, "_study_rows", rows_then_someone_edits)
    archive = client.get(f"/studies/{demo}/exports/archive.zip")
    assert archive.status_code == 200
    with zipfile.ZipFile(io.BytesIO(archive.data)) as opened:
        passages = opened.read("tables/passage.jsonl").decode("utf-8")
    assert "edited meanwhile" not in passages
    with app.app_context():  # the edit itself is stored
        assert db.session.get(Passage, passage_id).text == "edited meanwhile"

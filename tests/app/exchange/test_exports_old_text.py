"""Text stored before the input rules never breaks an export: it is written with U+FFFD.

Before session 9 nothing replaced U+FFFE and U+FFFF, and a restored older archive could
bring control characters; XML 1.0 forbids both, and lxml, python-docx and openpyxl refuse
a whole string holding one. Migration 0016 rewrites stored text, and every XML writer
passes its strings through `analysis.xml_safe` as a last guard. Here such characters are
put straight into the database, as old data held them, and every file export must still
be made and open.
"""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from docx import Document
from lxml import etree
from openpyxl import load_workbook

from app.demo import load_demo
from app.exchange.codebook_qdc import SCHEMA
from app.models import (
    IncidentSheet,
    KnownName,
    Participant,
    Passage,
    Statement,
    Study,
    Theme,
    User,
)
from app.platform.extensions import db
from tests.conftest import docx_text, login

# One of each kind XML 1.0 cannot hold: noncharacters, a C0 control, the unit separator.
FORBIDDEN = ("\ufffe", "\uffff", "\x01", "\x1f")


@pytest.fixture
def app(make_app, tmp_path):
    return make_app(JOBS_MODE="sync", EXPORT_DIR=str(tmp_path / "exports"))


@pytest.fixture
def old_study(app, client, make_user):
    """The demo study, its texts holding characters no XML can carry, as old data did."""
    owner = make_user("owner@example.org", admin=True)
    with app.app_context():
        study = load_demo(owner_id=owner)
        db.session.flush()
        bad = "".join(FORBIDDEN)
        study.title += bad
        study.description += bad
        for theme in study.themes:
            for lang in ("nl", "fr", "en"):
                setattr(theme, f"label_{lang}", getattr(theme, f"label_{lang}")[:100] + bad)
                setattr(theme, f"definition_{lang}", getattr(theme, f"definition_{lang}") + bad)
            # A term with a line break (an older API save) cannot be one codebook term either.
            theme.seed_terms = {
                lang: [*terms, f"mot{bad}", "ligne\nbrisée"]
                for lang, terms in theme.seed_terms.items()
            }
        for participant in study.participants:
            participant.pseudonym += "\ufffe"
            participant.attributes = {k: f"{v}\x02" for k, v in participant.attributes.items()}
        for group_session in study.group_sessions:
            group_session.title += bad
            group_session.place += bad
            for passage in group_session.passages:
                # Same length, as a character typed long ago: every coding keeps its offsets.
                passage.text = "".join(
                    FORBIDDEN[i % len(FORBIDDEN)] if i % 7 == 3 and ch != "\n" else ch
                    for i, ch in enumerate(passage.text)
                )
                if passage.speaker_label:
                    passage.speaker_label += "\uffff"
                for coding in passage.codings:
                    coding.memo += bad
        for statement in db.session.scalars(db.select(Statement)):
            statement.group_label += bad
            for version in statement.versions:
                version.text += bad
        for sheet in db.session.scalars(db.select(IncidentSheet)):
            sheet.narrative += bad
            sheet.organisation += "\x01"
        for user in db.session.scalars(db.select(User)):
            user.display_name += "\x07"
        db.session.commit()
        study_id = study.id
        assert any("\ufffe" in p.text for p in db.session.scalars(db.select(Passage)).all()), (
            "the old data is really stored"
        )
    login(client, "owner@example.org")
    return study_id


def _no_forbidden(text: str) -> None:
    assert not any(ch in text for ch in FORBIDDEN)


def test_the_qdc_codebook_of_old_text_downloads_and_is_valid(client, old_study):
    """The .qdc is written, valid against the REFI-QDA schema, with U+FFFD in the names."""
    response = client.get(f"/studies/{old_study}/codebook/export.qdc?language=fr")
    assert response.status_code == 200
    root = etree.fromstring(response.data)
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    assert schema.validate(root), schema.error_log
    names = [code.get("name") for code in root.iter("{*}Code")]
    assert names and all(name.endswith("\ufffd" * len(FORBIDDEN)) for name in names)
    block = next(root.iter("{*}Set")).findtext("{*}Description")
    assert "mot\ufffd\ufffd\ufffd; ligne; brisée" in block  # \x1f is white space to strip()


def test_the_qdpx_project_of_old_text_downloads_and_parses(client, old_study):
    """The project is written; its XML parses and carries U+FFFD where the text had them."""
    response = client.get(f"/studies/{old_study}/exports/project.qdpx")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        project = archive.read("project.qde")
    root = etree.fromstring(project)
    assert "\ufffd" in root.get("name")
    _no_forbidden(project.decode("utf-8"))


def test_the_word_report_of_old_text_is_made_and_opens(client, old_study):
    """The report job finishes, the .docx opens, and the texts show U+FFFD."""
    response = client.post(f"/studies/{old_study}/exports/report", data={"language": "fr"})
    page = client.get(response.headers["Location"]).text
    assert "Done." in page, page
    link = re.search(r'href="(/studies/\d+/exports/report/\d+\.docx)"', page).group(1)
    data = client.get(link).data
    document = Document(io.BytesIO(data))
    assert document.paragraphs
    text = docx_text(data)
    assert "\ufffd" in text
    _no_forbidden(text)


def test_the_spreadsheets_of_old_text_download_and_open(client, old_study):
    """Coded segments and matrices (XLSX) are written and open, U+FFFD in place."""
    segments = client.get(f"/studies/{old_study}/exports/segments.xlsx")
    assert segments.status_code == 200
    cells = [
        str(cell)
        for row in load_workbook(io.BytesIO(segments.data)).active.iter_rows(values_only=True)
        for cell in row
    ]
    assert any("\ufffd" in cell for cell in cells)
    matrices = client.get(f"/studies/{old_study}/exports/matrices.xlsx")
    assert len(load_workbook(io.BytesIO(matrices.data)).sheetnames) == 4


# ------------------------------------------------------------------ inputs that stored them


def _with_lone_surrogate(members) -> None:
    """Make the first passage of the archive hold a lone surrogate, as JSON can say."""
    name = "tables/passage.jsonl"
    lines = members[name].decode().split("\n")
    row = json.loads(lines[0])
    row["text"] = "\ud800" + row["text"][1:]
    lines[0] = json.dumps(row)  # ASCII: the surrogate travels as the escape \ud800
    members[name] = "\n".join(lines).encode()


def test_an_archive_of_old_text_restores_with_u_fffd_and_offsets_kept(app, old_study):
    """A restore stores U+FFFD for what XML cannot hold (and a lone surrogate): same codings."""
    from app.exchange.archive.export import export_study_archive
    from app.exchange.archive.restore import import_study_archive
    from app.exchange.qdpx import export_qdpx
    from tests.app.exchange.test_study_archive import _rewrite

    def codings(study_id: int) -> list:
        study = db.session.get(Study, study_id)
        return sorted(
            (s.number, p.phase, p.position, c.start_offset, c.end_offset, len(p.text))
            for s in study.group_sessions
            for p in s.passages
            for c in p.codings
        )

    with app.app_context():
        archive = _rewrite(export_study_archive(old_study), _with_lone_surrogate)
        restored = import_study_archive(archive)
        db.session.commit()
        study = db.session.get(Study, restored.study_id)
        texts = [p.text for s in study.group_sessions for p in s.passages]
        texts += [study.title, *(t.label_fr for t in study.themes)]
        assert all(not re.search("[\ud800-\udfff\ufffe\uffff\x00-\x08\x0e-\x1f]", t) for t in texts)
        assert "\ufffd" in study.title and any(t.startswith("\ufffd") for t in texts)
        assert codings(restored.study_id) == codings(old_study)
        assert export_qdpx(study, user_id=None)


def test_a_codebook_csv_with_control_characters_is_stored_clean(app, client, old_study):
    """A CSV import stores labels, definitions and seed terms as the codebook form would."""
    csv = (
        "key,parent_key,position,colour,guid,label_nl,label_fr,label_en,definition_nl,"
        "definition_fr,definition_en,seed_terms_nl,seed_terms_fr,seed_terms_en\n"
        'digital_gap,,,,,Kloof\x01,Fossé\ufffe,Gap\x1f,,"Déf\x02inition",,,mot\uffff,\n'
    ).encode()
    response = client.post(
        f"/studies/{old_study}/codebook/import",
        data={"file": (io.BytesIO(csv), "codebook.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with app.app_context():
        theme = db.session.scalars(
            db.select(Theme).filter_by(study_id=old_study, key="digital_gap")
        ).one()
        stored = (theme.label_nl, theme.label_fr, theme.label_en, theme.definition_fr)
        assert stored == ("Kloof", "Fossé\ufffd", "Gap", "Définition")
        assert theme.seed_terms["fr"] == ["mot\ufffd"]


def test_a_new_participant_named_in_the_import_mapping_is_stored_clean(app, old_study):
    """The pseudonym typed for a speaker of an imported file is normalised like any text."""
    from app.capture.transcripts import map_speakers

    with app.app_context():
        mapped = map_speakers(
            old_study, ["Speaker"], {"Speaker": "new"}, {}, pseudonyms={"Speaker": "Zo\x01é\uffff"}
        )
        participant = db.session.get(Participant, mapped["Speaker"].participant_id)
        assert participant.pseudonym == "Zoé\ufffd"


def test_known_names_with_a_nul_are_saved_without_it(app, client, old_study):
    """A pasted list holding NUL or other controls is saved (PostgreSQL refused it: a 500)."""
    response = client.post(
        f"/studies/{old_study}/privacy/names", data={"names": "Jan\x00 Peeters\nAnn\x01ie\n"}
    )
    assert response.status_code == 302
    with app.app_context():
        names = db.session.scalars(db.select(KnownName.name).filter_by(study_id=old_study)).all()
    assert sorted(names) == ["Annie", "Jan Peeters"]


def test_seed_terms_typed_with_controls_are_stored_clean_and_the_qdc_exports(
    app, client, old_study
):
    """The codebook form normalises seed terms: no control, U+FFFD, a line break splits."""
    response = client.post(
        f"/studies/{old_study}/codebook/",
        data={
            "key": "non_take_up",
            "label_fr": "Non-recours",
            "seed_terms_fr": "abandon\x01; droit\uffff\nrecours\x00",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        theme = db.session.scalars(db.select(Theme).filter_by(key="non_take_up")).one()
        assert theme.seed_terms["fr"] == ["abandon", "droit\ufffd", "recours"]
    assert client.get(f"/studies/{old_study}/codebook/export.qdc").status_code == 200

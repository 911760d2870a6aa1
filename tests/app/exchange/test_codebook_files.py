"""Codebook download and upload through the web pages (.qdc and CSV)."""

from __future__ import annotations

import io

from lxml import etree

from app.exchange.codebook_files import codebook_entries
from app.exchange.codebook_qdc import SCHEMA
from app.models import AuditEvent, Theme
from app.platform.extensions import db
from tests.conftest import login

OTHER_TOOL_QDC = b"""<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="OtherTool 2.0">
  <Codes>
    <Code guid="0f8fad5b-d9cb-469f-a165-70867728950e" name="Vie priv\xc3\xa9e"
          isCodable="true" color="#1F77B4">
      <Description>Donn\xc3\xa9es personnelles.</Description>
      <Code guid="7c9e6679-7425-40de-944b-e07fc1f90ae7" name="Codes PIN" isCodable="true"/>
    </Code>
  </Codes>
</CodeBook>"""


def _setup(client, make_user, make_study, title="Study"):
    owner = make_user("owner@example.org")
    study_id = make_study(owner, title, "fr")
    login(client, "owner@example.org")
    return owner, study_id


def test_qdc_download_is_schema_valid_and_nested(client, app, make_user, make_study):
    """The .qdc download validates against the REFI-QDA schema and keeps the hierarchy."""
    _owner, study_id = _setup(client, make_user, make_study)
    with app.app_context():
        themes = {t.key: t for t in db.session.execute(db.select(Theme)).scalars()}
        themes["role_confusion"].parent_id = themes["dependency"].id
        db.session.commit()
    response = client.get(f"/studies/{study_id}/codebook/export.qdc?language=fr")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    document = etree.fromstring(response.data)
    etree.XMLSchema(etree.parse(str(SCHEMA))).assertValid(document)
    ns = {"q": "urn:QDA-XML:codebook:1.0"}
    nested = document.xpath("//q:Code[@name='Dépendance']/q:Code/@name", namespaces=ns)
    assert nested == ["Confusion des rôles"]


def test_our_export_reimported_into_a_new_study_is_identical(client, app, make_user, make_study):
    """Downloading a codebook and uploading it to an empty study reproduces every theme."""
    owner, study_id = _setup(client, make_user, make_study)
    qdc = client.get(f"/studies/{study_id}/codebook/export.qdc").data
    target = make_study(owner, "Copy", "fr")
    with app.app_context():  # start the copy from an empty codebook
        db.session.execute(db.delete(Theme).where(Theme.study_id == target))
        db.session.commit()
    response = client.post(
        f"/studies/{target}/codebook/import",
        data={"file": (io.BytesIO(qdc), "codebook.qdc")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with app.app_context():
        original = codebook_entries(study_id)
        copy = codebook_entries(target)
        assert copy == original


def test_csv_round_trip_updates_in_place(client, app, make_user, make_study):
    """Re-uploading the CSV export matches themes by GUID and adds nothing."""
    _owner, study_id = _setup(client, make_user, make_study)
    csv_bytes = client.get(f"/studies/{study_id}/codebook/export.csv").data
    assert csv_bytes.startswith("\ufeff".encode())
    edited = csv_bytes.replace(b"Privacy", b"Privacy and data")
    response = client.post(
        f"/studies/{study_id}/codebook/import",
        data={"file": (io.BytesIO(edited), "codebook.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with app.app_context():
        themes = db.session.execute(db.select(Theme)).scalars().all()
        assert len(themes) == 4
        assert {t.label_en for t in themes} >= {"Privacy and data"}
        event = db.session.execute(
            db.select(AuditEvent).filter_by(action="codebook.import")
        ).scalar_one()
        assert event.details == {"added": 0, "updated": 4}


def test_codebook_from_another_tool_is_added(client, app, make_user, make_study):
    """A .qdc without our data block becomes new themes with slugged keys and nesting."""
    _owner, study_id = _setup(client, make_user, make_study)
    response = client.post(
        f"/studies/{study_id}/codebook/import",
        data={"file": (io.BytesIO(OTHER_TOOL_QDC), "nvivo.qdc")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with app.app_context():
        added = {
            t.key: t
            for t in db.session.execute(
                db.select(Theme).where(Theme.key.in_(["vie_privee", "codes_pin"]))
            ).scalars()
        }
        assert added["vie_privee"].label_fr == "Vie privée"
        assert added["vie_privee"].colour == "#1f77b4"
        assert added["codes_pin"].parent_id == added["vie_privee"].id


def test_broken_files_change_nothing_and_name_the_problem(client, app, make_user, make_study):
    """A broken CSV or XML file is refused with its name and row or line; nothing changes."""
    _owner, study_id = _setup(client, make_user, make_study)
    bad_csv = b"key,label_en\nnew_theme,New\nBad Key,Oops\n"
    response = client.post(
        f"/studies/{study_id}/codebook/import",
        data={"file": (io.BytesIO(bad_csv), "mine.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and b"mine.csv" in response.data
    response = client.post(
        f"/studies/{study_id}/codebook/import",
        data={"file": (io.BytesIO(b"<CodeBook"), "broken.qdc")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and b"broken.qdc" in response.data
    response = client.post(
        f"/studies/{study_id}/codebook/import",
        data={"file": (io.BytesIO(b"x"), "notes.txt")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and b"neither a .qdc nor a .csv" in response.data
    with app.app_context():
        assert len(db.session.execute(db.select(Theme)).all()) == 4


def test_csv_cells_that_look_like_formulas_are_quoted_and_read_back(
    client, app, make_user, make_study
):
    """A label starting with = is exported as text for spreadsheets and re-imported intact."""
    _owner, study_id = _setup(client, make_user, make_study)
    with app.app_context():
        theme = db.session.execute(db.select(Theme).filter_by(key="privacy")).scalar_one()
        theme.label_en = '=HYPERLINK("http://evil.example")'
        db.session.commit()
    data = client.get(f"/studies/{study_id}/codebook/export.csv").data
    assert b"'=HYPERLINK" in data and b",=HYPERLINK" not in data and b',"=HYPERLINK' not in data
    response = client.post(
        f"/studies/{study_id}/codebook/import",
        data={"file": (io.BytesIO(data), "codebook.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with app.app_context():
        theme = db.session.execute(db.select(Theme).filter_by(key="privacy")).scalar_one()
        assert theme.label_en == '=HYPERLINK("http://evil.example")'


def test_import_can_renest_existing_themes_in_any_order(client, app, make_user, make_study):
    """A file that turns a parent into a child of its former child is applied, not a 500."""
    _owner, study_id = _setup(client, make_user, make_study)
    with app.app_context():
        themes = {t.key: t for t in db.session.execute(db.select(Theme)).scalars()}
        themes["privacy"].parent_id = themes["dependency"].id
        db.session.commit()
    csv_text = client.get(f"/studies/{study_id}/codebook/export.csv").data.decode("utf-8-sig")
    lines = csv_text.splitlines()
    swapped = []
    for line in lines:
        if line.startswith("privacy,dependency,"):
            line = line.replace("privacy,dependency,", "privacy,,", 1)
        elif line.startswith("dependency,,"):
            line = line.replace("dependency,,", "dependency,privacy,", 1)
        swapped.append(line)
    response = client.post(
        f"/studies/{study_id}/codebook/import",
        data={"file": (io.BytesIO("\n".join(swapped).encode()), "c.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.data[:500]
    with app.app_context():
        themes = {t.key: t for t in db.session.execute(db.select(Theme)).scalars()}
        assert themes["dependency"].parent_id == themes["privacy"].id
        assert themes["privacy"].parent_id is None


def test_a_codebook_over_the_theme_limit_is_refused_whole(client, app, make_user, make_study):
    """5,005 themes in a 250 KB CSV, or 1,001 codes in a .qdc: refused, nothing added."""
    _owner, study_id = _setup(client, make_user, make_study)
    rows = ["tag,description"] + [f"theme {i},d" for i in range(5_005)]
    response = client.post(
        f"/studies/{study_id}/codebook/import",
        data={"file": (io.BytesIO("\n".join(rows).encode()), "huge.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "huge.csv" in response.text and "5,005 themes" in response.text
    assert "at most 1,000 per file" in response.text
    codes = "".join(
        f'<Code guid="{i:08d}-0000-4000-8000-000000000000" name="c{i}" isCodable="true"/>'
        for i in range(1_001)
    )
    qdc = f'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>{codes}</Codes></CodeBook>'
    response = client.post(
        f"/studies/{study_id}/codebook/import",
        data={"file": (io.BytesIO(qdc.encode()), "huge.qdc")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and "1,001 codes" in response.text
    with app.app_context():
        assert len(db.session.execute(db.select(Theme)).all()) == 4


def test_a_theme_form_opened_before_an_import_cannot_undo_it(client, app, make_user, make_study):
    """A codebook upload counts as a save: an edit form opened before it answers 409."""
    _owner, study_id = _setup(client, make_user, make_study)
    with app.app_context():
        theme_id = db.session.execute(db.select(Theme.id).filter_by(key="privacy")).scalar_one()
    csv_bytes = client.get(f"/studies/{study_id}/codebook/export.csv").data
    client.post(
        f"/studies/{study_id}/codebook/import",
        data={"file": (io.BytesIO(csv_bytes.replace(b"Privacy", b"Privacy and data")), "c.csv")},
        content_type="multipart/form-data",
    )
    stale = client.post(
        f"/studies/{study_id}/codebook/{theme_id}", data={"version": "1", "label_en": "Privacy"}
    )
    assert stale.status_code == 409
    with app.app_context():
        assert db.session.get(Theme, theme_id).label_en == "Privacy and data"

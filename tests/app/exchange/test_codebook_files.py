"""Codebook download and upload through the web pages (.qdc and CSV)."""

from __future__ import annotations

import io

import pytest
from lxml import etree

from app.exchange.codebook_files import codebook_entries
from app.exchange.codebook_qdc import SCHEMA
from app.models import AuditEvent, Coding, Theme
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
    """A .qdc without our data block: a code named like a theme updates it, others are added."""
    _owner, study_id = _setup(client, make_user, make_study)
    renamed = (
        OTHER_TOOL_QDC.replace(b"Vie priv\xc3\xa9e", b"Vies priv\xc3\xa9es")
        .replace(b"0f8fad5b", b"1f8fad5b")
        .replace(b"7c9e6679", b"8c9e6679")
    )
    for data, name in [(renamed, "a.qdc"), (OTHER_TOOL_QDC, "nvivo.qdc")]:
        response = client.post(
            f"/studies/{study_id}/codebook/import",
            data={"file": (io.BytesIO(data), name)},
            content_type="multipart/form-data",
        )
        assert response.status_code == 302
    with app.app_context():
        themes = {t.key: t for t in db.session.execute(db.select(Theme)).scalars()}
        assert themes["vies_privees"].label_fr == "Vies privées"  # a new name: a new theme
        assert themes["vies_privees"].colour == "#1f77b4"
        # "Vie privée" is the French label of privacy: that theme, not a new one.
        assert "vie_privee" not in themes
        assert (themes["privacy"].label_fr, themes["privacy"].label_nl) == ("Vie privée", "Privacy")
        assert themes["codes_pin"].parent_id == themes["privacy"].id


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


def _code_everything(app, study_id: int, make_passages) -> None:
    """Nest outsourcing under dependency and code one passage with each of the four themes."""
    _session, passages = make_passages(study_id, ["Het loket is dicht, zegt ze."] * 4)
    with app.app_context():
        themes = db.session.execute(
            db.select(Theme).filter_by(study_id=study_id).order_by(Theme.id)
        ).scalars()
        themes = list(themes)
        by_key = {t.key: t for t in themes}
        by_key["outsourcing"].parent_id = by_key["dependency"].id
        for theme, passage_id in zip(themes, passages, strict=True):
            db.session.add(
                Coding(passage_id=passage_id, theme_id=theme.id, start_offset=0, end_offset=9)
            )
        db.session.commit()


def _stored(app, study_id: int) -> tuple[list, list]:
    """Every theme as stored, and every coding with the key and labels of its theme."""
    with app.app_context():
        themes = db.session.execute(
            db.select(
                Theme.id,
                Theme.key,
                Theme.guid,
                Theme.label_nl,
                Theme.label_fr,
                Theme.label_en,
                Theme.parent_id,
                Theme.seed_terms,
            )
            .filter_by(study_id=study_id)
            .order_by(Theme.id)
        ).all()
        codings = db.session.execute(
            db.select(Coding.id, Coding.passage_id, Theme.key, Theme.label_en)
            .join(Theme)
            .order_by(Coding.id)
        ).all()
        return [tuple(t) for t in themes], [tuple(c) for c in codings]


def _import(client, study_id: int, body: bytes, name: str):
    return client.post(
        f"/studies/{study_id}/codebook/import",
        data={"file": (io.BytesIO(body), name)},
        content_type="multipart/form-data",
    )


def test_importing_codebooks_into_a_coded_study_keeps_every_theme_and_coding(
    client, app, make_user, make_study, make_passages
):
    """Another tool's .qdc and our edited CSV add themes; no coding, nesting or seed term lost."""
    _owner, study_id = _setup(client, make_user, make_study)
    _code_everything(app, study_id, make_passages)
    themes_before, codings_before = _stored(app, study_id)
    seed_before = {t[1]: t[7] for t in themes_before}
    assert all(seed_before.values())  # the default codebook's terms, in three languages

    # Another program's flat codebook: "Dependency" is ours by name, the rest is new.
    other = OTHER_TOOL_QDC.replace(
        b"</Codes>",
        b'<Code guid="1b4e28ba-2d11-4b8e-9c3a-1f2e3d4c5b6a" name="Dependency" isCodable="true"/>'
        b"</Codes>",
    )
    assert _import(client, study_id, other, "qualcoder.qdc").status_code == 302
    # Our CSV, with one row added and one row removed (a file need not list every theme).
    csv_text = client.get(f"/studies/{study_id}/codebook/export.csv").data.decode("utf-8-sig")
    lines = [line for line in csv_text.splitlines() if not line.startswith("role_confusion,")]
    lines.append("new_theme,dependency,9,#112233,,Nieuw,Nouveau,New,,,,,,")
    assert _import(client, study_id, "\n".join(lines).encode(), "edited.csv").status_code == 302

    themes_after, codings_after = _stored(app, study_id)
    assert codings_after == codings_before  # every coding, on the same theme, same labels
    after = {t[1]: t for t in themes_after}
    assert {t[1] for t in themes_before} | {"codes_pin", "new_theme"} == set(after)
    assert all(after[key][7] == terms for key, terms in seed_before.items())
    assert after["dependency"][3:5] == ("Afhankelijkheid", "Dépendance")
    assert after["outsourcing"][6] == after["dependency"][0]  # still nested
    assert after["new_theme"][6] == after["dependency"][0]


def _csv_row_with(csv_text: str, theme_key: str, **changes) -> str:
    header, *rows = csv_text.splitlines()
    names = header.split(",")
    row = next(r for r in rows if r.startswith(theme_key + ",")).split(",")
    for name, value in changes.items():
        row[names.index(name)] = value
    return ",".join(row)


@pytest.mark.parametrize("case", ["guid_of_another_key", "renamed_key", "swapped_keys"])
def test_a_file_that_would_turn_one_theme_into_another_is_refused_whole(
    client, app, make_user, make_study, make_passages, case
):
    """422 naming the file and theme; no theme, coding or other row of the file is stored."""
    _owner, study_id = _setup(client, make_user, make_study)
    _code_everything(app, study_id, make_passages)
    csv_text = client.get(f"/studies/{study_id}/codebook/export.csv").data.decode("utf-8-sig")
    header = csv_text.splitlines()[0]
    guid = _csv_row_with(csv_text, "privacy").split(",")[4]
    rows = {
        # The dependency row carries privacy's GUID: two study themes in one row.
        "guid_of_another_key": [_csv_row_with(csv_text, "dependency", guid=guid)],
        # Privacy's row under a new key: privacy and its codings would become "data".
        "renamed_key": [_csv_row_with(csv_text, "privacy", key="data")],
        "swapped_keys": [
            _csv_row_with(csv_text, "privacy", key="dependency"),
            _csv_row_with(csv_text, "dependency", key="privacy"),
        ],
    }[case]
    added = "brand_new,,9,#112233,,Nieuw,Nouveau,New,,,,,,"
    before = _stored(app, study_id)

    response = _import(client, study_id, "\n".join([header, added, *rows]).encode(), "mine.csv")
    assert response.status_code == 422
    page = response.text.replace("&#34;", '"').replace("&#39;", "'")
    assert "mine.csv: the theme “" in page and "carries the GUID of the study's theme" in page
    assert "nothing was imported" in page
    assert _stored(app, study_id) == before


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

"""Exchange with the QDA programs researchers use: QualCoder and Taguette.

The reader requirements below were found by running QualCoder's own REFI-QDA import
(src/qualcoder/refi.py, RefiImport) on our .qdpx (bench/interop/qualcoder_import.py,
docs/interop.md). They are checked on our export here, so a regression fails without
QualCoder installed. The files in interop/ were written by the programs' own export code
(see interop/README.md) and are read back here: import, export again, compare.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date
from pathlib import Path

import pytest
from lxml import etree

from app.exchange.codebook_csv import import_csv
from app.exchange.codebook_qdc import CodebookFormatError, import_qdc
from app.exchange.qdpx import QdpxError, export_qdpx, import_qdpx
from app.models import Coding, Consent, ConsentScope, Study, User
from app.platform.extensions import db
from tests.app.exchange.test_qdpx import owner, study_id  # noqa: F401 (fixtures)

CORPUS = Path(__file__).with_name("interop")
NS = {"q": "urn:QDA-XML:project:1.0"}


def _project(data: bytes) -> tuple[etree._Element, zipfile.ZipFile]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    return etree.fromstring(archive.read("project.qde")), archive


def _with_project(data: bytes, edit) -> bytes:
    """Return the .qdpx with project.qde passed through `edit` (bytes -> bytes)."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            body = source.read(info.filename)
            target.writestr(info, edit(body) if info.filename == "project.qde" else body)
    return out.getvalue()


# --- what QualCoder needs to read our .qdpx without loss ------------------------------------


def test_qdpx_export_meets_qualcoder_reader_requirements(app, owner, study_id):  # noqa: F811
    """Notes dated, named uniquely, as text files; memos in Description; no [magwb] memos."""
    with app.app_context():
        root, archive = _project(export_qdpx(db.session.get(Study, study_id), user_id=owner))
    members = set(archive.namelist())
    notes = root.findall("q:Notes/q:Note", NS)
    assert notes
    names = [note.get("name") for note in notes]
    assert all(names) and len(set(names)) == len(names)  # QualCoder crashes on a repeated name
    for note in notes:
        assert note.get("creationDateTime")  # QualCoder crashes without it
        path = note.get("plainTextPath")  # QualCoder imports a Note only from a text file
        assert path and "sources/" + path.removeprefix("internal://") in members
    # A coding memo is the selection's Description; a NoteRef there would come in twice.
    selections = root.findall(".//q:PlainTextSelection", NS)
    assert any(s.findtext("q:Description", namespaces=NS) for s in selections)
    assert not root.findall(".//q:PlainTextSelection/q:NoteRef", NS)
    # QualCoder takes a TextSource's NoteRefs for annotations and drops those without a span.
    assert not root.findall(".//q:TextSource/q:NoteRef", NS)
    # What QualCoder shows as a code's memo is the definition, never our data block.
    for description in root.iterfind(".//q:Code/q:Description", NS):
        assert "[magwb]" not in (description.text or "")
    # Every coder a selection names is declared as a User.
    users = {user.get("guid") for user in root.iterfind("q:Users/q:User", NS)}
    assert {s.get("creatingUser") for s in selections} <= users


# --- QualCoder's own export of our demo study -------------------------------------------------


def test_qualcoder_export_of_our_project_comes_back_whole(app, make_user):
    """QualCoder's .qdpx of our demo keeps sessions, speakers, codes, codings, coders, memos."""
    owner_id = make_user("owner@example.org", password=None)
    with app.app_context():
        sara = User(email="sara@example.org", display_name="Sara Leysen (demo)")
        db.session.add(sara)
        db.session.commit()
        data = (CORPUS / "qualcoder-roundtrip.qdpx").read_bytes()
        result = import_qdpx(data, filename="qualcoder.qdpx", owner_id=owner_id, language="fr")
        db.session.commit()
        assert result.counts == {
            "sessions": 2,
            "passages": 136,
            "participants": 14,  # every speaker found again, none "unattributed"
            "themes": 4,
            "codings": 50,
            "memos": 16,
            "consents": 0,  # QualCoder's file predates our study data block
            "statements": 0,
            "warnings": result.counts["warnings"],
        }
        themes = {t.key: t for t in result.study.themes}
        assert set(themes) == {"dependency", "privacy", "outsourcing", "role_confusion"}
        assert themes["privacy"].label_nl == "Privacy" and themes["privacy"].seed_terms["nl"]
        coders = {c.coder_id for c in db.session.execute(db.select(Coding)).scalars()}
        assert sara.id in coders
        assert any("Yves Delcourt (demo)" in str(w) for w in result.warnings)
        # QualCoder's file has no consents (our extension came later): record them before
        # re-exporting, or the quotation rule keeps every participant's words home.
        for person in result.study.participants:
            person.consents.append(
                Consent(scope=ConsentScope.QUOTATION, granted=True, given_on=date(2026, 1, 1))
            )
        db.session.flush()
        again = export_qdpx(result.study, user_id=owner_id)
        second = import_qdpx(again, filename="again.qdpx", owner_id=owner_id, language="fr")
        kept = ("warnings", "consents")
        assert {k: v for k, v in second.counts.items() if k not in kept} == {
            k: v for k, v in result.counts.items() if k not in kept
        }
        assert second.counts["consents"] == 14  # now carried in our own extension
        db.session.rollback()


def test_qdpx_with_nowtz_dates_imports_with_a_warning_naming_the_element(app, make_user):
    """QualCoder writes creationDateTime="nowTZ" at times: the date is dropped, the data kept."""
    owner_id = make_user("owner@example.org", password=None)
    data = _with_project(
        (CORPUS / "qualcoder-roundtrip.qdpx").read_bytes(),
        lambda body: re.sub(
            rb'creationDateTime="[^"]*"', b'creationDateTime="nowTZ"', body, count=3
        ),
    )
    root, _archive = _project(data)
    assert len(root.xpath("//*[@creationDateTime='nowTZ']")) == 3
    with app.app_context():
        result = import_qdpx(data, filename="nowtz.qdpx", owner_id=owner_id, language="fr")
        assert result.counts["codings"] == 50
        dated = [str(w) for w in result.warnings if "nowTZ" in str(w)]
        assert dated and "<" in dated[0] and "creationDateTime" in dated[0]
        db.session.rollback()


def test_qdpx_leniency_stops_at_positions(app, make_user):
    """A selection outside its text still refuses the file: that would corrupt codings."""
    owner_id = make_user("owner@example.org", password=None)
    data = _with_project(
        (CORPUS / "qualcoder-roundtrip.qdpx").read_bytes(),
        lambda body: body.replace(b'endPosition="', b'endPosition="9999', 1),
    )
    with app.app_context(), pytest.raises(QdpxError, match="outside the text"):
        import_qdpx(data, filename="broken.qdpx", owner_id=owner_id, language="fr")


def test_qualcoder_codebook_imports_with_definitions_as_written():
    """QualCoder's .qdc (a BOM, its own GUIDs) gives the four themes with their definitions."""
    entries = import_qdc(
        (CORPUS / "qualcoder-codebook.qdc").read_bytes(), source="qc.qdc", language="fr"
    )
    assert [e.label_fr for e in entries] == [
        "Dépendance",
        "Vie privée",
        "Sous-traitance",
        "Confusion des rôles",
    ]
    assert entries[0].definition_fr.startswith("Les personnes perdent leur autonomie")


# --- Taguette -----------------------------------------------------------------------------------


def test_taguette_qdc_imports_with_a_warning_about_its_empty_sets():
    """Taguette's .qdc has an empty <Sets/>: the tags import, a warning names the element."""
    warnings: list = []
    entries = import_qdc(
        (CORPUS / "taguette-codebook.qdc").read_bytes(),
        source="taguette.qdc",
        language="fr",
        warnings=warnings,
    )
    assert [e.label_fr for e in entries] == ["dependency", "vie privée", "outsourcing.banks"]
    assert len(warnings) == 1 and "<Sets/>" in str(warnings[0])


def test_taguette_codebook_csv_gives_the_same_themes_as_its_qdc():
    """Taguette's CSV (tag, description) imports with the GUIDs its .qdc gives the same tags."""
    text = (CORPUS / "taguette-codebook.csv").read_text(encoding="utf-8")
    entries = import_csv(text, source="taguette.csv", language="fr")
    from_qdc = import_qdc(
        (CORPUS / "taguette-codebook.qdc").read_bytes(),
        source="taguette.qdc",
        language="fr",
        warnings=[],
    )
    assert [e.guid for e in entries] == [e.guid for e in from_qdc]
    assert [e.key for e in entries] == ["dependency", "vie_privee", "outsourcing_banks"]
    assert entries[1].definition_fr == "Mots de passe, codes PIN, consentement"
    assert entries[1].definition_nl == "" and entries[1].label_nl == "vie privée"


def test_taguette_csv_with_an_empty_tag_names_the_row():
    """An empty tag is refused with its spreadsheet row."""
    with pytest.raises(CodebookFormatError, match="row 3"):
        import_csv("tag,description\nok,\n,orphan description\n", source="t.csv")

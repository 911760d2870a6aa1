"""REFI-QDA projects (.qdpx): export valid against the XSD, exact round trip, other tools' files,
and malformed or hostile archives refused with nothing stored."""

from __future__ import annotations

import io
import random
import re
import struct
import zipfile
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from sqlalchemy import func

from analysis import normalise_text
from app.coding.codings import code_passage
from app.exchange.codebook_files import codebook_entries
from app.exchange.qdpx import QdpxError, export_qdpx, import_qdpx
from app.exchange.qdpx.archive import SCHEMA
from app.exchange.qdpx.layout import normalise_with_offsets
from app.models import (
    Coding,
    Consent,
    ConsentScope,
    GroupSession,
    KnownName,
    Membership,
    Participant,
    Passage,
    Role,
    SessionStatus,
    SpeakerKind,
    Statement,
    StatementKind,
    StatementVersion,
    Study,
    Synthesis,
    Theme,
)
from app.platform.extensions import db
from app.studies.participants import erase_participant
from app.synthesis.quotations import WITHHELD_TEXT

NS = {"q": "urn:QDA-XML:project:1.0"}
REAL_NAME = "Ximena Oudenbroek"
EMOJI_TEXT = "Le CPAS 👍🏽 ferme à 11h, café ☕ : l'eBox 📮 reste muette."


# --- building a study ------------------------------------------------------------------------


def _passage(group_session, phase, position, text, participant=None, label=""):
    return Passage(
        group_session=group_session,
        phase=phase,
        position=position,
        speaker_kind=SpeakerKind.PARTICIPANT if participant else SpeakerKind.FACILITATOR,
        participant=participant,
        speaker_label=label,
        text=text,
    )


@pytest.fixture
def owner(make_user):
    return make_user("owner@example.org", password=None)  # no hashing: fast


@pytest.fixture
def study_id(app, owner, make_study):
    """Two sessions, participants with attributes, nested themes, overlapping codings, a memo."""
    study_id = make_study(owner, "Non-recours numérique")
    with app.app_context():
        study = db.session.get(Study, study_id)
        study.description = "Étude MAG sur l'accès aux droits."
        themes = {t.key: t for t in study.themes}
        child = Theme(
            study=study,
            key="passwords",
            label_nl="Wachtwoorden",
            label_fr="Mots de passe",
            label_en="Passwords 🔑",
            colour="#abcdef",
            parent=themes["privacy"],
            position=10,
            definition_fr="Codes, PIN et itsme.",
        )
        grandchild = Theme(
            study=study,
            key="itsme",
            label_nl="itsme",
            label_fr="itsme",
            label_en="itsme",
            parent=child,
            position=11,
        )
        db.session.add_all([child, grandchild])
        amina = Participant(
            study=study,
            pseudonym="Amina",
            pseudonym_key="amina",
            attributes={"organisation_type": "CPAS", "position": "assistante sociale"},
        )
        jonas = Participant(
            study=study,
            pseudonym="Jonas",
            pseudonym_key="jonas",
            attributes={"organisation_type": "OCMW"},
        )
        zoe = Participant(study=study, pseudonym="Zoé", pseudonym_key="zoé", attributes={})
        for person in (amina, jonas, zoe):  # their words may leave the tool
            person.consents.append(
                Consent(scope=ConsentScope.QUOTATION, granted=True, given_on=date(2026, 1, 1))
            )
        db.session.add(KnownName(study_id=study_id, name=REAL_NAME))
        first = GroupSession(
            study=study,
            number=1,
            title="Le guichet",
            language="fr",
            held_on=date(2026, 1, 15),
            place="Namur",
            status=SessionStatus.ANALYSED,
        )
        second = GroupSession(study=study, number=2, language="nl")
        passages = [
            _passage(first, 1, 1, "Je propose l'histoire du guichet fermé.", amina),
            _passage(first, 1, 2, "Merci. D'autres propositions ?", label="Animatrice"),
            _passage(first, 3, 1, EMOJI_TEXT, amina),
            _passage(first, 5, 1, "Première ligne\ndeuxième ligne: avec deux-points.", jonas),
            _passage(first, 5, 3, "Moi: je ne suis pas d'accord.", zoe),
            _passage(second, 3, 1, "Het loket is dicht 🚪 en niemand helpt.", jonas),
            _passage(second, 7, 1, "Wie heeft een wachtwoord?", label="Begeleider"),
        ]
        db.session.add_all([amina, jonas, zoe, first, second, *passages])
        db.session.flush()
        emoji = passages[2]

        def span(passage, words):
            start = passage.text.index(words)
            return start, start + len(words)

        code_passage(
            study_id, emoji.id, *span(emoji, "CPAS 👍🏽 ferme"), "dependency", coder_id=owner
        )
        code_passage(
            study_id,
            emoji.id,
            *span(emoji, "ferme à 11h, café ☕"),
            "privacy",
            coder_id=owner,
            memo="Chevauchement voulu 😀\nsur deux lignes.",
        )
        code_passage(study_id, emoji.id, *span(emoji, "l'eBox 📮"), "itsme", coder_id=owner)
        code_passage(
            study_id,
            passages[3].id,
            *span(passages[3], "ligne\ndeuxième"),
            "passwords",
            coder_id=owner,
        )
        code_passage(
            study_id,
            passages[5].id,
            *span(passages[5], "dicht 🚪"),
            "role_confusion",
            coder_id=owner,
        )
        synthesis = Synthesis(study=study, group_session=first)
        statement = Statement(
            synthesis=synthesis,
            kind=StatementKind.CONVERGENCE,
            versions=[StatementVersion(number=1, text="Le guichet numérique exclut.")],
            themes=[themes["dependency"]],
        )
        db.session.add_all([synthesis, statement])
        db.session.commit()
    return study_id


def _export(app, study_id, owner) -> bytes:
    with app.app_context():
        return export_qdpx(db.session.get(Study, study_id), user_id=owner)


def _project(data: bytes) -> tuple[etree._Element, zipfile.ZipFile]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    return etree.fromstring(archive.read("project.qde")), archive


def _dump(study_id: int) -> dict:
    """A canonical description of a study: what a round trip must keep."""
    study = db.session.get(Study, study_id)
    guid_of = {t.id: t.guid for t in study.themes}
    sessions = []
    for group_session in db.session.execute(
        db.select(GroupSession).filter_by(study_id=study_id).order_by(GroupSession.number)
    ).scalars():
        passages, ranks = [], {}
        for passage in group_session.passages:  # ordered by phase, position
            ranks[passage.phase] = ranks.get(passage.phase, 0) + 1
            codings = sorted(
                (guid_of[c.theme_id], c.start_offset, c.end_offset, c.quote, c.memo)
                for c in passage.codings
            )
            passages.append(
                (
                    passage.phase,
                    ranks[passage.phase],
                    passage.speaker_kind.value,
                    passage.speaker_name,
                    passage.text,
                    codings,
                )
            )
        sessions.append(
            (
                group_session.number,
                group_session.title,
                group_session.held_on,
                group_session.place,
                group_session.language,
                group_session.status.value,
                passages,
            )
        )
    participants = {
        p.pseudonym: p.attributes
        for p in db.session.execute(db.select(Participant).filter_by(study_id=study_id)).scalars()
    }
    return {
        "study": (study.title, study.description, study.language),
        "codebook": codebook_entries(study_id),
        "participants": participants,
        "sessions": sessions,
    }


def _row_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(db.select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


# --- export ---------------------------------------------------------------------------------


def test_export_is_schema_valid_and_every_selection_slices_its_quote(app, owner, study_id):
    """project.qde validates; each selection's code points in its source file are the quote."""
    data = _export(app, study_id, owner)
    root, archive = _project(data)
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    assert schema.validate(root), schema.error_log
    with app.app_context():
        quotes = {}
        for coding in db.session.execute(db.select(Coding)).scalars():
            quotes.setdefault(coding.theme.guid, []).append(coding.quote)
        assert len(root.findall(".//q:PlainTextSelection", NS)) == 5
        for source in root.iterfind(".//q:TextSource", NS):
            path = source.get("plainTextPath").removeprefix("internal://")
            body = archive.read(f"sources/{path}").decode("utf-8")
            for selection in source.iterfind("q:PlainTextSelection", NS):
                piece = body[
                    int(selection.get("startPosition")) : int(selection.get("endPosition"))
                ]
                guid = selection.find("q:Coding/q:CodeRef", NS).get("targetGUID")
                assert piece in quotes[guid]
        assert "Amina: " + EMOJI_TEXT in archive.read(archive.namelist()[1]).decode()
    cases = {c.get("name"): c for c in root.iterfind(".//q:Case", NS)}
    assert set(cases) == {"Amina", "Jonas", "Zoé"}
    variables = {v.get("name") for v in root.iterfind(".//q:Variable", NS)}
    assert variables == {"organisation_type", "position"}
    assert cases["Amina"].find("q:VariableValue/q:TextValue", NS).text in {
        "CPAS",
        "assistante sociale",
    }
    assert cases["Amina"].findall("q:SelectionRef", NS)  # her coded passages
    notes = [
        archive.read("sources/" + n.get("plainTextPath").removeprefix("internal://")).decode()
        for n in root.iterfind(".//q:Note", NS)
    ]
    memos = [d.text for d in root.iterfind(".//q:PlainTextSelection/q:Description", NS)]
    assert "Chevauchement voulu 😀\nsur deux lignes." in memos
    assert any("validation=not_submitted" in n for n in notes)
    codes = root.find("q:CodeBook/q:Codes", NS)
    nested = codes.find("q:Code/q:Code/q:Code", NS)
    assert nested is not None and nested.get("name") == "itsme"
    assert all(
        re.fullmatch(r"#[0-9A-F]{6}", c.get("color")) for c in codes.iter(f"{{{NS['q']}}}Code")
    )
    everything = b"".join(archive.read(name) for name in archive.namelist())
    assert REAL_NAME.encode() not in everything
    assert b"owner@example.org" not in everything


def test_repeated_exports_are_identical_but_for_the_timestamp(app, owner, study_id):
    """GUIDs are derived, not random: two exports differ only in the project's creationDateTime."""
    (root_1, one), (root_2, two) = (_project(_export(app, study_id, owner)) for _ in range(2))
    for root in (root_1, root_2):
        del root.attrib["creationDateTime"]
    assert etree.tostring(root_1) == etree.tostring(root_2)
    assert one.namelist() == two.namelist()
    assert all(one.read(name) == two.read(name) for name in one.namelist()[1:])


def test_withdrawn_and_erased_passages_leave_only_the_marker(app, owner, study_id):
    """A withdrawn passage and an erased participant's words, codings and memos never leave."""
    with app.app_context():
        withdrawn = db.session.execute(
            db.select(Passage).filter_by(text=EMOJI_TEXT)
        ).scalar_one()  # three codings, one with a memo
        withdrawn.quote_withdrawn_at = datetime.now(UTC)
        zoe = db.session.execute(db.select(Participant).filter_by(pseudonym="Zoé")).scalar_one()
        erase_participant(zoe, user_id=owner, real_names=[])
        db.session.commit()
    data = _export(app, study_id, owner)
    root, archive = _project(data)
    everything = b"".join(archive.read(name) for name in archive.namelist())
    for words in ("reste muette", "📮", "café ☕", "Chevauchement voulu", "pas d'accord", "Zoé"):
        assert words.encode() not in everything, words
    sources = b"".join(archive.read(n) for n in archive.namelist() if n.startswith("sources/"))
    assert sources.count(f": {WITHHELD_TEXT}".encode()) == 2
    assert len(root.findall(".//q:PlainTextSelection", NS)) == 2  # 5 minus the withdrawn 3
    assert etree.XMLSchema(etree.parse(str(SCHEMA))).validate(root)


def test_words_without_current_quotation_consent_leave_only_the_marker(app, owner, study_id):
    """A participant who withdrew quotation consent: their words and codings stay home."""
    with app.app_context():
        amina = db.session.execute(db.select(Participant).filter_by(pseudonym="Amina")).scalar_one()
        amina.consents.append(
            Consent(scope=ConsentScope.QUOTATION, granted=False, given_on=date(2026, 2, 1))
        )
        texts = [p.text for p in amina_passages(amina)]
        db.session.commit()
    data = _export(app, study_id, owner)
    _root, archive = _project(data)
    sources = b"".join(archive.read(n) for n in archive.namelist() if n.startswith("sources/"))
    assert texts and all(text.encode() not in sources for text in texts)
    assert b"Amina: " + WITHHELD_TEXT.encode() in sources


def amina_passages(amina):
    return db.session.execute(db.select(Passage).filter_by(participant_id=amina.id)).scalars()


# --- round trip ---------------------------------------------------------------------------------


def test_our_export_reimported_is_the_same_study(app, owner, study_id):
    """Export then import gives the same sessions, passages, speakers, themes, codings, memos."""
    data = _export(app, study_id, owner)
    with app.app_context():
        result = import_qdpx(data, filename="étude.qdpx", owner_id=owner, language="en")
        db.session.commit()
        assert result.study.id != study_id
        before, after = _dump(study_id), _dump(result.study.id)
        assert after == before
        assert result.counts["codings"] == 5 and result.counts["memos"] == 1
        assert result.counts["sessions"] == 2 and result.counts["participants"] == 3
        assert not [w for w in result.warnings if "split" in w or "clipped" in w]
        membership = db.session.execute(
            db.select(Membership).filter_by(study_id=result.study.id)
        ).scalar_one()
        assert (membership.user_id, membership.role) == (owner, Role.OWNER)
        # Consent records do not travel in a .qdpx: record them again before re-exporting.
        for person in db.session.execute(
            db.select(Participant).filter_by(study_id=result.study.id)
        ).scalars():
            person.consents.append(
                Consent(scope=ConsentScope.QUOTATION, granted=True, given_on=date(2026, 1, 1))
            )
        db.session.flush()
        again = export_qdpx(result.study, user_id=owner)
    # The re-export's session texts are the same files (GUIDs differ: another study).
    texts = []
    for root, archive in (_project(data), _project(again)):
        paths = [s.get("plainTextPath") for s in root.iterfind(".//q:TextSource", NS)]
        texts.append(
            sorted(archive.read("sources/" + p.removeprefix("internal://")) for p in paths)
        )
    assert texts[0] == texts[1]


# --- another program's project ------------------------------------------------------------------

OTHER_TEXT = (
    "Interview 3 – transcript\r\n"
    "Marie: On m'a dit de tout faire en ligne.\r\n"
    "Interviewer: Et ensuite ?\r\n"
    "Marie: Rien.   \r\n"
    "Le PC de l'EPN était en panne.\r\n"
)
# Offsets over OTHER_TEXT as the other program counts them (code points, \r\n is two).
SEL_ONLINE = (OTHER_TEXT.index("tout faire"), OTHER_TEXT.index("tout faire") + len("tout faire"))
SEL_SPLIT = (OTHER_TEXT.index("Rien"), OTHER_TEXT.index("en panne") + len("en panne"))

OTHER_PROJECT = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="Interviews EPN" origin="QualCoder 3.5"
         creationDateTime="2025-11-02T10:00:00Z">
  <Users><User guid="{{A1B2C3D4-0000-4000-8000-000000000001}}" name="researcher"/></Users>
  <CodeBook>
    <Codes>
      <Code guid="C0DE0000-0000-4000-8000-000000000001" name="Numérique" isCodable="true"
            color="#C0392B">
        <Description>Tout ce qui touche au numérique.</Description>
        <Code guid="C0DE0000-0000-4000-8000-000000000002" name="Démarches en ligne"
              isCodable="true" color="#F0A"/>
        <Code guid="C0DE0000-0000-4000-8000-000000000003" name="Matériel" isCodable="true"/>
      </Code>
    </Codes>
  </CodeBook>
  <Variables>
    <Variable guid="0A000000-0000-4000-8000-000000000001" name="age" typeOfVariable="Integer"/>
    <Variable guid="0A000000-0000-4000-8000-000000000002" name="commune" typeOfVariable="Text"/>
  </Variables>
  <Cases>
    <Case guid="CA5E0000-0000-4000-8000-000000000001" name="Marie">
      <VariableValue>
        <VariableRef targetGUID="0A000000-0000-4000-8000-000000000001"/>
        <IntegerValue>54</IntegerValue>
      </VariableValue>
      <VariableValue>
        <VariableRef targetGUID="0A000000-0000-4000-8000-000000000002"/>
        <TextValue>Namur</TextValue>
      </VariableValue>
      <SourceRef targetGUID="50000000-0000-4000-8000-000000000001"/>
    </Case>
  </Cases>
  <Sources>
    <TextSource guid="50000000-0000-4000-8000-000000000001" name="Interview 3"
                plainTextPath="internal://50000000-0000-4000-8000-000000000001.txt">
      <PlainTextSelection guid="5E100000-0000-4000-8000-000000000001"
                          startPosition="{SEL_ONLINE[0]}" endPosition="{SEL_ONLINE[1]}">
        <Coding guid="C0D10000-0000-4000-8000-000000000001">
          <CodeRef targetGUID="C0DE0000-0000-4000-8000-000000000002"/>
        </Coding>
        <NoteRef targetGUID="A0000000-0000-4000-8000-000000000001"/>
      </PlainTextSelection>
      <PlainTextSelection guid="5E100000-0000-4000-8000-000000000002"
                          startPosition="{SEL_SPLIT[0]}" endPosition="{SEL_SPLIT[1]}">
        <Coding guid="C0D10000-0000-4000-8000-000000000002">
          <CodeRef targetGUID="{{C0DE0000-0000-4000-8000-000000000003}}"/>
        </Coding>
      </PlainTextSelection>
    </TextSource>
    <PDFSource guid="50000000-0000-4000-8000-000000000002" name="Flyer CPAS"
               path="internal://50000000-0000-4000-8000-000000000002.pdf"/>
    <PictureSource guid="50000000-0000-4000-8000-000000000003" name="Photo du guichet"
                   path="internal://50000000-0000-4000-8000-000000000003.jpg"/>
  </Sources>
  <Notes>
    <Note guid="A0000000-0000-4000-8000-000000000001" name="memo">
      <PlainTextContent>Elle insiste sur « tout ».</PlainTextContent>
    </Note>
    <Note guid="A0000000-0000-4000-8000-000000000002" name="project memo">
      <PlainTextContent>Projet pilote.</PlainTextContent>
    </Note>
  </Notes>
  <Sets>
    <Set guid="5E700000-0000-4000-8000-000000000001" name="Tout">
      <MemberCode targetGUID="C0DE0000-0000-4000-8000-000000000001"/>
    </Set>
  </Sets>
</Project>
"""


def _zip(members: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content.encode() if isinstance(content, str) else content)
    return buffer.getvalue()


OTHER_QDPX = {
    "project.qde": OTHER_PROJECT,
    "sources/50000000-0000-4000-8000-000000000001.txt": OTHER_TEXT,
    "sources/50000000-0000-4000-8000-000000000002.pdf": b"%PDF-1.4 not read",
    "sources/50000000-0000-4000-8000-000000000003.jpg": b"\xff\xd8\xff not read",
}


def test_project_of_another_tool_is_imported_with_a_report(app, owner):
    """Codes with children, cases with variables, a text source; PDF and picture skipped."""
    with app.app_context():
        result = import_qdpx(_zip(OTHER_QDPX), filename="epn.qdpx", owner_id=owner, language="fr")
        db.session.commit()
        study = result.study
        assert study.title == "Interviews EPN" and study.language == "fr"
        themes = {t.label_fr: t for t in study.themes}
        assert set(themes) == {"Numérique", "Démarches en ligne", "Matériel"}
        assert themes["Matériel"].parent is themes["Numérique"]
        assert themes["Démarches en ligne"].colour == "#ff00aa"
        assert themes["Numérique"].guid == "c0de0000-0000-4000-8000-000000000001"
        marie = db.session.execute(
            db.select(Participant).filter_by(study_id=study.id, pseudonym="Marie")
        ).scalar_one()
        assert marie.attributes == {"age": 54, "commune": "Namur"}
        (group_session,) = study.group_sessions
        texts = [(p.speaker_name, p.phase, p.text) for p in group_session.passages]
        assert texts[1] == ("Marie", 3, "On m'a dit de tout faire en ligne.")
        assert texts[3] == ("Marie", 3, "Rien.")
        assert texts[4] == ("Marie", 3, "Le PC de l'EPN était en panne.")
        # Another speaker's words are kept whole and never given to Marie.
        assert texts[2] == ("Non attribué", 3, "Interviewer: Et ensuite ?")
        assert texts[0] == ("Marie", 3, "Interview 3 – transcript")  # her source (SourceRef)
        codings = sorted(
            (c.theme.label_fr, c.quote, c.memo) for p in group_session.passages for c in p.codings
        )
        assert codings == [
            ("Démarches en ligne", "tout faire", "Elle insiste sur « tout »."),
            ("Matériel", "Le PC de l'EPN était en panne", ""),
            ("Matériel", "Rien.", ""),
        ]
        report = "\n".join(result.warnings)
        assert "Flyer CPAS" in report and "Photo du guichet" in report
        assert "PDF" in report and "picture" in report
        assert "1 selection in the source “Interview 3” spans several passages" in report
        assert "1 note is not attached" in report
        assert "1 set, link or graph was not imported" in report
        assert "no phase headings" in report
        assert "1 passage of the source “Interview 3” has a speaker" in report


def test_without_our_block_the_text_is_split_by_line_with_phases_and_speakers(app, owner, study_id):
    """If another program drops our Description, phase headings and case names still map."""
    data = _export(app, study_id, owner)
    project = zipfile.ZipFile(io.BytesIO(data)).read("project.qde")
    stripped = re.sub(rb"<Description>--- MAG Workbench data[^<]*</Description>", b"", project)
    source = zipfile.ZipFile(io.BytesIO(data))
    members = {n: source.read(n) for n in source.namelist()}
    with app.app_context():
        result = import_qdpx(
            _zip({**members, "project.qde": stripped}),
            filename="edited.qdpx",
            owner_id=owner,
            language="fr",
        )
        first = min(result.study.group_sessions, key=lambda s: s.number)
        rows = [(p.phase, p.speaker_name, p.text) for p in first.passages]
    assert rows[0] == (1, "Amina", "Je propose l'histoire du guichet fermé.")
    assert rows[1] == (1, "Non attribué", "Animatrice: Merci. D'autres propositions ?")
    assert (3, "Amina", EMOJI_TEXT) in rows
    assert (5, "Jonas", "Première ligne") in rows
    # A clause before a colon is text of the speaker before, not an unknown speaker (#14).
    assert (5, "Jonas", "deuxième ligne: avec deux-points.") in rows
    assert "no phase headings" not in "\n".join(result.warnings)


# --- malformed and hostile archives -------------------------------------------------------------


def _replace(data: bytes, old: bytes, new: bytes, *, count: int = 1) -> bytes:
    """Return a copy of the archive with project.qde edited."""
    source = zipfile.ZipFile(io.BytesIO(data))
    members = {name: source.read(name) for name in source.namelist()}
    assert old in members["project.qde"]
    members["project.qde"] = members["project.qde"].replace(old, new, count)
    return _zip(members)


def _without(data: bytes, prefix: str) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    return _zip({n: source.read(n) for n in source.namelist() if not n.startswith(prefix)})


def _with(data: bytes, name: str, content: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    return _zip({**{n: source.read(n) for n in source.namelist()}, name: content})


def _claiming_huge_size(data: bytes) -> bytes:
    """Patch the central directory so the first member claims 3 GiB uncompressed."""
    at = data.find(b"PK\x01\x02")
    return data[: at + 24] + struct.pack("<I", 3 * 2**30) + data[at + 28 :]


def _understating_size(data: bytes) -> bytes:
    """Patch the central directory so a source file declares 10 bytes but holds more."""
    at = data.find(b"PK\x01\x02")
    while not data[at + 46 :].startswith(b"sources/"):
        at = data.find(b"PK\x01\x02", at + 4)
    return data[: at + 24] + struct.pack("<I", 10) + data[at + 28 :]


def _duplicate_member(data: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in source.namelist():
            archive.writestr(name, source.read(name))
        with pytest.warns(UserWarning, match="Duplicate name"):
            archive.writestr("project.qde", b"<other/>")
    return buffer.getvalue()


def _selection_end(data: bytes) -> bytes:
    match = re.search(
        rb'endPosition="(\d+)"', zipfile.ZipFile(io.BytesIO(data)).read("project.qde")
    )
    return match.group(0)


def _code_ref(data: bytes) -> bytes:
    project = zipfile.ZipFile(io.BytesIO(data)).read("project.qde")
    return re.search(rb'<CodeRef targetGUID="[^"]+"', project).group(0)


MALFORMED = {
    "not a zip": (lambda d: b"PK\x03\x04 definitely not a zip", "not a zip archive"),
    "missing project.qde": (lambda d: _without(d, "project.qde"), "no project.qde"),
    "bad XML": (
        lambda d: _zip({"project.qde": b'<?xml version="1.0"?>\n<Project name="x">\n<Users>\n'}),
        "line 4",
    ),
    "XSD violation": (
        lambda d: _replace(d, b'isCodable="true"', b'isCodable="maybe"'),
        "REFI-QDA project schema",
    ),
    "missing source file": (lambda d: _without(d, "sources/"), "not in the archive"),
    "positions outside the text": (
        lambda d: _replace(d, _selection_end(d), b'endPosition="999999"'),
        "outside the text",
    ),
    "unknown codeRef": (
        lambda d: _replace(
            d, _code_ref(d), b'<CodeRef targetGUID="00000000-0000-4000-8000-00000000dead"'
        ),
        "not in the project's codebook",
    ),
    "duplicate GUID": (
        lambda d: _replace(
            d,
            b'<Case guid="',
            b'<Case guid="00000000-0000-4000-8000-0000000000aa" name="A"/>'
            b'<Case guid="00000000-0000-4000-8000-0000000000aa" name="B"/><Case guid="',
        ),
        "is used again",
    ),
    "entities": (
        lambda d: _zip(
            {
                "project.qde": b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "b">]>'
                b'<Project xmlns="urn:QDA-XML:project:1.0" name="&a;"/>'
            }
        ),
        "DOCTYPE",
    ),
    "zip bomb by ratio": (
        lambda d: _with(d, "sources/bomb.txt", b"\0" * (8 * 2**20)),
        "zip bomb",
    ),
    "zip bomb by claimed size": (_claiming_huge_size, "zip bomb"),
    "member larger than it claims": (_understating_size, "damaged"),
    "duplicate member": (
        _duplicate_member,
        "same name",
    ),
    "path traversal": (lambda d: _with(d, "../evil.txt", b"x"), "points outside"),
    "absolute path": (lambda d: _with(d, "/etc/evil.txt", b"x"), "points outside"),
    "backslash": (lambda d: _with(d, "sources\\..\\evil.txt", b"x"), "points outside"),
    "drive letter": (lambda d: _with(d, "C:/evil.txt", b"x"), "points outside"),
    "source path outside": (
        lambda d: _replace(d, b'plainTextPath="internal://', b'plainTextPath="internal://../'),
        "points outside the archive",
    ),
}


def test_malformed_projects_are_refused_and_nothing_is_stored(app, owner, study_id):
    """Each defect gives a clear error naming the file (and line), and no table changes.

    One test for all cases: the database set-up dominates the run time on PostgreSQL.
    """
    valid = _export(app, study_id, owner)
    with app.app_context():
        before = _row_counts()
        for case, (mutate, expected) in MALFORMED.items():
            with pytest.raises(QdpxError) as raised:
                import_qdpx(mutate(valid), filename="broken.qdpx", owner_id=owner, language="fr")
            message = str(raised.value)
            db.session.commit()  # even a careless caller commits nothing
            assert _row_counts() == before, case
            assert message.startswith("broken.qdpx"), (case, message)
            assert expected in message, (case, message)
            assert "guichet" not in message and "CPAS" not in message, case  # no passage text


def test_error_while_storing_leaves_nothing_behind(app, owner, study_id, monkeypatch):
    """A failure after rows were added rolls back to the savepoint: no half study."""
    data = _export(app, study_id, owner)

    def fail(*args, **kwargs):
        raise RuntimeError("scanner down")

    monkeypatch.setattr("app.exchange.qdpx.store.detect", fail)
    with app.app_context():
        before = _row_counts()
        with pytest.raises(RuntimeError):
            import_qdpx(data, filename="ok.qdpx", owner_id=owner, language="fr")
        db.session.commit()
        assert _row_counts() == before


def test_empty_study_exports_a_valid_project_and_comes_back(app, owner, make_study):
    """No sessions, participants or themes: still a valid project, and an empty study again."""
    study_id = make_study(owner, "Vide")
    with app.app_context():
        db.session.execute(db.delete(Theme).filter_by(study_id=study_id))
        db.session.commit()
        data = export_qdpx(db.session.get(Study, study_id), user_id=None)
        root, _archive = _project(data)
        assert etree.XMLSchema(etree.parse(str(SCHEMA))).validate(root)
        result = import_qdpx(data, filename="vide.qdpx", owner_id=owner, language="nl")
        db.session.commit()
        assert _dump(result.study.id) == _dump(study_id)
        assert result.warnings == []


def test_offsets_follow_line_ends_and_composed_accents(app, owner):
    """Positions count the file's own code points (CRLF, decomposed é); quotes still match."""
    raw = "Marie: Cafe\u0301 au lait  \r\nMarie: encore\u0000 du lait"
    start = raw.index("lait")
    second = raw.rindex("lait")
    project = OTHER_PROJECT.replace(
        f'startPosition="{SEL_ONLINE[0]}" endPosition="{SEL_ONLINE[1]}"',
        f'startPosition="{raw.index("Cafe")}" endPosition="{start + 4}"',
    ).replace(
        f'startPosition="{SEL_SPLIT[0]}" endPosition="{SEL_SPLIT[1]}"',
        f'startPosition="{raw.index("encore")}" endPosition="{second + 4}"',
    )
    members = {**OTHER_QDPX, "project.qde": project}
    members["sources/50000000-0000-4000-8000-000000000001.txt"] = raw
    with app.app_context():
        result = import_qdpx(_zip(members), filename="nfd.qdpx", owner_id=owner, language="fr")
        (group_session,) = result.study.group_sessions
        quotes = sorted(c.quote for p in group_session.passages for c in p.codings)
        texts = [p.text for p in group_session.passages]
    assert texts == ["Café au lait", "encore du lait"]
    assert quotes == ["Café au lait", "encore du lait"]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab é\u0301\r\n\t\ufeff\x00\u1100\u1161 ")))
def test_offset_map_matches_normalise_text(raw):
    """The raw-to-stored offset map is monotone and spans exactly the normalised text."""
    text, offsets = normalise_with_offsets(raw)
    assert text == normalise_text(raw)
    if offsets is None:
        return
    assert len(offsets) == len(raw) + 1 and offsets[-1] == len(text)
    assert all(0 <= a <= b <= len(text) for a, b in zip(offsets, offsets[1:], strict=False))


def test_control_bytes_in_text_files_never_reach_the_database(app, owner, study_id):
    """NUL and other control bytes in a project's text files: a clean import or refusal.

    Sessions and notes travel as text files (QualCoder reads notes only so); a text file
    can hold bytes XML cannot, and PostgreSQL refuses NUL in text. Seeded, so repeatable.
    """
    archive = zipfile.ZipFile(io.BytesIO(_export(app, study_id, owner)))
    rng = random.Random(20261206)
    for _trial in range(30):
        damaged = io.BytesIO()
        with zipfile.ZipFile(damaged, "w") as out:
            for info in archive.infolist():
                body = archive.read(info.filename)
                if info.filename.startswith("sources/"):
                    lines = body.split(b"\n")
                    for _ in range(3):
                        i = rng.randrange(len(lines))
                        j = rng.randrange(len(lines[i]) + 1)
                        junk = rng.choice([b"\x00", b"\x00:", b"\x01", b"A\x00b: "])
                        lines[i] = lines[i][:j] + junk + lines[i][j:]
                    body = b"\n".join(lines)
                out.writestr(info.filename, body)
        with app.app_context():
            try:
                result = import_qdpx(
                    damaged.getvalue(), filename="nul.qdpx", owner_id=owner, language="en"
                )
            except QdpxError:
                db.session.rollback()
                continue
            db.session.flush()
            for theme in result.study.themes:
                assert "\x00" not in theme.definition_fr + theme.definition_nl + theme.label_en
            db.session.rollback()

"""Writing a study as a REFI-QDA project (.qdpx): project.qde plus one text file per session.

What leaves the tool follows `app.synthesis.quotations`: a passage that may not be quoted
(withdrawn, erased speaker, speaker withdrew, no quotation consent) shows the withheld
marker, and its codings and memos are left out; an erased participant, and one who withdrew
from the study, is no case (no attributes) and speaks as the marker (`left_out_as_person`);
an erased participant's label and the pseudonym of one who withdrew from the study are
scrubbed from every text (`Redactor`), codings and links moving with it. Participants appear
under their pseudonyms only (never the study's list of real names). GUIDs are stable:
themes keep theirs, everything else gets a uuid5 derived from the study id and the row
id, so two exports of an unchanged study differ only in the project's creationDateTime.
"""

from __future__ import annotations

import io
import uuid
import zipfile
from datetime import UTC, datetime

from lxml import etree
from sqlalchemy.orm import selectinload

from analysis import xml_safe
from app.exchange.codebook_block import CONTAINER_NAME, container_guid, container_text
from app.exchange.codebook_files import codebook_entries
from app.exchange.codebook_qdc import _description, default_language_label
from app.exchange.qdpx.archive import PROJECT_MEMBER, PROJECT_NS, project_schema, q, timestamp
from app.exchange.qdpx.layout import Turn, block, build_text, passage_field
from app.exchange.qdpx.study_block import NAME, export_block
from app.models import Coding, GroupSession, Participant, Passage, Study, Synthesis, Theme, User
from app.platform.extensions import db
from app.synthesis.quotations import (
    WITHHELD_TEXT,
    Redactor,
    exported_text,
    is_withheld,
    left_out_as_person,
)
from app.synthesis.state import statement_validation

ORIGIN = "MAG Workbench"
# Namespace of every derived GUID; with the study id it makes a per-study namespace.
GUID_NAMESPACE = uuid.UUID("6f1c2a4e-8b3d-5e7f-9a1b-2c3d4e5f6a7b")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed member times: identical bytes for identical content


class Guids:
    """Deterministic GUIDs for one study's objects."""

    def __init__(self, study: Study) -> None:
        self.namespace = uuid.uuid5(GUID_NAMESPACE, f"study/{study.id}")

    def __call__(self, kind: str, object_id: object) -> str:
        return str(uuid.uuid5(self.namespace, f"{kind}/{object_id}"))


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attributes) -> etree._Element:
    """Add a child; every value passes `xml_safe`, so text stored long ago cannot break the file."""
    element = etree.SubElement(
        parent, q(tag), {k: xml_safe(v) for k, v in attributes.items() if v is not None}
    )
    if text is not None:
        element.text = xml_safe(text)
    return element


def export_qdpx(study: Study, *, user_id: int | None) -> bytes:
    """Return the study as a .qdpx archive, its project.qde valid against Project.xsd."""
    guids = Guids(study)
    redact = Redactor.for_study(study.id, publication=False)
    sessions = _load_sessions(study)
    participants = [
        p
        for p in db.session.execute(
            db.select(Participant)
            .filter_by(study_id=study.id, erased_at=None)
            .order_by(Participant.id)
            .options(selectinload(Participant.consents))
        ).scalars()
        if not left_out_as_person(p)
    ]
    # (guid, name, text, created) in document order; QualCoder needs every Note dated.
    notes: list[tuple[str, str, str | None, str | None]] = []
    sources = [_session_source(s, guids, notes, redact) for s in sessions]
    root = etree.Element(
        q("Project"),
        nsmap={None: PROJECT_NS},
        name=xml_safe(redact(study.title)),
        origin=ORIGIN,
        creationDateTime=timestamp(datetime.now(UTC)),
    )
    _users(root, sources, user_id, guids)
    statements = _statement_notes(study, guids, notes, redact)
    if data := export_block(study, participants, sources, guids, redact):  # consents, syntheses
        notes.append((guids("study-data", study.id), NAME, data, timestamp(study.created_at)))
    _codebook(root, study, statements["themes"], notes)
    _cases(root, participants, sources, guids)
    if sources:
        sources_element = _sub(root, "Sources")
        for source in sources:
            sources_element.append(source["element"])
    note_files = []
    if notes:
        # QualCoder imports a Note only as a text file (plainTextPath) with a name and a date.
        notes_element = _sub(root, "Notes")
        for guid, name, text, created in notes:
            _sub(
                notes_element,
                "Note",
                guid=guid,
                name=name,
                plainTextPath=f"internal://{guid}.txt",
                creationDateTime=created,
            )
            note_files.append((f"sources/{guid}.txt", text))
    _sub(root, "Description", block(redact(study.description), [("language", study.language)]))
    for note_guid in statements["study"]:
        _sub(root, "NoteRef", targetGUID=note_guid)
    xml = b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(
        root, encoding="UTF-8", pretty_print=True
    )
    _check_valid(xml)
    return _zip(xml, [(s["path"], s["text"]) for s in sources] + note_files)


def _users(root: etree._Element, sources: list[dict], user_id: int | None, guids: Guids) -> None:
    """Declare the coders of the exported codings and the exporting user (display names only)."""
    coders = {c.coder_id for s in sources for c in s["codings"] if c.coder_id}
    ids = sorted(coders | ({user_id} if user_id is not None else set()))
    users = [user for user in (db.session.get(User, i) for i in ids) if user is not None]
    if user_id is not None and any(user.id == user_id for user in users):
        root.set("creatingUserGUID", guids("user", user_id))
    if users:
        element = _sub(root, "Users")
        for user in users:
            _sub(element, "User", guid=guids("user", user.id), name=user.display_name)


def _load_sessions(study: Study) -> list[GroupSession]:
    return list(
        db.session.execute(
            db.select(GroupSession)
            .filter_by(study_id=study.id)
            .order_by(GroupSession.number)
            .options(
                selectinload(GroupSession.passages).selectinload(Passage.participant),
                selectinload(GroupSession.passages)
                .selectinload(Passage.codings)
                .selectinload(Coding.theme),
            )
        ).scalars()
    )


def _session_source(session: GroupSession, guids: Guids, notes: list, redact) -> dict:
    """Build a TextSource, its text and the codings exported with it."""
    passages = sorted(session.passages, key=lambda p: (p.phase, p.position, p.id))
    gone = {p.participant_id for p in passages if left_out_as_person(p.participant)}
    edits = [redact.edit(exported_text(p)) for p in passages]  # where labels became markers
    items = [
        (p.phase, WITHHELD_TEXT if p.participant_id in gone else redact(p.speaker_name), e.text)
        for p, e in zip(passages, edits, strict=True)
    ]
    text, starts = build_text(items, session.language)
    guid = guids("group_session", session.id)
    turns = [
        Turn(
            p.phase,
            start,
            start + len(item[2]),
            None if p.participant_id in gone | {None} else guids("participant", p.participant_id),
            WITHHELD_TEXT if p.participant_id in gone else redact(p.speaker_label),
            p.start_time,
            p.end_time,
        )
        for p, start, item in zip(passages, starts, items, strict=True)
    ]
    fields = [
        ("number", str(session.number)),
        ("title", redact(session.title)),
        ("held_on", session.held_on.isoformat() if session.held_on else ""),
        ("place", redact(session.place)),
        ("language", session.language),
        ("status", session.status.value),
        *(("passage", passage_field(turn)) for turn in turns),
    ]
    source = etree.Element(
        q("TextSource"),
        guid=guid,
        name=f"{session.number}. {xml_safe(redact(session.title))}"
        if session.title
        else f"Session {session.number}",
        plainTextPath=f"internal://{guid}.txt",
    )
    _sub(source, "Description", block("", fields))
    codings, speakers, spans = [], {}, {}
    for passage, start, edit in zip(passages, starts, edits, strict=True):
        if passage.participant_id and passage.participant_id not in gone:
            speakers.setdefault(passage.participant_id, [])
        if is_withheld(passage):
            continue  # its words are not in the file, nor are its codings and memos
        for coding in passage.codings:
            # Offsets follow the scrubbed text; words all inside a scrubbed name stay home.
            if (span := edit.span(coding.start_offset, coding.end_offset)) is None:
                continue
            spans[coding.id] = span
            _selection(source, coding, start, span, guids, redact)
            codings.append(coding)
            if passage.participant_id:
                speakers[passage.participant_id].append(guids("coding", coding.id))
    return {
        "session_id": session.id,
        "element": source,
        "guid": guid,
        "path": f"sources/{guid}.txt",
        "text": text,
        "codings": codings,
        "speakers": speakers,
        "passages": passages,
        "spans": spans,  # coding id -> its offsets in the exported passage text
    }


def _selection(source: etree._Element, coding: Coding, start: int, span, guids: Guids, redact):
    coder = guids("user", coding.coder_id) if coding.coder_id else None
    selection = _sub(
        source,
        "PlainTextSelection",
        guid=guids("coding", coding.id),
        startPosition=str(start + span[0]),
        endPosition=str(start + span[1]),
        creatingUser=coder,
        creationDateTime=timestamp(coding.created_at),
    )
    if coding.memo:  # QualCoder, NVivo and MAXQDA read a coding memo from here, not a NoteRef
        _sub(selection, "Description", redact(coding.memo))
    element = _sub(
        selection,
        "Coding",
        guid=guids("coding-code", coding.id),
        creatingUser=coder,
        creationDateTime=timestamp(coding.created_at),
    )
    _sub(element, "CodeRef", targetGUID=coding.theme.guid)
    return selection


def _codebook(
    root: etree._Element, study: Study, theme_notes: dict[int, list[str]], notes: list
) -> None:
    entries = codebook_entries(study.id)
    if not entries:
        return
    # Keys, other languages and seed terms: one marked Note, not each code's memo.
    text = container_text(entries, study.language)
    notes.append((container_guid(entries), CONTAINER_NAME, text, timestamp(study.created_at)))
    themes = {
        t.key: t
        for t in db.session.execute(db.select(Theme).filter_by(study_id=study.id)).scalars()
    }
    codes = _sub(_sub(root, "CodeBook"), "Codes")
    parents = {None: codes}
    for entry in entries:
        code = _sub(
            parents[entry.parent_key],
            "Code",
            guid=entry.guid,
            name=default_language_label(entry, study.language),
            isCodable="true",
            color=entry.colour.upper(),
        )
        _sub(code, "Description", _description(entry, study.language))
        for note_guid in theme_notes.get(themes[entry.key].id, []):
            _sub(code, "NoteRef", targetGUID=note_guid)
        parents[entry.key] = code


def _cases(root, participants: list[Participant], sources: list[dict], guids: Guids) -> None:
    if not participants:
        return
    names = sorted({name for p in participants for name in (p.attributes or {})})
    kinds = {
        name: _variable_type(
            [p.attributes[name] for p in participants if name in (p.attributes or {})]
        )
        for name in names
    }
    if names:
        variables = _sub(root, "Variables")
        for name in names:
            _sub(
                variables,
                "Variable",
                guid=guids("variable", name),
                name=name,
                typeOfVariable=kinds[name],
            )
    cases = _sub(root, "Cases")
    for participant in participants:
        case = _sub(
            cases, "Case", guid=guids("participant", participant.id), name=participant.pseudonym
        )
        for name, value in sorted((participant.attributes or {}).items()):
            variable_value = _sub(case, "VariableValue")
            _sub(variable_value, "VariableRef", targetGUID=guids("variable", name))
            _value(variable_value, kinds[name], value)
        spoken = [s for s in sources if participant.id in s["speakers"]]
        for source in spoken:
            _sub(case, "SourceRef", targetGUID=source["guid"])
        for source in spoken:
            for selection_guid in source["speakers"][participant.id]:
                _sub(case, "SelectionRef", targetGUID=selection_guid)


def _variable_type(values: list) -> str:
    if values and all(isinstance(v, bool) for v in values):
        return "Boolean"
    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "Integer"
    if values and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return "Float"
    return "Text"


def _value(parent: etree._Element, kind: str, value) -> None:
    if kind == "Boolean":
        _sub(parent, "BooleanValue", "true" if value else "false")
    elif kind == "Integer":
        _sub(parent, "IntegerValue", str(value))
    elif kind == "Float":
        _sub(parent, "FloatValue", format(value, "f"))
    else:
        _sub(parent, "TextValue", value if isinstance(value, str) else str(value))


def _statement_notes(study: Study, guids: Guids, notes: list, redact) -> dict:
    """Add the syntheses' current statements with their validation state as Notes."""
    where = {"study": [], "themes": {}}
    syntheses = db.session.execute(
        db.select(Synthesis).filter_by(study_id=study.id).order_by(Synthesis.id)
    ).scalars()
    for synthesis in syntheses:
        for statement in synthesis.statements:
            if statement.archived_at is not None or not statement.versions:
                continue
            validation = statement_validation(statement)
            lines = [redact(statement.current.text), "", f"[magwb] kind={statement.kind.value}"]
            if statement.level is not None:
                lines.append(f"[magwb] level={statement.level.value}")
            if statement.group_label:
                lines.append(f"[magwb] group={redact(statement.group_label)}")
            lines.append(f"[magwb] validation={validation.state.value}")
            if validation.counts:
                counts = ", ".join(f"{k} {v}" for k, v in validation.counts.items())
                lines.append(f"[magwb] answers={counts}")
            if validation.revised:
                lines.append("[magwb] revised_after_validation=true")
            if synthesis.group_session_id is not None:
                # Not a NoteRef on the TextSource: QualCoder takes those for annotations
                # with a position, and drops a note without one.
                session_guid = guids("group_session", synthesis.group_session_id)
                lines.append(f"[magwb] session={session_guid}")
            guid = guids("statement", statement.id)
            # Unique: QualCoder crashes on a second journal of the same name (randint bug).
            name = f"{statement.kind.value} {statement.id}: {validation.state.value}"
            created = timestamp(statement.current.created_at)
            notes.append((guid, name, "\n".join(lines), created))
            if synthesis.group_session_id is None:
                where["study"].append(guid)
            for theme in statement.themes:
                where["themes"].setdefault(theme.id, []).append(guid)
    return where


def _check_valid(xml: bytes) -> None:
    """Refuse to hand out a project.qde that breaks the schema (a bug here, never the data)."""
    schema = project_schema()
    document = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    if not schema.validate(document):
        raise RuntimeError(f"The .qdpx export breaks Project.xsd: {schema.error_log[0]}")


def _zip(xml: bytes, files: list[tuple[str, str]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in [(PROJECT_MEMBER, xml), *((n, t.encode()) for n, t in files)]:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()

"""What each kind of finding points into: one text per row, and where that row lives.

Every source of `fields.SOURCES` with a finding type is scanned as one text per row: its
fields joined by line breaks, in the order the source lists them (then the strings of its
JSON fields). A finding's offsets count in that text; the review queue shows the words
around it from the same text and names the field they fall in. Statements and story
proposals keep the texts they always had (offsets of stored findings must not move).
"""

from __future__ import annotations

from app.models import GroupSession, Study
from app.platform.extensions import db
from app.privacy.fields import SOURCES, Source

# The source each kind of finding is about: its model and its fields.
SOURCE_OF: dict[str, Source] = {source.finding: source for source in SOURCES if source.finding}


def _json_strings(value) -> list[str]:
    """Return the strings of a JSON list, or of a dict in key order (offsets stay put)."""
    if isinstance(value, dict):
        value = [value[key] for key in sorted(value)]
    return [item for item in value or () if isinstance(item, str)]


def row_parts(source: Source, row) -> list[tuple[str, str]]:
    """Return (field, text) for each part of a row's scanned text, in order."""
    parts = [(name, getattr(row, name) or "") for name in source.fields]
    for name in source.json_fields:
        parts += [(name, item) for item in _json_strings(getattr(row, name))]
    return parts


def statement_text(version) -> str:
    """The text a statement's findings point into: newest text, positions, heading, note."""
    parts = (version.text, version.positions, version.statement.group_label, version.note)
    return "\n".join(part for part in parts if part)


def narrative_text(narrative) -> str:
    """The text a story proposal's findings point into: its title, then its summary."""
    return "\n".join(part for part in (narrative.title, narrative.summary) if part)


def finding_text(kind: str, row) -> str:
    """Return the text of a row that findings of `kind` count their offsets in."""
    if kind == "statement":
        return statement_text(row.current) if row.versions else ""
    if kind == "narrative":
        return narrative_text(row)
    return "\n".join(text for _name, text in row_parts(SOURCE_OF[kind], row))


def field_at(kind: str, row, offset: int) -> str:
    """Return the field of a row a finding's offset falls in ("" for statements, stories)."""
    if kind in ("statement", "narrative"):
        return ""
    position = 0
    for name, text in row_parts(SOURCE_OF[kind], row):
        if offset <= position + len(text):
            return name
        position += len(text) + 1
    return ""


def _round_session(round_) -> GroupSession | None:
    return round_.synthesis.group_session


# kind -> the row's (study id, session or None for rows outside any session)
_WHERE = {
    "passage": lambda row: (row.group_session.study_id, row.group_session),
    "speaker_label": lambda row: (row.group_session.study_id, row.group_session),
    "coding": lambda row: (row.passage.group_session.study_id, row.passage.group_session),
    "narrative": lambda row: (row.group_session.study_id, row.group_session),
    "statement": lambda row: (row.synthesis.study_id, row.synthesis.group_session),
    "statement_answer": lambda row: (row.link.round.study_id, _round_session(row.link.round)),
    "quote_decision": lambda row: (row.link.round.study_id, _round_session(row.link.round)),
    "incident": lambda row: (row.study_id, None),
    "group_session": lambda row: (row.study_id, row),
    "validation_round": lambda row: (row.study_id, _round_session(row)),
    "grouping": lambda row: (row.study_id, None),
    "consent": lambda row: (row.participant.study_id, None),
    "study": lambda row: (row.id, None),
}


def where(kind: str, row) -> tuple[int, GroupSession | None, str]:
    """Return a row's study id, its session (None outside sessions) and its language."""
    study_id, session = _WHERE[kind](row)
    language = session.language if session else db.session.get(Study, study_id).language
    return study_id, session, language


def finding_row(kind: str, object_id: int):
    """Return the row a finding of `kind` is about, or None (gone, or an unknown kind)."""
    source = SOURCE_OF.get(kind)
    return db.session.get(source.model, object_id) if source else None

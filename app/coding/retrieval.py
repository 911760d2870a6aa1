"""Coded-segment retrieval and full-text search, the same on SQLite and PostgreSQL.

Search terms are the runs of letters and digits of the query, lower-cased;
a passage matches when it contains every term as a whole word. SQLite answers
from the FTS5 index (unicode61 tokenizer), PostgreSQL from a GIN index over
`to_tsvector('simple', ...)` of the text with the characters its parser would
glue into e-mail, URL or hyphenated tokens turned into spaces, so both split
"jan@ocmw.be" and "post-it" into the same words.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Row, case, text
from sqlalchemy.orm import selectinload

from app.models import Coding, GroupSession, Participant, Passage, Theme, User
from app.platform.extensions import db

_TERM = re.compile(r"[^\W_]+")


def words(text: str) -> list[str]:
    """Split text into search words: runs of letters and decimal digits, lower-cased, NFC.

    Other characters (punctuation, symbols, "½", emoji) separate words, on both
    databases; the same rule defines what the indexes may match.
    """
    text = unicodedata.normalize("NFC", text).lower()
    cleaned = "".join(ch if ch.isalpha() or ch.isdecimal() else " " for ch in text)
    return _TERM.findall(cleaned)


PG_DOCUMENT = "to_tsvector('simple', translate(passage.text, '@./:-_', '      '))"
MAX_TERMS = 20


def search_terms(query: str | None) -> list[str]:
    """Return the words of a search query, lower-cased (at most 20)."""
    return words(query or "")[:MAX_TERMS]


def matching_passages(study_id: int, terms: list[str]):
    """Return a select of ids of the study's passages containing every term."""
    query = db.select(Passage.id).join(GroupSession).where(GroupSession.study_id == study_id)
    if db.engine.dialect.name == "sqlite":
        match = " ".join(f'"{term}"' for term in terms)  # terms hold no quotes
        hits = text("SELECT rowid FROM passage_fts WHERE passage_fts MATCH :match")
        return query.where(Passage.id.in_(hits.bindparams(match=match)))
    # The query in a subquery: the planner cannot see the words, so it takes the GIN index
    # (about 0.005 of the rows, its default guess). Seeing a common word it scanned the
    # table instead, computing to_tsvector for every passage: 16 ms for 200 passages,
    # twice a page, against 0.3 ms (issue 16).
    return query.where(
        text(f"{PG_DOCUMENT} @@ (SELECT to_tsquery('simple', :tsquery))").bindparams(
            tsquery=" & ".join(terms)
        )
    )


@dataclass(frozen=True)
class SegmentFilters:
    """What the retrieval page filters on; None means 'any'."""

    theme_ids: frozenset[int] | None = None  # a theme and its children
    session_id: int | None = None
    phase: int | None = None
    attribute: tuple[str, str] | None = None  # (name, value), e.g. ("organisation_type", "CPAS")
    coder_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    terms: tuple[str, ...] = ()
    with_theme_ids: frozenset[int] | None = None  # passages also coded with one of these


def _passage_filters(query, study_id: int, filters: SegmentFilters):
    query = query.where(GroupSession.study_id == study_id)
    if filters.session_id is not None:
        query = query.where(GroupSession.id == filters.session_id)
    if filters.phase is not None:
        query = query.where(Passage.phase == filters.phase)
    if filters.attribute is not None:
        name, value = filters.attribute
        matching = [
            p.id
            for p in db.session.execute(
                db.select(Participant).filter_by(study_id=study_id)
            ).scalars()
            if str(p.attributes.get(name, "")) == value
        ]
        query = query.where(Passage.participant_id.in_(matching))
    if filters.terms:
        query = query.where(Passage.id.in_(matching_passages(study_id, list(filters.terms))))
    return query


def _segment_filters(query, study_id: int, filters: SegmentFilters):
    """Apply the filters to a select of codings joined with their passage and session."""
    query = _passage_filters(query, study_id, filters)
    if filters.theme_ids is not None:
        query = query.where(Coding.theme_id.in_(filters.theme_ids))
    if filters.coder_id is not None:
        query = query.where(Coding.coder_id == filters.coder_id)
    if filters.with_theme_ids is not None:
        also = db.select(Coding.passage_id).where(Coding.theme_id.in_(filters.with_theme_ids))
        query = query.where(Coding.passage_id.in_(also))
    if filters.date_from is not None:
        query = query.where(Coding.created_at >= datetime.combine(filters.date_from, time.min))
    if filters.date_to is not None and filters.date_to < date.max:
        end = datetime.combine(filters.date_to + timedelta(days=1), time.min)
        query = query.where(Coding.created_at < end)
    return query.order_by(
        GroupSession.number, Passage.phase, Passage.position, Coding.start_offset, Coding.id
    )


def coded_segments(study_id: int, filters: SegmentFilters, limit: int = 500) -> list[Coding]:
    """Return the study's codings matching the filters, in transcript order."""
    query = db.select(Coding).join(Theme).join(Passage).join(GroupSession)
    query = _segment_filters(query, study_id, filters)
    # Exports show each segment's passage, session, speaker, theme and coder: load them
    # in a few queries rather than several per segment.
    query = query.options(
        selectinload(Coding.passage).selectinload(Passage.group_session),
        selectinload(Coding.passage).selectinload(Passage.participant),
        selectinload(Coding.theme),
        selectinload(Coding.coder),
    )
    return list(db.session.execute(query.limit(limit)).scalars())


def _speaker():
    """The passage's speaker as the pages name it: the pseudonym, or the facilitator label."""
    return case(
        (Passage.participant_id.is_not(None), Participant.pseudonym), else_=Passage.speaker_label
    ).label("speaker")


def segment_rows(study_id: int, filters: SegmentFilters, limit: int = 500) -> list[Row]:
    """Return what the retrieval page shows of the matching codings, as plain rows.

    The same segments as `coded_segments`, in one query of tuples: the page listed up
    to 500 codings, each with four related objects to hydrate.
    """
    query = (
        db.select(
            Coding.id,
            Coding.theme_id,
            Coding.start_offset.label("start"),
            Coding.end_offset.label("end"),
            Coding.memo,
            User.display_name.label("coder"),
            Passage.id.label("passage_id"),
            Passage.phase,
            Passage.text,
            _speaker(),
            Passage.participant_id,
            GroupSession.id.label("session_id"),
            GroupSession.language,
        )
        .join(Theme, Coding.theme_id == Theme.id)
        .join(Passage, Coding.passage_id == Passage.id)
        .join(GroupSession, Passage.group_session_id == GroupSession.id)
        .outerjoin(Participant, Passage.participant_id == Participant.id)
        .outerjoin(User, Coding.coder_id == User.id)
    )
    return db.session.execute(_segment_filters(query, study_id, filters).limit(limit)).all()


def found_passages(study_id: int, filters: SegmentFilters, limit: int = 200) -> list[Row]:
    """Return passages matching the search terms and the passage filters, as plain rows."""
    query = (
        db.select(
            Passage.id,
            Passage.phase,
            Passage.text,
            _speaker(),
            GroupSession.id.label("session_id"),
            GroupSession.language,
        )
        .join(GroupSession, Passage.group_session_id == GroupSession.id)
        .outerjoin(Participant, Passage.participant_id == Participant.id)
        .order_by(GroupSession.number, Passage.phase, Passage.position)
    )
    return db.session.execute(_passage_filters(query, study_id, filters).limit(limit)).all()


def participant_attributes(study_id: int) -> dict[int, dict]:
    """Return the attributes of each of the study's participants, by participant id."""
    query = db.select(Participant.id, Participant.attributes).filter_by(study_id=study_id)
    return {id_: attributes or {} for id_, attributes in db.session.execute(query)}


def attribute_values(
    study_id: int, attributes: dict[int, dict] | None = None
) -> dict[str, list[str]]:
    """Return each participant attribute with the values used in the study.

    `attributes` is what `participant_attributes` returned, when the caller has it.
    """
    if attributes is None:
        attributes = participant_attributes(study_id)
    values: dict[str, set[str]] = {}
    for one in attributes.values():
        for name, value in one.items():
            values.setdefault(name, set()).add(str(value))
    return {name: sorted(found) for name, found in sorted(values.items())}

"""Every stored text field that can hold personal data: the one list privacy work reads.

Replacing a finding, erasing a participant and scanning a study all walk `SOURCES`, so a
field added here is covered by all three at once. A test checks that every text or JSON
column of every model is either listed here or in `NOT_PERSONAL` with the reason, so a
new column cannot be forgotten either.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import Select, true

from analysis.pii import is_ordinary_word
from app.models import (
    Coding,
    Consent,
    Grouping,
    GroupSession,
    IncidentSheet,
    Narrative,
    Participant,
    Passage,
    PassageRevision,
    QuoteDecision,
    Statement,
    StatementAnswer,
    StatementVersion,
    Study,
    Synthesis,
    ValidationLink,
    ValidationRound,
)
from app.platform.extensions import db


class _WholeStudy:
    def __repr__(self) -> str:
        return "WHOLE_STUDY"


# Reach of a walk: one session's id, None for the transversal synthesis, or the whole study.
WHOLE_STUDY = _WholeStudy()


def _in_session(column, session):
    """Limit rows to one session (None: the transversal synthesis), or not at all."""
    if session is WHOLE_STUDY:
        return true()
    return column.is_(None) if session is None else column == session


@dataclass(frozen=True)
class Source:
    """One kind of stored row and its free-text fields."""

    model: type
    fields: tuple[str, ...]
    # (study_id, session) -> SELECT of the rows. Rows not tied to a session (incident
    # sheets, groupings, consent notes, the study) are returned for every session: a name
    # found anywhere is replaced everywhere they are.
    rows: Callable[[int, object], Select]
    # JSON columns holding a list of strings or a dict of strings.
    json_fields: tuple[str, ...] = ()
    # The object_type its rows are scanned and queued as (PiiFinding); "" only for history
    # (`HISTORY`): its current text is scanned, and replacing a finding rewrites it too.
    finding: str = ""

    def select(self, study_id: int, session=WHOLE_STUDY) -> Select:
        """Return the SELECT of this source's rows in a study (or one session of it)."""
        return self.rows(study_id, session)


def _passages(model):
    def rows(study_id, session):
        query = db.select(model)
        if model is not Passage:
            query = query.join(Passage)
        return query.join(GroupSession, Passage.group_session_id == GroupSession.id).where(
            GroupSession.study_id == study_id, _in_session(Passage.group_session_id, session)
        )

    return rows


def _session_rows(model):
    def rows(study_id, session):
        return (
            db.select(model)
            .join(GroupSession, model.group_session_id == GroupSession.id)
            .where(GroupSession.study_id == study_id, _in_session(GroupSession.id, session))
        )

    return rows


def _syntheses(*path):
    """Rows reached from a synthesis through `path` (models joined in order)."""

    def rows(study_id, session):
        query = db.select(path[0])
        for model in path[1:]:
            query = query.join(model)
        return query.where(
            Synthesis.study_id == study_id, _in_session(Synthesis.group_session_id, session)
        )

    return rows


def _study_rows(model, column):
    def rows(study_id, _session):
        return db.select(model).where(column == study_id)

    return rows


def _group_sessions(study_id, session):
    return db.select(GroupSession).where(
        GroupSession.study_id == study_id, _in_session(GroupSession.id, session)
    )


def _consents(study_id, _session):
    return db.select(Consent).join(Participant).where(Participant.study_id == study_id)


def _rounds(study_id, session):
    return (
        db.select(ValidationRound)
        .join(Synthesis, ValidationRound.synthesis_id == Synthesis.id)
        .where(
            ValidationRound.study_id == study_id,
            _in_session(Synthesis.group_session_id, session),
        )
    )


def _round_answers(model):
    def rows(study_id, session):
        return (
            db.select(model)
            .join(ValidationLink, model.link_id == ValidationLink.id)
            .join(ValidationRound, ValidationLink.round_id == ValidationRound.id)
            .join(Synthesis, ValidationRound.synthesis_id == Synthesis.id)
            .where(
                ValidationRound.study_id == study_id,
                _in_session(Synthesis.group_session_id, session),
            )
        )

    return rows


# The passage's text comes first: codings hang on its offsets, so replace.py rewrites it
# through `reanchor` instead of setting it.
SOURCES: tuple[Source, ...] = (
    Source(Passage, ("text",), _passages(Passage), finding="passage"),
    Source(Passage, ("speaker_label",), _passages(Passage), finding="speaker_label"),
    Source(PassageRevision, ("text", "speaker"), _passages(PassageRevision)),
    Source(Coding, ("memo",), _passages(Coding), finding="coding"),
    Source(Narrative, ("title", "summary"), _session_rows(Narrative), finding="narrative"),
    Source(GroupSession, ("title", "place"), _group_sessions, finding="group_session"),
    Source(Statement, ("group_label",), _syntheses(Statement, Synthesis), finding="statement"),
    Source(
        StatementVersion,
        ("text", "positions", "note"),
        _syntheses(StatementVersion, Statement, Synthesis),
    ),
    Source(ValidationRound, ("title",), _rounds, finding="validation_round"),
    Source(
        StatementAnswer,
        ("comment",),
        _round_answers(StatementAnswer),
        finding="statement_answer",
    ),
    Source(QuoteDecision, ("rephrasing",), _round_answers(QuoteDecision), finding="quote_decision"),
    Source(
        IncidentSheet,
        ("procedure", "barriers", "narrative", "organisation", "channel"),
        _study_rows(IncidentSheet, IncidentSheet.study_id),
        finding="incident",
    ),
    Source(
        Grouping,
        ("label", "note"),
        _study_rows(Grouping, Grouping.study_id),
        json_fields=("labels", "terms"),
        finding="grouping",
    ),
    Source(Consent, ("note",), _consents, finding="consent"),
    Source(Study, ("title", "description"), _study_rows(Study, Study.id), finding="study"),
)

# Sources a scan does not read, and why: each holds earlier texts of a row that is scanned.
HISTORY: dict[type, str] = {
    PassageRevision: "earlier texts of a passage; replacing a finding rewrites them too",
    StatementVersion: "earlier versions; the statement finding reads the newest one whole",
}

# Text columns deliberately left out of SOURCES, and why.
NOT_PERSONAL: dict[str, str] = {
    "Participant.pseudonym": "erasure rewrites it itself",
    "Participant.pseudonym_key": "erasure rewrites it itself",
    "Participant.attributes": "erasure empties it",
    "KnownName.name": "the private list of real names; erasure removes the given names",
    "PiiFinding.text": "emptied when a finding is handled; erasure deletes the person's",
    "PiiFinding.object_type": "a table name",
    "PiiFinding.kind": "a kind of finding",
    "PiiFinding.status": "a status",
    "PiiFinding.resolution": "the kind of finding that closed it",
    "Theme.key": "the codebook: concepts, not people",
    "Theme.guid": "an identifier",
    "Theme.label_nl": "the codebook: concepts, not people",
    "Theme.label_fr": "the codebook: concepts, not people",
    "Theme.label_en": "the codebook: concepts, not people",
    "Theme.definition_nl": "the codebook: concepts, not people",
    "Theme.definition_fr": "the codebook: concepts, not people",
    "Theme.definition_en": "the codebook: concepts, not people",
    "Theme.colour": "a colour",
    "Theme.seed_terms": "the codebook: concepts, not people",
    "User.email": "the team's accounts, not participants",
    "User.display_name": "the team's accounts, not participants",
    "User.password_hash": "a hash",
    "User.locale": "a language code",
    "User.session_token": "a secret token",
    "LoginSession.token_hash": "a hash",
    "ApiToken.name": "the team's token names",
    "ApiToken.token_hash": "a hash",
    "ApiToken.prefix": "a token prefix",
    "AuditEvent.action": "an action name",
    "AuditEvent.object_type": "a table name",
    "AuditEvent.details": "ids and counts only, never text",
    "Job.kind": "a job kind",
    "Job.params": "ids only, never text",
    "Job.message": "progress and counts only",
    "Job.result": "ids and counts only",
    "Job.error": "error classes, never transcript text",
    "ImportDraft.batch": "an identifier",
    "ImportDraft.filename": "deleted with the draft when the import ends, or after a day",
    "PassageAnalysis.text_hash": "a hash",
    "PassageAnalysis.language": "a language code",
    "PassageAnalysis.prepared": "cached lemmas, dropped whenever the passage text changes",
    "Suggestion.regime": "a kind of suggestion",
    "Suggestion.evidence": "codebook terms with offsets and passage ids",
    "Suggestion.text_hash": "a hash",
    "Grouping.members": "passage ids",
    "Grouping.representatives": "passage ids",
    "Grouping.theme_overlap": "theme ids and shares",
    "GroupSession.language": "a language code",
    "GroupSession.seating": "participant ids",
    "Study.language": "a language code",
    "Study.demo_key": "an identifier",
    "Narrative.decided_by": "how the group chose",
    "Passage.client_key": "an identifier",
    "ValidationLink.nonce": "a secret token",
}


def covered_columns() -> set[str]:
    """Return "Model.column" for every field in SOURCES."""
    return {
        f"{source.model.__name__}.{name}"
        for source in SOURCES
        for name in (*source.fields, *source.json_fields)
    }


def _part(word: str) -> str:
    return "".join("['’]" if char in "'’" else re.escape(char) for char in word)


def name_key(name: str) -> str:
    """Return a name as `name_pattern` matches it: parts, case and apostrophes folded."""
    return " ".join(name.split()).casefold().replace("’", "'")


def is_ordinary_name(name: str) -> bool:
    """Return whether a name, every part of it, is also an ordinary nl/fr/en word in lower case.

    "Rose", "Marc", "Pierre", "Will", "Roos" (and "De Rose", each part a word) are; "Sanne",
    "Sarah" and "Rose Janssens" are not (`analysis.pii.is_ordinary_word`).
    """
    parts = name.split()
    return bool(parts) and all(map(is_ordinary_word, parts))


def _capitalised(part: str) -> str | None:
    """Return a pattern of `part` with a capital initial, the rest in any case ("Rose", "ROSE")."""
    first = part[0]
    if len(first.upper()) != 1 or first.upper() == first.lower():
        return None  # nothing to tell a name by
    return re.escape(first.upper()) + (f"(?i:{_part(part[1:])})" if part[1:] else "")


def _alternative(name: str, ignore_case: bool) -> str:
    """Return the pattern of one name: as typed, in any case, or as a name if it is a word."""
    if not ignore_case:
        return r"\s+".join(map(_part, name.split()))
    parts = [f"(?i:{_part(part)})" for part in name.split()]
    forms = []
    if is_ordinary_name(name):  # "the rent rose" keeps its word: a capital marks the name
        for i, part in enumerate(name.split()):
            if (capital := _capitalised(part)) is not None:
                forms.append(r"\s+".join([*parts[:i], capital, *parts[i + 1 :]]))
    return "|".join(forms) if forms else r"\s+".join(parts)


def name_pattern(words: Iterable[str], *, ignore_case: bool = False) -> re.Pattern | None:
    """Return a pattern matching any of the words as a whole name, longest first, or None.

    A name is whole when no letter, digit or hyphenated part touches it: "Ann" matches in
    "d'Ann", "Ann's" and "(Ann)", never inside "Annick" or "Ann-Marie", while "Ann-Marie"
    matches whole. Accents count as typed. `ignore_case` folds case (Unicode-aware), except
    for a name that is also an ordinary word (`is_ordinary_name`): "Rose" then matches
    "Rose" and "ROSE" (of a name of several parts, any part with a capital initial) but not
    "the rent rose", so erasing or scrubbing a name never destroys a word; "sanne" still
    names Sanne. The pattern carries its own case flags: it can be embedded in another.
    """
    wanted = sorted({" ".join(w.split()) for w in words if w.strip()}, key=lambda w: (-len(w), w))
    if not wanted:
        return None
    # Any run of spaces or a line break between the parts of a name still matches, and a
    # straight apostrophe matches a typographic one ("O'Brien", "O’Brien").
    alternatives = "|".join(_alternative(word, ignore_case) for word in wanted)
    return re.compile(rf"(?<!\w)(?<!\w-)(?:{alternatives})(?!\w)(?!-\w)")

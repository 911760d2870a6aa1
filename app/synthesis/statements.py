"""The synthesis editor: statements of a session's analysis or of the transversal analysis.

Statements are versioned (`StatementVersion`): saving a changed text adds a
version and never overwrites one, so the history is complete and what a
validation round showed stays readable. An edit made from an older version
than the current one is refused with both texts shown (409), never merged
silently.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from app.accounts.audit import record
from app.models import (
    Coding,
    Passage,
    ProposalLevel,
    Statement,
    StatementKind,
    StatementLink,
    StatementVersion,
    Synthesis,
    Theme,
)
from app.platform.extensions import db
from app.platform.forms import ValidationError, as_id, as_number, clean_long_text, clean_text
from app.platform.i18n import collation_key
from app.privacy.scan import scan_statement

KIND_NAMES = {
    StatementKind.SUMMARY: _l("Summary of the story"),
    StatementKind.INTERPRETATION: _l("Interpretations"),
    StatementKind.CONVERGENCE: _l("Convergences"),
    StatementKind.DIVERGENCE: _l("Divergences"),
    StatementKind.TENSION: _l("Tensions"),
    StatementKind.HYPOTHESIS: _l("Hypotheses"),
    StatementKind.PROPOSAL: _l("Practical proposals"),
    StatementKind.EVALUATION: _l("Evaluation notes"),
}
LEVEL_NAMES = {
    ProposalLevel.PRACTICE: _l("practice"),
    ProposalLevel.ORGANISATION: _l("organisation"),
    ProposalLevel.POLICY: _l("policy"),
}


# --- services -------------------------------------------------------------


def synthesis_for(study_id: int, group_session_id: int | None, *, create: bool) -> Synthesis | None:
    """Return the synthesis of a session (or the transversal one), creating it on demand."""
    synthesis = db.session.execute(
        db.select(Synthesis).filter_by(study_id=study_id, group_session_id=group_session_id)
    ).scalar_one_or_none()
    if synthesis is None and create:
        try:
            with db.session.begin_nested():  # another request may create it at the same time
                synthesis = Synthesis(study_id=study_id, group_session_id=group_session_id)
                db.session.add(synthesis)
        except IntegrityError:
            synthesis = db.session.execute(
                db.select(Synthesis).filter_by(study_id=study_id, group_session_id=group_session_id)
            ).scalar_one()
    return synthesis


def _kind(value) -> StatementKind:
    try:
        return StatementKind(value)
    except ValueError:
        raise ValidationError(_l("Choose the kind of statement."), "kind") from None


def _level(kind: StatementKind, value) -> ProposalLevel | None:
    if kind != StatementKind.PROPOSAL:
        return None
    try:
        return ProposalLevel(value)
    except ValueError:
        raise ValidationError(
            _l("Choose the level of the proposal: practice, organisation or policy."), "level"
        ) from None


def _themes(study_id: int, values: list[str]) -> list[Theme]:
    ids = {as_id(value) for value in values} - {None}
    if not ids:
        return []
    themes = db.session.execute(db.select(Theme).where(Theme.id.in_(ids))).scalars().all()
    if len(themes) != len(ids) or any(theme.study_id != study_id for theme in themes):
        raise ValidationError(_l("Choose themes of this study."), "themes")
    return list(themes)


def add_version(statement: Statement, text: str, positions: str, note: str, *, user_id) -> bool:
    """Add a version when the text or positions changed; return whether one was added."""
    if statement.versions:
        current = statement.current
        if current.text == text and current.positions == positions:
            return False
        number = current.number + 1
    else:
        number = 1
    version = StatementVersion(
        statement=statement,
        number=number,
        text=text,
        positions=positions,
        note=note,
        author_id=user_id,
    )
    db.session.add(version)
    db.session.flush()
    scan_statement(version)
    return True


@dataclass(frozen=True)
class StatementDraft:
    """What a facilitator submitted for a statement, before it is stored."""

    kind: StatementKind
    level: ProposalLevel | None
    group_label: str
    themes: tuple[Theme, ...]
    text: str
    positions: str


def _draft(synthesis: Synthesis, form) -> StatementDraft:
    kind = _kind(form.get("kind"))
    text = clean_long_text(form.get("text"), "text", max_length=10_000)
    if not text.strip():
        raise ValidationError(_l("Write the statement."), "text")
    return StatementDraft(
        kind=kind,
        level=_level(kind, form.get("level")),
        group_label=clean_text(
            form.get("group_label"), "group_label", max_length=200, required=False
        ),
        themes=tuple(_themes(synthesis.study_id, form.getlist("themes"))),
        text=text,
        positions=clean_long_text(form.get("positions"), "positions", max_length=5_000),
    )


def _state(statement: Statement) -> tuple:
    return (
        statement.kind,
        statement.level,
        statement.group_label,
        frozenset(theme.id for theme in statement.themes),
    )


def save_statement(
    synthesis: Synthesis, form, *, user_id: int, statement: Statement | None = None
) -> Statement:
    """Create a statement or save changes to one (a changed text becomes a new version).

    An edit must name the revision it was drawn from (`base_version`); any other
    current revision raises EditConflict, whatever field changed since.
    """
    draft = _draft(synthesis, form)
    note = clean_text(form.get("note"), "note", max_length=500, required=False)
    if statement is None:
        position = len(synthesis.statements) + 1
        statement = Statement(synthesis=synthesis, kind=draft.kind, position=position)
        db.session.add(statement)
        action, before = "statement.create", None
    else:
        # Lock the statement so two saves from the same revision cannot both pass the check
        # (PostgreSQL; SQLite serialises writers anyway), then compare with what is stored now.
        db.session.execute(
            db.select(Statement.id).where(Statement.id == statement.id).with_for_update()
        )
        db.session.refresh(statement)
        db.session.expire(statement, ["versions", "themes"])
        base = as_number(form.get("base_version"), default=-1)
        if base != statement.revision:
            raise EditConflict(statement, draft)
        action, before = "statement.edit", _state(statement)
    statement.kind = draft.kind
    statement.level = draft.level
    statement.group_label = draft.group_label
    statement.themes = list(draft.themes)
    db.session.flush()
    added = add_version(statement, draft.text, draft.positions, note, user_id=user_id)
    if before is not None and (added or before != _state(statement)):
        statement.revision = statement.revision + 1
        db.session.flush()
    record(
        action,
        statement,
        user_id=user_id,
        study_id=synthesis.study_id,
        details={
            "version": statement.current.number,
            "new_version": added,
            "revision": statement.revision,
        },
    )
    return statement


class EditConflict(Exception):
    """Someone saved the statement while this edit was being written."""

    def __init__(self, statement: Statement, draft: StatementDraft) -> None:
        super().__init__("stale statement revision")
        self.statement, self.draft = statement, draft
        self.text, self.positions = draft.text, draft.positions


def link_passage(statement: Statement, passage: Passage, coding: Coding | None, *, user_id):
    """Link a passage (or one coding of it) to a statement as a supporting quote."""
    exists = db.session.execute(
        db.select(StatementLink.id).filter_by(
            statement_id=statement.id,
            passage_id=passage.id,
            coding_id=coding.id if coding else None,
        )
    ).first()
    if exists:
        return
    link = StatementLink(statement=statement, passage=passage, coding=coding)
    db.session.add(link)
    db.session.flush()
    record(
        "statement.link",
        statement,
        user_id=user_id,
        study_id=statement.synthesis.study_id,
        details={"passage": passage.id, "coding": coding.id if coding else None},
    )


def statements_by_kind(synthesis: Synthesis | None, *, archived: bool = False) -> list:
    """Return [(kind, [statements])] in the method's order, skipping empty kinds."""
    if synthesis is None:
        return []
    groups = []
    for kind in StatementKind:
        members = [
            s
            for s in synthesis.statements
            if s.kind == kind and (s.archived_at is not None) == archived
        ]
        if members:
            groups.append((kind, members))
    return groups


def group_participants(synthesis: Synthesis) -> list:
    """Return the participants a synthesis belongs to: its session's group, or everyone.

    Erased participants and those who withdrew their participation are left out.
    """
    from app.models import Participant
    from app.synthesis.links import participant_barred

    query = db.select(Participant).where(
        Participant.study_id == synthesis.study_id, Participant.erased_at.is_(None)
    )
    if synthesis.group_session_id is not None:
        group_session = synthesis.group_session
        speakers = db.select(Passage.participant_id).where(
            Passage.group_session_id == group_session.id, Passage.participant_id.is_not(None)
        )
        seated = [pid for pid in group_session.seating if isinstance(pid, int)]
        query = query.where(Participant.id.in_(speakers) | Participant.id.in_(seated))
    found = db.session.execute(query).scalars()
    kept = [participant for participant in found if not participant_barred(participant)]
    return sorted(kept, key=lambda p: collation_key(p.pseudonym))


# --- views ----------------------------------------------------------------

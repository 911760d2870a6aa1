"""The validation state of a statement: what reports say about it.

The newest validation round that put the statement to the group decides:
- "not_submitted": no round has included it;
- "pending": the round is still open (however many answered: a few early
  answers are not the group's validation);
- "no_answers": the round closed (or expired) and nobody answered;
- once the round closed or expired:
  - "contested": at least one participant disagrees (their comments are the
    stated disagreement);
  - "validated_with_nuances": nobody disagrees, someone nuanced it;
  - "validated": everyone who answered agrees.
`answered` of `invited` says how many of the round's participants answered;
pages and reports print it next to the state.
`revised` is true when the statement's text changed after that round, so a
report can say the validated wording is not the current one.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from app.models import (
    Participant,
    RoundStatement,
    Statement,
    StatementAnswer,
    ValidationRound,
    Verdict,
)
from app.models.base import utcnow
from app.platform.extensions import db


class ValidationState(enum.StrEnum):
    """Outcome of the newest round that included a statement."""

    NOT_SUBMITTED = "not_submitted"
    PENDING = "pending"
    NO_ANSWERS = "no_answers"
    VALIDATED = "validated"
    NUANCED = "validated_with_nuances"
    CONTESTED = "contested"


@dataclass
class StatementValidation:
    """A statement's state, the answer counts and the comments behind nuances and disagreements."""

    state: ValidationState
    round_id: int | None = None
    revised: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    answered: int = 0
    invited: int = 0
    # (author, comment) of every nuance and disagreement, for what leaves the tool
    # to filter by the author's consent (`quotations.exportable_comments`).
    nuance_comments: list[tuple[Participant, str]] = field(default_factory=list)
    disagreement_comments: list[tuple[Participant, str]] = field(default_factory=list)
    # Comments only, never who wrote them: pages state disagreements, not names.
    nuances: list[str] = field(default_factory=list)
    disagreements: list[str] = field(default_factory=list)


def round_is_open(round_: ValidationRound) -> bool:
    """Return whether participants can still answer: not closed and not expired."""
    if round_.closed_at is not None:
        return False
    expires = round_.expires_at
    if expires.tzinfo is None:  # SQLite returns naive UTC datetimes
        expires = expires.replace(tzinfo=utcnow().tzinfo)
    return expires > utcnow()


def statement_validation(statement: Statement) -> StatementValidation:
    """Return the validation state of `statement` from its newest round."""
    item = db.session.execute(
        db.select(RoundStatement)
        .join(ValidationRound, RoundStatement.round_id == ValidationRound.id)
        .where(RoundStatement.statement_id == statement.id)
        .order_by(ValidationRound.opened_at.desc(), ValidationRound.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if item is None:
        return StatementValidation(ValidationState.NOT_SUBMITTED)
    answers = (
        db.session.execute(
            db.select(StatementAnswer)
            .join(StatementAnswer.link)
            .where(
                StatementAnswer.statement_id == statement.id,
                StatementAnswer.link.has(round_id=item.round_id),
            )
            .order_by(StatementAnswer.id)
        )
        .scalars()
        .all()
    )
    result = StatementValidation(
        ValidationState.PENDING,
        round_id=item.round_id,
        revised=bool(statement.versions) and item.version_id != statement.current.id,
        counts={verdict.value: 0 for verdict in Verdict},
    )
    round_ = db.session.get(ValidationRound, item.round_id)
    result.invited = len(round_.links)
    result.answered = len({answer.link_id for answer in answers})
    for answer in answers:
        result.counts[answer.verdict.value] += 1
        comment = answer.comment.strip()
        author = answer.link.participant
        if answer.verdict == Verdict.DISAGREE and comment:
            result.disagreements.append(comment)
            result.disagreement_comments.append((author, comment))
        elif answer.verdict == Verdict.NUANCE and comment:
            result.nuances.append(comment)
            result.nuance_comments.append((author, comment))
    if round_is_open(round_):
        return result
    if not answers:
        result.state = ValidationState.NO_ANSWERS
        return result
    if result.counts[Verdict.DISAGREE]:
        result.state = ValidationState.CONTESTED
    elif result.counts[Verdict.NUANCE]:
        result.state = ValidationState.NUANCED
    else:
        result.state = ValidationState.VALIDATED
    return result

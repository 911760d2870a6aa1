"""The validation state of a statement: what reports say about it.

The newest validation round that put the statement to the group decides:
- "not_submitted": no round has included it;
- "pending": in a round, no answer yet;
- "contested": at least one participant disagrees (their comments are the
  stated disagreement);
- "validated_with_nuances": nobody disagrees, someone nuanced it;
- "validated": everyone who answered agrees.
`revised` is true when the statement's text changed after that round, so a
report can say the validated wording is not the current one.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from app.models import RoundStatement, Statement, StatementAnswer, ValidationRound, Verdict
from app.platform.extensions import db


class ValidationState(enum.StrEnum):
    """Outcome of the newest round that included a statement."""

    NOT_SUBMITTED = "not_submitted"
    PENDING = "pending"
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
    # Comments only, never who wrote them: reports state disagreements, not names.
    nuances: list[str] = field(default_factory=list)
    disagreements: list[str] = field(default_factory=list)


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
    for answer in answers:
        result.counts[answer.verdict.value] += 1
        comment = answer.comment.strip()
        if answer.verdict == Verdict.DISAGREE and comment:
            result.disagreements.append(comment)
        elif answer.verdict == Verdict.NUANCE and comment:
            result.nuances.append(comment)
    if not answers:
        return result
    if result.counts[Verdict.DISAGREE]:
        result.state = ValidationState.CONTESTED
    elif result.counts[Verdict.NUANCE]:
        result.state = ValidationState.NUANCED
    else:
        result.state = ValidationState.VALIDATED
    return result

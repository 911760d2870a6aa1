"""The order, numbers and round state of a report's synthesis statements.

Statements follow the method (DOMAIN.md): per synthesis (each session's, then the
transversal one), by the phase their kind comes from, proposals by level, and
interpretations kept under the heading the facilitators grouped them by.
"""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import func

from app.exchange.reports.data import RoundInfo, StatementItem
from app.models import Statement, StatementKind, ValidationLink, ValidationRound
from app.models.base import utcnow
from app.platform.extensions import db

# Statement kinds in the order of the method's phases (DOMAIN.md): the story summary (3),
# interpretations (5, 7), the analysis (8), hypotheses (9), proposals (10), evaluation (11).
MAG_ORDER = (
    StatementKind.SUMMARY,
    StatementKind.INTERPRETATION,
    StatementKind.CONVERGENCE,
    StatementKind.DIVERGENCE,
    StatementKind.TENSION,
    StatementKind.HYPOTHESIS,
    StatementKind.PROPOSAL,
    StatementKind.EVALUATION,
)
LEVEL_ORDER = ("practice", "organisation", "policy", None)


def in_mag_order(statements: list[Statement]) -> list[Statement]:
    """Sort by synthesis (sessions, then the transversal one), kind, level, group, position."""
    kind_order = {kind: n for n, kind in enumerate(MAG_ORDER)}
    level_order = {level: n for n, level in enumerate(LEVEL_ORDER)}
    first_of_group: dict[tuple, int] = {}
    for statement in sorted(statements, key=lambda s: (s.position, s.id)):
        first_of_group.setdefault(
            (statement.synthesis_id, statement.group_label or ""), statement.position
        )

    def key(statement: Statement) -> tuple:
        session = statement.synthesis.group_session
        return (
            session is None,
            session.number if session else 0,
            kind_order.get(statement.kind, len(kind_order)),
            level_order[statement.level.value if statement.level else None],
            first_of_group[statement.synthesis_id, statement.group_label or ""],
            statement.position,
            statement.id,
        )

    return sorted(statements, key=key)


def next_number(shown: list[StatementItem], session_number: int | None) -> str:
    """Return the next statement number of a synthesis: "1.3", or "T.2" when transversal."""
    prefix = "T" if session_number is None else str(session_number)
    return f"{prefix}.{sum(1 for i in shown if i.session_number == session_number) + 1}"


def round_info(round_id: int | None, rounds: dict[int, RoundInfo]) -> RoundInfo | None:
    """Return who was asked in a round and whether it is still open (one query per round)."""
    if round_id is None:
        return None
    if round_id not in rounds:
        round_ = db.session.get(ValidationRound, round_id)
        invited = db.session.execute(
            db.select(func.count(ValidationLink.id)).filter_by(round_id=round_id)
        ).scalar_one()
        expires = round_.expires_at
        if expires.tzinfo is None:  # SQLite returns naive UTC datetimes
            expires = expires.replace(tzinfo=UTC)
        is_open = round_.closed_at is None and expires > utcnow()
        rounds[round_id] = RoundInfo(invited, is_open, expires.date() if is_open else None)
    return rounds[round_id]

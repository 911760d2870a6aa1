"""Right of access (GDPR art. 15): everything the study holds about one participant.

Others' names that may not leave (erased, withdrew) are `[…]` (art. 15(4)); the
requester's own pseudonym and words stay. Link tokens and nonces never appear: they
are secrets that would let whoever reads the download answer in the participant's name.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import selectinload

from app.models import (
    Narrative,
    Participant,
    Passage,
    QuoteDecision,
    RoundStatement,
    StatementAnswer,
    ValidationLink,
    ValidationRound,
)
from app.platform.extensions import db
from app.studies.redaction import Redactor


def participant_record(participant: Participant) -> dict:
    """Return everything the study holds about a participant (right of access)."""
    passages = (
        db.session.execute(
            db.select(Passage)
            .filter_by(participant_id=participant.id)
            .order_by(Passage.group_session_id, Passage.phase, Passage.position)
        )
        .scalars()
        .all()
    )
    narratives = (
        db.session.execute(
            db.select(Narrative).where(
                (Narrative.proposer_id == participant.id)
                | (Narrative.narrator_id == participant.id)
            )
        )
        .scalars()
        .all()
    )
    scrub = Redactor.for_study(participant.study_id, publication=False, requester=participant)
    return {
        "study": scrub(participant.study.title),
        "pseudonym": participant.pseudonym,
        "attributes": {
            k: scrub(v) if isinstance(v, str) else v for k, v in participant.attributes.items()
        },
        "consents": [
            {
                "scope": c.scope.value,
                "granted": c.granted,
                "date": c.given_on.isoformat(),
                "note": scrub(c.note),
            }
            for c in participant.consents
        ],
        "passages": [_passage_record(p, scrub) for p in passages],
        "narratives": [
            {
                "session": n.group_session.number,
                "title": scrub(n.title),
                "summary": scrub(n.summary),
                "chosen": n.is_chosen,
            }
            for n in narratives
        ],
        "validation": _validation_record(participant, scrub),
    }


def _passage_record(passage: Passage, scrub: Redactor) -> dict:
    """Return a passage of the requester, scrubbed, with codings whose offsets follow."""
    edit = scrub.edit(passage.text)
    codings = []
    for coding in passage.codings:
        start, end = edit.cover(coding.start_offset, coding.end_offset)
        codings.append(
            {
                "theme": coding.theme.key,
                "start": start,
                "end": end,
                "quote": edit.text[start:end],
                "memo": scrub(coding.memo),
            }
        )
    return {
        "session": passage.group_session.number,
        "phase": passage.phase,
        "text": edit.text,
        "codings": codings,
    }


def _validation_record(participant: Participant, scrub: Redactor) -> list[dict]:
    """Return, per round the participant had a link to, the link's dates and their answers."""
    links = (
        db.session.execute(
            db.select(ValidationLink)
            .filter_by(participant_id=participant.id)
            .join(ValidationLink.round)
            .order_by(ValidationRound.opened_at, ValidationLink.id)
            .options(
                selectinload(ValidationLink.round)
                .selectinload(ValidationRound.items)
                .selectinload(RoundStatement.version)
            )
        )
        .scalars()
        .all()
    )
    return [_link_record(link, scrub) for link in links]


def _link_record(link: ValidationLink, scrub: Redactor) -> dict:
    """Return one link's round, dates, answers and quote decisions; never its nonce or token."""
    validation_round = link.round
    put = {item.statement_id: item.version.text for item in validation_round.items}
    answers = db.session.execute(
        db.select(StatementAnswer).filter_by(link_id=link.id).order_by(StatementAnswer.id)
    ).scalars()
    decisions = db.session.execute(
        db.select(QuoteDecision).filter_by(link_id=link.id).order_by(QuoteDecision.id)
    ).scalars()
    session = validation_round.synthesis.group_session
    return {
        "round": {
            "title": scrub(validation_round.title),
            "session": session.number if session is not None else None,
            "opened": _iso(validation_round.opened_at),
            "expires": _iso(validation_round.expires_at),
            "closed": _iso(validation_round.closed_at),
        },
        "link": {
            "issued": _iso(link.created_at),
            "last_used": _iso(link.last_seen_at),
            "revoked": _iso(link.revoked_at),
        },
        "answers": [
            {
                "statement": scrub(put.get(a.statement_id, "")),
                "answer": a.verdict.value,
                "comment": scrub(a.comment),
                "date": _iso(a.updated_at),
            }
            for a in answers
        ],
        "quote_decisions": [
            {
                "quote": scrub(d.passage.text),
                "decision": d.choice.value,
                "rephrasing": scrub(d.rephrasing),
                "date": _iso(d.updated_at),
            }
            for d in decisions
        ],
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None

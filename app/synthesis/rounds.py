"""Validation rounds: facilitators open them, participants answer through personal links.

A participant's link is the only key to their page: no account, no password.
The token is `[link id, nonce]` signed with the application's secret key
(itsdangerous), so a guessed or altered token fails the signature and gets a
plain 404, and the nonce must still match the stored one, so a reissued link
makes the old URL useless. A revoked link, an expired round or a closed round
gets a clear page and changes nothing. Participant pages are rate-limited per
address and every saved answer is in the audit log (verdicts, never comments).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists

from app.accounts.audit import event_values, record, record_events
from app.models import (
    GroupSession,
    Passage,
    QuoteChoice,
    QuoteDecision,
    RoundStatement,
    StatementAnswer,
    Synthesis,
    ValidationLink,
    ValidationRound,
    Verdict,
)
from app.models.base import utcnow
from app.platform.edits import claim_version
from app.platform.extensions import db
from app.platform.forms import ValidationError, as_id, as_number, clean_long_text, clean_text
from app.privacy.scan import scan_answer, scan_fields
from app.synthesis.answer_changes import answer_changes
from app.synthesis.quotations import is_quotable
from app.synthesis.statements import group_participants

MAX_COMMENT = 4000


# --- tokens ---------------------------------------------------------------


# --- services -------------------------------------------------------------


def create_round(synthesis: Synthesis, form, *, user_id: int) -> ValidationRound:
    """Open a round on the chosen statements and create one link per participant of the group."""
    ids = {as_id(value) for value in form.getlist("statements")} - {None}
    statements = [
        s for s in synthesis.statements if s.id in ids and s.archived_at is None and s.versions
    ]
    if not statements:
        raise ValidationError(_l("Choose at least one statement to validate."), "statements")
    participants = group_participants(synthesis)
    if not participants:
        raise ValidationError(
            _l("This group has no participants yet: add them to the session first.")
        )
    days = as_number(form.get("days"), default=21, maximum=90) or 21
    round_ = ValidationRound(
        study_id=synthesis.study_id,
        synthesis_id=synthesis.id,
        title=clean_text(form.get("title"), "title", max_length=200, required=False),
        attributed=form.get("attributed") == "1",
        share_answers=form.get("share_answers") == "1",
        opened_by_id=user_id,
        expires_at=utcnow() + timedelta(days=days),
    )
    db.session.add(round_)
    for position, statement in enumerate(statements, start=1):
        round_.items.append(
            RoundStatement(statement=statement, version=statement.current, position=position)
        )
    for participant in participants:
        round_.links.append(
            ValidationLink(participant=participant, nonce=secrets.token_urlsafe(24))
        )
    db.session.flush()
    scan_fields(round_)  # its title
    record(
        "validation.open",
        round_,
        user_id=user_id,
        study_id=synthesis.study_id,
        details={"statements": len(statements), "links": len(participants)},
    )
    return round_


def sessions_taken_part(participant_id: int, study_id: int, candidates: set[int]) -> set[int]:
    """Return which of the `candidates` sessions the participant spoke in or was seated at.

    Seating counts within the round's study only; one statement, however many sessions.
    """
    spoke = (
        exists()
        .where(Passage.group_session_id == GroupSession.id)
        .where(Passage.participant_id == participant_id)
    )
    rows = db.session.execute(
        db.select(GroupSession.id, GroupSession.study_id, GroupSession.seating, spoke).where(
            GroupSession.id.in_(candidates)
        )
    )
    return {
        session_id
        for session_id, session_study, seating, spoken in rows
        if spoken or (session_study == study_id and participant_id in (seating or []))
    }


def round_quotes(link: ValidationLink, *, others: bool = True) -> tuple[dict, dict]:
    """Return (own, visible): the one rule of which quotes a participant's link shows.

    Own: per statement of the round, the linked passages the link's participant spoke
    (each once); they may keep, rephrase or withdraw them. Visible: per statement, the
    statement links whose words the page shows: the participant's own words always;
    someone else's only if they may be quoted at all (`quotations.is_quotable`: not
    withdrawn, not erased, still taking part, quotation consent in force) and come from
    a session this participant took part in, so a link never shows the words of a group its holder
    was not in. With `others=False` (saving answers, which only decides about one's own
    words) nobody else's passage is looked at and `visible` holds the own words only.

    Reads `link.round.items` with their statements' links and passages (and, with
    `others`, the speakers' consents): the participant pages load them in one statement.
    At most one statement more: the sessions of other people's quotes the participant
    took part in, and none when there are no such quotes.
    """
    mine = link.participant_id
    items = link.round.items
    sessions: set[int] = set()
    if others:
        candidates = {
            statement_link.passage.group_session_id
            for item in items
            for statement_link in item.statement.links
            if statement_link.passage.participant_id != mine
        }
        if candidates:
            sessions = sessions_taken_part(mine, link.round.study_id, candidates)
    own: dict[int, list[Passage]] = {}
    visible: dict[int, list] = {}
    for item in items:
        for statement_link in item.statement.links:
            passage = statement_link.passage
            if passage.participant_id == mine:
                quotes = own.setdefault(item.statement_id, [])
                if passage not in quotes:
                    quotes.append(passage)
            elif passage.group_session_id not in sessions or not is_quotable(passage):
                continue
            visible.setdefault(item.statement_id, []).append(statement_link)
    return own, visible


def _sync_withdrawal(passage: Passage) -> None:
    """Mark a passage withdrawn while any of its speaker's decisions asks for it."""
    withdrawn = db.session.execute(
        db.select(QuoteDecision.id).filter_by(passage_id=passage.id, choice=QuoteChoice.WITHDRAW)
    ).first()
    if withdrawn and passage.quote_withdrawn_at is None:
        passage.quote_withdrawn_at = utcnow()
    elif not withdrawn:
        passage.quote_withdrawn_at = None


def quote_decisions(link_id: int) -> dict[int, QuoteDecision]:
    """Return this link's quote decisions by passage id (one query)."""
    return {
        d.passage_id: d
        for d in db.session.execute(db.select(QuoteDecision).filter_by(link_id=link_id)).scalars()
    }


def _saved_quotes(link: ValidationLink, form) -> list[tuple[Passage, QuoteDecision | None]]:
    """Return the own passages the form decides about, each with its saved decision."""
    if not any(key.startswith("quote-") for key in form):
        return []  # most rounds offer no quote: without a quote field there is no decision
    decisions = quote_decisions(link.id)
    own = round_quotes(link, others=False)[0]
    passages = {p.id: p for quotes in own.values() for p in quotes}
    return [(passage, decisions.get(passage_id)) for passage_id, passage in passages.items()]


def save_answers(link: ValidationLink, form) -> int:
    """Store a participant's answers and quote decisions; return how many items changed.

    Only statements of the link's own round and the participant's own quotes are
    accepted: ids of anything else in the form are ignored, never written. The form's
    `revision` is the link's `answers_version` its page was drawn from: answers from an
    older page that would replace ones saved since raise StaleEdit (`answer_changes`).
    """
    round_ = link.round
    claim_version(
        link,
        form.get("revision"),
        lambda: answer_changes(
            round_.items,
            {a.statement_id: a for a in link.answers},
            _saved_quotes(link, form),
            form,
            max_length=MAX_COMMENT,
        ),
        attribute="answers_version",
    )
    study_id = round_.study_id
    saved: list[tuple[StatementAnswer, bool]] = []  # changed answers; comment changed?
    existing = {a.statement_id: a for a in link.answers}  # one query with the link, if loaded
    for item in round_.items:
        value = form.get(f"verdict-{item.statement_id}", "")
        comment = clean_long_text(
            form.get(f"comment-{item.statement_id}"),
            f"comment-{item.statement_id}",
            max_length=MAX_COMMENT,
        ).strip()
        if not value:
            if comment:
                raise ValidationError(
                    _l("Choose agree, agree with a nuance or disagree, so your comment is saved."),
                    f"verdict-{item.statement_id}",
                )
            continue
        try:
            verdict = Verdict(value)
        except ValueError:
            raise ValidationError(
                _l("Choose agree, agree with a nuance or disagree."), f"verdict-{item.statement_id}"
            ) from None
        answer = existing.get(item.statement_id)
        previous_comment = answer.comment if answer is not None else ""
        if answer is None:
            answer = StatementAnswer(
                link_id=link.id, statement_id=item.statement_id, version_id=item.version_id
            )
            db.session.add(answer)
        elif answer.verdict == verdict and answer.comment == comment:
            continue
        answer.verdict, answer.comment, answer.version_id = verdict, comment, item.version_id
        saved.append((answer, comment != previous_comment))
    # One flush for all changed answers, so their UPDATEs go out as one batch; then each
    # changed comment is scanned (a changed verdict alone adds no words to check) and each
    # changed answer gets its audit event, in the form's order.
    if saved:
        db.session.flush()
    for answer, new_words in saved:
        if new_words:
            scan_answer(round_, "statement_answer", answer.id, answer.comment)
    # The audit events of every changed answer and decision go out as one multi-row INSERT.
    events = [
        event_values(
            "validation.answer",
            "statement_answer",
            answer.id,
            user_id=None,
            study_id=study_id,
            # In an anonymous round the log must not tell who answered what either.
            details={
                "round": round_.id,
                **({"link": link.id} if round_.attributed else {}),
                "statement": answer.statement_id,
                "verdict": answer.verdict.value,
                "commented": bool(answer.comment),
            },
        )
        for answer, _new_words in saved
    ]
    changed = len(saved)
    # Most rounds offer no quote: without a quote field there is no decision to read.
    for passage, decision in _saved_quotes(link, form):
        passage_id = passage.id
        value = form.get(f"quote-{passage_id}", "")
        if not value:
            continue
        try:
            choice = QuoteChoice(value)
        except ValueError:
            raise ValidationError(
                _l("Choose keep, rephrase or withdraw."), f"quote-{passage_id}"
            ) from None
        rephrasing = clean_long_text(
            form.get(f"rephrase-{passage_id}"), f"rephrase-{passage_id}", max_length=MAX_COMMENT
        ).strip()
        if choice == QuoteChoice.REPHRASE and not rephrasing:
            raise ValidationError(
                _l("Write how you would rather say it, or choose keep or withdraw."),
                f"rephrase-{passage_id}",
            )
        previous_rephrasing = decision.rephrasing if decision is not None else ""
        if decision is None:
            decision = QuoteDecision(link_id=link.id, passage_id=passage_id)
            db.session.add(decision)
        elif decision.choice == choice and decision.rephrasing == rephrasing:
            continue
        decision.choice, decision.rephrasing = choice, rephrasing
        db.session.flush()
        if rephrasing != previous_rephrasing:
            scan_answer(round_, "quote_decision", decision.id, rephrasing)
        _sync_withdrawal(passage)
        events.append(
            event_values(
                "validation.quote",
                "quote_decision",
                decision.id,
                user_id=None,
                study_id=study_id,
                details={
                    "round": round_.id,
                    "link": link.id,
                    "passage": passage_id,
                    "choice": choice.value,
                },
            )
        )
        changed += 1
    record_events(events)
    _touch(link)
    return changed


# `last_seen_at` says when a participant last used their link, to the minute: nothing
# reads it more exactly, so answers within the same minute do not write it again.
SEEN_PRECISION = timedelta(minutes=1)


def _touch(link: ValidationLink) -> None:
    """Set when the link was last used, unless it was set less than a minute ago."""
    now = utcnow()
    seen = link.last_seen_at
    if seen is not None and seen.tzinfo is None:  # SQLite returns naive UTC datetimes
        seen = seen.replace(tzinfo=now.tzinfo)
    if seen is None or not timedelta(0) <= now - seen < SEEN_PRECISION:
        link.last_seen_at = now


def dashboard_data(round_: ValidationRound) -> dict:
    """Collect, per statement, the answers; who has not answered; quote decisions."""
    answers = (
        db.session.execute(
            db.select(StatementAnswer)
            .join(ValidationLink)
            .where(ValidationLink.round_id == round_.id)
            .order_by(StatementAnswer.id)
        )
        .scalars()
        .all()
    )
    by_statement: dict[int, list[StatementAnswer]] = {}
    answered_links = set()
    for answer in answers:
        by_statement.setdefault(answer.statement_id, []).append(answer)
        answered_links.add(answer.link_id)
    decisions = (
        db.session.execute(
            db.select(QuoteDecision)
            .join(ValidationLink)
            .where(ValidationLink.round_id == round_.id)
            .order_by(QuoteDecision.id)
        )
        .scalars()
        .all()
    )
    return {
        "answers": by_statement,
        "silent": [link for link in round_.links if link.id not in answered_links],
        "decisions": decisions,
    }


# --- facilitator views ----------------------------------------------------


# --- participant pages ----------------------------------------------------

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

import segno
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer

from app.accounts.audit import record
from app.accounts.policy import public, study_action
from app.models import (
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
from app.platform.extensions import db, limiter
from app.platform.forms import ValidationError, as_id, as_number, clean_long_text, clean_text
from app.privacy.scan import scan_answer
from app.synthesis.quotations import is_quotable
from app.synthesis.statements import KIND_NAMES, LEVEL_NAMES, group_participants

bp = Blueprint("rounds", __name__, url_prefix="/studies/<int:study_id>")
respond_bp = Blueprint("respond", __name__, url_prefix="/v")

TOKEN_SALT = "magwb-validation-link"  # noqa: S105  (a namespace, not a secret)
MAX_COMMENT = 4000


# --- tokens ---------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def link_token(link: ValidationLink) -> str:
    """Return the URL token of a link (the signed id and nonce)."""
    return _serializer().dumps([link.id, link.nonce])


def link_url(link: ValidationLink) -> str:
    """Return the participant's full personal address."""
    return url_for("respond.page", token=link_token(link), _external=True)


def link_from_token(token: str) -> ValidationLink:
    """Return the link a token stands for, or 404 for anything forged, altered or replaced."""
    try:
        link_id, nonce = _serializer().loads(token)
    except (BadSignature, TypeError, ValueError):
        abort(404)
    link = db.session.get(ValidationLink, as_id(link_id) or 0)
    if link is None or not isinstance(nonce, str) or not secrets.compare_digest(link.nonce, nonce):
        abort(404)
    return link


def link_problem(link: ValidationLink) -> str | None:
    """Return why a link no longer works ("revoked", "closed", "expired"), or None."""
    if link.revoked_at is not None:
        return "revoked"
    round_ = link.round
    if round_.closed_at is not None:
        return "closed"
    expires = round_.expires_at
    if expires.tzinfo is None:  # SQLite returns naive UTC datetimes
        expires = expires.replace(tzinfo=utcnow().tzinfo)
    if expires <= utcnow():
        return "expired"
    return None


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
    record(
        "validation.open",
        round_,
        user_id=user_id,
        study_id=synthesis.study_id,
        details={"statements": len(statements), "links": len(participants)},
    )
    return round_


def own_quotes(link: ValidationLink) -> dict[int, list[Passage]]:
    """Return, per statement of the round, the linked passages spoken by the link's participant."""
    quotes: dict[int, list[Passage]] = {}
    for item in link.round.items:
        for statement_link in item.statement.links:
            passage = statement_link.passage
            if passage.participant_id == link.participant_id:
                quotes.setdefault(item.statement_id, [])
                if passage not in quotes[item.statement_id]:
                    quotes[item.statement_id].append(passage)
    return quotes


def visible_quotes(link: ValidationLink) -> dict[int, list]:
    """Return, per statement, the quotes this participant may see on their page.

    Their own words always (so they can keep, rephrase or withdraw them). Someone
    else's words only if they may be quoted at all (not withdrawn, not erased,
    quotation consent in force) and come from a session this participant took part
    in: a link never shows the words of a group its holder was not in.
    """
    mine = link.participant_id
    sessions = set(
        db.session.execute(
            db.select(Passage.group_session_id).where(Passage.participant_id == mine).distinct()
        ).scalars()
    )
    sessions |= {
        s.id for s in link.round.synthesis.study.group_sessions if mine in (s.seating or [])
    }
    visible: dict[int, list] = {}
    for item in link.round.items:
        for statement_link in item.statement.links:
            passage = statement_link.passage
            if passage.participant_id == mine or (
                passage.group_session_id in sessions and is_quotable(passage)
            ):
                visible.setdefault(item.statement_id, []).append(statement_link)
    return visible


def _sync_withdrawal(passage: Passage) -> None:
    """Mark a passage withdrawn while any of its speaker's decisions asks for it."""
    withdrawn = db.session.execute(
        db.select(QuoteDecision.id).filter_by(passage_id=passage.id, choice=QuoteChoice.WITHDRAW)
    ).first()
    if withdrawn and passage.quote_withdrawn_at is None:
        passage.quote_withdrawn_at = utcnow()
    elif not withdrawn:
        passage.quote_withdrawn_at = None


def save_answers(link: ValidationLink, form) -> int:
    """Store a participant's answers and quote decisions; return how many items changed.

    Only statements of the link's own round and the participant's own quotes are
    accepted: ids of anything else in the form are ignored, never written.
    """
    round_ = link.round
    study_id = round_.study_id
    changed = 0
    existing = {
        a.statement_id: a
        for a in db.session.execute(db.select(StatementAnswer).filter_by(link_id=link.id)).scalars()
    }
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
        if answer is None:
            answer = StatementAnswer(
                link_id=link.id, statement_id=item.statement_id, version_id=item.version_id
            )
            db.session.add(answer)
        elif answer.verdict == verdict and answer.comment == comment:
            continue
        answer.verdict, answer.comment, answer.version_id = verdict, comment, item.version_id
        db.session.flush()
        scan_answer(round_, "statement_answer", answer.id, comment)
        record(
            "validation.answer",
            answer,
            user_id=None,
            study_id=study_id,
            # In an anonymous round the log must not tell who answered what either.
            details={
                "round": round_.id,
                **({"link": link.id} if round_.attributed else {}),
                "statement": item.statement_id,
                "verdict": verdict.value,
                "commented": bool(comment),
            },
        )
        changed += 1
    decisions = {
        d.passage_id: d
        for d in db.session.execute(db.select(QuoteDecision).filter_by(link_id=link.id)).scalars()
    }
    passages = {p.id: p for quotes in own_quotes(link).values() for p in quotes}
    for passage_id, passage in passages.items():
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
        decision = decisions.get(passage_id)
        if decision is None:
            decision = QuoteDecision(link_id=link.id, passage_id=passage_id)
            db.session.add(decision)
        elif decision.choice == choice and decision.rephrasing == rephrasing:
            continue
        decision.choice, decision.rephrasing = choice, rephrasing
        db.session.flush()
        scan_answer(round_, "quote_decision", decision.id, rephrasing)
        _sync_withdrawal(passage)
        record(
            "validation.quote",
            decision,
            user_id=None,
            study_id=study_id,
            details={
                "round": round_.id,
                "link": link.id,
                "passage": passage_id,
                "choice": choice.value,
            },
        )
        changed += 1
    link.last_seen_at = utcnow()
    return changed


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


def _round(round_id: int) -> ValidationRound:
    round_ = db.session.get(ValidationRound, round_id)
    if round_ is None or round_.study_id != g.study.id:
        abort(404)
    return round_


def _link(round_: ValidationRound, link_id: int) -> ValidationLink:
    link = db.session.get(ValidationLink, link_id)
    if link is None or link.round_id != round_.id:
        abort(404)
    return link


@bp.post("/syntheses/<int:synthesis_id>/rounds")
@study_action("validation.manage")
def open_round(study_id: int, synthesis_id: int):
    """Open a validation round and show its links."""
    synthesis = db.session.get(Synthesis, synthesis_id)
    if synthesis is None or synthesis.study_id != study_id:
        abort(404)
    try:
        round_ = create_round(synthesis, request.form, user_id=current_user.id)
    except ValidationError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(_synthesis_url(synthesis), code=303)
    db.session.commit()
    flash(_("The round is open. Give each participant their personal link."), "success")
    return redirect(url_for("rounds.links", study_id=study_id, round_id=round_.id), code=303)


def _synthesis_url(synthesis: Synthesis) -> str:
    if synthesis.group_session_id is None:
        return url_for("syntheses.transversal", study_id=synthesis.study_id)
    return url_for(
        "syntheses.session_synthesis",
        study_id=synthesis.study_id,
        session_id=synthesis.group_session_id,
    )


@bp.get("/rounds/<int:round_id>")
@study_action("validation.manage")
def dashboard(study_id: int, round_id: int):
    """Show the answers per statement, who has not answered, and quote withdrawals."""
    round_ = _round(round_id)
    return render_template(
        "validation/dashboard.html",
        study=g.study,
        round=round_,
        synthesis_url=_synthesis_url(round_.synthesis),
        kinds=KIND_NAMES,
        levels=LEVEL_NAMES,
        **dashboard_data(round_),
    )


@bp.get("/rounds/<int:round_id>/links")
@study_action("validation.manage")
def links(study_id: int, round_id: int):
    """A printable list of the personal links, with QR codes."""
    round_ = _round(round_id)
    rows = []
    for link in sorted(round_.links, key=lambda link: link.participant.pseudonym.casefold()):
        url = link_url(link)
        rows.append((link, url, segno.make(url, error="m").svg_data_uri(scale=4)))
    return render_template(
        "validation/links.html",
        study=g.study,
        round=round_,
        rows=rows,
        synthesis_url=_synthesis_url(round_.synthesis),
    )


@bp.post("/rounds/<int:round_id>/links/<int:link_id>/revoke")
@study_action("validation.manage")
def revoke(study_id: int, round_id: int, link_id: int):
    """Stop a participant's link from working."""
    link = _link(_round(round_id), link_id)
    link.revoked_at = link.revoked_at or utcnow()
    record("validation.revoke", link, user_id=current_user.id, study_id=study_id)
    db.session.commit()
    flash(_("The link no longer works."), "success")
    return redirect(url_for("rounds.links", study_id=study_id, round_id=round_id), code=303)


@bp.post("/rounds/<int:round_id>/links/<int:link_id>/reissue")
@study_action("validation.manage")
def reissue(study_id: int, round_id: int, link_id: int):
    """Give a participant a new link; the old address stops working, answers stay."""
    link = _link(_round(round_id), link_id)
    link.nonce, link.revoked_at = secrets.token_urlsafe(24), None
    record("validation.reissue", link, user_id=current_user.id, study_id=study_id)
    db.session.commit()
    flash(_("A new link was made; the old one no longer works."), "success")
    return redirect(url_for("rounds.links", study_id=study_id, round_id=round_id), code=303)


@bp.post("/rounds/<int:round_id>/close")
@study_action("validation.manage")
def close(study_id: int, round_id: int):
    """Close the round: links stop working; answers stay as they are."""
    round_ = _round(round_id)
    round_.closed_at = round_.closed_at or utcnow()
    record("validation.close", round_, user_id=current_user.id, study_id=study_id)
    db.session.commit()
    flash(_("The round is closed."), "success")
    return redirect(url_for("rounds.dashboard", study_id=study_id, round_id=round_id), code=303)


# --- participant pages ----------------------------------------------------


def _participant_limit() -> str:
    return current_app.config["VALIDATION_RATE_LIMIT"]


def _page_language(link: ValidationLink) -> None:
    """Speak the group's language unless the participant chose another one."""
    session_ = link.round.synthesis.group_session
    g.page_locale = session_.language if session_ else link.round.synthesis.study.language


def _render_participant(link: ValidationLink, *, error=None, status=200, saved=False, posted=None):
    round_ = link.round
    answers = {
        a.statement_id: a
        for a in db.session.execute(db.select(StatementAnswer).filter_by(link_id=link.id)).scalars()
    }
    decisions = {
        d.passage_id: d
        for d in db.session.execute(db.select(QuoteDecision).filter_by(link_id=link.id)).scalars()
    }
    shared = dashboard_data(round_)["answers"] if round_.share_answers else {}
    return render_template(
        "validation/participant.html",
        link=link,
        round=round_,
        token=request.view_args["token"],
        answers=answers,
        decisions=decisions,
        own=own_quotes(link),
        quotes=visible_quotes(link),
        shared=shared,
        kinds=KIND_NAMES,
        levels=LEVEL_NAMES,
        error=error,
        saved=saved,
        posted=posted,
    ), status


def _open_link(token: str):
    """Return (link, None) for a working link, or (link, the "no longer works" page)."""
    link = link_from_token(token)  # 404 for anything forged, altered or replaced
    _page_language(link)
    problem = link_problem(link)
    if problem:
        return link, (render_template("validation/closed.html", problem=problem), 410)
    return link, None


@respond_bp.get("/<token>")
@public
@limiter.limit(_participant_limit)
def page(token: str):
    """A participant's page: the statements of their group, their quotes, their answers."""
    link, closed = _open_link(token)
    if closed:
        return closed
    return _render_participant(link, saved=request.args.get("saved") == "1")


@respond_bp.post("/<token>")
@public
@limiter.limit(_participant_limit)
def answer(token: str):
    """Save a participant's answers; they may change them until the round closes."""
    link, closed = _open_link(token)
    if closed:
        return closed
    try:
        save_answers(link, request.form)
    except ValidationError as error:
        db.session.rollback()
        # Show what they typed, not the stored answers: nothing they wrote is lost.
        return _render_participant(
            link_from_token(token), error=error, status=422, posted=request.form
        )
    db.session.commit()
    return redirect(url_for("respond.page", token=token, saved=1) + "#saved", code=303)

"""The participants' public pages: one personal link, no account, works without script.

Routes on the "respond" blueprint (/v/<token>): the statements to answer (agree,
nuance, disagree) and the participant's own quotes (keep, reword, withdraw).
"""

from __future__ import annotations

import hashlib

from flask import (
    Blueprint,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)

from app.accounts.policy import public
from app.models import (
    QuoteDecision,
    StatementAnswer,
    ValidationLink,
)
from app.platform.extensions import db, limiter
from app.platform.forms import ValidationError
from app.synthesis.links import link_from_token, link_problem
from app.synthesis.quotations import Redactor, may_quote
from app.synthesis.rounds import dashboard_data, own_quotes, save_answers, visible_quotes
from app.synthesis.statements import KIND_NAMES, LEVEL_NAMES

respond_bp = Blueprint("respond", __name__, url_prefix="/v")


def _participant_limit() -> str:
    return current_app.config["VALIDATION_RATE_LIMIT"]


def _link_key() -> str:
    """Rate-limit key of the personal link: 40 people behind one Wi-Fi are 40 buckets."""
    token = (request.view_args or {}).get("token", "")
    # A digest, so the link itself (a door to someone's answers) never lands in Redis or a log.
    return "link:" + hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()[:32]


def _unknown_link(response) -> bool:
    """Count a request against its address only when the link was forged or mistyped."""
    return response.status_code == 404


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
    shared = {}
    if round_.share_answers:
        # Only words whose author may still be quoted reach the rest of the group.
        shared = {
            statement_id: [a for a in answers_ if may_quote(a.link.participant)]
            for statement_id, answers_ in dashboard_data(round_)["answers"].items()
        }
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
        # Participants are outside the team: erased labels stay home here too.
        redact=Redactor(round_.study_id, publication=False),
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
# Each link has its own limit; links that do not exist count per client address, so guessing
# stays slow while a room answering together never shares a bucket.
@limiter.limit(_participant_limit, key_func=_link_key)
@limiter.limit(_participant_limit, deduct_when=_unknown_link)
def page(token: str):
    """A participant's page: the statements of their group, their quotes, their answers."""
    link, closed = _open_link(token)
    if closed:
        return closed
    return _render_participant(link, saved=request.args.get("saved") == "1")


@respond_bp.post("/<token>")
@public
@limiter.limit(_participant_limit, key_func=_link_key)
@limiter.limit(_participant_limit, deduct_when=_unknown_link)
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


@respond_bp.errorhandler(429)
def too_many(_error):
    """Tell a participant whose link was asked too often to wait, on their own kind of page."""
    return render_template("validation/busy.html"), 429

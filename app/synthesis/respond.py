"""The participants' public pages: one personal link, no account, works without script.

Routes on the "respond" blueprint (/v/<token>): the statements to answer (agree,
nuance, disagree) and the participant's own quotes (keep, reword, withdraw).
"""

from __future__ import annotations

import hashlib

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_limiter.util import get_remote_address
from limits import parse as parse_limit
from sqlalchemy import bindparam
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.exceptions import NotFound

from app.accounts.policy import public
from app.models import (
    Participant,
    Passage,
    RoundStatement,
    Statement,
    StatementAnswer,
    StatementLink,
    ValidationLink,
    ValidationRound,
)
from app.platform.edits import StaleEdit
from app.platform.extensions import db, limiter
from app.platform.forms import ValidationError
from app.synthesis.links import link_from_token, link_problem
from app.synthesis.quotations import Redactor, may_quote
from app.synthesis.rounds import quote_decisions, round_quotes, save_answers
from app.synthesis.statements import KIND_NAMES, LEVEL_NAMES

respond_bp = Blueprint("respond", __name__, url_prefix="/v")


def _participant_limit() -> str:
    return current_app.config["VALIDATION_RATE_LIMIT"]


def _link_key() -> str:
    """Rate-limit key of the personal link: 40 people behind one Wi-Fi are 40 buckets."""
    token = (request.view_args or {}).get("token", "")
    # A digest, so the link itself (a door to someone's answers) never lands in Redis or a log.
    return "link:" + hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()[:32]


def _count_unknown_link() -> None:
    """Count a forged or mistyped link against the client's address: past the limit, 429.

    Only unknown links read or write this count, so a working link costs the limiter's
    store one call (its own counter), not two (a check of the address's count, on every
    request, as a `deduct_when` limit would make).
    """
    if not (limiter.enabled and limiter.initialized):
        return
    allowance = parse_limit(_participant_limit())
    if not limiter.limiter.hit(allowance, "unknown-link", get_remote_address()):
        abort(429)


def _page_language(link: ValidationLink) -> None:
    """Speak the group's language unless the participant chose another one."""
    session_ = link.round.synthesis.group_session
    g.page_locale = session_.language if session_ else link.round.synthesis.study.language


def _items_query(*, passages: bool, speakers: bool):
    """Return the query of a round's statements (`round_id`), with what the page reads."""
    statement = joinedload(RoundStatement.statement)
    if passages:
        passage = joinedload(Statement.links).joinedload(StatementLink.passage)
        if speakers:
            passage = passage.joinedload(Passage.participant).joinedload(Participant.consents)
        statement = statement.options(
            passage, joinedload(Statement.links).joinedload(StatementLink.coding)
        )
    return (
        db.select(RoundStatement)
        .where(RoundStatement.round_id == bindparam("round_id"))
        .order_by(RoundStatement.position, RoundStatement.id)
        .options(statement, joinedload(RoundStatement.version))
    )


# Built once: a statement object keeps its cache key, which SQLAlchemy otherwise derives
# again from the whole tree of loader options on every request.
_ITEMS = {
    (passages, speakers): _items_query(passages=passages, speakers=speakers)
    for passages, speakers in ((False, False), (True, False), (True, True))
}


def _load_items(round_: ValidationRound, *, passages: bool, speakers: bool = False) -> list:
    """Load the round's statements in one go and make them `round_.items`.

    With `passages`, also each statement's links with their passage (and coding); with
    `speakers`, the passages' speakers and their consents, all that `is_quotable` reads.
    A fixed number of statements, however many statements and quotes the round has.
    """
    query = _ITEMS[passages, passages and speakers]
    items = db.session.execute(query, {"round_id": round_.id}).unique().scalars().all()
    # The relationship's own order (by position), so `rounds.round_quotes` and
    # `rounds.save_answers` read no more.
    set_committed_value(round_, "items", items)
    return items


def _shared_answers(round_: ValidationRound) -> list:
    """Return every answer of the round in saving order, with its author and their consents."""
    return (
        db.session.execute(
            db.select(StatementAnswer)
            .join(StatementAnswer.link)
            .where(ValidationLink.round_id == round_.id)
            .order_by(StatementAnswer.id)
            .options(
                contains_eager(StatementAnswer.link)
                .joinedload(ValidationLink.participant)
                .selectinload(Participant.consents)
            )
        )
        .scalars()
        .all()
    )


def _render_participant(
    link: ValidationLink, *, error=None, status=200, saved=False, posted=None, conflict=None
):
    round_ = link.round
    _load_items(round_, passages=True, speakers=True)
    own, quotes = round_quotes(link)
    shared: dict[int, list] = {}
    if round_.share_answers:
        everyone = _shared_answers(round_)
        answers = {a.statement_id: a for a in everyone if a.link_id == link.id}
        for answer_ in everyone:
            # Only words whose author may still be quoted reach the rest of the group.
            words = shared.setdefault(answer_.statement_id, [])
            if may_quote(answer_.link.participant):
                words.append(answer_)
    else:
        answers = {a.statement_id: a for a in link.answers}  # read with the link
    # Decisions are asked for the participant's own quotes only.
    decisions = quote_decisions(link.id) if own else {}
    return render_template(
        "validation/participant.html",
        link=link,
        round=round_,
        token=request.view_args["token"],
        answers=answers,
        decisions=decisions,
        own=own,
        quotes=quotes,
        shared=shared,
        # Participants are outside the team: erased labels stay home here too.
        redact=Redactor.for_study(round_.study_id, publication=False),
        kinds=KIND_NAMES,
        levels=LEVEL_NAMES,
        error=error,
        saved=saved,
        posted=posted,
        conflict=conflict,
    ), status


def _open_link(token: str):
    """Return (link, None) for a working link, or (link, the "no longer works" page)."""
    try:
        link = link_from_token(token)  # 404 for anything forged, altered or replaced
    except NotFound:
        _count_unknown_link()
        raise
    _page_language(link)
    problem = link_problem(link)
    if problem:
        return link, (render_template("validation/closed.html", problem=problem), 410)
    return link, None


@respond_bp.get("/<token>")
@public
# Each link has its own limit; links that do not exist count per client address (in
# _open_link), so guessing stays slow while a room answering together never shares a bucket.
@limiter.limit(_participant_limit, key_func=_link_key)
def page(token: str):
    """A participant's page: the statements of their group, their quotes, their answers."""
    link, closed = _open_link(token)
    if closed:
        return closed
    return _render_participant(link, saved=request.args.get("saved") == "1")


# Two requests of one link at once (a double click, two tabs) no longer interleave: saving
# locks the link's row first (`rounds.save_answers` claims its `answers_version`), so the
# second reads the first one's answers and, if it would replace them, is refused (409). A
# first answer inserted by any writer that does not lock the link meets the unique (link,
# statement) row instead: the request then starts again and reads that row.
ANSWER_ATTEMPTS = 2


@respond_bp.post("/<token>")
@public
@limiter.limit(_participant_limit, key_func=_link_key)
def answer(token: str):
    """Save a participant's answers; they may change them until the round closes."""
    for _attempt in range(ANSWER_ATTEMPTS):
        link, closed = _open_link(token)
        if closed:
            return closed
        # `save_answers` reads the own quotes only when the form offers one.
        _load_items(link.round, passages=any(key.startswith("quote-") for key in request.form))
        try:
            save_answers(link, request.form)
            db.session.commit()
        except ValidationError as error:
            db.session.rollback()
            # Show what they typed, not the stored answers: nothing they wrote is lost.
            return _render_participant(
                link_from_token(token), error=error, status=422, posted=request.form
            )
        except StaleEdit as stale:
            db.session.rollback()
            # Answers saved since this page was drawn (another device, an older tab): show
            # them next to this page's, which the form keeps, now at the saved revision, so
            # saving again replaces them deliberately.
            return _render_participant(
                link_from_token(token), conflict=stale, status=409, posted=request.form
            )
        except IntegrityError:
            db.session.rollback()  # the other request's answer is stored: read it, try again
            continue
        return redirect(url_for("respond.page", token=token, saved=1) + "#saved", code=303)
    abort(409)


@respond_bp.errorhandler(429)
def too_many(_error):
    """Tell a participant whose link was asked too often to wait, on their own kind of page."""
    return render_template("validation/busy.html"), 429

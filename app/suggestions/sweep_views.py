"""The theme sweep's pages: one theme's passages, best first, decided with one key each.

Routes on the "sweep" blueprint; with JavaScript (static/sweep.js) a decision posts
and the queue updates in place from JSON; without, plain forms post and redirect back.
The ranking and the decisions are in `sweep.py`.
"""

from __future__ import annotations

from flask import Blueprint, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.audit import record_event
from app.accounts.policy import allowed, in_study, study_action
from app.models import Theme
from app.platform.database import writes_on_get
from app.platform.errors import wants_json
from app.platform.extensions import db
from app.platform.forms import ValidationError, as_id
from app.suggestions.sweep import SweepState, decide_passage, sweep_state

bp = Blueprint("sweep", __name__, url_prefix="/studies/<int:study_id>/sweep")


MAX_SKIPPED = 500


DECISIONS = ("accept", "reject", "skip")


def _theme(theme_id: int) -> Theme:
    return in_study(Theme, theme_id)


def _skipped(values: str | None) -> list[int]:
    """Read a comma-separated list of passage ids (what the facilitator skipped)."""
    ids = [as_id(part.strip()) for part in (values or "").split(",")[:MAX_SKIPPED]]
    return [value for value in ids if value]


def _score(value: str | None) -> float:
    """Read the score the page showed (kept with the decision, like a suggestion's)."""
    try:
        number = float(value or 0)
    except ValueError:
        return 0.0
    return number if 0.0 <= number <= 1.0 else 0.0


def _render_queue(state: SweepState, theme: Theme) -> str:
    return render_template(
        "sweep/_queue.html", state=state, theme=theme, study=g.study, **_words(theme)
    )


def _words(theme: Theme) -> dict:
    return {"theme_label": theme.label(str(get_locale()))}


def _json_state(state: SweepState, theme: Theme, message: str = "", status: int = 200):
    current = state.queue[0] if state.queue else None
    body = {
        "progress": state.progress(),
        "current": {"id": current.passage.id, "text_hash": current.text_hash} if current else None,
        "queue": [
            {"id": entry.passage.id, "score": round(entry.score, 4), "reason": entry.reason}
            for entry in state.queue
        ],
        "skipped": state.skipped,
        "html": _render_queue(state, theme),
        "message": message,
    }
    return jsonify(body), status


@bp.app_template_global("sweep_allowed")
def sweep_allowed() -> bool:
    """Tell templates whether the current member may sweep themes (codebook links)."""
    membership = g.get("membership")
    return membership is not None and allowed(membership.role, "theme.sweep")


@bp.get("/<int:theme_id>")
@study_action("theme.sweep")
@writes_on_get  # caches the lemmas of passages not analysed yet
def page(study_id: int, theme_id: int):
    """Show the theme sweep: passages ranked for one theme, decided with one key each."""
    theme = _theme(theme_id)
    state = sweep_state(g.study, theme, _skipped(request.args.get("skipped")))
    # The page shows passages of every session: recorded like the other transcript views.
    record_event("theme.sweep_view", "theme", theme.id, user_id=current_user.id, study_id=study_id)
    db.session.commit()
    return render_template(
        "sweep/page.html", study=g.study, theme=theme, state=state, **_words(theme)
    )


@bp.get("/<int:theme_id>/state")
@study_action("theme.sweep")
@writes_on_get
def state(study_id: int, theme_id: int):
    """Return the sweep's progress and queue as JSON (the page's script refreshes with it)."""
    theme = _theme(theme_id)
    result = sweep_state(g.study, theme, _skipped(request.args.get("skipped")))
    db.session.commit()  # lemmas cached on the way
    return _json_state(result, theme)


@bp.post("/<int:theme_id>/decide")
@study_action("theme.sweep")
def decide_one(study_id: int, theme_id: int):
    """Accept, reject or skip the passage shown, then show the updated ranking."""
    theme = _theme(theme_id)
    skipped = _skipped(request.form.get("skipped"))
    decision = request.form.get("decision")
    passage_id = as_id(request.form.get("passage_id"))
    message, status = "", 200
    if decision not in DECISIONS or passage_id is None:
        message, status = _("Choose accept, reject or skip for a passage."), 422
    elif decision == "skip":
        skipped.append(passage_id)
    else:
        try:
            decide_passage(
                study_id,
                theme.id,
                passage_id,
                request.form.get("text_hash", ""),
                decision == "accept",
                user_id=current_user.id,
                score=_score(request.form.get("score")),
            )
            db.session.commit()
            message = _("Accepted.") if decision == "accept" else _("Rejected.")
        except ValidationError as error:
            db.session.rollback()
            message, status = str(error.message), 409
    if not wants_json():
        if status != 200:
            flash(message, "error")
        target = url_for("sweep.page", study_id=study_id, theme_id=theme.id)
        if skipped:
            target = url_for(
                "sweep.page",
                study_id=study_id,
                theme_id=theme.id,
                skipped=",".join(map(str, skipped)),
            )
        return redirect(target, code=303)
    result = sweep_state(g.study, theme, skipped)
    db.session.commit()
    return _json_state(result, theme, message, status)

"""Theme suggestions and thematic groupings in the app: jobs, decisions, pages.

The engine is the pure `analysis` package; this module feeds it the study's
codebook, passages and decisions, and stores what it returns. Themes are
passed to the engine under neutral keys (`t<id>`), so any theme key the
codebook allows works, and renaming a theme never confuses the model.

What the model learns from (the learned regime): every passage with codings
is an example of its themes (and of not being the others); a rejected
suggestion is a strong "not this theme" for that passage's current text.
Nothing becomes a coding unless a facilitator accepts it: accepting a
suggestion codes the whole passage with `origin = suggestion`.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.accounts.audit import record
from app.accounts.policy import allowed, in_study, study_action
from app.coding.suggestion_panel import open_suggestions
from app.jobs.queue import enqueue, latest_job
from app.models import (
    Grouping,
    GroupingStatus,
    GroupSession,
    Passage,
    Suggestion,
)
from app.platform.edits import StaleEdit, claim_version, differences
from app.platform.extensions import db
from app.platform.forms import ValidationError, as_id, as_number, clean_text
from app.privacy.scan import scan_fields
from app.suggestions.decisions import accept_grouping, decide, merge_groupings
from app.suggestions.feeding import text_hash

bp = Blueprint("analysis", __name__, url_prefix="/studies/<int:study_id>/analysis")

MAX_MEMBERS_SHOWN = 8


# --- feeding the engine ---------------------------------------------------


# --- jobs -----------------------------------------------------------------
#
# Handlers read everything they need as plain values, commit (on SQLite every
# transaction holds the write lock), compute, then write their results in one
# transaction: a long lemmatisation never blocks the facilitators' saves.


# --- decisions ------------------------------------------------------------


# --- views ----------------------------------------------------------------


def _suggestion(suggestion_id: int) -> Suggestion:
    suggestion = db.session.get(Suggestion, suggestion_id)
    if suggestion is None or suggestion.study_id != g.study.id:
        abort(404)
    return suggestion


def _grouping(grouping_id: int) -> Grouping:
    grouping = db.session.get(Grouping, grouping_id)
    if grouping is None or grouping.study_id != g.study.id:
        abort(404)
    return grouping


def _coding_view(session_id: int):
    return redirect(
        url_for("coding.workspace", study_id=g.study.id, session_id=session_id)
        + "#suggestions-heading",
        code=303,
    )


@bp.post("/suggest")
@study_action("coding.edit")
def suggest(study_id: int):
    """Start a suggestion run for a session (as a background job)."""
    session_id = as_id(request.form.get("session_id"))
    group_session = in_study(GroupSession, session_id) if session_id else None
    job = enqueue(
        study_id,
        "analysis.suggest",
        {"session_id": group_session.id if group_session else None},
        user_id=current_user.id,
    )
    return redirect(url_for("jobs.status", study_id=study_id, job_id=job.id), code=303)


@bp.post("/suggestions/<int:suggestion_id>")
@study_action("coding.edit")
def decide_one(study_id: int, suggestion_id: int):
    """Accept or reject one suggestion."""
    suggestion = _suggestion(suggestion_id)
    session_id = suggestion.passage.group_session_id
    try:
        decide(suggestion, request.form.get("decision") == "accept", user_id=current_user.id)
    except ValidationError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _coding_view(session_id)
    db.session.commit()
    accepted = request.form.get("decision") == "accept"
    flash(_("Suggestion accepted.") if accepted else _("Suggestion rejected."), "success")
    return _coding_view(session_id)


@bp.post("/suggestions/accept-all")
@study_action("coding.edit")
def accept_all(study_id: int):
    """Accept every open suggestion of one theme in a session at or above a score."""
    session_id = as_id(request.form.get("session_id"))
    if session_id is None:
        flash(_("Open the coding view of a session to accept its suggestions."), "error")
        return redirect(url_for("studies.overview", study_id=study_id), code=303)
    group_session = in_study(GroupSession, session_id)
    theme_id = as_id(request.form.get("theme_id"))
    threshold = as_number(request.form.get("threshold"), default=70, maximum=100) / 100
    accepted = skipped = 0
    for suggestion in open_suggestions(study_id, group_session.id):
        if suggestion.theme_id != theme_id or suggestion.score < threshold:
            continue
        if suggestion.text_hash != text_hash(suggestion.passage.text):
            skipped += 1
            continue
        decide(suggestion, True, user_id=current_user.id)
        accepted += 1
    db.session.commit()
    if skipped:
        message = _(
            "%(accepted)d suggestions accepted; %(skipped)d skipped because their passage changed.",
            accepted=accepted,
            skipped=skipped,
        )
    else:
        message = _("%(accepted)d suggestions accepted.", accepted=accepted)
    flash(message, "success")
    return _coding_view(group_session.id)


@bp.get("/groupings")
@study_action("study.view")
def groupings(study_id: int):
    """Show the latest thematic groupings with their quotes and how they relate to themes."""
    return _groupings_page(study_id)


def _groupings_page(study_id: int, conflict=None, status: int = 200):
    rows = (
        db.session.execute(
            db.select(Grouping)
            .filter_by(study_id=study_id, status=GroupingStatus.OPEN)
            .order_by(Grouping.id)
        )
        .scalars()
        .all()
    )
    wanted = {pid for row in rows for pid in row.representatives}
    passages = {
        p.id: p
        for p in db.session.execute(db.select(Passage).where(Passage.id.in_(wanted))).scalars()
    }
    decided = (
        db.session.execute(
            db.select(Grouping)
            .where(
                Grouping.study_id == study_id,
                Grouping.status.in_([GroupingStatus.ACCEPTED]),
            )
            .order_by(Grouping.id.desc())
            .limit(20)
        )
        .scalars()
        .all()
    )
    themes = {theme.id: theme for theme in g.study.themes}
    return render_template(
        "analysis/groupings.html",
        study=g.study,
        groupings=rows,
        accepted=decided,
        passages=passages,
        themes=themes,
        job=latest_job(study_id, "analysis.cluster"),
        can_edit=allowed(g.membership.role, "codebook.edit"),
        conflict=conflict,
    ), status


@bp.post("/groupings/run")
@study_action("codebook.edit")
def run_clustering(study_id: int):
    """Start a clustering run (as a background job)."""
    scope = "uncoded" if request.form.get("scope") == "uncoded" else "all"
    k_value = request.form.get("k", "auto").strip() or "auto"
    k = "auto" if k_value == "auto" else as_number(k_value, default=0, maximum=50)
    if k != "auto" and k < 2:
        flash(_("Give the number of groups as a whole number from 2 to 50, or auto."), "error")
        return redirect(url_for("analysis.groupings", study_id=study_id), code=303)
    job = enqueue(study_id, "analysis.cluster", {"scope": scope, "k": k}, user_id=current_user.id)
    return redirect(url_for("jobs.status", study_id=study_id, job_id=job.id), code=303)


@bp.post("/groupings/<int:grouping_id>/accept")
@study_action("codebook.edit")
def accept_group(study_id: int, grouping_id: int):
    """Turn a grouping into a theme (new or existing) with its codings, in one step."""
    grouping = _grouping(grouping_id)
    if grouping.status != GroupingStatus.OPEN:
        abort(409)
    try:
        theme = accept_grouping(grouping, request.form, user_id=current_user.id)
    except ValidationError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("analysis.groupings", study_id=study_id), code=303)
    db.session.commit()
    flash(
        _(
            "The passages of the grouping are coded with “%(theme)s”.",
            theme=theme.label(str(get_locale())),
        ),
        "success",
    )
    return redirect(url_for("analysis.groupings", study_id=study_id), code=303)


@bp.post("/groupings/<int:grouping_id>/rename")
@study_action("codebook.edit")
def rename_group(study_id: int, grouping_id: int):
    """Give a grouping a clearer label."""
    grouping = _grouping(grouping_id)
    try:
        label = clean_text(request.form.get("label"), "label", max_length=200)
        shown = _l("Rename")
        locale = str(get_locale())
        claim_version(
            grouping,
            request.form.get("version"),
            lambda: differences({shown: grouping.display_label(locale)}, {shown: label}),
        )
        grouping.label = label
        grouping.labels = {}  # a name a facilitator chose holds in every language
        scan_fields(grouping)
    except StaleEdit as conflict:
        db.session.rollback()
        return _groupings_page(study_id, conflict, 409)
    except ValidationError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("analysis.groupings", study_id=study_id), code=303)
    record("grouping.rename", grouping, user_id=current_user.id, study_id=study_id)
    db.session.commit()
    return redirect(
        url_for("analysis.groupings", study_id=study_id) + f"#grouping-{grouping.id}", code=303
    )


@bp.post("/groupings/<int:grouping_id>/dismiss")
@study_action("codebook.edit")
def dismiss_group(study_id: int, grouping_id: int):
    """Set a grouping aside."""
    grouping = _grouping(grouping_id)
    grouping.status = GroupingStatus.DISMISSED
    record("grouping.dismiss", grouping, user_id=current_user.id, study_id=study_id)
    db.session.commit()
    return redirect(url_for("analysis.groupings", study_id=study_id), code=303)


@bp.post("/groupings/merge")
@study_action("codebook.edit")
def merge_groups(study_id: int):
    """Merge two or more open groupings into one."""
    ids = [as_id(value) for value in request.form.getlist("groupings")]
    chosen = [_grouping(i) for i in dict.fromkeys(i for i in ids if i)]
    if len(chosen) < 2 or any(c.status != GroupingStatus.OPEN for c in chosen):
        flash(_("Tick at least two open groupings to merge."), "error")
        return redirect(url_for("analysis.groupings", study_id=study_id), code=303)
    target = merge_groupings(chosen, user_id=current_user.id)
    db.session.commit()
    return redirect(
        url_for("analysis.groupings", study_id=study_id) + f"#grouping-{target.id}", code=303
    )

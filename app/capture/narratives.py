"""Narratives: the stories proposed in phase 1 and the group's choice in phase 2."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.accounts.audit import record
from app.accounts.policy import in_study, study_action
from app.models import GroupSession, Narrative, Participant
from app.platform.edits import StaleEdit, claim_version, differences
from app.platform.extensions import db
from app.platform.forms import ValidationError, as_id, as_number, clean_long_text, clean_text
from app.privacy.queue import save_warning
from app.privacy.scan import scan_narrative

bp = Blueprint(
    "narratives", __name__, url_prefix="/studies/<int:study_id>/sessions/<int:session_id>"
)


def _participant(study_id: int, value, field: str) -> Participant:
    participant = db.session.get(Participant, as_id(value)) if as_id(value) else None
    if participant is None or participant.study_id != study_id:
        raise ValidationError(_l("Choose a participant of this study."), field)
    return participant


DECIDED_BY = {"": "—", "vote": _l("vote"), "consensus": _l("consensus")}


def _shown(proposer: Participant, title, summary, votes, decided_by) -> dict:
    """Return {field label: value} as the conflict page shows a proposal."""
    return {
        _l("Proposed by"): proposer.pseudonym,
        _l("Title"): title,
        _l("Summary"): summary,
        _l("Votes"): "" if votes is None else votes,
        _l("Decided by"): DECIDED_BY.get(decided_by, decided_by),
    }


def save_narrative(
    group_session: GroupSession, form, *, user_id: int, narrative: Narrative | None = None
) -> Narrative:
    """Create or update a proposal: proposer, title, summary, votes, how it was decided.

    An update must come from the proposal's current `version` (StaleEdit otherwise).
    """
    proposer = _participant(group_session.study_id, form.get("proposer"), "proposer")
    decided_by = form.get("decided_by", "")
    if decided_by not in DECIDED_BY:
        raise ValidationError(_l("Choose vote or consensus."), "decided_by")
    title = clean_text(form.get("title"), "title", max_length=200)
    summary = clean_long_text(form.get("summary"), "summary", max_length=5000)
    votes = form.get("votes", "")
    votes = as_number(votes, default=-1, maximum=999) if votes else None
    if votes == -1:
        raise ValidationError(_l("Enter the number of votes as a whole number."), "votes")
    if narrative is None:
        narrative = Narrative(group_session_id=group_session.id)
        db.session.add(narrative)
    else:
        claim_version(
            narrative,
            form.get("version"),
            lambda: differences(
                _shown(
                    narrative.proposer,
                    narrative.title,
                    narrative.summary,
                    narrative.votes,
                    narrative.decided_by,
                ),
                _shown(proposer, title, summary, votes, decided_by),
            ),
        )
    narrative.proposer_id = proposer.id
    narrative.title, narrative.summary, narrative.votes = title, summary, votes
    narrative.decided_by = decided_by
    db.session.flush()
    scan_narrative(narrative)
    record("narrative.save", narrative, user_id=user_id, study_id=group_session.study_id)
    return narrative


def _warn_personal_data(narrative_id: int) -> None:
    """Flash a non-blocking warning when the proposal holds personal-data findings."""
    warning = save_warning("narrative", [narrative_id])
    if warning:
        flash(warning, "pii")


def _narrative(session_id: int, narrative_id: int) -> Narrative:
    group_session = in_study(GroupSession, session_id)
    narrative = db.session.get(Narrative, narrative_id)
    if narrative is None or narrative.group_session_id != group_session.id:
        abort(404)
    return narrative


def _back(session_id: int):
    return redirect(
        url_for(
            "group_sessions.overview",
            study_id=g.study.id,
            session_id=session_id,
            _anchor="narratives-heading",
        )
    )


def _fail(error: ValidationError, session_id: int):
    db.session.rollback()
    flash(error.message, "error")
    return _back(session_id), 303


@bp.post("/narratives")
@study_action("session.edit")
def create(study_id: int, session_id: int):
    """Record a story proposal."""
    try:
        narrative = save_narrative(
            in_study(GroupSession, session_id), request.form, user_id=current_user.id
        )
    except ValidationError as error:
        return _fail(error, session_id)
    db.session.commit()
    flash(_("Story proposal recorded."), "success")
    _warn_personal_data(narrative.id)
    return _back(session_id)


@bp.post("/narratives/<int:narrative_id>")
@study_action("session.edit")
def update(study_id: int, session_id: int, narrative_id: int):
    """Change a proposal's title, summary, votes or how it was decided."""
    narrative = _narrative(session_id, narrative_id)
    try:
        save_narrative(
            narrative.group_session, request.form, user_id=current_user.id, narrative=narrative
        )
    except StaleEdit as conflict:
        db.session.rollback()
        current = _narrative(session_id, narrative_id)
        # The form keeps what this person sent; saving it again replaces the saved proposal.
        form = request.form.copy()
        form["version"] = str(current.version)
        page = render_template(
            "group_sessions/narrative_conflict.html",
            study=g.study,
            group_session=current.group_session,
            narrative=current,
            members=g.study.roster,
            form=form,
            conflict=conflict,
        )
        return page, 409
    except ValidationError as error:
        return _fail(error, session_id)
    db.session.commit()
    _warn_personal_data(narrative_id)
    return _back(session_id)


@bp.post("/narratives/<int:narrative_id>/choice")
@study_action("session.edit")
def choose(study_id: int, session_id: int, narrative_id: int):
    """Mark a story as chosen (with its narrator) or undo the choice."""
    narrative = _narrative(session_id, narrative_id)
    try:
        if request.form.get("chosen") == "1":
            narrator = request.form.get("narrator") or narrative.proposer_id
            narrative.narrator_id = _participant(study_id, narrator, "narrator").id
            narrative.is_chosen = True
        else:
            narrative.is_chosen, narrative.narrator_id = False, None
    except ValidationError as error:
        return _fail(error, session_id)
    record(
        "narrative.choice",
        narrative,
        user_id=current_user.id,
        study_id=study_id,
        details={"chosen": narrative.is_chosen},
    )
    db.session.commit()
    return _back(session_id)


@bp.post("/narratives/<int:narrative_id>/delete")
@study_action("session.edit")
def delete(study_id: int, session_id: int, narrative_id: int):
    """Delete a proposal recorded by mistake."""
    narrative = _narrative(session_id, narrative_id)
    record("narrative.delete", narrative, user_id=current_user.id, study_id=study_id)
    db.session.delete(narrative)
    db.session.commit()
    return _back(session_id)

"""Routes that edit a session's transcript (services in app/capture/passages.py)."""

from __future__ import annotations

import re

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from app.accounts.policy import in_study, study_action
from app.capture.group import facilitator_labels
from app.capture.joins import SplitConflict, merge_with_next, split_passage
from app.capture.passages import (
    CodingsAffected,
    EditConflict,
    OrderConflict,
    SeenOrder,
    add_passage,
    edit_passage,
    move_passage,
    parse_speaker,
)
from app.models import GroupSession, Passage, PassageRevision
from app.models.phases import PHASES
from app.platform.extensions import db
from app.platform.forms import ValidationError, as_number
from app.privacy.queue import save_warning

bp = Blueprint("editor", __name__, url_prefix="/studies/<int:study_id>/sessions/<int:session_id>")
_SENTENCE_END = re.compile(r"[.!?…»”](?=\s)|\n")


def _passage(session_id: int, passage_id: int) -> Passage:
    group_session = in_study(GroupSession, session_id)
    passage = db.session.get(Passage, passage_id)
    if passage is None or passage.group_session_id != group_session.id:
        abort(404)
    return passage


def _back(session_id: int, passage_id: int | None = None):
    anchor = f"passage-{passage_id}" if passage_id else None
    return redirect(
        url_for(
            "group_sessions.overview", study_id=g.study.id, session_id=session_id, _anchor=anchor
        )
    )


def speaker_choices(
    group_session: GroupSession, used: list[str] | None = None
) -> list[tuple[str, str]]:
    """Return (value, name) for every participant and the session's facilitator labels.

    With no label in the session yet, the word is in the session's language, not the
    interface's (`capture.group.facilitator_labels`, which takes `used`).
    """
    choices = [(f"p:{p.id}", p.pseudonym) for p in g.study.roster]
    labels = facilitator_labels(group_session, used)
    return choices + [(f"f:{label}", label) for label in labels]


def split_points(text: str) -> list[tuple[int, str]]:
    """Return (offset, preview) after each sentence end, for the split menu."""
    points = []
    for match in _SENTENCE_END.finditer(text):
        offset = match.end()
        if 0 < offset < len(text.rstrip()):
            points.append((offset, "…" + text[max(0, offset - 40) : offset].replace("\n", " ")))
    return points


def _edit_page(
    passage, form, error=None, conflict=None, affected=None, split_conflict=None, status=200
):
    revisions = (
        db.session.execute(
            db.select(PassageRevision)
            .filter_by(passage_id=passage.id)
            .order_by(PassageRevision.id.desc())
        )
        .scalars()
        .all()
    )
    return render_template(
        "editor/edit.html",
        study=g.study,
        passage=passage,
        form=form,
        error=error,
        conflict=conflict,
        affected=affected,
        split_conflict=split_conflict,
        phases=PHASES,
        revisions=revisions,
        speakers=speaker_choices(passage.group_session),
        splits=split_points(passage.text),
    ), status


def _current_form(passage: Passage) -> dict:
    return {
        "text": passage.text,
        "version": passage.version,
        "phase": passage.phase,
        "speaker": _current_choice(passage),
    }


def _current_choice(passage: Passage) -> str:
    if passage.participant_id:
        return f"p:{passage.participant_id}"
    return f"f:{passage.speaker_label}"


@bp.post("/passages")
@study_action("session.edit")
def create(study_id: int, session_id: int):
    """Add a passage at the end of a phase."""
    group_session = in_study(GroupSession, session_id)
    form = request.form
    try:
        phase = as_number(form.get("phase"))
        passage, _created = add_passage(
            group_session,
            phase,
            parse_speaker(study_id, form.get("speaker"), form.get("facilitator_label")),
            form.get("text"),
            user_id=current_user.id,
        )
    except ValidationError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return _back(session_id), 303
    db.session.commit()
    flash(_("Passage added."), "success")
    _warn_personal_data([passage.id])
    return _back(session_id, passage.id)


def _warn_personal_data(passage_ids: list[int]) -> None:
    """Flash a non-blocking warning when the saved passages hold personal-data findings."""
    warning = save_warning("passage", passage_ids)
    if warning:
        flash(warning, "pii")


@bp.route("/passages/<int:passage_id>/edit", methods=["GET", "POST"])
@study_action("session.edit")
def edit(study_id: int, session_id: int, passage_id: int):
    """Edit a passage's text, speaker or phase, with conflict and coding checks."""
    passage = _passage(session_id, passage_id)
    if request.method == "GET":
        return _edit_page(passage, _current_form(passage))
    form = request.form
    version = as_number(form.get("version"))
    try:
        edit_passage(
            passage,
            version=version,
            text=form.get("text"),
            speaker=parse_speaker(study_id, form.get("speaker")),
            phase=as_number(form.get("phase"), default=passage.phase),
            user_id=current_user.id,
            codings_choice=form.get("codings"),
        )
        db.session.commit()
    except EditConflict as conflict:
        db.session.commit()  # keep the refused text as a rejected revision
        current = db.session.get(Passage, passage_id)
        fresh = {
            "text": conflict.submitted,
            "version": current.version,
            "phase": current.phase,
            "speaker": _current_choice(current),
        }
        return _edit_page(current, fresh, conflict=conflict, status=409)
    except StaleDataError:
        db.session.rollback()
        current = db.session.get(Passage, passage_id)
        fresh = {
            "text": form.get("text", ""),
            "version": current.version,
            "phase": current.phase,
            "speaker": _current_choice(current),
        }
        return _edit_page(current, fresh, conflict=EditConflict(current, fresh["text"]), status=409)
    except CodingsAffected as decision:
        db.session.rollback()
        return _edit_page(
            db.session.get(Passage, passage_id), form, affected=decision.affected, status=409
        )
    except ValidationError as error:
        db.session.rollback()
        return _edit_page(db.session.get(Passage, passage_id), form, error=error, status=422)
    flash(_("Passage saved."), "success")
    _warn_personal_data([passage_id])
    return _back(session_id, passage_id)


def _seen() -> SeenOrder:
    """Read what the button's page showed (its URL's query, or the form)."""
    values = request.values
    return SeenOrder(
        as_number(values.get("version")),
        as_number(values.get("neighbour")),
        as_number(values.get("neighbour_version")),
    )


def _order_conflict(refused: OrderConflict | None, session_id: int, passage_id: int, action: str):
    """Answer 409 with the passage and its neighbours as they are now: nothing was changed."""
    db.session.rollback()
    if refused is None:  # a concurrent save caught by the version counters at flush
        refused = OrderConflict(as_number(request.values.get("neighbour")), None)
    page = render_template(
        "editor/order_conflict.html",
        study=g.study,
        session_id=session_id,
        passage=db.session.get(Passage, passage_id),
        action=action,
        seen_id=refused.seen_id,
        seen=db.session.get(Passage, refused.seen_id) if refused.seen_id else None,
        neighbour=db.session.get(Passage, refused.neighbour_id) if refused.neighbour_id else None,
    )
    return page, 409


@bp.post("/passages/<int:passage_id>/move")
@study_action("session.edit")
def move(study_id: int, session_id: int, passage_id: int):
    """Move a passage one place up or down in its phase, if its page was still current."""
    passage = _passage(session_id, passage_id)
    direction = -1 if request.form.get("direction") == "up" else 1
    try:
        move_passage(passage, direction, seen=_seen(), user_id=current_user.id)
    except OrderConflict as refused:
        return _order_conflict(refused, session_id, passage_id, "move")
    db.session.commit()
    return _back(session_id, passage_id)


@bp.post("/passages/<int:passage_id>/split")
@study_action("session.edit")
def split(study_id: int, session_id: int, passage_id: int):
    """Split a passage after the chosen sentence."""
    passage = _passage(session_id, passage_id)
    offset = request.form.get("offset", "")
    try:
        split_passage(
            passage,
            as_number(offset),
            version=as_number(request.form.get("version")),
            user_id=current_user.id,
        )
        db.session.flush()  # the version check runs here too, against concurrent saves
    except (SplitConflict, StaleDataError) as refused:
        db.session.rollback()
        current = db.session.get(Passage, passage_id)
        seen = refused.seen_text if isinstance(refused, SplitConflict) else None
        return _edit_page(
            current, _current_form(current), split_conflict={"seen": seen}, status=409
        )
    except ValidationError as error:
        db.session.rollback()
        return _edit_page(passage, _current_form(passage), error=error, status=422)
    db.session.commit()
    flash(_("Passage split in two."), "success")
    return _back(session_id, passage_id)


@bp.post("/passages/<int:passage_id>/merge")
@study_action("session.edit")
def merge(study_id: int, session_id: int, passage_id: int):
    """Merge a passage with the next one of the same speaker."""
    passage = _passage(session_id, passage_id)
    try:
        merge_with_next(passage, seen=_seen(), user_id=current_user.id)
    except OrderConflict as refused:
        return _order_conflict(refused, session_id, passage_id, "merge")
    except StaleDataError:
        return _order_conflict(None, session_id, passage_id, "merge")
    except ValidationError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return _back(session_id, passage_id), 303
    db.session.commit()
    flash(_("Passages merged."), "success")
    return _back(session_id, passage_id)

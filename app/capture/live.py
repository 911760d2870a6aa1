"""Live capture for the rapporteur: the current phase, the turn queue, one-key saving.

Each contribution carries a client key chosen before sending, so a resend
after a network error returns the stored passage instead of adding it twice.
The page's script keeps drafts and unsent contributions in the browser's
local storage until the server has confirmed them.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.accounts.policy import in_study, study_action
from app.capture.group import facilitator_labels, group_members, seating_names
from app.capture.passages import add_passage, parse_speaker
from app.models import GroupSession, Participant, Passage
from app.models.phases import PHASES
from app.platform.edits import StaleEdit, claim_version, differences
from app.platform.extensions import db
from app.platform.forms import ValidationError, as_number
from app.privacy.queue import save_warning

bp = Blueprint("live", __name__, url_prefix="/studies/<int:study_id>/sessions/<int:session_id>")
ROUNDS = {5, 7, 11}  # each participant in turn; the narrator listens in 5 and 7
FLOOR = {3, 6}  # the narrator holds the floor: the speaker stays after each contribution


def seating(group_session: GroupSession) -> list[Participant]:
    """Return the session's group in seating order (never the rest of the study)."""
    return group_members(group_session)


def opening_phase(group_session: GroupSession) -> int:
    """Return the phase live capture opens on: the last one with passages, else phase 1."""
    last = db.session.scalar(
        db.select(db.func.max(Passage.phase)).filter_by(group_session_id=group_session.id)
    )
    return last or 1


def narrator_id(group_session: GroupSession) -> int | None:
    """Return the participant who tells the chosen story, if one is recorded."""
    for narrative in group_session.narratives:
        if narrative.is_chosen:
            return narrative.narrator_id or narrative.proposer_id
    return None


def turn_queue(group_session: GroupSession, phase: int) -> list[dict]:
    """Return the queue for a phase: who sits where, who has spoken, who is next."""
    spoken = {
        pid
        for (pid,) in db.session.execute(
            db.select(Passage.participant_id).filter_by(
                group_session_id=group_session.id, phase=phase
            )
        ).all()
        if pid
    }
    narrator = narrator_id(group_session)
    skip = narrator if phase in {5, 7} else None
    queue = [
        {"participant": p, "spoken": p.id in spoken} for p in seating(group_session) if p.id != skip
    ]
    upcoming = next((entry for entry in queue if not entry["spoken"]), None)
    if phase in FLOOR:  # the narrator goes on speaking, however often they have spoken
        upcoming = next((e for e in queue if e["participant"].id == narrator), upcoming)
    for entry in queue:
        entry["next"] = entry is upcoming
    return queue


@bp.get("/live")
@study_action("session.edit")
def page(study_id: int, session_id: int):
    """Show the live-capture page for one phase."""
    group_session = in_study(GroupSession, session_id)
    phase = as_number(request.args.get("phase", ""), maximum=11) or opening_phase(group_session)
    return _live_page(group_session, phase)


def _live_page(group_session: GroupSession, phase: int, *, conflict=None, seats=None):
    passages = (
        db.session.execute(
            db.select(Passage)
            .filter_by(group_session_id=group_session.id, phase=phase)
            .order_by(Passage.position, Passage.id)
        )
        .scalars()
        .all()
    )
    return render_template(
        "live/page.html",
        study=g.study,
        group_session=group_session,
        phase=phase,
        phases=PHASES,
        queue=turn_queue(group_session, phase),
        passages=passages,
        is_round=phase in ROUNDS,
        keeps_speaker=phase in FLOOR,
        facilitators=facilitator_labels(group_session),
        client_key=uuid.uuid4().hex,
        everyone=g.study.roster,
        # After a conflict the seating form holds the seats this person sent.
        group=seats if seats is not None else [p.id for p in seating(group_session)],
        conflict=conflict,
    )


@bp.post("/live/contributions")
@study_action("session.edit")
def contribute(study_id: int, session_id: int):
    """Save one contribution; the same client key twice stores it once."""
    group_session = in_study(GroupSession, session_id)
    wants_json = request.is_json
    try:
        data = request.get_json(silent=True) if wants_json else request.form
    except RecursionError:  # absurdly nested JSON
        data = None
    if not hasattr(data, "get"):
        raise ValidationError(_l("Send the contribution as a form or a JSON object."))
    phase = data.get("phase")
    phase = as_number(phase)
    key = str(data.get("client_key") or "")[:64] or None
    choice = data.get("speaker")
    # "f:" with a typed label: a facilitator label not used in this session yet.
    label = data.get("facilitator_label") if choice == "f:" else None
    passage, created = add_passage(
        group_session,
        phase,
        parse_speaker(study_id, choice, label if isinstance(label, str) else None),
        data.get("text"),
        user_id=current_user.id,
        client_key=key,
    )
    db.session.commit()
    warning = save_warning("passage", [passage.id])  # shown, never blocking
    if wants_json:
        return jsonify(
            id=passage.id,
            created=created,
            speaker=passage.speaker_name,
            position=passage.position,
            warning=warning,
        ), 201 if created else 200
    if warning:
        flash(warning, "pii")
    return redirect(url_for("live.page", study_id=study_id, session_id=session_id, phase=phase))


@bp.post("/live/seating")
@study_action("session.edit")
def save_seating(study_id: int, session_id: int):
    """Save the group and its seating order (the turn order of the interpretation rounds)."""
    group_session = in_study(GroupSession, session_id)
    phase = as_number(request.form.get("phase"), maximum=11) or opening_phase(group_session)
    seats = []
    for participant in g.study.participants:
        value = request.form.get(f"seat-{participant.id}", "")
        if value:
            seats.append((as_number(value, 99), participant.pseudonym_key, participant.id))
    wanted = [pid for _seat, _key, pid in sorted(seats)]
    label = _l("Group and seating order")
    try:
        claim_version(
            group_session,
            request.form.get("version"),
            lambda: differences(
                {label: seating_names(group_session, group_session.seating or [])},
                {label: seating_names(group_session, wanted)},
            ),
        )
    except StaleEdit as conflict:
        db.session.rollback()
        current = in_study(GroupSession, session_id)
        return _live_page(current, phase, conflict=conflict, seats=wanted), 409
    group_session.seating = wanted
    db.session.commit()
    return redirect(
        url_for(
            "live.page",
            study_id=study_id,
            session_id=session_id,
            phase=as_number(request.form.get("phase"), maximum=11) or None,
        )
    )

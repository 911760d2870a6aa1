"""Live capture for the rapporteur: the current phase, the turn queue, one-key saving.

Each contribution carries a client key chosen before sending, so a resend
after a network error returns the stored passage instead of adding it twice.
The page's script keeps drafts and unsent contributions in the browser's
local storage until the server has confirmed them.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, g, jsonify, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.accounts.policy import in_study, study_action
from app.capture.passages import add_passage, parse_speaker
from app.models import GroupSession, Participant, Passage
from app.models.phases import PHASES
from app.platform.extensions import db
from app.platform.forms import ValidationError, as_number

bp = Blueprint("live", __name__, url_prefix="/studies/<int:study_id>/sessions/<int:session_id>")
ROUNDS = {5, 7, 11}  # each participant in turn; the narrator listens in 5 and 7


def seating(group_session: GroupSession) -> list[Participant]:
    """Return the session's participants in seating order (others follow, by pseudonym)."""
    by_id = {p.id: p for p in g.study.participants}
    ordered = [by_id[i] for i in group_session.seating or [] if i in by_id]
    return ordered + [p for p in g.study.participants if p.id not in set(group_session.seating)]


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
    skip = narrator_id(group_session) if phase in {5, 7} else None
    queue = [
        {"participant": p, "spoken": p.id in spoken} for p in seating(group_session) if p.id != skip
    ]
    upcoming = next((entry for entry in queue if not entry["spoken"]), None)
    for entry in queue:
        entry["next"] = entry is upcoming
    return queue


@bp.get("/live")
@study_action("session.edit")
def page(study_id: int, session_id: int):
    """Show the live-capture page for one phase."""
    group_session = in_study(GroupSession, session_id)
    phase = request.args.get("phase", "")
    phase = as_number(phase, default=5, maximum=11) or 5
    passages = (
        db.session.execute(
            db.select(Passage)
            .filter_by(group_session_id=session_id, phase=phase)
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
        client_key=uuid.uuid4().hex,
        seated=seating(group_session),
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
    passage, created = add_passage(
        group_session,
        phase,
        parse_speaker(study_id, data.get("speaker")),
        data.get("text"),
        user_id=current_user.id,
        client_key=key,
    )
    db.session.commit()
    if wants_json:
        return jsonify(
            id=passage.id, created=created, speaker=passage.speaker_name, position=passage.position
        ), 201 if created else 200
    return redirect(url_for("live.page", study_id=study_id, session_id=session_id, phase=phase))


@bp.post("/live/seating")
@study_action("session.edit")
def save_seating(study_id: int, session_id: int):
    """Save the seating order (the turn order of the interpretation rounds)."""
    group_session = in_study(GroupSession, session_id)
    seats = []
    for participant in g.study.participants:
        value = request.form.get(f"seat-{participant.id}", "")
        if value:
            seats.append((as_number(value, 99), participant.pseudonym_key, participant.id))
    group_session.seating = [pid for _seat, _key, pid in sorted(seats)]
    db.session.commit()
    return redirect(
        url_for(
            "live.page",
            study_id=study_id,
            session_id=session_id,
            phase=request.form.get("phase", 5),
        )
    )

"""Group sessions: creation, details, and the session overview by MAG phase."""

from __future__ import annotations

from flask import (
    Blueprint,
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
from sqlalchemy import func
from sqlalchemy.orm import selectinload

from app.accounts.audit import log_transcript_view, record
from app.accounts.policy import allowed, in_study, study_action
from app.capture.editor import speaker_choices
from app.capture.group import group_members, seating_names, set_group
from app.capture.overview import TOOLS_FORM, passages_by_phase, session_passages
from app.models import (
    GroupSession,
    Narrative,
    SessionStatus,
    Study,
)
from app.platform.edits import StaleEdit, claim_version, differences, lock_parent
from app.platform.extensions import db
from app.platform.forms import (
    ValidationError,
    clean_date,
    clean_language,
    clean_positive_int,
    clean_text,
)
from app.privacy.scan import scan_fields

bp = Blueprint("group_sessions", __name__, url_prefix="/studies/<int:study_id>/sessions")


# --- services -------------------------------------------------------------


def clean_status(value: str | None, field: str = "status") -> SessionStatus:
    """Return the session status named by `value`, or raise."""
    try:
        return SessionStatus(value)
    except ValueError:
        raise ValidationError(_l("Unknown session status."), field) from None


def session_fields(form) -> dict:
    """Validate the fields of the session form and return them cleaned."""
    return {
        "number": clean_positive_int(form.get("number"), "number", maximum=999),
        "title": clean_text(form.get("title"), "title", max_length=200, required=False),
        "held_on": clean_date(form.get("held_on"), "held_on"),
        "place": clean_text(form.get("place"), "place", max_length=200, required=False),
        "language": clean_language(form.get("language")),
        "status": clean_status(form.get("status") or SessionStatus.PLANNED.value),
    }


STATUS_NAMES = {
    SessionStatus.PLANNED: _l("planned"),
    SessionStatus.HELD: _l("held"),
    SessionStatus.TRANSCRIBED: _l("transcribed"),
    SessionStatus.ANALYSED: _l("analysed"),
}


def _shown(group_session: GroupSession, fields: dict, members: list[int]) -> dict:
    """Return {field label: value} as the conflict page shows a session form."""
    held_on = fields["held_on"]
    return {
        _l("Number"): fields["number"],
        _l("Title"): fields["title"],
        _l("Date"): held_on.isoformat() if held_on else "",
        _l("Place"): fields["place"],
        _l("Language of the session"): fields["language"],
        _l("Status"): STATUS_NAMES.get(fields["status"], fields["status"]),
        _l("Group: the participants of this session"): seating_names(group_session, members),
    }


def save_group_session(
    study_id: int,
    fields: dict,
    *,
    user_id: int,
    group_session: GroupSession | None = None,
    version=None,
    members: list[int] | None = None,
) -> GroupSession:
    """Create a session, or update one from `version`, refusing a number already in use.

    With `members`, the group becomes these participants (seats of those kept stay).
    """
    # Numbers are unique in a study: with the study's lock, of two saves of one number
    # the second sees the first and gets this message, not the database's refusal (a 500).
    lock_parent(Study, study_id)
    clash = db.session.execute(
        db.select(GroupSession.id).filter_by(study_id=study_id, number=fields["number"])
    ).scalar_one_or_none()
    if clash is not None and (group_session is None or clash != group_session.id):
        raise ValidationError(_l("This study already has a session with this number."), "number")
    if group_session is None:
        group_session = GroupSession(study_id=study_id, **fields)
        db.session.add(group_session)
        action = "session.create"
    else:
        claim_version(
            group_session,
            version,
            lambda: differences(
                _shown(
                    group_session,
                    {name: getattr(group_session, name) for name in fields},
                    sorted(group_session.seating or []),
                ),
                _shown(group_session, fields, sorted(members or [])),
            ),
        )
        for name, value in fields.items():
            setattr(group_session, name, value)
        action = "session.update"
    db.session.flush()
    scan_fields(group_session)  # its title and place
    if members is not None:
        set_group(group_session, members)
    record(
        action,
        group_session,
        user_id=user_id,
        study_id=study_id,
        details={"number": group_session.number},
    )
    return group_session


def next_session_number(study_id: int) -> int:
    """Return the number the next session of the study would get."""
    highest = db.session.scalar(
        db.select(func.max(GroupSession.number)).filter_by(study_id=study_id)
    )
    return (highest or 0) + 1


# --- views ----------------------------------------------------------------


def _members(form) -> list[int]:
    """The ids of the participants ticked as the session's group."""
    return [int(v) for v in form.getlist("members") if v.isdigit()]


def _form_page(form, error=None, group_session=None, status=200, members=None, conflict=None):
    if members is None:
        members = _members(request.form) if request.method == "POST" else []
    return render_template(
        "group_sessions/form.html",
        study=g.study,
        form=form,
        error=error,
        group_session=group_session,
        statuses=list(SessionStatus),
        members=members,
        conflict=conflict,
    ), status


@bp.route("/new", methods=["GET", "POST"])
@study_action("session.edit")
def create(study_id: int):
    """Add a group session to the study."""
    if request.method == "GET":
        defaults = {
            "number": next_session_number(study_id),
            "language": g.study.language,
            "status": SessionStatus.PLANNED.value,
        }
        return _form_page(defaults)
    try:
        group_session = save_group_session(
            study_id,
            session_fields(request.form),
            user_id=current_user.id,
            members=_members(request.form),
        )
    except ValidationError as error:
        db.session.rollback()
        return _form_page(request.form, error, status=422)
    db.session.commit()
    flash(_("Session saved."), "success")
    return redirect(
        url_for("group_sessions.overview", study_id=study_id, session_id=group_session.id)
    )


@bp.route("/<int:session_id>/edit", methods=["GET", "POST"])
@study_action("session.edit")
def edit(study_id: int, session_id: int):
    """Change a session's number, date, place, language, status or group."""
    group_session = in_study(GroupSession, session_id)
    if request.method == "GET":
        form = {
            "number": group_session.number,
            "title": group_session.title,
            "held_on": group_session.held_on.isoformat() if group_session.held_on else "",
            "place": group_session.place,
            "language": group_session.language,
            "status": group_session.status.value,
            "version": group_session.version,
        }
        members = [p.id for p in group_members(group_session)]
        return _form_page(form, group_session=group_session, members=members)
    try:
        save_group_session(
            study_id,
            session_fields(request.form),
            user_id=current_user.id,
            group_session=group_session,
            version=request.form.get("version"),
            members=_members(request.form),
        )
    except StaleEdit as conflict:
        db.session.rollback()
        current = in_study(GroupSession, session_id)
        # The form keeps what this person sent; saving it again replaces the saved session.
        form = request.form.copy()
        form["version"] = str(current.version)
        return _form_page(form, None, current, status=409, conflict=conflict)
    except ValidationError as error:
        db.session.rollback()
        return _form_page(request.form, error, group_session, status=422)
    db.session.commit()
    flash(_("Session saved."), "success")
    return redirect(url_for("group_sessions.overview", study_id=study_id, session_id=session_id))


@bp.get("/<int:session_id>")
@study_action("study.view")
def overview(study_id: int, session_id: int):
    """Show a session's narratives and its passages phase by phase."""
    group_session = in_study(GroupSession, session_id)
    log_transcript_view(group_session, "session.view")
    can_edit = allowed(g.membership.role, "session.edit")
    query = (
        db.select(Narrative)
        .filter_by(group_session_id=session_id)
        .order_by(Narrative.is_chosen.desc(), Narrative.id)
    )
    rows = session_passages(session_id)
    members, speakers = [], []
    if can_edit:
        # The forms' proposers and narrators: the session's group (and whoever already is one).
        # Loading them puts the study's participants in the session, so the narratives'
        # proposers and narrators below need no query of their own. The passages' rows
        # say who speaks and which facilitator labels the session uses.
        speaking = {row.participant_id for row in rows if row.participant_id is not None}
        members = group_members(group_session, speaking) or g.study.roster
        narratives = db.session.execute(query).scalars().all()
        chosen = {n.proposer_id for n in narratives} | {n.narrator_id for n in narratives}
        members += [p for p in g.study.roster if p.id in chosen and p not in members]
        speakers = speaker_choices(
            group_session, [row.speaker_label for row in rows if row.speaker_label]
        )
    else:  # no forms: only the names of the narratives' proposers and narrators
        options = selectinload(Narrative.proposer), selectinload(Narrative.narrator)
        narratives = db.session.execute(query.options(*options)).scalars().all()
    return render_template(
        "group_sessions/overview.html",
        study=g.study,
        group_session=group_session,
        members=members,
        narratives=narratives,
        phases=passages_by_phase(study_id, group_session, g.study.themes, rows, tools=can_edit),
        tools_form=TOOLS_FORM,
        can_edit=can_edit,
        speakers=speakers,
    )

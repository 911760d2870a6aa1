"""Studies: list, creation, overview and membership."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func

from app.accounts.audit import record
from app.accounts.policy import allowed, login_required, study_action
from app.models import (
    Coding,
    GroupSession,
    Membership,
    Participant,
    Passage,
    Role,
    Study,
    Theme,
    User,
)
from app.platform.extensions import db
from app.platform.forms import (
    ValidationError,
    clean_date,
    clean_email,
    clean_language,
    clean_long_text,
    clean_text,
)
from app.privacy.scan import scan_fields
from app.studies.codebook import seed_default_codebook

bp = Blueprint("studies", __name__, url_prefix="/studies")


# --- services -------------------------------------------------------------


def clean_role(value: str | None, field: str = "role") -> Role:
    """Return the study role named by `value`, or raise."""
    try:
        return Role(value)
    except ValueError:
        raise ValidationError(
            _l("Unknown role. Choose owner, facilitator, researcher or observer."), field
        ) from None


def create_study(title: str, description: str, language: str, *, owner_id: int) -> Study:
    """Create a study with the default codebook; its creator becomes owner."""
    study = Study(
        title=clean_text(title, "title", max_length=200),
        description=clean_long_text(description, "description", max_length=5000),
        language=clean_language(language),
        created_by_id=owner_id,
    )
    db.session.add(study)
    db.session.add(Membership(study=study, user_id=owner_id, role=Role.OWNER))
    seed_default_codebook(study)
    db.session.flush()
    scan_fields(study)  # its title and description
    record("study.create", study, user_id=owner_id, study_id=study.id)
    return study


def studies_of(user_id: int) -> list[tuple[Study, Role]]:
    """Return the studies the user is a member of, with the user's role."""
    rows = db.session.execute(
        db.select(Study, Membership.role)
        .join(Membership, Membership.study_id == Study.id)
        .where(Membership.user_id == user_id)
        .order_by(Study.title)
    )
    return [(study, role) for study, role in rows]


def grant_role(study_id: int, email: str, role: str, *, granted_by: int) -> Membership:
    """Give an existing account a role in the study (or change its role)."""
    role = clean_role(role)
    email = clean_email(email)
    user = db.session.execute(db.select(User).filter_by(email=email)).scalar_one_or_none()
    if user is None:
        raise ValidationError(
            _l("No account uses this e-mail address. Ask an administrator to invite the person."),
            "email",
        )
    membership = db.session.execute(
        db.select(Membership).filter_by(study_id=study_id, user_id=user.id)
    ).scalar_one_or_none()
    if membership is None:
        membership = Membership(
            study_id=study_id, user_id=user.id, role=role, granted_by_id=granted_by
        )
        db.session.add(membership)
    else:
        _keep_an_owner(membership, role)
        membership.role = role
    db.session.flush()
    record(
        "membership.grant",
        membership,
        user_id=granted_by,
        study_id=study_id,
        details={"user": user.id, "role": role.value},
    )
    return membership


def revoke_membership(membership: Membership, *, revoked_by: int) -> None:
    """Remove a member from the study; the last owner cannot be removed."""
    _keep_an_owner(membership, None)
    record(
        "membership.revoke",
        membership,
        user_id=revoked_by,
        study_id=membership.study_id,
        details={"user": membership.user_id},
    )
    db.session.delete(membership)


def _keep_an_owner(membership: Membership, new_role: Role | None) -> None:
    if membership.role != Role.OWNER or new_role == Role.OWNER:
        return
    # Lock the owners' rows: two owners demoting each other at once must not both succeed
    # (PostgreSQL; SQLite transactions already hold the write lock).
    owners = db.session.execute(
        db.select(Membership.id)
        .filter_by(study_id=membership.study_id, role=Role.OWNER)
        .with_for_update()
    ).all()
    if len(owners) <= 1:
        raise ValidationError(_l("A study needs at least one owner."), "role")


def study_summary(study_id: int) -> dict:
    """Count what a study holds, for its overview page."""
    passage_count = (
        db.select(func.count(Passage.id))
        .join(GroupSession)
        .where(GroupSession.study_id == study_id)
    )
    coding_counts = dict(
        db.session.execute(
            db.select(Coding.theme_id, func.count(Coding.id))
            .join(Theme)
            .where(Theme.study_id == study_id)
            .group_by(Coding.theme_id)
        ).all()
    )
    return {
        "passages": db.session.scalar(passage_count),
        "participants": db.session.scalar(
            db.select(func.count(Participant.id)).filter_by(study_id=study_id)
        ),
        "codings_by_theme": coding_counts,
    }


# --- views ----------------------------------------------------------------


@bp.get("/")
@login_required
def index():
    """List the studies the user belongs to."""
    return render_template("studies/index.html", studies=studies_of(current_user.id))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    """Create a study."""
    if request.method == "GET":
        return render_template("studies/new.html", form={}, error=None)
    form = request.form
    try:
        study = create_study(
            form.get("title"),
            form.get("description"),
            form.get("language"),
            owner_id=current_user.id,
        )
    except ValidationError as error:
        db.session.rollback()
        return render_template("studies/new.html", form=form, error=error), 422
    db.session.commit()
    flash(_("Study created."), "success")
    return redirect(url_for("studies.overview", study_id=study.id))


@bp.get("/<int:study_id>")
@study_action("study.view")
def overview(study_id: int):
    """Show a study: its sessions, participants and codebook."""
    return render_template(
        "studies/overview.html",
        study=g.study,
        summary=study_summary(study_id),
        can_edit_sessions=allowed(g.membership.role, "session.edit"),
        can_manage=allowed(g.membership.role, "members.manage"),
        can_export=allowed(g.membership.role, "export.download"),
        retention=retention_state(g.study),
    )


def _render_members(error=None, form=None, status=200):
    members = (
        db.session.execute(
            db.select(Membership)
            .filter_by(study_id=g.study.id)
            .join(User, Membership.user_id == User.id)
            .order_by(User.email)
        )
        .scalars()
        .all()
    )
    return render_template(
        "studies/members.html",
        study=g.study,
        members=members,
        roles=list(Role),
        error=error,
        form=form or {},
    ), status


@bp.get("/<int:study_id>/members")
@study_action("members.manage")
def members(study_id: int):
    """List the study's members and their roles."""
    return _render_members()


@bp.post("/<int:study_id>/members")
@study_action("members.manage")
def grant(study_id: int):
    """Give a person a role in the study."""
    try:
        grant_role(
            study_id,
            request.form.get("email"),
            request.form.get("role"),
            granted_by=current_user.id,
        )
    except ValidationError as error:
        db.session.rollback()
        return _render_members(error, request.form, 422)
    db.session.commit()
    flash(_("Role saved."), "success")
    return redirect(url_for("studies.members", study_id=study_id))


@bp.post("/<int:study_id>/members/<int:membership_id>/delete")
@study_action("members.manage")
def revoke(study_id: int, membership_id: int):
    """Remove a person from the study."""
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.study_id != study_id:
        abort(404)
    try:
        revoke_membership(membership, revoked_by=current_user.id)
    except ValidationError as error:
        db.session.rollback()
        return _render_members(error, None, 422)
    db.session.commit()
    flash(_("Member removed."), "success")
    return redirect(url_for("studies.members", study_id=study_id))


@bp.post("/<int:study_id>/retention")
@study_action("study.edit")
def retention(study_id: int):
    """Set or clear the date after which the study's material must be deleted."""
    try:
        g.study.retention_until = clean_date(request.form.get("retention_until"), "retention_until")
    except ValidationError as error:
        flash(error.message, "error")
        return redirect(url_for("studies.overview", study_id=study_id)), 303
    record(
        "study.retention",
        g.study,
        user_id=current_user.id,
        study_id=study_id,
        details={"until": g.study.retention_until.isoformat() if g.study.retention_until else None},
    )
    db.session.commit()
    flash(_("Retention date saved."), "success")
    return redirect(url_for("studies.overview", study_id=study_id))


def retention_state(study: Study) -> str | None:
    """Return "passed", "soon" (within 30 days) or None for the study's retention date."""
    if study.retention_until is None:
        return None
    today = date.today()
    if study.retention_until <= today:
        return "passed"
    return "soon" if study.retention_until <= today + timedelta(days=30) else None

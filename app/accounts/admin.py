"""Administration of accounts: invite people, disable and re-enable them."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.audit import record
from app.accounts.policy import admin_required
from app.accounts.users import create_user, invite_token
from app.models import User
from app.models.accounts import new_session_token
from app.platform.extensions import db
from app.platform.forms import ValidationError

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _users() -> list[User]:
    return list(db.session.execute(db.select(User).order_by(User.email)).scalars())


def _invite_link(user: User) -> str:
    return url_for("accounts.accept_invite", token=invite_token(user), _external=True)


@bp.get("/users")
@admin_required
def users():
    """List accounts and offer the invitation form."""
    return render_template(
        "admin/users.html", users=_users(), form={}, error=None, invite_link=None
    )


@bp.post("/users")
@admin_required
def invite():
    """Create an invited account and show its one-time link to pass on."""
    form = request.form
    try:
        user = create_user(
            form.get("email"),
            form.get("display_name"),
            is_admin=form.get("is_admin") == "on",
            invited_by_id=current_user.id,
        )
    except ValidationError as error:
        db.session.rollback()
        return render_template(
            "admin/users.html", users=_users(), form=form, error=error, invite_link=None
        ), 422
    db.session.commit()
    return render_template(
        "admin/users.html",
        users=_users(),
        form={},
        error=None,
        invite_link=_invite_link(user),
        invited=user,
    ), 201


@bp.post("/users/<int:user_id>/invite-link")
@admin_required
def reissue_invite(user_id: int):
    """Show a fresh invitation link for an account that has no password yet."""
    user = db.get_or_404(User, user_id)
    if user.password_hash:
        abort(409)
    return render_template(
        "admin/users.html",
        users=_users(),
        form={},
        error=None,
        invite_link=_invite_link(user),
        invited=user,
    )


@bp.post("/users/<int:user_id>/enabled")
@admin_required
def set_enabled(user_id: int):
    """Disable an account (ending all its logins) or enable it again."""
    user = db.get_or_404(User, user_id)
    if user.id == current_user.id:
        abort(409)
    user.is_enabled = request.form.get("enabled") == "1"
    user.session_token = new_session_token()
    record("user.enable" if user.is_enabled else "user.disable", user, user_id=current_user.id)
    db.session.commit()
    flash(_("Account updated."), "success")
    return redirect(url_for("admin.users"))

"""The profile's token page: list, create (shown once) and revoke personal API tokens."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.audit import record
from app.accounts.policy import login_required
from app.accounts.tokens import create_token
from app.models import ApiToken
from app.models.base import utcnow
from app.platform.extensions import db
from app.platform.forms import ValidationError

bp = Blueprint("api_tokens", __name__, url_prefix="/account/tokens")


def _page(error=None, new_token=None, status=200):
    tokens = (
        db.session.execute(
            db.select(ApiToken).filter_by(user_id=current_user.id).order_by(ApiToken.created_at)
        )
        .scalars()
        .all()
    )
    return render_template(
        "accounts/tokens.html", tokens=tokens, error=error, new_token=new_token
    ), status


@bp.get("/")
@login_required
def index():
    """List the user's tokens and offer to create one."""
    return _page()


@bp.post("/")
@login_required
def create():
    """Create a token and show it once."""
    try:
        _api_token, token = create_token(current_user.id, request.form.get("name"))
    except ValidationError as error:
        db.session.rollback()
        return _page(error, status=422)
    db.session.commit()
    return _page(new_token=token, status=201)


@bp.post("/<int:token_id>/revoke")
@login_required
def revoke(token_id: int):
    """Revoke one of the user's tokens; it stops working at once."""
    api_token = db.session.get(ApiToken, token_id)
    if api_token is None or api_token.user_id != current_user.id:
        return render_template("errors/error.html", status=404), 404
    api_token.revoked_at = api_token.revoked_at or utcnow()
    record("token.revoke", api_token, user_id=current_user.id)
    db.session.commit()
    flash(_("Token revoked."), "success")
    return redirect(url_for("api_tokens.index"))

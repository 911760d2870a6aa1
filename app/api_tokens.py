"""Personal API tokens: created on the profile page, shown once, stored hashed.

A token authenticates `Authorization: Bearer <token>` requests to /api/ only.
Such requests carry no cookie, so they are exempt from the CSRF check; cookie
requests to the API still need the X-CSRFToken header.
"""

from __future__ import annotations

import hashlib
import secrets

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.audit import record
from app.extensions import db, login_manager
from app.models import ApiToken, User
from app.models.base import utcnow
from app.policy import login_required
from app.validation import ValidationError, clean_text

bp = Blueprint("api_tokens", __name__, url_prefix="/account/tokens")
TOKEN_PREFIX = "magwb_"  # noqa: S105 (a label, not a secret)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user_id: int, name: str) -> tuple[ApiToken, str]:
    """Create a token; return the record and the token itself (shown only now)."""
    name = clean_text(name, "name", max_length=80)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    api_token = ApiToken(
        user_id=user_id, name=name, token_hash=_digest(token), prefix=token[: len(TOKEN_PREFIX) + 4]
    )
    db.session.add(api_token)
    db.session.flush()
    record("token.create", api_token, user_id=user_id)
    return api_token, token


def user_for_token(token: str) -> User | None:
    """Return the active user owning an unrevoked token, and note its use."""
    api_token = db.session.execute(
        db.select(ApiToken).filter_by(token_hash=_digest(token))
    ).scalar_one_or_none()
    if api_token is None or api_token.revoked_at is not None or not api_token.user.is_active:
        return None
    api_token.last_used_at = utcnow()
    return api_token.user


def bearer_token() -> str | None:
    """Return the bearer token of an API request, if it has one."""
    header = request.headers.get("Authorization", "")
    if request.path.startswith("/api/") and header.startswith("Bearer "):
        return header.removeprefix("Bearer ").strip()
    return None


@login_manager.request_loader
def load_user_from_request(_request) -> User | None:
    """Authenticate API requests that carry a personal token instead of a cookie."""
    token = bearer_token()
    return user_for_token(token) if token else None


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

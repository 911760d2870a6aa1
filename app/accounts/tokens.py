"""Personal API tokens: created on the profile page, shown once, stored hashed.

A token authenticates `Authorization: Bearer <token>` requests to /api/ only.
Such requests carry no cookie, so they are exempt from the CSRF check; cookie
requests to the API still need the X-CSRFToken header.
"""

from __future__ import annotations

import hashlib
import secrets

from flask import request

from app.accounts.audit import record
from app.models import ApiToken, User
from app.models.base import utcnow
from app.platform.extensions import db, login_manager
from app.platform.forms import clean_text

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

"""Personal API tokens: created on the profile page, shown once, stored hashed.

A token authenticates `Authorization: Bearer <token>` requests to /api/ only.
Such requests carry no cookie, so they are exempt from the CSRF check; cookie
requests to the API still need the X-CSRFToken header.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, timedelta

from flask import g, has_request_context, request

from app.accounts.audit import record
from app.models import ApiToken, User
from app.models.base import utcnow
from app.platform.database import reading, separate_write
from app.platform.extensions import db, login_manager
from app.platform.forms import clean_text

TOKEN_PREFIX = "magwb_"  # noqa: S105 (a label, not a secret)
# "Last used" is shown to the minute: a script's burst of calls updates it once.
USE_GRANULARITY = timedelta(minutes=1)


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
    """Return the active user owning an unrevoked token, and note its use.

    Looked up once per request: the CSRF check and the login both ask.
    """
    cache = g.setdefault("api_token_users", {}) if has_request_context() else {}
    if token not in cache:
        cache[token] = _user_for_token(token)
    return cache[token]


def _user_for_token(token: str) -> User | None:
    api_token = db.session.execute(
        db.select(ApiToken).filter_by(token_hash=_digest(token))
    ).scalar_one_or_none()
    if api_token is None or api_token.revoked_at is not None or not api_token.user.is_active:
        return None
    _note_use(api_token)
    return api_token.user


def _note_use(api_token: ApiToken) -> None:
    """Set the token's last use, unless it was set within the last minute."""
    now, last = utcnow(), api_token.last_used_at
    if last is not None and now - (last if last.tzinfo else last.replace(tzinfo=UTC)) < (
        USE_GRANULARITY
    ):
        return
    if not reading():
        api_token.last_used_at = now
        return
    # A reading request: a short write of its own, not the write lock for the whole call.
    with separate_write(db.engine) as connection:
        connection.execute(
            db.update(ApiToken.__table__)
            .where(ApiToken.__table__.c.id == api_token.id)
            .values(last_used_at=now)
        )


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

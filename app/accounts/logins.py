"""Server-side login sessions: each browser's login is a row, so logging out ends it.

Flask's session is a signed cookie the server cannot take back; a copied cookie would
stay valid for its whole lifetime. So every login gets a random token: the cookie
carries it, the `login_session` row keeps its SHA-256, and a request is logged in only
while that row exists and is not ended. Plain "Log out" ends the row; "log out
everywhere", a password change or disabling the account rotate `User.session_token`,
which ends every login of the user at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import current_app, session
from sqlalchemy import bindparam

from app.models import LoginSession, User
from app.models.base import utcnow
from app.platform.extensions import db

SESSION_KEY = "login"


# Built once, with bound parameters: a statement object keeps its cache key, which SQLAlchemy
# otherwise derives again from a new statement on every request (about 150 µs of the 250 µs
# this check cost; BENCHMARKS.md, "Fixed cost per request").
_LIVE_LOGIN = (
    db.select(User)
    .join(LoginSession, LoginSession.user_id == User.id)
    .where(
        User.id == bindparam("user_id"),
        LoginSession.token_hash == bindparam("token_hash"),
        LoginSession.ended_at.is_(None),
    )
)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_login_session(user: User) -> str:
    """Add a login row for `user` (flushed) and return the token for the cookie."""
    token = secrets.token_urlsafe(32)
    db.session.add(LoginSession(user_id=user.id, token_hash=_digest(token)))
    # Logins older than the cookie's lifetime can never be used again: forget them.
    cutoff = utcnow() - current_app.permanent_session_lifetime - timedelta(days=1)
    db.session.execute(
        db.delete(LoginSession).where(
            LoginSession.user_id == user.id, LoginSession.created_at < cutoff
        )
    )
    db.session.flush()
    return token


def live_login_user(user_id: int, session_token: str) -> User | None:
    """Return the user of this request's cookie if its login is live, in one query.

    Live: the user's `session_token` matches the cookie's, and the cookie's login row
    exists, belongs to that user and is not ended. Runs on every request.
    """
    token = session.get(SESSION_KEY)
    if not isinstance(token, str) or not token:
        return None
    found = db.session.execute(_LIVE_LOGIN, {"user_id": user_id, "token_hash": _digest(token)})
    user = found.scalar_one_or_none()
    if user is None or not hmac.compare_digest(user.session_token, session_token):
        return None
    return user


def end_login_session() -> None:
    """End the login this request's cookie carries (a copy of the cookie dies with it)."""
    token = session.get(SESSION_KEY)
    if not isinstance(token, str) or not token:
        return
    row = db.session.execute(
        db.select(LoginSession).filter_by(token_hash=_digest(token))
    ).scalar_one_or_none()
    if row is not None and row.ended_at is None:
        row.ended_at = utcnow()

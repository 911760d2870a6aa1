"""Flask extensions as unbound globals; `create_app` binds them to an app."""

from datetime import datetime

from flask import current_app, request, session
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_login.config import COOKIE_NAME
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import DateTime, MetaData
from sqlalchemy.orm import DeclarativeBase, registry


class Base(DeclarativeBase):
    """Declarative base whose constraint names are deterministic.

    Alembic needs named constraints to alter them later (SQLite batch mode
    rebuilds tables by name), so every index and constraint gets a
    predictable name from this convention.
    """

    registry = registry(
        metadata=MetaData(
            naming_convention={
                "ix": "ix_%(column_0_label)s",
                "uq": "uq_%(table_name)s_%(column_0_N_name)s",
                "ck": "ck_%(table_name)s_%(constraint_name)s",
                "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
                "pk": "pk_%(table_name)s",
            }
        ),
        # Timestamps are stored with their time zone (UTC) wherever the database can.
        type_annotation_map={datetime: DateTime(timezone=True)},
    )


class ViewLimiter(Limiter):
    """Flask-Limiter for limits declared on views (`@limiter.limit`) and nothing else.

    Flask-Limiter also registers a hook that runs before every request to look for
    default, application and blueprint limits. We declare none, and a decorated view
    checks its own limits, so that hook only costs time (about 0.4 ms of Python on
    every request, none of which touches the store; BENCHMARKS.md): it is removed.
    """

    def init_app(self, app) -> None:
        """Bind to `app`, without the per-request search for limits that do not exist."""
        super().init_app(app)
        keeps_hook = any(
            app.config.get(name)
            for name in ("RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION", "RATELIMIT_META")
        )
        hooks = app.before_request_funcs.get(None, [])
        if self.enabled and not keeps_hook and self._check_request_limit in hooks:
            hooks.remove(self._check_request_limit)


class SessionLoginManager(LoginManager):
    """Flask-Login, whose session protection looks only at sessions that hold a login.

    In "strong" mode Flask-Login compares the session's `_id` (a digest of the browser's
    address and user agent, written at login) with the request's, and empties the session
    when they differ. A session without a login (a participant's, a visitor's: a CSRF token,
    a language) has no `_id`, so every one of its requests "failed": nothing was removed,
    yet the session was marked changed and each response re-sent the session cookie and a
    deletion of the remember-me cookie. A session with a login, or a request carrying a
    remember-me cookie, is checked exactly as before.
    """

    def _session_protection_failed(self) -> bool:
        remember = current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME)
        if "_user_id" not in session and remember not in request.cookies:
            return False  # no login to protect
        return super()._session_protection_failed()


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = SessionLoginManager()
csrf = CSRFProtect()
babel = Babel()
# Storage is chosen in create_app: memory:// per process, Redis when REDIS_URL is set.
limiter = ViewLimiter(key_func=get_remote_address, default_limits=[])

"""Configuration from environment variables, with defaults that run offline.

Every variable is documented in README.md ("Configuration"). The secret key is
never a constant: when SECRET_KEY is unset, one is generated once into
`instance/secret_key` (mode 0600) and reused on every later start.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from app.platform.files import private_folder

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("nl", "fr", "en")


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _count(env: Mapping[str, str], name: str, default: int) -> int:
    """Read a whole number ≥ 0 from the environment, naming the variable when it is not one."""
    value = (env.get(name) or "").strip()
    if not value:
        return default
    if not (value.isascii() and value.isdigit()):
        raise ValueError(f"{name}={value!r} is not a whole number (0, 1, 2 …).")
    return int(value)


def instance_secret_key(instance_path: Path) -> str:
    """Return the instance's secret key, creating it on first use."""
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    private_folder(instance_path)
    key = secrets.token_urlsafe(48)
    # O_EXCL: if two workers start together, one creates it and both read it.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key)
    return key


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs; SQLAlchemy's bare scheme would mean psycopg2."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def load_config(instance_path: Path, environ: Mapping[str, str] | None = None) -> dict:
    """Build the Flask config mapping from the environment."""
    env = os.environ if environ is None else environ
    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance_path / 'magwb.sqlite3'}"
    database_url = normalise_database_url(database_url)
    language = env.get("MAGWB_DEFAULT_LANGUAGE", "en")
    if language not in LANGUAGES:
        raise ValueError(
            f"MAGWB_DEFAULT_LANGUAGE={language!r} is not supported; "
            f"use one of {', '.join(LANGUAGES)}."
        )
    upload_mb = int(env.get("MAGWB_MAX_UPLOAD_MB", "50"))
    redis_url = env.get("REDIS_URL") or None
    return {
        # None means "use the instance's generated key" (see create_app).
        "SECRET_KEY": env.get("SECRET_KEY") or None,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": redis_url,
        # Background jobs: "thread" (in-process), "rq" (Redis workers) or "sync" (inline).
        "JOBS_MODE": env.get("MAGWB_JOBS") or ("rq" if redis_url else "thread"),
        "MAX_CONTENT_LENGTH": upload_mb * 1024 * 1024,
        "BABEL_DEFAULT_LOCALE": language,
        "LANGUAGES": LANGUAGES,
        "AUTO_UPGRADE": _flag(env.get("MAGWB_AUTO_UPGRADE"), True),
        "LOAD_DEMO": _flag(env.get("MAGWB_LOAD_DEMO"), True),
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_ENABLED": _flag(env.get("MAGWB_RATELIMIT"), True),
        # Per account (the e-mail address tried), from any address.
        "LOGIN_RATE_LIMIT": env.get("MAGWB_LOGIN_RATE_LIMIT", "10 per minute"),
        # Per client address: high enough for a room of 40 behind one NAT logging in together.
        "LOGIN_ADDRESS_RATE_LIMIT": env.get("MAGWB_LOGIN_ADDRESS_RATE_LIMIT", "100 per minute"),
        # Per participant link; unknown links count per client address.
        "VALIDATION_RATE_LIMIT": env.get("MAGWB_VALIDATION_RATE_LIMIT", "60 per minute"),
        # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are believed;
        # 0 believes none, so a client cannot pick its own address for the rate limits.
        "TRUSTED_PROXIES": _count(env, "MAGWB_TRUSTED_PROXIES", 0),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _flag(env.get("MAGWB_SECURE_COOKIES"), False),
        # No pool_pre_ping: a SELECT 1 per checkout; database._drop_closed_connection
        # catches a connection the server closed without a round trip.
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "STRICT_TRANSLATIONS": False,
        "INVITE_MAX_AGE": 7 * 24 * 3600,
        # CSRF is checked in policy.enforce_access, so bearer-token API calls can skip it.
        "WTF_CSRF_CHECK_DEFAULT": False,
        # Tokens last as long as the login (or the participant's visit): a form left open
        # for hours must still save, not lose what was typed.
        "WTF_CSRF_TIME_LIMIT": None,
    }

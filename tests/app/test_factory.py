"""The app factory and configuration from the environment."""

from __future__ import annotations

import stat

import pytest

from app import create_app
from app.platform.config import instance_secret_key, load_config
from tests.conftest import BASE_CONFIG


def test_defaults_use_sqlite_in_instance_folder(tmp_path):
    """Without DATABASE_URL the data lives in a SQLite file inside instance/."""
    config = load_config(tmp_path, environ={})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'magwb.sqlite3'}"
    assert config["REDIS_URL"] is None
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert config["MAX_CONTENT_LENGTH"] == 50 * 1024 * 1024
    assert config["BABEL_DEFAULT_LOCALE"] == "en"


def test_environment_variables_override_defaults(tmp_path):
    """Every documented variable is read."""
    config = load_config(
        tmp_path,
        environ={
            "DATABASE_URL": "postgresql://db.example/magwb",
            "SECRET_KEY": "s3cret",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "MAGWB_MAX_UPLOAD_MB": "5",
            "MAGWB_DEFAULT_LANGUAGE": "nl",
            "MAGWB_LOAD_DEMO": "0",
            "MAGWB_AUTO_UPGRADE": "no",
        },
    )
    # psycopg 3 is the installed driver; a bare postgresql:// URL is rewritten to use it.
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://db.example/magwb"
    assert config["SECRET_KEY"] == "s3cret"
    assert config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
    assert config["MAX_CONTENT_LENGTH"] == 5 * 1024 * 1024
    assert config["BABEL_DEFAULT_LOCALE"] == "nl"
    assert config["LOAD_DEMO"] is False and config["AUTO_UPGRADE"] is False


def test_unsupported_default_language_is_refused(tmp_path):
    """A typo in MAGWB_DEFAULT_LANGUAGE stops the start with a message naming the choices."""
    with pytest.raises(ValueError, match="nl, fr, en"):
        load_config(tmp_path, environ={"MAGWB_DEFAULT_LANGUAGE": "de"})


def test_trusted_proxies_and_login_limits_are_read(tmp_path):
    """No proxy is trusted unless told; a count that is not a whole number stops the start."""
    assert load_config(tmp_path, environ={})["TRUSTED_PROXIES"] == 0
    config = load_config(
        tmp_path,
        environ={
            "MAGWB_TRUSTED_PROXIES": "1",
            "MAGWB_LOGIN_RATE_LIMIT": "5 per minute",
            "MAGWB_LOGIN_ADDRESS_RATE_LIMIT": "200 per minute",
        },
    )
    assert config["TRUSTED_PROXIES"] == 1
    assert config["LOGIN_RATE_LIMIT"] == "5 per minute"
    assert config["LOGIN_ADDRESS_RATE_LIMIT"] == "200 per minute"
    for wrong in ("-1", "yes", "1.5"):
        with pytest.raises(ValueError, match="MAGWB_TRUSTED_PROXIES"):
            load_config(tmp_path, environ={"MAGWB_TRUSTED_PROXIES": wrong})


def test_secret_key_is_generated_once_and_kept_private(tmp_path):
    """Without SECRET_KEY a random key is written to instance/ (0600) and reused."""
    first = instance_secret_key(tmp_path)
    second = instance_secret_key(tmp_path)
    assert first == second and len(first) >= 40
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600
    assert instance_secret_key(tmp_path / "other") != first


def test_create_app_applies_overrides_and_registers_blueprints(database_url):
    """create_app(config) wires extensions and blueprints with the given settings."""
    app = create_app(
        {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, "MAX_CONTENT_LENGTH": 1234}
    )
    assert app.config["MAX_CONTENT_LENGTH"] == 1234
    assert {"accounts", "admin", "studies", "group_sessions", "participants"} <= set(app.blueprints)
    assert app.template_folder.endswith("templates")


def test_pages_send_security_headers(client):
    """Every page forbids framing and inline scripts and is not cached."""
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "script-src 'self'" in csp
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_oversized_upload_is_refused_with_413(make_app):
    """Requests above the upload limit get a clear 413 page."""
    app = make_app(MAX_CONTENT_LENGTH=100)
    response = app.test_client().post("/login", data={"email": "x" * 500})
    assert response.status_code == 413
    assert b"larger than this server accepts" in response.data

"""MAG Workbench: a web tool for group analysis (méthode d'analyse en groupe)."""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path

from flask import Flask, abort, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from app.platform.config import ROOT, instance_secret_key, load_config
from app.platform.extensions import babel, csrf, db, limiter, login_manager, migrate


def create_app(config: dict | None = None) -> Flask:
    """Build the application; `config` overrides values read from the environment."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    instance = Path(app.instance_path)
    app.config.update(load_config(instance))
    app.config.update(config or {})
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = instance_secret_key(instance)
    if hops := app.config["TRUSTED_PROXIES"]:
        # The client's address (rate limits) and scheme (https in personal and invitation links)
        # as the trusted proxies saw them; forwarded headers beyond them are ignored.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    from app.accounts import admin, audit_views, token_views, users
    from app.accounts.policy import enforce_access
    from app.capture import editor, group_sessions, imports, live, narratives
    from app.cli import register_cli
    from app.coding import api, codings, segments
    from app.exchange import codebook_files, taguette_views, views  # noqa: F401  (routes on codebook.bp, exports.bp)
    from app.incidents import sheets
    from app.jobs import views as job_views
    from app.platform.database import (
        MIGRATIONS_DIR,
        declare_reading,
        end_reading,
        include_name,
        read_only_by_default,
    )
    from app.platform.errors import refuse_lone_surrogates, register_error_handlers
    from app.platform.i18n import (
        CheckedDomain,
        attribute_label,
        format_date,
        format_datetime,
        language_switcher,
        report_missing_translations,
        select_locale,
        template_gettext,
        template_locale,
        template_ngettext,
    )
    from app.privacy import queue as privacy
    from app.studies import codebook, participants, studies
    from app.suggestions import jobs as _analysis_jobs  # noqa: F401  (registers the job handlers)
    from app.suggestions import sweep_views as sweep
    from app.suggestions import views as suggestions
    from app.synthesis import dashboard, respond
    from app.synthesis import editor as synthesis_editor

    # Ids beyond the database's integer range are simply not found (404), not a 500.
    app.url_map.converters["int"] = BoundedIntConverter
    db.init_app(app)
    # First of the request hooks, before any of them reads the database: a GET or HEAD
    # then runs in reading transactions, which never take SQLite's write lock.
    app.before_request(declare_reading)
    # Registered after db.init_app, so it runs before Flask-SQLAlchemy removes the session.
    app.teardown_appcontext(end_reading)
    with app.app_context():
        read_only_by_default(db.engine)
    migrate.init_app(
        app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True, include_name=include_name
    )
    login_manager.init_app(app)
    login_manager.session_protection = "strong"
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(ROOT / "translations"),
    )
    babel.domain_instance = CheckedDomain()
    # The same functions as Flask-Babel installs, with fewer calls: a page has dozens of _().
    app.jinja_env.globals.update(_=template_gettext, gettext=template_gettext)
    app.jinja_env.globals["ngettext"] = template_ngettext
    # Dates in the reader's form (English as in Europe, not 3/4/26); attribute keys readable.
    app.jinja_env.filters.update(
        dateformat=format_date, datetimeformat=format_datetime, attribute_label=attribute_label
    )

    blueprints = (
        users,
        admin,
        studies,
        group_sessions,
        participants,
        codebook,
        codings,
        segments,
        editor,
        live,
        narratives,
        imports,
        job_views,
        audit_views,
        privacy,
        api,
        token_views,
        synthesis_editor,
        dashboard,
        suggestions,
        views,
        sheets,
        sweep,
    )
    for blueprint in (module.bp for module in blueprints):
        app.register_blueprint(blueprint)
    app.register_blueprint(respond.respond_bp)
    app.register_blueprint(views.imports_bp)
    app.before_request(_refuse_oversized)
    app.before_request(enforce_access)
    app.before_request(refuse_lone_surrogates)
    app.after_request(report_missing_translations)
    app.after_request(_security_headers)
    app.url_defaults(_version_static_urls)
    app.jinja_env.globals["get_locale"] = template_locale  # macros see globals, not context
    app.jinja_env.globals["language_switcher"] = language_switcher
    register_error_handlers(app)
    register_cli(app)

    from app.startup import prepare_database

    prepare_database(app)
    return app


class BoundedIntConverter(IntegerConverter):
    """The `int` URL converter, limited to the database's integer range."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def _refuse_oversized():
    """Refuse a body above the upload limit before anything reads it."""
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if limit and (request.content_length or 0) > limit:
        abort(413)


# (static folder, file name) -> modification time, read once per process: every page links
# the style sheet, and a deployment that changes a file restarts the workers.
_static_versions: dict[tuple[str, str], int] = {}


def _version_static_urls(endpoint: str, values: dict) -> None:
    """Put the file's modification time in static URLs, so browsers can keep the file."""
    if endpoint == "static" and "filename" in values and "v" not in values:
        key = (current_app.static_folder, values["filename"])
        version = None if current_app.debug else _static_versions.get(key)
        if version is None:
            with suppress(OSError):
                version = _static_versions[key] = int(Path(*key).stat().st_mtime)
        if version is not None:
            values["v"] = version


_SECURITY_HEADERS = (
    (
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    # Pages hold confidential testimony: keep them out of shared caches and history.
    ("Cache-Control", "no-store"),
)


def _security_headers(response):
    """Forbid framing, inline scripts and plugins; the app needs none of them."""
    headers = response.headers
    if request.endpoint == "static" and "v" in request.args:
        # Public files at a versioned URL (a changed file gets a new URL): no revalidation
        # on every page, which cost a request per file and page.
        headers["Cache-Control"] = "public, max-age=31536000, immutable"
    # One pass over the response's few headers; a view's own value of one of them stays.
    present = {name.lower() for name, _value in headers}
    headers.extend(header for header in _SECURITY_HEADERS if header[0].lower() not in present)
    return response

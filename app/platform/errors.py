"""Error pages (HTML) and error bodies (JSON for API and JSON-accepting clients)."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from app.platform.forms import SURROGATE_MESSAGE, ValidationError, has_lone_surrogate


def refuse_lone_surrogates():
    """Answer 422 to a JSON body holding a lone UTF-16 surrogate, before any view reads it.

    Every API and live capture read JSON; a string such as "a\\ud800b" parses, then fails
    when it is stored or written to a file. Refusing it here covers them all.
    """
    if not request.is_json:
        return None
    try:
        body = request.get_json(silent=True)  # cached: the view reads the same object
    except RecursionError:
        return None  # the view answers absurd nesting itself
    if has_lone_surrogate(body):
        raise ValidationError(SURROGATE_MESSAGE)
    return None


def wants_json() -> bool:
    """Tell whether the client expects JSON (API paths, or JSON preferred)."""
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _page(status: int, message: str | None = None):
    if wants_json():
        return jsonify(error=status, message=message), status
    return render_template("errors/error.html", status=status, message=message), status


def register_error_handlers(app: Flask) -> None:
    """Map HTTP errors and validation errors to pages or JSON."""

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return _page(error.code or 500)

    @app.errorhandler(ValidationError)
    def validation_error(error: ValidationError):
        return _page(422, str(error.message))

    @app.errorhandler(500)
    def server_error(_error):
        return _page(500)

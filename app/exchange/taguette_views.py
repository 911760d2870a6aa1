"""The page that imports Taguette's highlights export into a study (routes on `exports.bp`)."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.policy import study_action
from app.exchange.taguette import HighlightsError, import_highlights
from app.exchange.views import bp
from app.platform.extensions import db
from app.platform.forms import ValidationError


def _page(error=None, result=None, status: int = 200):
    return render_template(
        "exports/taguette.html",
        study=g.study,
        sessions=g.study.group_sessions,
        error=error,
        problems=getattr(error, "problems", []),
        result=result,
    ), status


@bp.get("/taguette")
@study_action("coding.edit")
def taguette_form(study_id: int):
    """Show the form to import a Taguette highlights export (.csv or .xlsx)."""
    return _page()


@bp.post("/taguette")
@study_action("coding.edit")
def taguette_import(study_id: int):
    """Check a Taguette highlights export and, unless only checking, store its codings."""
    upload = request.files.get("file")
    check_only = request.form.get("check_only") == "1"
    try:
        if upload is None or not upload.filename:
            raise ValidationError(_("Choose a Taguette highlights export (.csv or .xlsx)."), "file")
        result = import_highlights(
            g.study,
            upload.read(),
            filename=upload.filename,
            coder_id=current_user.id,
            store=not check_only,
        )
    except (HighlightsError, ValidationError) as error:
        db.session.rollback()
        return _page(error=error, status=422)
    if check_only:
        db.session.rollback()
        return _page(result=result)
    db.session.commit()
    flash(
        _(
            "Highlights imported: %(codings)d codings, %(themes)d new themes.",
            codings=result.codings,
            themes=len(result.themes_created),
        ),
        "success",
    )
    for warning in result.warnings:
        flash(warning, "warning")
    return redirect(url_for("exports.taguette_form", study_id=study_id))

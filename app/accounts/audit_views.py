"""The audit log of a study, for its owners (read-only: the app never edits events)."""

from __future__ import annotations

from flask import Blueprint, g, render_template, request

from app.accounts.policy import study_action
from app.models import AuditEvent
from app.platform.extensions import db
from app.platform.forms import as_number

bp = Blueprint("audit", __name__, url_prefix="/studies/<int:study_id>/audit")


@bp.get("/")
@study_action("audit.view")
def index(study_id: int):
    """List the study's audit events, newest first, 100 per page."""
    page = db.paginate(
        db.select(AuditEvent).filter_by(study_id=study_id).order_by(AuditEvent.id.desc()),
        page=as_number(request.args.get("page"), default=1, maximum=100_000) or 1,
        per_page=100,
        error_out=False,
    )
    return render_template("audit/index.html", study=g.study, page=page)

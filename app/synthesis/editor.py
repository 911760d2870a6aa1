"""The synthesis editor: per session and transversal statements, versions, linked quotes.

Routes on the "syntheses" blueprint; the services are in `statements.py`. An edit
started from an older version answers 409 and keeps the refused text.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from app.accounts.audit import record, record_event
from app.accounts.policy import allowed, in_study, study_action
from app.coding.retrieval import matching_passages, search_terms
from app.models import (
    Coding,
    GroupSession,
    Passage,
    Statement,
    StatementLink,
    Synthesis,
    ValidationRound,
)
from app.platform.extensions import db
from app.platform.forms import ValidationError, as_id
from app.privacy.queue import save_warning
from app.synthesis.state import statement_validation
from app.synthesis.statements import (
    KIND_NAMES,
    LEVEL_NAMES,
    EditConflict,
    link_passage,
    save_statement,
    statements_by_kind,
    synthesis_for,
)

bp = Blueprint("syntheses", __name__, url_prefix="/studies/<int:study_id>")


def _log_view(action: str, object_type: str, object_id: int) -> None:
    """Record that the current user saw pages quoting the transcripts (written apart)."""
    record_event(action, object_type, object_id, user_id=current_user.id, study_id=g.study.id)


def _statement(statement_id: int) -> Statement:
    statement = db.session.get(Statement, statement_id)
    if statement is None or statement.synthesis.study_id != g.study.id:
        abort(404)
    return statement


def _editor_url(synthesis_or_session_id) -> str:
    session_id = (
        synthesis_or_session_id.group_session_id
        if isinstance(synthesis_or_session_id, Synthesis)
        else synthesis_or_session_id
    )
    if session_id is None:
        return url_for("syntheses.transversal", study_id=g.study.id)
    return url_for("syntheses.session_synthesis", study_id=g.study.id, session_id=session_id)


def _render_editor(group_session: GroupSession | None, error=None, form=None, status=200):
    synthesis = synthesis_for(g.study.id, group_session.id if group_session else None, create=False)
    rounds = []
    if synthesis is not None:
        rounds = (
            db.session.execute(
                db.select(ValidationRound)
                .filter_by(synthesis_id=synthesis.id)
                .order_by(ValidationRound.opened_at.desc())
            )
            .scalars()
            .all()
        )
        db.session.execute(
            db.select(Statement)
            .filter_by(synthesis_id=synthesis.id)
            .options(
                selectinload(Statement.versions),
                selectinload(Statement.themes),
                selectinload(Statement.links),
            )
        ).scalars().all()
    statements = statements_by_kind(synthesis)
    states = {s.id: statement_validation(s) for _kind, group in statements for s in group}
    return render_template(
        "syntheses/editor.html",
        study=g.study,
        group_session=group_session,
        synthesis=synthesis,
        statements=statements,
        archived=statements_by_kind(synthesis, archived=True),
        states=states,
        rounds=rounds,
        kinds=KIND_NAMES,
        levels=LEVEL_NAMES,
        themes=g.study.themes,
        sessions=g.study.group_sessions,
        can_edit=allowed(g.membership.role, "synthesis.edit"),
        can_validate=allowed(g.membership.role, "validation.manage"),
        error=error,
        form=form or {},
    ), status


@bp.get("/synthesis")
@study_action("synthesis.view")
def transversal(study_id: int):
    """Show the study's transversal analysis and links to each session's synthesis."""
    _log_view("synthesis.view", "study", study_id)
    return _render_editor(None)


@bp.get("/sessions/<int:session_id>/synthesis")
@study_action("synthesis.view")
def session_synthesis(study_id: int, session_id: int):
    """Show the synthesis of one session (one analysis cycle)."""
    group_session = in_study(GroupSession, session_id)
    _log_view("synthesis.view", "group_session", session_id)
    return _render_editor(group_session)


def _warn_personal_data(statement_id: int) -> None:
    """Flash a non-blocking warning when the statement holds personal-data findings."""
    warning = save_warning("statement", [statement_id])
    if warning:
        flash(warning, "pii")


@bp.post("/statements")
@study_action("synthesis.edit")
def create_statement(study_id: int):
    """Add a statement to a session's synthesis or to the transversal analysis."""
    session_id = as_id(request.form.get("session_id"))
    group_session = in_study(GroupSession, session_id) if session_id else None
    synthesis = synthesis_for(study_id, session_id, create=True)
    try:
        statement = save_statement(synthesis, request.form, user_id=current_user.id)
    except ValidationError as error:
        db.session.rollback()
        return _render_editor(group_session, error=error, form=request.form, status=422)
    db.session.commit()
    flash(_("Statement added."), "success")
    _warn_personal_data(statement.id)
    return redirect(_editor_url(synthesis) + f"#statement-{statement.id}", code=303)


@bp.get("/statements/<int:statement_id>")
@study_action("synthesis.view")
def statement_page(study_id: int, statement_id: int):
    """Show a statement: its history, its quotes, and passages to link to it."""
    statement = _statement(statement_id)
    _log_view("statement.view", "statement", statement_id)
    return _render_statement(statement)


def _render_statement(statement: Statement, *, error=None, conflict=None, status=200):
    synthesis = statement.synthesis
    query = request.args.get("q", "")
    found = []
    terms = search_terms(query)
    if terms:
        select = db.select(Passage).where(Passage.id.in_(matching_passages(g.study.id, terms)))
        if synthesis.group_session_id is not None:
            select = select.where(Passage.group_session_id == synthesis.group_session_id)
        found = (
            db.session.execute(select.order_by(Passage.group_session_id, Passage.phase).limit(50))
            .scalars()
            .all()
        )
    theme_ids = [theme.id for theme in statement.themes]
    candidates = []
    if theme_ids:
        select = (
            db.select(Coding)
            .join(Passage)
            .join(GroupSession)
            .where(GroupSession.study_id == g.study.id, Coding.theme_id.in_(theme_ids))
        )
        if synthesis.group_session_id is not None:
            select = select.where(Passage.group_session_id == synthesis.group_session_id)
        candidates = db.session.execute(select.limit(100)).scalars().all()
    return render_template(
        "syntheses/statement.html",
        study=g.study,
        statement=statement,
        synthesis=synthesis,
        state=statement_validation(statement),
        kinds=KIND_NAMES,
        levels=LEVEL_NAMES,
        themes=g.study.themes,
        query=query,
        found=found,
        candidates=candidates,
        editor_url=_editor_url(synthesis),
        can_edit=allowed(g.membership.role, "synthesis.edit"),
        error=error,
        conflict=conflict,
    ), status


@bp.post("/statements/<int:statement_id>")
@study_action("synthesis.edit")
def edit_statement(study_id: int, statement_id: int):
    """Save a statement; a changed text becomes its next version."""
    statement = _statement(statement_id)
    try:
        save_statement(
            statement.synthesis, request.form, user_id=current_user.id, statement=statement
        )
    except EditConflict as conflict:
        db.session.rollback()
        statement = _statement(statement_id)
        return _render_statement(statement, conflict=conflict, status=409)
    except ValidationError as error:
        db.session.rollback()
        return _render_statement(_statement(statement_id), error=error, status=422)
    db.session.commit()
    flash(_("Statement saved."), "success")
    _warn_personal_data(statement_id)
    return redirect(
        url_for("syntheses.statement_page", study_id=study_id, statement_id=statement_id), code=303
    )


@bp.post("/statements/<int:statement_id>/archive")
@study_action("synthesis.edit")
def archive_statement(study_id: int, statement_id: int):
    """Take a statement out of the synthesis (or put it back); its history stays.

    The form says which (`archived` 1 or 0): a toggle would let two people's clicks on
    the same button undo each other.
    """
    from app.models.base import utcnow

    statement = _statement(statement_id)
    wanted = request.form.get("archived")
    if wanted not in {"0", "1"}:
        flash(
            _("Reload the page and use its button to take the statement out or put it back."),
            "error",
        )
        return redirect(
            url_for("syntheses.statement_page", study_id=study_id, statement_id=statement_id),
            code=303,
        )
    archive = wanted == "1"
    if archive and statement.archived_at is None:
        statement.archived_at = utcnow()
    elif not archive:
        statement.archived_at = None
    record(
        "statement.archive",
        statement,
        user_id=current_user.id,
        study_id=study_id,
        details={"archived": statement.archived_at is not None},
    )
    db.session.commit()
    return redirect(_editor_url(statement.synthesis), code=303)


@bp.post("/statements/<int:statement_id>/links")
@study_action("synthesis.edit")
def add_link(study_id: int, statement_id: int):
    """Link a passage or a coding to a statement."""
    statement = _statement(statement_id)
    coding_id = as_id(request.form.get("coding_id"))
    passage_id = as_id(request.form.get("passage_id"))
    coding = db.session.get(Coding, coding_id) if coding_id else None
    if coding_id and coding is None:
        abort(404)
    passage = coding.passage if coding else db.session.get(Passage, passage_id or 0)
    if passage is None and not (coding_id or passage_id):
        flash(_("Choose a passage to quote."), "error")
        return redirect(
            url_for("syntheses.statement_page", study_id=study_id, statement_id=statement_id),
            code=303,
        )
    if passage is None or passage.group_session.study_id != study_id:
        abort(404)
    session_id = statement.synthesis.group_session_id
    if session_id is not None and passage.group_session_id != session_id:
        # A session's synthesis quotes its own group: its participants validate it.
        flash(
            _(
                "Quote passages of this session only; "
                "other sessions belong in the transversal analysis."
            ),
            "error",
        )
        return redirect(
            url_for("syntheses.statement_page", study_id=study_id, statement_id=statement_id),
            code=303,
        )
    link_passage(statement, passage, coding, user_id=current_user.id)
    db.session.commit()
    return redirect(
        url_for("syntheses.statement_page", study_id=study_id, statement_id=statement_id)
        + "#quotes-heading",
        code=303,
    )


@bp.post("/statements/<int:statement_id>/links/<int:link_id>/delete")
@study_action("synthesis.edit")
def remove_link(study_id: int, statement_id: int, link_id: int):
    """Unlink a quote from a statement."""
    statement = _statement(statement_id)
    link = db.session.get(StatementLink, link_id)
    if link is None or link.statement_id != statement.id:
        abort(404)
    record(
        "statement.unlink",
        statement,
        user_id=current_user.id,
        study_id=study_id,
        details={"passage": link.passage_id, "coding": link.coding_id},
    )
    db.session.delete(link)
    db.session.commit()
    return redirect(
        url_for("syntheses.statement_page", study_id=study_id, statement_id=statement_id)
        + "#quotes-heading",
        code=303,
    )

"""The coding view's suggestion panel: the session's open theme suggestions, in one query."""

from __future__ import annotations

from sqlalchemy import bindparam, true
from sqlalchemy.orm import aliased, selectinload

from app.models import (
    Job,
    Passage,
    Suggestion,
    SuggestionStatus,
)
from app.platform.extensions import db


def _open_suggestions_query(study_id, session_id):
    return (
        db.select(Suggestion)
        .join(Passage, Suggestion.passage_id == Passage.id)
        .where(
            Suggestion.study_id == study_id,
            Passage.group_session_id == session_id,
            Suggestion.status == SuggestionStatus.OPEN,
        )
    )


def open_suggestions(study_id: int, session_id: int) -> list[Suggestion]:
    """Return a session's open suggestions, strongest first within each passage order."""
    return list(
        db.session.execute(
            _open_suggestions_query(study_id, session_id)
            .order_by(Passage.phase, Passage.position, Passage.id, Suggestion.score.desc())
            # The panel shows each one's passage and speaker; its theme is one of the
            # study's, already loaded (a many-to-one found in the session needs no query).
            .options(selectinload(Suggestion.passage).selectinload(Passage.participant))
        ).scalars()
    )


def _panel_statement():
    """The suggestion panel's one query, built once: building it cost ten times running it."""
    study_id, session_id = bindparam("study_id"), bindparam("session_id")
    is_open = db.select(_open_suggestions_query(study_id, session_id).exists().label("open"))
    flag = is_open.subquery()
    recent = (
        db.select(Job)
        .where(Job.study_id == study_id, Job.kind == "analysis.suggest")
        .order_by(Job.id.desc())
        .limit(20)
        .subquery()
    )
    job = aliased(Job, recent)
    return (
        db.select(flag.c.open, job)
        .select_from(flag)
        .outerjoin(recent, true())
        .order_by(recent.c.id.desc())
    )


_PANEL = _panel_statement()


def suggestion_panel(study_id: int, session_id: int) -> dict:
    """Return the coding view's suggestion panel: the open suggestions and the latest run.

    One query answers both "is any suggestion open?" and "which was the session's last
    suggestion run?" (the newest of the study's last 20 runs, as `latest_job` finds it);
    the suggestions themselves are loaded only when some are open, which is rare once a
    session is coded.
    """
    rows = db.session.execute(_PANEL, {"study_id": study_id, "session_id": session_id}).all()
    runs = (run for _open, run in rows if run is not None)
    latest = next((run for run in runs if run.params.get("session_id") == session_id), None)
    suggestions = open_suggestions(study_id, session_id) if rows[0].open else []
    return {"suggestions": suggestions, "suggest_job": latest}

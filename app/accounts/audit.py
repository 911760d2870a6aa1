"""Record actions in the audit log."""

from __future__ import annotations

from app.models import AuditEvent
from app.platform.extensions import db


def record(
    action: str,
    obj,
    *,
    user_id: int | None,
    study_id: int | None = None,
    details: dict | None = None,
) -> AuditEvent:
    """Add an audit event for `obj` to the current unit of work.

    `obj` must be flushed (have an id). Never put transcript text,
    passwords or real names in `details`.
    """
    return record_event(
        action, type(obj).__tablename__, obj.id, user_id=user_id, study_id=study_id, details=details
    )


def record_event(
    action: str,
    object_type: str,
    object_id: int | None,
    *,
    user_id: int | None,
    study_id: int | None = None,
    details: dict | None = None,
) -> AuditEvent:
    """Add an audit event about an object given by type and id (it may not exist)."""
    event = AuditEvent(
        action=action,
        object_type=object_type,
        object_id=object_id,
        user_id=user_id,
        study_id=study_id,
        details=details or {},
    )
    db.session.add(event)
    return event


def log_transcript_view(group_session, action: str) -> None:
    """Record that the current user looked at a session's transcript (committed at once)."""
    from flask_login import current_user

    record_event(
        action,
        "group_session",
        group_session.id,
        user_id=current_user.id,
        study_id=group_session.study_id,
    )
    db.session.commit()

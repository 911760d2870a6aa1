"""Record actions in the audit log."""

from __future__ import annotations

from app.extensions import db
from app.models import AuditEvent


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
    event = AuditEvent(
        action=action,
        object_type=type(obj).__tablename__,
        object_id=obj.id,
        user_id=user_id,
        study_id=study_id,
        details=details or {},
    )
    db.session.add(event)
    return event

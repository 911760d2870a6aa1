"""Record actions in the audit log.

A change is recorded in the unit of work that makes it, so both are committed or
neither. A request that only reads (a GET: see platform/database.py) has no unit of
work to join, and must not take the write lock for the whole page: what it shows is
recorded at once in a short transaction of its own (`separate_write`). Views
(actions named `….view` or `…_view`) are coalesced: the same person opening the same
object again within `VIEW_WINDOW` adds no row, so reopening the coding view after each
form submission writes nothing, and the log still says who looked at what and when
(to within the window). Downloads and exports are recorded every time.
"""

from __future__ import annotations

from datetime import timedelta

from app.models import AuditEvent
from app.models.base import utcnow
from app.platform.database import reading, separate_write
from app.platform.extensions import db

VIEW_WINDOW = timedelta(minutes=10)


def record(
    action: str,
    obj,
    *,
    user_id: int | None,
    study_id: int | None = None,
    details: dict | None = None,
) -> None:
    """Add an audit event for `obj` to the current unit of work.

    `obj` must be flushed (have an id). Never put transcript text,
    passwords or real names in `details`.
    """
    record_event(
        action, type(obj).__tablename__, obj.id, user_id=user_id, study_id=study_id, details=details
    )


def event_values(
    action: str,
    object_type: str,
    object_id: int | None,
    *,
    user_id: int | None,
    study_id: int | None = None,
    details: dict | None = None,
) -> dict:
    """Return the columns of one audit event (for `record_events`)."""
    return {
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "user_id": user_id,
        "study_id": study_id,
        "details": details or {},
    }


def record_event(
    action: str,
    object_type: str,
    object_id: int | None,
    *,
    user_id: int | None,
    study_id: int | None = None,
    details: dict | None = None,
) -> None:
    """Record an event about an object given by type and id (it may not exist).

    In a writing transaction the event is inserted in it (committed or rolled back with
    the change); in a reading request it is written at once on its own.
    """
    values = event_values(
        action, object_type, object_id, user_id=user_id, study_id=study_id, details=details
    )
    if reading():
        _write_apart(values)
        return
    record_events([values])


def record_events(events: list[dict]) -> None:
    """Insert audit events (`event_values`) in the current writing transaction, in order.

    A Core INSERT sent at once, in the transaction of the change it records: nothing reads
    the event back, so the ORM's unit of work (an object per event, an INSERT … RETURNING
    each on SQLite) buys nothing. Several events go out as one multi-row INSERT.
    """
    if not events:
        return
    now = utcnow()
    rows = [{"at": now, **values} for values in events]
    db.session.execute(db.insert(AuditEvent.__table__), rows)


def is_view(action: str) -> bool:
    """Tell whether an action only looked at something (coalesced within `VIEW_WINDOW`)."""
    verb = action.rpartition(".")[2]
    return verb.startswith("view") or verb.endswith("_view")


def _seen_lately(session_or_connection, values: dict) -> bool:
    """Tell whether the same view by the same person is already logged within the window."""
    table = AuditEvent.__table__
    rows = session_or_connection.execute(
        db.select(table.c.details).where(
            table.c.at >= utcnow() - VIEW_WINDOW,  # indexed: only the last minutes are read
            table.c.user_id == values["user_id"],
            table.c.action == values["action"],
            table.c.object_type == values["object_type"],
            table.c.object_id == values["object_id"],
        )
    ).scalars()
    return any((details or {}) == values["details"] for details in rows)


def _write_apart(values: dict) -> None:
    """Insert the event in its own short transaction, unless it is a view seen lately.

    The check runs first in the request's reading transaction (no lock), then again
    under the write lock, so two quick reloads still add one row (on SQLite; on
    PostgreSQL two truly simultaneous first views may both be kept).
    """
    coalesce = is_view(values["action"])
    if coalesce and _seen_lately(db.session, values):
        return
    with separate_write(db.engine) as connection:
        if coalesce and _seen_lately(connection, values):
            return
        connection.execute(db.insert(AuditEvent.__table__).values(at=utcnow(), **values))


def log_transcript_view(group_session, action: str) -> None:
    """Record that the current user looked at a session's transcript."""
    from flask_login import current_user

    record_event(
        action,
        "group_session",
        group_session.id,
        user_id=current_user.id,
        study_id=group_session.study_id,
    )
    if not reading():  # a view declared as writing: its own commit, as before
        db.session.commit()

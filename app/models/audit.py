"""The audit log: who did what to which object, when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import IDS_NEVER_REUSED, utcnow
from app.platform.extensions import db


class AuditEvent(db.Model):
    """One recorded action. `details` never holds transcript text or passwords.

    Foreign keys are deliberately absent for the object: the event must
    outlive the object it describes (a deleted theme is still audited).
    """

    __tablename__ = "audit_event"
    __table_args__ = (
        # "Was this view logged lately?" (accounts/audit.py) reads one object's recent rows.
        Index("ix_audit_event_object", "object_type", "object_id", "at"),
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    study_id: Mapped[int | None] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None]
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    user = relationship("User")

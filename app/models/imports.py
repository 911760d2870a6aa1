"""Uploaded transcripts waiting for their speaker mapping."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import IDS_NEVER_REUSED, utcnow
from app.platform.extensions import db


class ImportDraft(db.Model):
    """One uploaded file between upload and the mapping step.

    The file can hold real names: it is deleted when the import is confirmed
    or cancelled, and drafts older than a day are purged on the next upload.
    """

    __tablename__ = "import_draft"
    __table_args__ = IDS_NEVER_REUSED

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    batch: Mapped[str] = mapped_column(String(32), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    default_phase: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    study = relationship("Study")

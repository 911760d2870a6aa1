"""Personal-data findings waiting for review, and a study's private list of real names."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import IDS_NEVER_REUSED, utcnow
from app.platform.extensions import db


class PiiFinding(db.Model):
    """Something in a text that looks like personal data (a name, a national number...).

    `text` holds the detected characters only while the finding is open: once
    it is replaced or dismissed it is blanked, so the queue does not keep a
    second copy of the personal data.
    """

    __tablename__ = "pii_finding"
    __table_args__ = IDS_NEVER_REUSED

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id", ondelete="CASCADE"), index=True)
    group_session_id: Mapped[int | None] = mapped_column(
        ForeignKey("group_session.id", ondelete="CASCADE"), index=True
    )
    # Where it was found: "passage" or "coding" (a memo), and that object's id.
    object_type: Mapped[str] = mapped_column(String(20))
    object_id: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))
    start_offset: Mapped[int]
    end_offset: Mapped[int]
    text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default="open", index=True)
    resolution: Mapped[str] = mapped_column(String(120), default="")
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    group_session = relationship("GroupSession")


class KnownName(db.Model):
    """A real name the facilitators know occurs in the material, to be found and replaced.

    Visible only to owners and facilitators; never exported.
    """

    __tablename__ = "known_name"
    __table_args__ = IDS_NEVER_REUSED

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))

"""Background jobs (analysis runs, long exports) and their progress.

The row is the single source of truth the UI polls: the worker, in-process
thread or RQ worker, updates `progress`, `status` and `result` in its own
transactions, so a page never waits for a job and a crashed job shows its error.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import IDS_NEVER_REUSED, utcnow
from app.models.studies import _enum
from app.platform.extensions import db


class JobStatus(enum.StrEnum):
    """Where a job stands."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Job(db.Model):
    """One background task of a study (or of its creator, while a restore makes the study)."""

    __tablename__ = "job"
    __table_args__ = IDS_NEVER_REUSED

    id: Mapped[int] = mapped_column(primary_key=True)
    # None while a restore makes its study, and after one failed (exchange/archive/restore_job.py).
    study_id: Mapped[int | None] = mapped_column(
        ForeignKey("study.id", ondelete="CASCADE"), index=True
    )
    # What to run: a name registered in app/jobs/queue.py ("suggest", "cluster", "export.docx"...).
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[JobStatus] = mapped_column(
        _enum(JobStatus, "job_status"), default=JobStatus.QUEUED, index=True
    )
    progress: Mapped[float] = mapped_column(default=0.0)
    # A short, translatable description of the current step; never passage text.
    message: Mapped[str] = mapped_column(String(200), default="")
    result: Mapped[dict] = mapped_column(JSON, default=dict)
    # For failed jobs: what went wrong, in words a facilitator can act on.
    error: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    created_by = relationship("User")

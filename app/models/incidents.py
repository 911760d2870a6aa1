"""Incident sheets: short structured reports of a problem digitalisation caused someone.

The research cell's second source next to group sessions (DOMAIN.md). A sheet
must not name anyone: its free-text fields are checked for personal data like
transcripts. Sheets are counted by organisation, channel, what the worker did
and the consequence, and their narrative carries themes of the same codebook.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import IDS_NEVER_REUSED, utcnow
from app.models.studies import _enum
from app.platform.extensions import db


class WorkerAction(enum.StrEnum):
    """What the social worker did about the incident."""

    INFORMED = "informed"
    WITH_PERSON = "with_person"
    INSTEAD = "instead"
    OWN_MEANS = "own_means"


class Consequence(enum.StrEnum):
    """What the incident meant for the person."""

    NONE = "none"
    DELAY = "delay"
    LOSS = "loss"
    PENALTY = "penalty"
    GAVE_UP = "gave_up"
    NON_TAKE_UP = "non_take_up"


incident_theme = Table(
    "incident_theme",
    db.metadata,
    Column("incident_id", ForeignKey("incident_sheet.id", ondelete="CASCADE"), primary_key=True),
    Column("theme_id", ForeignKey("theme.id", ondelete="CASCADE"), primary_key=True),
)


class IncidentSheet(db.Model):
    """One incident, as a social worker reported it."""

    __tablename__ = "incident_sheet"
    __table_args__ = IDS_NEVER_REUSED

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id", ondelete="CASCADE"), index=True)
    occurred_on: Mapped[date | None]
    # Kinds, never names: "CPAS/OCMW", "bank", "energy supplier"...
    organisation: Mapped[str] = mapped_column(String(120))
    procedure: Mapped[str] = mapped_column(String(200), default="")
    channel: Mapped[str] = mapped_column(String(60))
    barriers: Mapped[str] = mapped_column(Text, default="")
    worker_action: Mapped[WorkerAction] = mapped_column(_enum(WorkerAction, "worker_action"))
    minutes_spent: Mapped[int | None]
    consequence: Mapped[Consequence] = mapped_column(_enum(Consequence, "consequence"))
    personal_data_involved: Mapped[bool] = mapped_column(default=False)
    narrative: Mapped[str] = mapped_column(Text, default="")
    # Counts saves of the edit form, which carries it: a save drawn from an older
    # version is refused instead of overwriting (platform/edits.claim_version).
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    study = relationship("Study")
    themes = relationship("Theme", secondary=incident_theme, order_by="Theme.position")

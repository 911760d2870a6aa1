"""Passages: the turns of a session's transcript, by MAG phase."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import IDS_NEVER_REUSED, utcnow
from app.models.studies import _enum
from app.platform.extensions import db


class SpeakerKind(enum.StrEnum):
    """Who speaks: a participant (by pseudonym) or one of the facilitators."""

    PARTICIPANT = "participant"
    FACILITATOR = "facilitator"


class Passage(db.Model):
    """One contribution in one phase, attributed to one speaker.

    `text` is NFC-normalised Unicode. `version` is SQLAlchemy's version
    counter: an UPDATE carrying a stale version fails instead of silently
    overwriting another facilitator's edit.
    """

    __tablename__ = "passage"
    __table_args__ = (
        # An index, not a constraint: SQLite adds it without rebuilding the table (and
        # so without dropping the full-text triggers on passage).
        Index("ix_passage_client_key", "group_session_id", "client_key", unique=True),
        CheckConstraint("phase BETWEEN 1 AND 11", name="phase_range"),
        CheckConstraint(
            "(speaker_kind = 'participant' AND participant_id IS NOT NULL)"
            " OR (speaker_kind = 'facilitator' AND participant_id IS NULL)",
            name="speaker_consistent",
        ),
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_session_id: Mapped[int] = mapped_column(
        ForeignKey("group_session.id", ondelete="CASCADE"), index=True
    )
    phase: Mapped[int]
    position: Mapped[int]
    speaker_kind: Mapped[SpeakerKind] = mapped_column(_enum(SpeakerKind, "speaker_kind"))
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participant.id", ondelete="RESTRICT"), index=True
    )
    # How a facilitator appears in the transcript ("Animatrice", "Rapporteur").
    speaker_label: Mapped[str] = mapped_column(String(80), default="")
    text: Mapped[str] = mapped_column(Text)
    # Counts saves of the passage (version_id_col): what it says, who says it, its phase.
    # Its place in the phase is written without counting (capture/passages.place).
    version: Mapped[int] = mapped_column(default=1)
    # Seconds from the start of the recording, when the transcript had timestamps.
    start_time: Mapped[float | None]
    end_time: Mapped[float | None]
    # Chosen by the live-capture page for each contribution, so a resend after a
    # network error finds the stored passage instead of adding a duplicate.
    client_key: Mapped[str | None] = mapped_column(String(64))
    # Set while the speaker has asked (in a validation round) for this passage not to be
    # quoted: it stays in the transcript, but no export or report shows it.
    quote_withdrawn_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}

    group_session = relationship("GroupSession", back_populates="passages")
    participant = relationship("Participant")
    codings = relationship(
        "Coding",
        back_populates="passage",
        cascade="all, delete-orphan",
        order_by="Coding.start_offset",
    )

    @property
    def speaker_name(self) -> str:
        """Return the name shown for the speaker: pseudonym or facilitator label."""
        if self.participant is not None:
            return self.participant.pseudonym
        return self.speaker_label


class PassageRevision(db.Model):
    """An earlier text of a passage, or an edit refused because of a conflict.

    Every save of a passage's text or speaker adds the previous state here;
    a save that lost a conflict is kept too (`rejected`), so no typed text is lost.
    Merging two passages moves the second one's revisions, and its last state, here.
    """

    __tablename__ = "passage_revision"
    __table_args__ = IDS_NEVER_REUSED

    id: Mapped[int] = mapped_column(primary_key=True)
    passage_id: Mapped[int] = mapped_column(
        ForeignKey("passage.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    speaker: Mapped[str] = mapped_column(String(120), default="")
    rejected: Mapped[bool] = mapped_column(default=False)
    # The revision belonged to the passage merged into this one (its versions count apart).
    merged_in: Mapped[bool] = mapped_column(default=False, server_default=false())
    edited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    edited_at: Mapped[datetime] = mapped_column(default=utcnow)

"""Studies, their members, group sessions, participants, consent and narratives."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import IDS_NEVER_REUSED, utcnow
from app.platform.extensions import db
from app.platform.i18n import collation_key


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    """Store an enum by its value, as a portable VARCHAR plus CHECK constraint."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda members: [m.value for m in members],
    )


class Role(enum.StrEnum):
    """A member's role in one study; rights per role are in app/accounts/policy.py."""

    OWNER = "owner"
    FACILITATOR = "facilitator"
    RESEARCHER = "researcher"
    OBSERVER = "observer"


class SessionStatus(enum.StrEnum):
    """Where a group session stands in the research workflow."""

    PLANNED = "planned"
    HELD = "held"
    TRANSCRIBED = "transcribed"
    ANALYSED = "analysed"


class ConsentScope(enum.StrEnum):
    """What a participant consented to; each scope is recorded separately."""

    PARTICIPATION = "participation"
    RECORDING = "recording"
    QUOTATION = "quotation"


class Study(db.Model):
    """A research project: its sessions, participants and codebook."""

    __tablename__ = "study"
    __table_args__ = IDS_NEVER_REUSED

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(2), default="fr")
    # Set only for studies loaded from sessions/, so loading them is idempotent.
    demo_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    # Date after which the material should be deleted or anonymised (GDPR storage limit).
    retention_until: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    memberships = relationship("Membership", back_populates="study", cascade="all, delete-orphan")
    group_sessions = relationship(
        "GroupSession",
        back_populates="study",
        cascade="all, delete-orphan",
        order_by="GroupSession.number",
    )
    participants = relationship(
        "Participant",
        back_populates="study",
        cascade="all, delete-orphan",
        order_by="Participant.pseudonym",
    )
    themes = relationship(
        "Theme", back_populates="study", cascade="all, delete-orphan", order_by="Theme.position"
    )

    @property
    def roster(self) -> list[Participant]:
        """The participants in the order people read names ("Élodie" before "Sophie").

        SQL sorts by code point, which puts every accented capital after Z.
        """
        return sorted(self.participants, key=lambda p: collation_key(p.pseudonym))


class Membership(db.Model):
    """A user's role in a study."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("study_id", "user_id"), IDS_NEVER_REUSED)

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    study = relationship("Study", back_populates="memberships")
    user = relationship("User", back_populates="memberships", foreign_keys=[user_id])


class GroupSession(db.Model):
    """One meeting of a MAG group (usually one analysis cycle)."""

    __tablename__ = "group_session"
    __table_args__ = (
        UniqueConstraint("study_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(200), default="")
    held_on: Mapped[date | None]
    place: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str] = mapped_column(String(2))
    status: Mapped[SessionStatus] = mapped_column(
        _enum(SessionStatus, "session_status"), default=SessionStatus.PLANNED
    )
    # Participant ids in the group's seating order: the turn order of interpretation rounds.
    seating: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    # Counts saves of the session form and of the live page's seating form, which carry it:
    # a save from an older form is refused (platform/edits.claim_version).
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    study = relationship("Study", back_populates="group_sessions")
    passages = relationship(
        "Passage",
        back_populates="group_session",
        cascade="all, delete-orphan",
        order_by="(Passage.phase, Passage.position, Passage.id)",
    )
    narratives = relationship(
        "Narrative", back_populates="group_session", cascade="all, delete-orphan"
    )


class Participant(db.Model):
    """A group member under a study-scoped pseudonym; real names are never stored here.

    `pseudonym_key` is the case-folded pseudonym: "Amina" and "amina" are the
    same person, and the unique constraint makes the database say so too.
    """

    __tablename__ = "participant"
    __table_args__ = (UniqueConstraint("study_id", "pseudonym_key"), IDS_NEVER_REUSED)

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id", ondelete="CASCADE"), index=True)
    pseudonym: Mapped[str] = mapped_column(String(80))
    pseudonym_key: Mapped[str] = mapped_column(String(80))
    # Free attributes, e.g. {"organisation_type": "CPAS", "position": "assistante sociale"}.
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)
    # Counts saves of the pseudonym and attributes (and the erasure): the edit form carries
    # it, so a save from an older form is refused (platform/edits.claim_version).
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    # Set when the person's data was erased; the row stays so the transcript keeps its
    # structure, under a neutral label, and exports can leave their words out.
    erased_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    study = relationship("Study", back_populates="participants")
    consents = relationship(
        "Consent",
        back_populates="participant",
        cascade="all, delete-orphan",
        order_by="(Consent.given_on, Consent.id)",
    )


class Consent(db.Model):
    """One consent decision for one scope; the newest row per scope is in force."""

    __tablename__ = "consent"
    __table_args__ = IDS_NEVER_REUSED

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    scope: Mapped[ConsentScope] = mapped_column(_enum(ConsentScope, "consent_scope"))
    granted: Mapped[bool]
    given_on: Mapped[date]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")

    participant = relationship("Participant", back_populates="consents")
    recorded_by = relationship("User")


class Narrative(db.Model):
    """A story proposed in phase 1; the chosen one is told in phase 3 by its narrator."""

    __tablename__ = "narrative"
    __table_args__ = IDS_NEVER_REUSED

    id: Mapped[int] = mapped_column(primary_key=True)
    group_session_id: Mapped[int] = mapped_column(
        ForeignKey("group_session.id", ondelete="CASCADE"), index=True
    )
    proposer_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    votes: Mapped[int | None]
    is_chosen: Mapped[bool] = mapped_column(default=False)
    # How the group chose: "vote" (see votes) or "consensus"; empty while undecided.
    decided_by: Mapped[str] = mapped_column(String(20), default="", server_default="")
    # Usually the proposer; set when the story is chosen and someone agrees to tell it.
    narrator_id: Mapped[int | None] = mapped_column(
        ForeignKey("participant.id", ondelete="RESTRICT")
    )
    # Counts saves of the edit form, which carries it: a save drawn from an older
    # version is refused instead of overwriting (platform/edits.claim_version).
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    group_session = relationship("GroupSession", back_populates="narratives")
    proposer = relationship("Participant", foreign_keys=[proposer_id])
    narrator = relationship("Participant", foreign_keys=[narrator_id])

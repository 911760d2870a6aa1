"""Syntheses: the facilitators' written analysis, statement by statement, versioned.

A synthesis belongs to one group session (one analysis cycle) or, with no
session, to the study's transversal analysis. Each statement keeps every text
it ever had as a `StatementVersion`: editing adds a version, so what a
participant validated can always be shown next to what the statement says now.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import IDS_NEVER_REUSED, utcnow
from app.models.studies import _enum
from app.platform.extensions import db


class StatementKind(enum.StrEnum):
    """The kinds of statement a MAG synthesis is made of (DOMAIN.md, phases 3–11)."""

    SUMMARY = "summary"
    INTERPRETATION = "interpretation"
    CONVERGENCE = "convergence"
    DIVERGENCE = "divergence"
    TENSION = "tension"
    HYPOTHESIS = "hypothesis"
    PROPOSAL = "proposal"
    EVALUATION = "evaluation"


class ProposalLevel(enum.StrEnum):
    """The level a practical proposal addresses (micro, meso, macro)."""

    PRACTICE = "practice"
    ORGANISATION = "organisation"
    POLICY = "policy"


statement_theme = Table(
    "statement_theme",
    db.metadata,
    Column("statement_id", ForeignKey("statement.id", ondelete="CASCADE"), primary_key=True),
    Column("theme_id", ForeignKey("theme.id", ondelete="CASCADE"), primary_key=True),
)


class Synthesis(db.Model):
    """The written analysis of one session, or of the whole study when the session is empty."""

    __tablename__ = "synthesis"
    __table_args__ = (
        UniqueConstraint("study_id", "group_session_id"),
        # NULLs are distinct in a unique constraint: one transversal synthesis per study
        # needs its own partial index.
        Index(
            "uq_synthesis_transversal",
            "study_id",
            unique=True,
            sqlite_where=text("group_session_id IS NULL"),
            postgresql_where=text("group_session_id IS NULL"),
        ),
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id", ondelete="CASCADE"), index=True)
    group_session_id: Mapped[int | None] = mapped_column(
        ForeignKey("group_session.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    study = relationship("Study")
    group_session = relationship("GroupSession")
    statements = relationship(
        "Statement",
        back_populates="synthesis",
        cascade="all, delete-orphan",
        order_by="(Statement.position, Statement.id)",
    )


class Statement(db.Model):
    """One statement of a synthesis; its text lives in its versions."""

    __tablename__ = "statement"
    __table_args__ = IDS_NEVER_REUSED

    id: Mapped[int] = mapped_column(primary_key=True)
    synthesis_id: Mapped[int] = mapped_column(
        ForeignKey("synthesis.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[StatementKind] = mapped_column(_enum(StatementKind, "statement_kind"))
    position: Mapped[int] = mapped_column(default=0)
    # Interpretations are grouped under a heading the facilitators choose.
    group_label: Mapped[str] = mapped_column(String(200), default="")
    # Only for proposals.
    level: Mapped[ProposalLevel | None] = mapped_column(_enum(ProposalLevel, "proposal_level"))
    # Set when a statement is withdrawn from the synthesis; kept for its history.
    archived_at: Mapped[datetime | None]
    # Counts the saves that changed anything (kind, level, heading, themes, text or
    # positions). Edit forms carry it, so a save drawn from an older state is refused
    # even when only the heading or the themes changed (text versions would not show it).
    revision: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    synthesis = relationship("Synthesis", back_populates="statements")
    versions = relationship(
        "StatementVersion",
        back_populates="statement",
        cascade="all, delete-orphan",
        order_by="StatementVersion.number",
    )
    links = relationship(
        "StatementLink",
        back_populates="statement",
        cascade="all, delete-orphan",
        order_by="StatementLink.id",
    )
    themes = relationship("Theme", secondary=statement_theme, order_by="Theme.position")

    @property
    def current(self) -> StatementVersion:
        """Return the newest version: what the statement says now."""
        return self.versions[-1]


class StatementVersion(db.Model):
    """One text of a statement. Versions are never edited, only added."""

    __tablename__ = "statement_version"
    __table_args__ = (UniqueConstraint("statement_id", "number"), IDS_NEVER_REUSED)

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statement.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    # For divergences: the positions behind each reading ("social workers of CPAS: ...").
    positions: Mapped[str] = mapped_column(Text, default="")
    # Why the text changed ("after validation round 1: nuance from Amina").
    note: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    statement = relationship("Statement", back_populates="versions")
    author = relationship("User")


class StatementLink(db.Model):
    """A passage (or one coding in it) that supports a statement: shown as a quote."""

    __tablename__ = "statement_link"
    __table_args__ = (UniqueConstraint("statement_id", "passage_id", "coding_id"), IDS_NEVER_REUSED)

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statement.id", ondelete="CASCADE"), index=True
    )
    passage_id: Mapped[int] = mapped_column(
        ForeignKey("passage.id", ondelete="CASCADE"), index=True
    )
    # When set, the quote is the coded span; otherwise the whole passage.
    coding_id: Mapped[int | None] = mapped_column(
        ForeignKey("coding.id", ondelete="CASCADE"), index=True
    )

    statement = relationship("Statement", back_populates="links")
    passage = relationship("Passage")
    coding = relationship("Coding")

    @property
    def quote(self) -> str:
        """Return the quoted characters: the coded span, or the whole passage."""
        if self.coding is not None:
            return self.coding.quote
        return self.passage.text

"""Validation rounds: participants answer a synthesis through personal links.

A round covers chosen statement versions of one group's synthesis. Each
participant of the group gets a `ValidationLink`; the token in the URL is the
link's random nonce signed with the application's secret key, so the database
alone cannot rebuild a link, while facilitators can print the links again.
Answers can change until the round closes; each save overwrites the
participant's answer for that statement (the audit log keeps every save).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import IDS_NEVER_REUSED, utcnow
from app.models.studies import _enum
from app.platform.extensions import db


class Verdict(enum.StrEnum):
    """A participant's answer to a statement."""

    AGREE = "agree"
    NUANCE = "nuance"
    DISAGREE = "disagree"


class QuoteChoice(enum.StrEnum):
    """What a participant wants done with a quote attributed to them."""

    KEEP = "keep"
    REPHRASE = "rephrase"
    WITHDRAW = "withdraw"


class ValidationRound(db.Model):
    """One round of validation of (part of) a synthesis by the group that produced it."""

    __tablename__ = "validation_round"
    __table_args__ = IDS_NEVER_REUSED

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id", ondelete="CASCADE"), index=True)
    synthesis_id: Mapped[int] = mapped_column(
        ForeignKey("synthesis.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200), default="")
    # Whether facilitators see who answered what, and whether participants see each other.
    attributed: Mapped[bool] = mapped_column(default=True)
    share_answers: Mapped[bool] = mapped_column(default=False)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]

    synthesis = relationship("Synthesis")
    items = relationship(
        "RoundStatement",
        back_populates="round",
        cascade="all, delete-orphan",
        order_by="RoundStatement.position",
    )
    links = relationship("ValidationLink", back_populates="round", cascade="all, delete-orphan")


class RoundStatement(db.Model):
    """A statement version put to the participants in a round."""

    __tablename__ = "round_statement"
    __table_args__ = (UniqueConstraint("round_id", "statement_id"), IDS_NEVER_REUSED)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("validation_round.id", ondelete="CASCADE"), index=True
    )
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statement.id", ondelete="CASCADE"), index=True
    )
    version_id: Mapped[int] = mapped_column(ForeignKey("statement_version.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)

    round = relationship("ValidationRound", back_populates="items")
    statement = relationship("Statement")
    version = relationship("StatementVersion")


class ValidationLink(db.Model):
    """A participant's personal link to a round; the URL token is never stored."""

    __tablename__ = "validation_link"
    __table_args__ = (UniqueConstraint("round_id", "participant_id"), IDS_NEVER_REUSED)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("validation_round.id", ondelete="CASCADE"), index=True
    )
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    # The random part of the token (a new one when the link is reissued).
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime | None]
    # Counts saves of the participant's answers; their page carries it, so answers sent
    # from an older page (another device, an old tab) are refused, not saved over newer
    # ones (platform/edits.claim_version).
    answers_version: Mapped[int] = mapped_column(default=1, server_default="1")

    round = relationship("ValidationRound", back_populates="links")
    participant = relationship("Participant")
    # Read with the link when a participant opens it (synthesis/links.py); answers are
    # written as rows of their own, never through this list.
    answers = relationship("StatementAnswer", viewonly=True)


class StatementAnswer(db.Model):
    """A participant's current answer to one statement of a round."""

    __tablename__ = "statement_answer"
    __table_args__ = (UniqueConstraint("link_id", "statement_id"), IDS_NEVER_REUSED)

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(
        ForeignKey("validation_link.id", ondelete="CASCADE"), index=True
    )
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statement.id", ondelete="CASCADE"), index=True
    )
    # The version the participant saw when answering.
    version_id: Mapped[int] = mapped_column(ForeignKey("statement_version.id", ondelete="CASCADE"))
    verdict: Mapped[Verdict] = mapped_column(_enum(Verdict, "verdict"))
    comment: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    link = relationship("ValidationLink")
    statement = relationship("Statement")


class QuoteDecision(db.Model):
    """A participant's choice about a passage of theirs quoted in the round."""

    __tablename__ = "quote_decision"
    __table_args__ = (UniqueConstraint("link_id", "passage_id"), IDS_NEVER_REUSED)

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(
        ForeignKey("validation_link.id", ondelete="CASCADE"), index=True
    )
    passage_id: Mapped[int] = mapped_column(
        ForeignKey("passage.id", ondelete="CASCADE"), index=True
    )
    choice: Mapped[QuoteChoice] = mapped_column(_enum(QuoteChoice, "quote_choice"))
    # The wording the participant proposes instead (choice "rephrase").
    rephrasing: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    link = relationship("ValidationLink")
    passage = relationship("Passage")

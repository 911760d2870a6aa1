"""The codebook (themes) and codings of passages."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import IDS_NEVER_REUSED, utcnow
from app.models.studies import _enum
from app.platform.extensions import db


class CodingOrigin(enum.StrEnum):
    """Whether a person selected the span or accepted a tool suggestion."""

    MANUAL = "manual"
    SUGGESTION = "suggestion"


class Theme(db.Model):
    """A code in a study's codebook, with labels and seed terms in nl/fr/en."""

    __tablename__ = "theme"
    # GUIDs are unique per study: a codebook copied into another study keeps its GUIDs.
    __table_args__ = (
        UniqueConstraint("study_id", "key"),
        UniqueConstraint("study_id", "guid"),
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id", ondelete="CASCADE"), index=True)
    # Stable identifier used by exports and the API; labels may change, the key does not.
    key: Mapped[str] = mapped_column(String(60))
    # REFI-QDA identity, kept across exports and imports so other tools recognise the code.
    guid: Mapped[str] = mapped_column(String(36), default=lambda: str(uuid.uuid4()))
    label_nl: Mapped[str] = mapped_column(String(120))
    label_fr: Mapped[str] = mapped_column(String(120))
    label_en: Mapped[str] = mapped_column(String(120))
    definition_nl: Mapped[str] = mapped_column(Text, default="")
    definition_fr: Mapped[str] = mapped_column(Text, default="")
    definition_en: Mapped[str] = mapped_column(Text, default="")
    colour: Mapped[str] = mapped_column(String(7), default="#777777")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("theme.id", ondelete="SET NULL"))
    position: Mapped[int] = mapped_column(default=0)
    # {"nl": [...], "fr": [...], "en": [...]}: lemma-level terms and phrases.
    seed_terms: Mapped[dict] = mapped_column(JSON, default=dict)
    # Counts saves of the edit form, which carries it: a save drawn from an older
    # version is refused instead of overwriting (platform/edits.claim_version).
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    study = relationship("Study", back_populates="themes")
    parent = relationship("Theme", remote_side=[id])

    def label(self, language: str) -> str:
        """Return the label in `language`, falling back to English."""
        return getattr(self, f"label_{language}", None) or self.label_en


class Coding(db.Model):
    """A theme applied to a span of a passage.

    Offsets are Unicode code points, zero-based, end exclusive, over
    `Passage.text` (the same convention as REFI-QDA selections), so
    `passage.text[start:end]` in Python is exactly the coded span.
    """

    __tablename__ = "coding"
    __table_args__ = (
        CheckConstraint("start_offset >= 0 AND end_offset > start_offset", name="span_valid"),
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    passage_id: Mapped[int] = mapped_column(
        ForeignKey("passage.id", ondelete="CASCADE"), index=True
    )
    theme_id: Mapped[int] = mapped_column(ForeignKey("theme.id", ondelete="CASCADE"), index=True)
    coder_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    start_offset: Mapped[int]
    end_offset: Mapped[int]
    origin: Mapped[CodingOrigin] = mapped_column(
        _enum(CodingOrigin, "coding_origin"), default=CodingOrigin.MANUAL
    )
    memo: Mapped[str] = mapped_column(Text, default="")
    # Counts memo saves; the memo form carries it (platform/edits.claim_version), so a
    # second person's memo from an older page is refused instead of overwriting.
    memo_version: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    passage = relationship("Passage", back_populates="codings")
    theme = relationship("Theme")
    coder = relationship("User")

    @property
    def quote(self) -> str:
        """Return the coded characters."""
        return self.passage.text[self.start_offset : self.end_offset]

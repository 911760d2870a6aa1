"""What the analysis engine produced for a study: cached lemmas, suggestions, groupings.

Nothing here is a coding. A suggestion becomes a coding only when a
facilitator accepts it; a rejected suggestion is kept, because it teaches the
study's model what the theme is not.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, delete, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from app.models.base import IDS_NEVER_REUSED, utcnow
from app.models.studies import _enum
from app.platform.extensions import db


class PassageAnalysis(db.Model):
    """A passage's language and lemmas, cached while its text stays the same.

    Lemmatisation is most of the cost of an analysis run (NLP-NOTES), so each
    passage is lemmatised once per text; `text_hash` says which text.
    """

    __tablename__ = "passage_analysis"

    passage_id: Mapped[int] = mapped_column(
        ForeignKey("passage.id", ondelete="CASCADE"), primary_key=True
    )
    text_hash: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(2))
    prepared: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


@event.listens_for(Session, "before_flush")
def _forget_stale_lemmas(session, _flush_context, _instances) -> None:
    """Drop a passage's cached lemmas as soon as its text changes.

    The cache holds the words of the text; after an edit, a pseudonymisation or an
    erasure it must not keep the old ones (the next analysis run rebuilds it).
    """
    from sqlalchemy import inspect

    from app.models.transcripts import Passage

    changed = [
        obj.id
        for obj in session.dirty
        if isinstance(obj, Passage)
        and obj.id is not None
        and inspect(obj).attrs.text.history.has_changes()
    ]
    if changed:
        session.connection().execute(
            delete(PassageAnalysis).where(PassageAnalysis.passage_id.in_(changed))
        )


class SuggestionStatus(enum.StrEnum):
    """A facilitator's decision on a suggestion."""

    OPEN = "open"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class Suggestion(db.Model):
    """The tool's proposal to code a passage with a theme, with its evidence."""

    __tablename__ = "suggestion"
    __table_args__ = IDS_NEVER_REUSED

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id", ondelete="CASCADE"), index=True)
    passage_id: Mapped[int] = mapped_column(
        ForeignKey("passage.id", ondelete="CASCADE"), index=True
    )
    theme_id: Mapped[int] = mapped_column(ForeignKey("theme.id", ondelete="CASCADE"), index=True)
    score: Mapped[float]
    # "zero-shot" (from the codebook) or "learned" (from the study's codings).
    regime: Mapped[str] = mapped_column(String(12))
    # [{"kind": "term", "text", "start", "end"} | {"kind": "similar", "passage_id", "score"}]
    evidence: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[SuggestionStatus] = mapped_column(
        _enum(SuggestionStatus, "suggestion_status"), default=SuggestionStatus.OPEN, index=True
    )
    # The text the suggestion was made for: a decision stays tied to the words judged.
    text_hash: Mapped[str] = mapped_column(String(64))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id", ondelete="SET NULL"))
    coding_id: Mapped[int | None] = mapped_column(ForeignKey("coding.id", ondelete="SET NULL"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    passage = relationship("Passage")
    theme = relationship("Theme")


class GroupingStatus(enum.StrEnum):
    """What facilitators did with a proposed group of passages."""

    OPEN = "open"
    ACCEPTED = "accepted"
    DISMISSED = "dismissed"
    MERGED = "merged"


class Grouping(db.Model):
    """A thematic group of passages found by clustering, for facilitators to judge."""

    __tablename__ = "grouping"
    __table_args__ = IDS_NEVER_REUSED

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id", ondelete="CASCADE"), index=True)
    job_id: Mapped[int | None] = mapped_column(
        ForeignKey("job.id", ondelete="SET NULL"), index=True
    )
    label: Mapped[str] = mapped_column(String(200))
    terms: Mapped[list] = mapped_column(JSON, default=list)
    # The engine's label in each interface language ({"nl": ..., "fr": ..., "en": ...});
    # emptied when a facilitator renames the group, whose name then holds for everyone.
    labels: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    members: Mapped[list] = mapped_column(JSON, default=list)  # passage ids
    representatives: Mapped[list] = mapped_column(JSON, default=list)  # passage ids
    # theme id (as a string key in JSON) -> share of members coded or suggested with it
    theme_overlap: Mapped[dict] = mapped_column(JSON, default=dict)
    best_theme_id: Mapped[int | None] = mapped_column(ForeignKey("theme.id", ondelete="SET NULL"))
    candidate_new_theme: Mapped[bool] = mapped_column(default=False)
    status: Mapped[GroupingStatus] = mapped_column(
        _enum(GroupingStatus, "grouping_status"), default=GroupingStatus.OPEN
    )
    # The theme created or used when the grouping was accepted.
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("theme.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")
    # Counts renames; the rename form carries it (platform/edits.claim_version).
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def display_label(self, language: str) -> str:
        """Return the label in the reader's language, or the one name it was given."""
        return (self.labels or {}).get(language) or self.label

    best_theme = relationship("Theme", foreign_keys=[best_theme_id])
    theme = relationship("Theme", foreign_keys=[theme_id])

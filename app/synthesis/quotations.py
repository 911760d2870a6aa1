"""What may leave the tool: the one rule every export and report applies to passages.

A passage is shown in a report, a spreadsheet of coded segments or an
exchange file only if nobody has taken it back:
- its speaker asked, in a validation round, for it to be withdrawn
  (`Passage.quote_withdrawn_at`);
- its speaker's data was erased (`Participant.erased_at`);
- for quotes (reports, coded segments): its speaker has not granted the
  quotation consent (the newest consent for that scope decides).
Facilitators' own passages are always quotable. The passage itself stays in
the transcript for the facilitators; only what leaves is filtered.
"""

from __future__ import annotations

import enum

from app.models import ConsentScope, Participant, Passage

# What an exchange file carries instead of a withheld passage's words, so its
# structure (who spoke when) stays intact.
WITHHELD_TEXT = "[…]"


class QuoteProblem(enum.StrEnum):
    """Why a passage may not be quoted."""

    WITHDRAWN = "withdrawn"
    ERASED = "erased"
    NO_CONSENT = "no_quotation_consent"


def has_quotation_consent(participant: Participant) -> bool:
    """Return whether the newest quotation consent of `participant` grants it."""
    newest = None
    for consent in participant.consents:  # ordered by date, then id
        if consent.scope == ConsentScope.QUOTATION:
            newest = consent
    return bool(newest and newest.granted)


def quote_problem(passage: Passage) -> QuoteProblem | None:
    """Return why `passage` may not be quoted, or None when it may."""
    if passage.quote_withdrawn_at is not None:
        return QuoteProblem.WITHDRAWN
    speaker = passage.participant
    if speaker is None:
        return None
    if speaker.erased_at is not None:
        return QuoteProblem.ERASED
    if not has_quotation_consent(speaker):
        return QuoteProblem.NO_CONSENT
    return None


def is_quotable(passage: Passage) -> bool:
    """Return whether reports and segment exports may show words of `passage`."""
    return quote_problem(passage) is None


def is_withheld(passage: Passage) -> bool:
    """Return whether an exchange file must leave out this passage's words entirely.

    Stricter than "not quotable" only in what it ignores: a missing quotation
    consent keeps the passage in a transcript exchanged for analysis, but a
    withdrawal or an erasure does not.
    """
    if passage.quote_withdrawn_at is not None:
        return True
    return passage.participant is not None and passage.participant.erased_at is not None


def exported_text(passage: Passage) -> str:
    """Return the passage's words for an exchange file, or the withheld marker."""
    return WITHHELD_TEXT if is_withheld(passage) else passage.text

"""What may leave the tool: the one rule every export and report applies.

Every word a participant said or wrote — passages, validation comments,
rewordings, story titles they proposed — leaves the tool only while nobody has
taken it back:
- its speaker asked, in a validation round, for it to be withdrawn
  (`Passage.quote_withdrawn_at`, passages only);
- its speaker's data was erased (`Participant.erased_at`);
- its speaker withdrew from the study (newest participation decision is a
  withdrawal: everything they said stops leaving, whatever their quotation
  consent says);
- its speaker's newest quotation consent is not a grant (none recorded, or
  withdrawn).
`participant_problem` is that rule for a person (in `app.studies.consents`, with
`left_out_as_person`, so the coding pages' downloads can ask it too); every export,
report and participant page asks it (through `may_quote`, `is_quotable`,
`is_withheld`), never the consent records directly.
Facilitators' own words are always quotable. The words stay in the tool for the
facilitators; only what leaves is filtered.

Names follow the same rule: an erased participant's neutral label
(`erased-12`) and the pseudonym of a participant who withdrew from the study
never leave the tool, wherever they were written (other people's quotes,
statements, memos, titles), and a publication (the Word report) never names a
participant who may not be quoted. `Redactor` does all three, for one study
(it lives in `app.studies.redaction`, so a participant's right-of-access download,
which keeps the requester's own pseudonym, applies it too).

The study archive is the one exception: it is a backup for the same team,
restored losslessly, and kept as safely as the database (see README).
"""

from __future__ import annotations

from collections.abc import Iterable

from app.models import Participant, Passage

# The rule for a person lives with the consent decisions, and the name rule beside it
# (so a participant's own right-of-access download can apply it); named here too,
# where the quotation rule has always been read from.
from app.studies.consents import QuoteProblem as QuoteProblem
from app.studies.consents import consent_in_force as consent_in_force
from app.studies.consents import has_quotation_consent as has_quotation_consent
from app.studies.consents import left_out_as_person as left_out_as_person
from app.studies.consents import participant_problem as participant_problem
from app.studies.redaction import ERASED_LABEL as ERASED_LABEL
from app.studies.redaction import WITHHELD_TEXT as WITHHELD_TEXT
from app.studies.redaction import Redacted as Redacted
from app.studies.redaction import Redactor as Redactor


def may_quote(participant: Participant | None) -> bool:
    """Return whether words written or said by `participant` may leave the tool."""
    return participant_problem(participant) is None


def quote_problem(passage: Passage) -> QuoteProblem | None:
    """Return why `passage` may not be quoted, or None when it may."""
    if passage.quote_withdrawn_at is not None:
        return QuoteProblem.WITHDRAWN
    return participant_problem(passage.participant)


def is_quotable(passage: Passage) -> bool:
    """Return whether any export may show words of `passage`."""
    return quote_problem(passage) is None


def is_withheld(passage: Passage) -> bool:
    """Return whether an exchange file must replace this passage's words by the marker."""
    return not is_quotable(passage)


def exported_text(passage: Passage) -> str:
    """Return the passage's words for an exchange file, or the withheld marker."""
    return WITHHELD_TEXT if is_withheld(passage) else passage.text


def exportable_comments(comments: Iterable[tuple[Participant | None, str]]) -> list[str]:
    """Return the comments (author, text) whose authors may be quoted, in order."""
    return [text for author, text in comments if text and may_quote(author)]

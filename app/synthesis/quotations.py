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
participant who may not be quoted. `Redactor` does all three, for one study.

The study archive is the one exception: it is a backup for the same team,
restored losslessly, and kept as safely as the database (see README).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy.orm import selectinload

from app.models import Participant, Passage, StatementLink
from app.platform.extensions import db
from app.privacy.fields import name_pattern

# The rule for a person lives with the consent decisions; named here too, where the
# quotation rule has always been read from.
from app.studies.consents import QuoteProblem as QuoteProblem
from app.studies.consents import consent_in_force as consent_in_force
from app.studies.consents import has_quotation_consent as has_quotation_consent
from app.studies.consents import left_out_as_person as left_out_as_person
from app.studies.consents import participant_problem as participant_problem

# What an export carries instead of withheld words or names, so its structure
# (who spoke when) stays intact.
WITHHELD_TEXT = "[…]"
# The label `studies.participants.erase_participant` gives an erased participant.
ERASED_LABEL = re.compile(r"(?<!\w)erased-\d+(?!\w)")


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


class Redactor:
    """Scrub one study's texts of names that may not leave the tool.

    Every file that leaves: erased participants' labels and the pseudonyms of who is left
    out as a person (`left_out_as_person`: withdrew from the study), so another speaker's
    "I called Sanne" does not name her. A publication (`publication=True`, the Word
    report) also scrubs the pseudonyms of participants who may not be quoted, so
    "Positions: Marc (worker) against…" names nobody who did not consent.
    Names are whole names as erasure finds them (`privacy.fields.name_pattern`, any case):
    "Ann" in "d'Ann" or "Ann's", never in "Annick" or "Ann-Marie"; every pseudonym of the
    study is matched, longest first, so a kept "Ann Smit" beside a scrubbed "Ann" stays.
    """

    def __init__(self, scrubbed: Iterable[str] = (), kept: Iterable[str] = ()) -> None:
        kept = [name for name in kept if name.strip()]
        scrubbed = [name for name in scrubbed if name.strip()]
        self._kept = {_name_key(name) for name in kept}
        names = name_pattern([*scrubbed, *kept], ignore_case=True) if scrubbed else None
        # One pass over both kinds of name, so `edit` knows where each replacement is.
        names_part = f"|(?i:{names.pattern})" if names else ""
        self._pattern = re.compile(ERASED_LABEL.pattern + names_part)

    @classmethod
    def for_study(cls, study_id: int, *, publication: bool) -> Redactor:
        """Return the redactor of a study's exchange files, or of its publications."""
        participants = db.session.execute(
            db.select(Participant)
            .filter_by(study_id=study_id)
            .options(selectinload(Participant.consents))
        ).scalars()
        scrubbed, kept = [], []
        for participant in participants:
            out = not may_quote(participant) if publication else left_out_as_person(participant)
            (scrubbed if out else kept).append(participant.pseudonym or "")
        return cls(scrubbed, kept)

    def __call__(self, text: str | None) -> str:
        """Return `text` with every name that may not leave replaced by the marker."""
        return self.edit(text).text

    def edit(self, text: str | None) -> Redacted:
        """Return `text` scrubbed as `__call__` does, with where each replacement went."""
        out, spans, at = [], [], 0
        for match in self._pattern.finditer(text or ""):
            if _name_key(match[0]) in self._kept:
                continue  # a pseudonym that may leave, longer than one that may not
            out += [text[at : match.start()], WITHHELD_TEXT]
            spans.append((match.start(), match.end()))
            at = match.end()
        return Redacted(("".join(out) + (text or "")[at:]) if spans else text or "", spans)

    def words(self, text: str, start: int, end: int) -> str | None:
        """Return the scrubbed words of `text[start:end]`, or None if all are in a scrubbed name.

        The whole text is scrubbed first, so a span starting inside a name ("anne zei" of
        "Sanne zei") shows the marker, not the rest of the name.
        """
        edit = self.edit(text)
        span = edit.span(start, end)
        return None if span is None else edit.text[span[0] : span[1]]

    def quote(self, link: StatementLink) -> str:
        """Return a statement link's quoted words (its coding's span, or the passage), scrubbed."""
        passage, coding = link.passage, link.coding
        if coding is None:
            return self(passage.text)
        return self.words(passage.text, coding.start_offset, coding.end_offset) or WITHHELD_TEXT


def _name_key(name: str) -> str:
    """Return a name as `name_pattern` matches it: parts, case and apostrophes folded."""
    return " ".join(name.split()).casefold().replace("’", "'")


class Redacted:
    """A scrubbed text and the spans [start, end) of the original that became the marker."""

    def __init__(self, text: str, spans: list[tuple[int, int]]) -> None:
        self.text, self.spans = text, spans

    def span(self, start: int, end: int) -> tuple[int, int] | None:
        """Move the span [start, end) of the original text onto the scrubbed text.

        A span reaching into a replaced name covers its marker; a span entirely inside
        one is None: its words did not leave, like the codings of a withdrawn passage.
        """
        if any(a <= start and end <= b for a, b in self.spans):
            return None
        return self._offset(start, at_end=False), self._offset(end, at_end=True)

    def _offset(self, offset: int, *, at_end: bool) -> int:
        shift = 0
        for a, b in self.spans:
            if offset <= a:
                break
            if offset < b:  # inside the name: the marker's start or end
                return a + shift + (len(WITHHELD_TEXT) if at_end else 0)
            shift += len(WITHHELD_TEXT) - (b - a)
        return offset + shift

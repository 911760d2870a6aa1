"""The name rule: which names may not leave the tool inside other people's text.

An erased participant's neutral label (`erased-12`) and the pseudonym of who withdrew
from the study (`left_out_as_person`) never leave, wherever they were written; a
publication also never names who may not be quoted. `Redactor` applies it to one
study's texts; `Redacted` moves offsets (codings) onto the scrubbed text.
It lives with the consent decisions (below `app.synthesis`, which re-exports it) so a
participant's own right-of-access download (`studies/participants.py`) applies it too,
keeping the requester's own pseudonym.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy.orm import selectinload

from app.models import Participant, StatementLink
from app.platform.extensions import db
from app.privacy.fields import is_ordinary_name, name_key, name_pattern
from app.studies.consents import left_out_as_person, participant_problem

# What an export carries instead of withheld words or names, so its structure
# (who spoke when) stays intact.
WITHHELD_TEXT = "[…]"
# The label `studies.participants.erase_participant` gives an erased participant.
ERASED_LABEL = re.compile(r"(?<!\w)erased-\d+(?!\w)")


class Redactor:
    """Scrub one study's texts of names that may not leave the tool.

    Every file that leaves: erased participants' labels and the pseudonyms of who is left
    out as a person (`left_out_as_person`: withdrew from the study), so another speaker's
    "I called Sanne" does not name her. A publication (`publication=True`, the Word
    report) also scrubs the pseudonyms of participants who may not be quoted, so
    "Positions: Marc (worker) against…" names nobody who did not consent.
    Names are whole names as erasure finds them (`privacy.fields.name_pattern`, any case,
    but a pseudonym that is also a word only with a capital: "Rose", never "prices rose"):
    "Ann" in "d'Ann" or "Ann's", never in "Annick" or "Ann-Marie"; every pseudonym of the
    study is matched, longest first, so a kept "Ann Smit" beside a scrubbed "Ann" stays.
    """

    def __init__(self, scrubbed: Iterable[str] = (), kept: Iterable[str] = ()) -> None:
        kept = [name for name in kept if name.strip()]
        scrubbed = [name for name in scrubbed if name.strip()]
        self._kept = {name_key(name) for name in kept}
        names = name_pattern([*scrubbed, *kept], ignore_case=True) if scrubbed else None
        # One pass over both kinds of name, so `edit` knows where each replacement is.
        names_part = f"|{names.pattern}" if names else ""  # it carries its own case rule
        self._pattern = re.compile(ERASED_LABEL.pattern + names_part)

    @classmethod
    def for_study(
        cls, study_id: int, *, publication: bool, requester: Participant | None = None
    ) -> Redactor:
        """Return the redactor of a study's exchange files, or of its publications.

        A participant's own copy of their data (`requester`, right of access) keeps their
        own pseudonym or label, whatever their consent: it is theirs; other people's
        names follow the exchange files' rule.
        """
        return cls(*study_names(study_id, publication=publication, requester=requester))

    def __call__(self, text: str | None) -> str:
        """Return `text` with every name that may not leave replaced by the marker."""
        return self.edit(text).text

    def edit(self, text: str | None) -> Redacted:
        """Return `text` scrubbed as `__call__` does, with where each replacement went."""
        out, spans, at = [], [], 0
        for match in self._pattern.finditer(text or ""):
            if name_key(match[0]) in self._kept:
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


def study_names(
    study_id: int, *, publication: bool, requester: Participant | None = None
) -> tuple[list[str], list[str]]:
    """Return a study's pseudonyms as (scrubbed, kept) by its exchange files or publications."""
    participants = db.session.execute(
        db.select(Participant)
        .filter_by(study_id=study_id)
        .options(selectinload(Participant.consents))
    ).scalars()
    scrubbed, kept = [], []
    for participant in participants:
        if requester is not None and participant.id == requester.id:
            out = False
        elif publication:
            out = participant_problem(participant) is not None
        else:
            out = left_out_as_person(participant)
        (scrubbed if out else kept).append(participant.pseudonym or "")
    return scrubbed, kept


def words_kept(study_id: int) -> dict[str, dict[str, int]]:
    """Return per kind of export the scrubbed names that are words, with their word uses.

    The name rule scrubs "Rose" and keeps "the rents rose", so an export carries those
    words: the export page tells the facilitator to check them. The kinds are
    "publication" (the Word report) and "exchange" (every other file), which can scrub
    different people; a name counted 0 is left out. No text is read when no scrubbed
    pseudonym is an ordinary word.
    """
    # One light query first: most studies have no pseudonym that is a word, and then the
    # consents that decide who is scrubbed need not be read (every export page asks).
    pseudonyms = db.session.execute(
        db.select(Participant.pseudonym).filter_by(study_id=study_id)
    ).scalars()
    if not any(name and name.strip() and is_ordinary_name(name) for name in pseudonyms):
        return {"publication": {}, "exchange": {}}
    words = {
        kind: [
            name
            for name in study_names(study_id, publication=kind == "publication")[0]
            if name.strip() and is_ordinary_name(name)
        ]
        for kind in ("publication", "exchange")
    }
    every = list(dict.fromkeys(words["publication"] + words["exchange"]))
    if not every:
        return {kind: {} for kind in words}
    from app.privacy.replace import words_left_by_name  # it reads every text of the study

    counts = words_left_by_name(study_id, every)  # one reading for both kinds
    return {
        kind: {name: counts[name] for name in names if counts[name]}
        for kind, names in words.items()
    }


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
        return self.cover(start, end)

    def cover(self, start: int, end: int) -> tuple[int, int]:
        """Move the span [start, end) onto the scrubbed text; inside a name, onto its marker.

        For a copy that keeps every coding (a participant's right-of-access download):
        a coding only of a scrubbed name points at the marker instead of being left out.
        """
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

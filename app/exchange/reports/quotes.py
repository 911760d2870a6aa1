"""The strongest quotes of a theme, among the passages that may be quoted at all.

Which passages may appear is decided by `app.synthesis.quotations.is_quotable` only
(withdrawn, erased, withdrawn from the study, no quotation consent: never in a report). Among those,
`pick_quotes` ranks candidate spans; its rule is stated in the report's
methodology too, so readers know why these quotes were chosen.
"""

from __future__ import annotations

from collections import defaultdict

from app.exchange.reports.data import QuoteItem
from app.models import Participant, Passage
from app.synthesis.quotations import WITHHELD_TEXT, is_quotable, left_out_as_person

# The strongest quotes per theme section; a chapter with more reads as a transcript.
MAX_QUOTES_PER_THEME = 6
# A shorter span is a keyword, not a quote ("mandat"): it ranks after every longer one.
MIN_QUOTE_CHARS = 40
# Length counts towards strength only up to here; longer spans are cut at LONGEST_QUOTE.
LENGTH_CAP = 400
LONGEST_QUOTE = 700


def role(participant: Participant | None) -> tuple[str, str]:
    """Return (position, organisation type) from a participant's attributes, blank if unset.

    Blank too for whoever a report leaves out as a person (erased, withdrew from the study):
    their coded segments still count, under "not specified", like an erased participant's.
    """
    if participant is None or left_out_as_person(participant):
        return ("", "")
    attributes = participant.attributes or {}
    return (
        str(attributes.get("position", "")).strip(),
        str(attributes.get("organisation_type", "")).strip(),
    )


def pick_quotes(sections, codings, passage_by_id, number_of, linked_passages, redact) -> int:
    """Pick each theme's strongest quotable spans; return how many coded passages were withheld.

    A candidate is the union of overlapping spans of one theme in one participant's
    passage (facilitators' words are not quoted as the group's voice). Strength, compared
    in this order: at least MIN_QUOTE_CHARS long; the passage supports a synthesis
    statement; the number of coders who coded the theme there; the number of themes
    coded on the span; its length up to LENGTH_CAP. Ties go to transcript order.
    `redact` scrubs names that may not leave from the quoted words.
    """
    by_passage: dict[int, list[tuple]] = defaultdict(list)
    for coding in codings:
        by_passage[coding[2]].append(coding)
    withheld = 0
    candidates: dict[int, list[tuple[tuple, QuoteItem]]] = defaultdict(list)
    for passage_id, here in by_passage.items():
        passage = passage_by_id[passage_id]
        if passage.participant_id is None:
            continue
        if not is_quotable(passage):
            withheld += 1
            continue
        per_theme: dict[int, list[tuple]] = defaultdict(list)
        for coding in here:
            per_theme[coding[1]].append(coding)
        for theme_id, own in per_theme.items():
            for start, end, coders in _merge_spans(own):
                themes = {c[1] for c in here if c[4] < end and c[5] > start}
                length = end - start
                strength = (
                    length >= MIN_QUOTE_CHARS,
                    passage_id in linked_passages,
                    len(coders),
                    len(themes),
                    min(length, LENGTH_CAP),
                )
                candidates[theme_id].append(
                    (strength, _quote(passage, start, end, number_of, redact))
                )
    for theme_id, found in candidates.items():
        if theme_id not in sections:
            continue
        found.sort(key=lambda pair: pair[1].order)
        found.sort(key=lambda pair: pair[0], reverse=True)
        chosen = [quote for _strength, quote in found[:MAX_QUOTES_PER_THEME]]
        sections[theme_id].quotes = sorted(chosen, key=lambda q: (q.phase, q.order))
    return withheld


def linked_quotes(links, number_of, redact) -> tuple[tuple[QuoteItem, ...], int]:
    """Return the quotable passages linked to a statement, and how many were withheld.

    The same rule as theme quotes (`is_quotable`); a link to a coding quotes its span,
    a link to a passage the whole passage. Each span is quoted once.
    """
    quotes, seen, withheld = [], set(), 0
    for link in links:
        passage = link.passage
        if not is_quotable(passage):
            withheld += 1
            continue
        start, end = (
            (link.coding.start_offset, link.coding.end_offset)
            if link.coding is not None
            else (0, len(passage.text))
        )
        if (passage.id, start, end) in seen:
            continue
        seen.add((passage.id, start, end))
        quotes.append(_quote(passage, start, end, number_of, redact))
    return tuple(sorted(quotes, key=lambda q: q.order)), withheld


def _merge_spans(codings) -> list[tuple[int, int, set]]:
    """Merge overlapping spans of one theme; keep who coded each merged span."""
    merged: list[tuple[int, int, set]] = []
    for _id, _theme, _passage, coder, start, end in sorted(codings, key=lambda c: c[4]):
        if merged and start < merged[-1][1]:
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], end), last[2] | {coder})
        else:
            merged.append((start, end, {coder}))
    return merged


def _quote(passage: Passage, start: int, end: int, number_of, redact) -> QuoteItem:
    # Scrubbed as a whole first: a span starting inside a name shows the marker.
    text = (redact.words(passage.text, start, end) or WITHHELD_TEXT).strip()
    if len(text) > LONGEST_QUOTE:
        text = text[:LONGEST_QUOTE].rsplit(" ", 1)[0] + " […]"
    position, organisation = role(passage.participant)
    session_number = number_of.get(passage.group_session_id, passage.group_session.number)
    return QuoteItem(
        text=text,
        pseudonym=passage.participant.pseudonym if passage.participant else passage.speaker_name,
        position=position,
        organisation_type=organisation,
        session_number=session_number,
        phase=passage.phase,
        language=passage.group_session.language,
        order=(session_number, passage.phase, passage.position, passage.id, start),
    )

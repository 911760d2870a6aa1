"""Gather the incident sheets a report counts and the few narratives it may quote.

Sheets belong to the study, not to a session, so only a whole-study report shows
them. A narrative has no participant author: a social worker wrote it about a
person who is not in the group, so no participant consent applies. What does
apply is the rule that guards every quote, that nothing identifying leaves: a
narrative is quoted only when no personal-data finding on its sheet is open (an
override of the report's refusal never lets such a narrative through), and the report's
`Redactor` scrubs the names that may not leave from it, as from every text it prints.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import selectinload

from app.exchange.reports.data import IncidentExample, IncidentSummary
from app.models import Consequence, IncidentSheet, PiiFinding
from app.platform.extensions import db

# Most serious first: the report's examples show what digitalisation cost people.
SEVERITY = (
    Consequence.NON_TAKE_UP,
    Consequence.LOSS,
    Consequence.GAVE_UP,
    Consequence.PENALTY,
    Consequence.DELAY,
    Consequence.NONE,
)
MAX_EXAMPLES = 5
LONGEST_NARRATIVE = 700


def incident_summary(study_id: int, redact: Callable[[str], str] = str) -> IncidentSummary:
    """Count the study's sheets by organisation, channel, consequence and theme; pick examples."""
    sheets = list(
        db.session.execute(
            db.select(IncidentSheet)
            .filter_by(study_id=study_id)
            .order_by(IncidentSheet.occurred_on, IncidentSheet.id)
            .options(selectinload(IncidentSheet.themes))
        ).scalars()
    )
    flagged = set(
        db.session.execute(
            db.select(PiiFinding.object_id).filter_by(
                study_id=study_id, object_type="incident", status="open"
            )
        ).scalars()
    )
    summary = IncidentSummary(total=len(sheets))
    for sheet in sheets:
        summary.by_organisation[sheet.organisation.strip()] += 1
        summary.by_channel[sheet.channel.strip()] += 1
        summary.by_consequence[sheet.consequence.value] += 1
        for theme in sheet.themes:
            summary.by_theme[theme.id] += 1
    told = [sheet for sheet in sheets if sheet.narrative.strip()]
    summary.withheld_examples = sum(1 for sheet in told if sheet.id in flagged)
    quotable = [sheet for sheet in told if sheet.id not in flagged]
    summary.examples = [_example(sheet, redact) for sheet in _examples(quotable)]
    return summary


def _examples(sheets: list[IncidentSheet]) -> list[IncidentSheet]:
    """One sheet per consequence, most serious first, then the next ones, up to MAX_EXAMPLES."""
    rank = {consequence: n for n, consequence in enumerate(SEVERITY)}
    ordered = sorted(sheets, key=lambda s: rank.get(s.consequence, len(rank)))
    first, rest, seen = [], [], set()
    for sheet in ordered:
        (rest if sheet.consequence in seen else first).append(sheet)
        seen.add(sheet.consequence)
    return (first + rest)[:MAX_EXAMPLES]


def _example(sheet: IncidentSheet, redact: Callable[[str], str]) -> IncidentExample:
    text = redact(sheet.narrative).strip()
    if len(text) > LONGEST_NARRATIVE:
        text = text[:LONGEST_NARRATIVE].rsplit(" ", 1)[0] + " […]"
    return IncidentExample(
        organisation=sheet.organisation.strip(),
        channel=sheet.channel.strip(),
        consequence=sheet.consequence.value,
        narrative=text,
    )

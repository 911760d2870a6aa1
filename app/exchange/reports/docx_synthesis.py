"""The report's synthesis chapter: every statement once, in MAG order, with its quotes and answers.

Called by `docx_report.render`, under the report's locale, after the theme chapters
(which only refer to statements by number). One Heading 2 per synthesis (each
session's, then the transversal one), one Heading 3 per phase of the method.
"""

from __future__ import annotations

from itertools import groupby
from typing import Protocol

from flask_babel import format_date, gettext, ngettext

from app.exchange.reports.data import QuoteItem, ReportData, StatementItem
from app.exchange.reports.typography import colon
from app.exchange.reports.word import Writer
from app.models.phases import PHASE_BY_NUMBER

# The phase of the method each kind of statement comes from (interpretations: 5 and 7).
PHASE_OF_KIND = {
    "summary": 3,
    "interpretation": 5,
    "convergence": 8,
    "divergence": 8,
    "tension": 8,
    "hypothesis": 9,
    "proposal": 10,
    "evaluation": 11,
}


class Chapters(Protocol):
    """What this chapter needs of `docx_report.Chapters` (typed here to avoid a cycle)."""

    w: Writer
    data: ReportData
    language: str
    kind_labels: dict[str, str]
    level_labels: dict[str | None, str]
    state_labels: dict[str, str]

    def quote(self, quote: QuoteItem) -> None: ...


def chapter_title() -> str:
    """Return the chapter's heading, which theme chapters refer to."""
    return gettext("Synthesis and validation")


def synthesis(report: Chapters) -> None:
    """Write every statement of the syntheses once, by synthesis and MAG phase."""
    w = report.w
    w.heading(chapter_title(), 1, new_page=True)
    if not report.data.statements:
        w.paragraph(gettext("No synthesis statement has been written for these sessions yet."))
        return
    w.paragraph(
        gettext(
            "The statements the facilitators wrote between sessions, in the order of the "
            "method's phases, each with the quotes that support it and the group's answers "
            "in the newest validation round. A statement is numbered by session (1.3 is the "
            "third statement of session 1; T stands for the transversal analysis); theme "
            "chapters refer to these numbers."
        )
    )
    for session, items in groupby(report.data.statements, key=lambda i: i.session_number):
        if session is None:
            w.heading(gettext("Transversal analysis"), 2)
        else:
            w.heading(_session_title(report.data, session), 2)
        for phase, in_phase in groupby(items, key=lambda i: PHASE_OF_KIND[i.kind]):
            w.heading(_phase_title(phase), 3)
            current: tuple | None = None
            for item in in_phase:
                if item.kind == "proposal" and current != ("level", item.level):
                    current = ("level", item.level)
                    w.heading(report.level_labels[item.level], 4)
                if (
                    item.kind == "interpretation"
                    and item.group_label
                    and current
                    != (
                        "group",
                        item.group_label,
                    )
                ):
                    current = ("group", item.group_label)
                    w.run(w.paragraph(), item.group_label).bold = True
                statement(report, item)


def _session_title(data: ReportData, number: int) -> str:
    title = next((s.title for s in data.sessions if s.number == number), "")
    if title:
        return gettext("Session %(number)d: %(title)s", number=number, title=title)
    return gettext("Session %(number)d", number=number)


def _phase_title(phase: int) -> str:
    if phase == 5:
        return gettext("5 and 7. Interpretations")
    return f"{phase}. {PHASE_BY_NUMBER[phase].name}"


def statement(report: Chapters, item: StatementItem) -> None:
    """Write a statement: number, kind, text, answers, round state, comments, quotes."""
    w = report.w
    paragraph = w.paragraph("")
    w.run(paragraph, f"{item.number} {report.kind_labels[item.kind]}").bold = True
    w.run(paragraph, f"{colon(report.language)}{item.text}")
    w.paragraph(answers(report, item), "bullet2")
    if item.revised:
        w.paragraph(gettext("The wording has changed since it was validated."), "bullet2")
    if item.positions:
        w.paragraph(gettext("Positions: %(positions)s", positions=item.positions), "bullet2")
    for comment in item.disagreements:
        w.paragraph(gettext("Disagreement: %(comment)s", comment=comment), "bullet2")
    for comment in item.nuances:
        w.paragraph(gettext("Nuance: %(comment)s", comment=comment), "bullet2")
    for quote in item.quotes:
        report.quote(quote)
    if item.withheld_quotes:
        w.paragraph(
            ngettext(
                "%(num)d supporting passage is not quoted (withdrawn, erased, speaker "
                "withdrew from the study or without quotation consent).",
                "%(num)d supporting passages are not quoted (withdrawn, erased, speaker "
                "withdrew from the study or without quotation consent).",
                item.withheld_quotes,
            ),
            "bullet2",
        )


def answers(report: Chapters, item: StatementItem) -> str:
    """Return the validation line: state, answer counts, and whether the round is still open."""
    if item.round is None:
        return report.state_labels[item.state]
    counts = item.counts
    agree, nuance, disagree = (counts.get(v, 0) for v in ("agree", "nuance", "disagree"))
    answered = agree + nuance + disagree
    invited = max(item.round.invited, answered)
    parts = [
        ngettext("%(agree)d of %(num)d agree", "%(agree)d of %(num)d agree", invited, agree=agree)
    ]
    if nuance:
        parts.append(ngettext("%(num)d nuance", "%(num)d nuances", nuance))
    if disagree:
        parts.append(ngettext("%(num)d disagreement", "%(num)d disagreements", disagree))
    if invited > answered:
        parts.append(
            ngettext("%(num)d did not answer", "%(num)d did not answer", invited - answered)
        )
    tally = ", ".join(parts)
    if item.round.is_open:
        when = format_date(item.round.closes_on, format="long")
        if not answered:
            return gettext("Validation round open until %(date)s: no answer yet.", date=when)
        return gettext(
            "Validation round still open until %(date)s, so far: %(answers)s.",
            date=when,
            answers=tally,
        )
    if not answered:
        return gettext("Validation round closed without any answer.")
    return f"{report.state_labels[item.state]} ({tally})."

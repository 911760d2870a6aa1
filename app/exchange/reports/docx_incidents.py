"""The report's incident chapter: the study's incident sheets counted, charted, a few quoted.

Called by `docx_report.render`, under the report's locale. Which narratives may be
quoted is decided in `incidents` (no open personal-data finding on the sheet).
"""

from __future__ import annotations

from collections import Counter
from typing import Protocol

from flask_babel import gettext, ngettext

from app.exchange.reports import charts
from app.exchange.reports.data import ReportData
from app.exchange.reports.typography import count, quoted, sort_key
from app.exchange.reports.word import Writer
from app.incidents.sheets import CONSEQUENCE_NAMES
from app.models import Consequence


class Chapters(Protocol):
    """What this chapter needs of `docx_report.Chapters` (typed here to avoid a cycle)."""

    w: Writer
    data: ReportData
    language: str
    labels: dict[int, str]


def ranked(counter: Counter, label) -> list[tuple[str, int]]:
    """Return (label, count) pairs, most frequent first, ties in the reader's alphabetical order."""
    rows = [(label(key), n) for key, n in counter.items()]
    return sorted(rows, key=lambda row: (-row[1], sort_key(row[0])))


def incidents(report: Chapters) -> None:
    """Write the counts by organisation, channel, consequence and theme, a chart, examples."""
    w, summary = report.w, report.data.incidents
    w.heading(gettext("Incident sheets"), 1, new_page=True)
    if not report.data.whole_study:
        w.paragraph(
            gettext(
                "Incident sheets belong to the whole study, not to a session: they are "
                "counted in the report of the whole study only."
            )
        )
        return
    if not summary.total:
        w.paragraph(gettext("No incident sheet has been recorded in this study."))
        return
    w.paragraph(
        ngettext(
            "Social workers recorded %(sheets)s incident sheet: a problem that digitalisation "
            "caused for someone they support.",
            "Social workers recorded %(sheets)s incident sheets: problems that digitalisation "
            "caused for people they support.",
            summary.total,
            sheets=count(summary.total, report.language),
        )
    )
    not_specified = gettext("not specified")
    tables = [
        (
            gettext("By organisation"),
            gettext("Organisation"),
            ranked(summary.by_organisation, lambda key: key or not_specified),
        ),
        (
            gettext("By channel imposed"),
            gettext("Channel"),
            ranked(summary.by_channel, lambda key: key or not_specified),
        ),
        (
            gettext("By consequence for the person"),
            gettext("Consequence"),
            ranked(summary.by_consequence, lambda key: str(CONSEQUENCE_NAMES[Consequence(key)])),
        ),
        (
            gettext("By theme"),
            gettext("Theme"),
            ranked(summary.by_theme, lambda key: report.labels.get(key, "?")),
        ),
    ]
    png = charts.count_panels(
        [(title, rows) for title, _column, rows in tables if rows], colour="#4C72B0"
    )
    w.picture(
        png,
        width_cm=16,
        alt=gettext(
            "Bar charts of the incident sheets. %(counts)s",
            counts=" ".join(
                f"{title}: " + ", ".join(f"{label} {n}" for label, n in rows) + "."
                for title, _column, rows in tables
                if rows
            ),
        ),
        caption=gettext("Incident sheets by organisation, channel, consequence and theme."),
    )
    for title, column, rows in tables:
        w.heading(title, 2)
        if not rows:
            w.paragraph(gettext("No sheet carries a theme yet."))
            continue
        w.table([column, gettext("Sheets")], [[label, n] for label, n in rows], widths=[12.0, 4.0])
    if summary.by_theme:
        w.paragraph(gettext("A sheet can carry several themes, or none."), "caption")
    _examples(report)


def _examples(report: Chapters) -> None:
    w, summary = report.w, report.data.incidents
    w.heading(gettext("Examples"), 2)
    w.paragraph(
        gettext(
            "Narratives are written by social workers about people who are not members of "
            "the group, so no participant consent applies; a narrative is quoted only when "
            "its sheet has no open personal-data finding. The most serious consequences "
            "come first."
        )
    )
    if not summary.examples:
        w.paragraph(gettext("No narrative can be quoted."))
    for example in summary.examples:
        consequence = str(CONSEQUENCE_NAMES[Consequence(example.consequence)])
        paragraph = w.paragraph(quoted(example.narrative, report.language), "quote")
        paragraph.add_run().add_break()
        w.run(
            paragraph,
            gettext(
                "— %(organisation)s, %(channel)s; consequence: %(consequence)s",
                organisation=example.organisation,
                channel=example.channel,
                consequence=consequence,
            ),
        ).italic = False
    if summary.withheld_examples:
        w.paragraph(
            ngettext(
                "%(num)d narrative is not quoted: its sheet has an open personal-data finding.",
                "%(num)d narratives are not quoted: their sheets have an open personal-data "
                "finding.",
                summary.withheld_examples,
            )
        )

"""The report's study-wide chapters: co-occurrence, agreement, codebook.

Called by `docx_report.render`, under the report's locale, after the theme chapters.
"""

from __future__ import annotations

from typing import Protocol

from babel import Locale
from flask_babel import gettext, ngettext

from app.exchange.reports import charts
from app.exchange.reports.data import ReportData
from app.exchange.reports.typography import decimal, percent
from app.exchange.reports.word import Writer


class Chapters(Protocol):
    """What these chapters need of `docx_report.Chapters` (typed here to avoid a cycle)."""

    w: Writer
    data: ReportData
    language: str
    locale: Locale
    labels: dict[int, str]


def cooccurrence(report: Chapters) -> None:
    """Write the theme co-occurrence heatmap and its table."""
    w, data = report.w, report.data
    w.heading(gettext("Theme co-occurrence"), 1, new_page=True)
    if not data.coding_count or not data.themes:
        w.paragraph(gettext("No passage has been coded yet: there is no co-occurrence to show."))
        return
    w.paragraph(
        gettext(
            "Number of passages coded with both themes; the diagonal counts the passages "
            "coded with the theme. The counts include sub-themes."
        )
    )
    themes = data.themes
    labels = [report.labels[t.id] for t in themes]
    matrix = [[data.cooccurrence.get((a.id, b.id), 0) for b in themes] for a in themes]
    pairs = sorted(
        (
            (matrix[i][j], labels[i], labels[j])
            for i in range(len(themes))
            for j in range(i + 1, len(themes))
            if matrix[i][j]
        ),
        reverse=True,
    )[:5]
    if pairs:
        alt = gettext(
            "Heatmap of the passages coded with both themes. Strongest pairs: %(pairs)s.",
            pairs="; ".join(f"{a} + {b}: {n}" for n, a, b in pairs),
        )
    else:
        alt = gettext(
            "Heatmap of the passages coded with both themes: no two themes share a passage."
        )
    title = gettext("Passages coded with both themes")
    png = charts.heatmap(labels, matrix, title=title)
    w.picture(png, width_cm=14, alt=alt, caption=title)
    header = [gettext("Theme"), *[str(n) for n in range(1, len(themes) + 1)]]
    rows = [[f"{n}. {label}", *matrix[n - 1]] for n, label in enumerate(labels, start=1)]
    w.table(header, rows, first_width=5.0)


def agreement(report: Chapters) -> None:
    """Write kappa and alpha per theme for each session two or more coders coded."""
    w = report.w
    w.heading(gettext("Inter-coder agreement"), 1, new_page=True)
    if not report.data.agreement:
        w.paragraph(
            gettext(
                "Agreement is not reported: no session in this report was coded by two "
                "or more coders."
            )
        )
        return
    w.paragraph(
        gettext(
            "Units are passages: for each theme, each coder either applied it somewhere in "
            "a passage or not. A passage a coder left uncoded counts as “not applied”."
        )
    )
    header = [
        gettext("Theme"),
        gettext("Passages"),
        gettext("Agreement"),
        gettext("Cohen’s kappa"),
        gettext("Krippendorff’s alpha"),
    ]
    for table in report.data.agreement:
        w.heading(gettext("Session %(number)d", number=table.session_number), 2)
        w.paragraph(ngettext("%(num)d coder compared.", "%(num)d coders compared.", table.coders))
        rows = [
            [
                report.labels[row.theme_id],
                row.units,
                percent(row.percent, report.language),
                "—" if row.kappa is None else decimal(row.kappa, report.language),
                "—" if row.alpha is None else decimal(row.alpha, report.language),
            ]
            for row in table.rows
        ]
        w.table(header, rows, widths=[5.6, 2.6, 2.6, 2.8, 3.0])
    w.paragraph(
        gettext("— means the measure is undefined, for example when no coder used the theme.")
    )


def codebook(report: Chapters) -> None:
    """Write the codebook appendix: key, label, definition and seed terms."""
    w, language = report.w, report.language
    w.heading(gettext("Appendix: codebook"), 1, new_page=True)
    if not report.data.themes:
        w.paragraph(gettext("The codebook is empty."))
        return
    name = report.locale.get_display_name(report.locale)
    header = [
        gettext("Key"),
        gettext("Label (%(language)s)", language=name),
        gettext("Definition"),
        gettext("Seed terms (%(language)s)", language=name),
    ]
    rows = [
        [
            t.key,
            "\u2003" * t.depth + report.labels[t.id],
            t.definitions.get(language, ""),
            ", ".join(t.seed_terms.get(language, [])),
        ]
        for t in report.data.themes
    ]
    w.table(header, rows, widths=[3.0, 3.0, 6.4, 4.2])

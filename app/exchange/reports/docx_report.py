"""Turn a `ReportData` into the Word thematic synthesis: plain data in, .docx bytes out.

Call `render` under `flask_babel.force_locale(language)`: every sentence comes
from the message catalogs; theme labels and definitions come from the theme's
own nl/fr/en fields. Names never appear in the methodology: it counts
positions and organisation types only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from babel import Locale
from flask_babel import gettext, ngettext

from app.exchange.reports import charts, docx_incidents, docx_synthesis, docx_transversal
from app.exchange.reports.data import QuoteItem, ReportData, ThemeSection
from app.exchange.reports.quotes import MAX_QUOTES_PER_THEME, MIN_QUOTE_CHARS
from app.exchange.reports.typography import quoted, sort_key
from app.exchange.reports.word import Writer
from app.models.phases import PHASE_BY_NUMBER
from app.platform.i18n import format_date


def render(
    data: ReportData,
    *,
    language: str,
    generated_on: date,
    reference_docx: bytes | None = None,
    progress: Callable[[float], None] | None = None,
) -> bytes:
    """Return the report as .docx bytes, in `language` (nl, fr or en)."""
    writer = Writer(reference_docx, language)
    report = Chapters(writer, data, language)
    report.title_page(generated_on)
    report.methodology()
    chapters = data.themes or []
    for done, section in enumerate(chapters, start=1):
        report.theme(section)
        if progress:
            progress(0.3 + 0.5 * done / len(chapters))
    docx_synthesis.synthesis(report)
    docx_incidents.incidents(report)
    docx_transversal.cooccurrence(report)
    docx_transversal.agreement(report)
    docx_transversal.codebook(report)
    return writer.save(title=data.study_title, subject=gettext("Thematic synthesis"))


class Chapters:
    """The report's chapters, written in order into one `Writer`."""

    def __init__(self, writer: Writer, data: ReportData, language: str) -> None:
        self.w = writer
        self.data = data
        self.language = language
        self.locale = Locale.parse(language)
        self.labels = {t.id: t.labels.get(language, t.labels["en"]) for t in data.themes}
        self.parents: set[int] = set()
        for previous, current in zip(data.themes, data.themes[1:], strict=False):
            if current.depth > previous.depth:
                self.parents.add(previous.id)
        self.not_specified = gettext("not specified")
        self.state_labels = {
            "validated": gettext("Validated by the group"),
            "validated_with_nuances": gettext("Validated with nuances"),
            "contested": gettext("Contested: at least one participant disagrees"),
            "pending": gettext("Submitted for validation, the round is still open"),
            "no_answers": gettext("Submitted for validation, nobody answered"),
            "not_submitted": gettext("Not yet submitted for validation"),
        }
        self.kind_labels = {
            "summary": gettext("Summary of the story"),
            "interpretation": gettext("Interpretation"),
            "convergence": gettext("Convergence"),
            "divergence": gettext("Divergence"),
            "tension": gettext("Tension"),
            "hypothesis": gettext("Hypothesis"),
            "proposal": gettext("Proposal"),
            "evaluation": gettext("Evaluation"),
        }
        self.level_labels = {
            "practice": gettext("Practice (micro level)"),
            "organisation": gettext("Organisation (meso level)"),
            "policy": gettext("Policy (macro level)"),
            None: gettext("Level not specified"),
        }

    # --- front matter -------------------------------------------------------

    def title_page(self, generated_on: date) -> None:
        """Write the title page and the table-of-contents page."""
        w = self.w
        w.paragraph(self.data.study_title, "title")
        w.paragraph(gettext("Thematic synthesis"), "subtitle")
        numbers = ", ".join(str(s.number) for s in self.data.sessions) or "—"
        w.paragraph(gettext("Sessions covered: %(numbers)s", numbers=numbers))
        w.paragraph(
            gettext(
                "Generated on %(date)s by MAG Workbench.",
                date=format_date(generated_on, format="long"),
            )
        )
        w.page_break()
        w.paragraph(gettext("Contents"), "toc_heading")
        w.toc(gettext("Right-click here and choose “Update field” to build the table of contents."))
        w.page_break()

    def methodology(self) -> None:
        """Write the methodology generated from the data (never a name)."""
        w, data = self.w, self.data
        w.heading(gettext("Methodology"), 1)
        w.heading(gettext("Sessions"), 2)
        count = len(data.sessions)
        w.paragraph(
            ngettext(
                "This report covers %(num)d group session.",
                "This report covers %(num)d group sessions.",
                count,
            )
        )
        for session in data.sessions:
            when = (
                format_date(session.held_on, format="long")
                if session.held_on
                else gettext("date not recorded")
            )
            language = Locale.parse(session.language).get_display_name(self.locale)
            if session.title:
                line = gettext(
                    "Session %(number)d: %(title)s (%(date)s, %(language)s)",
                    number=session.number,
                    title=session.title,
                    date=when,
                    language=language,
                )
            else:
                line = gettext(
                    "Session %(number)d (%(date)s, %(language)s)",
                    number=session.number,
                    date=when,
                    language=language,
                )
            w.paragraph(line, "bullet")
        self._composition()
        self._phases()
        w.heading(gettext("Chosen narratives"), 2)
        if not data.narratives:
            w.paragraph(gettext("No story has been chosen yet in these sessions."))
        for number, title in data.narratives:
            w.paragraph(
                gettext(
                    "Session %(number)d: %(title)s",
                    number=number,
                    title=quoted(title, self.language),
                ),
                "bullet",
            )
        self._coding_method()

    def _composition(self) -> None:
        w, data = self.w, self.data
        w.heading(gettext("Group composition"), 2)
        if not data.composition:
            w.paragraph(gettext("No participant is recorded for these sessions."))
            return
        w.paragraph(
            ngettext(
                "%(num)d participant took part in these sessions. "
                "By position and organisation type:",
                "%(num)d participants took part in these sessions. "
                "By position and organisation type:",
                data.participant_count,
            )
        )
        rows = sorted(
            (
                [position or self.not_specified, organisation or self.not_specified, n]
                for position, organisation, n in data.composition
            ),
            key=lambda row: (-row[2], sort_key(row[0]), sort_key(row[1])),
        )
        header = [gettext("Position"), gettext("Organisation type"), gettext("Participants")]
        w.table(header, rows, widths=[7.0, 6.0, 3.6])

    def _phases(self) -> None:
        w = self.w
        w.heading(gettext("MAG phases covered"), 2)
        if not self.data.phases:
            w.paragraph(gettext("No passage has been transcribed yet."))
            return
        w.paragraph(gettext("The transcripts contain passages in these phases of the method:"))
        for number, passages in self.data.phases:
            count = ngettext("%(num)d passage", "%(num)d passages", passages)
            w.paragraph(f"{self._phase(number)} ({count})", "bullet")

    def _coding_method(self) -> None:
        w, data = self.w, self.data
        w.heading(gettext("Coding and quotes"), 2)
        w.paragraph(
            gettext(
                "Coded segments: %(segments)d. Coders: %(coders)d. "
                "Themes in the codebook: %(themes)d.",
                segments=data.coding_count,
                coders=data.coder_count,
                themes=len(data.themes),
            )
        )
        if not data.coding_count:
            w.paragraph(gettext("No passage has been coded yet: the theme chapters are empty."))
        w.paragraph(
            gettext(
                "The counts of a theme include the segments coded with its sub-themes. "
                "Each theme shows at most %(max)d quotes, the strongest first: spans of at "
                "least %(min)d characters, then passages that support a synthesis statement, "
                "spans coded by more coders, and spans carrying more themes. Quotes come only "
                "from participants who still take part in the study, consented to being quoted "
                "and did not withdraw the passage.",
                max=MAX_QUOTES_PER_THEME,
                min=MIN_QUOTE_CHARS,
            )
        )
        if data.withheld_passages:
            w.paragraph(
                ngettext(
                    "%(num)d coded passage was left out of the quotes (withdrawn, erased, "
                    "speaker withdrew from the study or without quotation consent).",
                    "%(num)d coded passages were left out of the quotes (withdrawn, erased, "
                    "speaker withdrew from the study or without quotation consent).",
                    data.withheld_passages,
                )
            )

    # --- theme chapters -----------------------------------------------------

    def theme(self, section: ThemeSection) -> None:
        """Write one theme: definition, occurrence, quotes by phase, statements."""
        w = self.w
        level = min(section.depth + 1, 3)
        w.heading(self.labels[section.id], level, new_page=section.depth == 0)
        definition = section.definitions.get(self.language, "")
        w.paragraph(definition or gettext("No definition."))
        w.heading(gettext("Occurrence"), level + 1)
        if not section.total:
            w.paragraph(gettext("No passage was coded with this theme in the sessions covered."))
        else:
            self._occurrence(section)
        w.heading(gettext("Quotes"), level + 1)
        self._quotes(section, level + 2)
        w.heading(gettext("Synthesis statements"), level + 1)
        if not section.statements:
            w.paragraph(gettext("No synthesis statement is linked to this theme."))
            return
        w.paragraph(
            gettext(
                "Statements linked to this theme, written out with their quotes and "
                "answers in the chapter %(chapter)s:",
                chapter=quoted(docx_synthesis.chapter_title(), self.language),
            )
        )
        for item in section.statements:  # each statement is written once, in that chapter
            w.paragraph(f"{item.number} {self.kind_labels[item.kind]}", "bullet")

    def _occurrence(self, section: ThemeSection) -> None:
        w = self.w
        w.paragraph(ngettext("%(num)d coded segment", "%(num)d coded segments", section.total))
        if section.id in self.parents:
            w.paragraph(gettext("The counts include the segments coded with its sub-themes."))
        phases = sorted({phase for _session, phase in section.by_session_phase})
        sessions = [s.number for s in self.data.sessions]
        rows = []
        for number in sessions:
            cells = [section.by_session_phase.get((number, phase), 0) for phase in phases]
            rows.append([number, *cells, sum(cells)])
        totals = [sum(section.by_session_phase.get((n, p), 0) for n in sessions) for p in phases]
        rows.append([gettext("Total"), *totals, section.total])
        w.paragraph(gettext("Coded segments by session (rows) and MAG phase (columns)."), "caption")
        header = [gettext("Session"), *map(str, phases), gettext("Total")]
        w.table(header, rows, first_width=2.2)
        self._roles(section)
        by_session = [
            (str(n), sum(section.by_session_phase.get((n, p), 0) for p in phases)) for n in sessions
        ]
        by_phase = list(zip(map(str, phases), totals, strict=True))
        label = self.labels[section.id]
        png = charts.occurrence_chart(
            by_session,
            by_phase,
            colour=section.colour,
            titles=(gettext("By session"), gettext("By phase")),
            y_label=gettext("Coded segments"),
        )
        w.picture(
            png,
            width_cm=16,
            alt=gettext(
                "Bar charts of the coded segments of “%(theme)s”: by session (%(sessions)s) "
                "and by phase (%(phases)s).",
                theme=label,
                sessions=", ".join(f"{k}: {n}" for k, n in by_session),
                phases=", ".join(f"{k}: {n}" for k, n in by_phase),
            ),
            caption=gettext("Coded segments of “%(theme)s” by session and by phase.", theme=label),
        )

    def _roles(self, section: ThemeSection) -> None:
        rows = []
        for role, n in section.by_role.items():
            if role is None:
                rows.append([gettext("Facilitators"), "", n])
            else:
                rows.append([role[0] or self.not_specified, role[1] or self.not_specified, n])
        rows.sort(key=lambda row: (-row[2], sort_key(row[0]), sort_key(row[1])))
        self.w.paragraph(gettext("Coded segments by the speaker's position."), "caption")
        header = [gettext("Position"), gettext("Organisation type"), gettext("Coded segments")]
        self.w.table(header, rows, widths=[7.0, 6.0, 3.6])

    def _quotes(self, section: ThemeSection, level: int) -> None:
        w = self.w
        if not section.quotes:
            w.paragraph(gettext("No quotable passage is coded with this theme."))
            return
        current = None
        for quote in section.quotes:
            if quote.phase != current:
                current = quote.phase
                w.heading(self._phase(quote.phase), level)
            self.quote(quote)

    def quote(self, quote: QuoteItem) -> None:
        """Write a quote in the language's quotation marks, attributed by pseudonym and role."""
        role = quote.position
        if quote.organisation_type:
            role = f"{role} ({quote.organisation_type})" if role else quote.organisation_type
        if role:
            attribution = gettext(
                "— %(pseudonym)s, %(role)s, session %(number)d",
                pseudonym=quote.pseudonym,
                role=role,
                number=quote.session_number,
            )
        else:
            attribution = gettext(
                "— %(pseudonym)s, session %(number)d",
                pseudonym=quote.pseudonym,
                number=quote.session_number,
            )
        paragraph = self.w.paragraph(quoted(quote.text, self.language), "quote")
        paragraph.add_run().add_break()
        self.w.run(paragraph, attribution).italic = False

    def _phase(self, number: int) -> str:
        phase = PHASE_BY_NUMBER.get(number)
        return f"{number}. {phase.name}" if phase else str(number)

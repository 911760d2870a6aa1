"""Coded segments and matrices as spreadsheets: CSV and XLSX (openpyxl).

Segments are those of the retrieval page for the same `SegmentFilters`, minus
every segment whose words may not leave the tool (`quotations.is_quotable`:
withdrawn passages, erased or withdrawn participants, no quotation consent). The matrices
are counts and keep every coding, exactly as the matrices page shows them, except that a
participant who withdrew from the study has no attribute value there, like an erased one
(`theme_matrix(left_out=left_out_as_person)`): a column of their position would point at them.
Quotes, memos, session titles and speakers are scrubbed of the names that may not leave
(`Redactor`: erased labels, pseudonyms of who withdrew from the study); a segment whose words
are all inside such a name is left out, as in the .qdpx.

No cell ever becomes a formula. CSV cells that a spreadsheet would run
(starting with = + - @, tab or carriage return) get a leading apostrophe, as the
codebook and matrix CSV downloads do (`codebook_csv.spreadsheet_cell`). XLSX
cells keep the value as typed but are stored as text (`data_type == "s"`) with
Excel's quote-prefix flag, so not even editing the cell turns it into a formula.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from contextlib import nullcontext

from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import selectinload

from analysis import xml_safe
from app.coding.matrices import cooccurrence, theme_matrix
from app.coding.retrieval import SegmentFilters, attribute_values, coded_segments
from app.models import Coding, Participant
from app.models.phases import PHASE_BY_NUMBER, PHASES
from app.platform.cells import spreadsheet_cell
from app.platform.extensions import db
from app.platform.i18n import attribute_label
from app.synthesis.quotations import Redactor, is_quotable, left_out_as_person

# Excel refuses longer cells; a longer quote is cut and marked.
MAX_CELL = 32_767
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _language(language: str | None) -> str:
    return language or str(get_locale() or "en")


def _in_language(language: str | None):
    """Translate headers and phase names into `language` (default: the interface language)."""
    return force_locale(language) if language else nullcontext()


def _attribute_label(name: str) -> str:
    return attribute_label(name)


def exported_segments(study_id: int, filters: SegmentFilters) -> list[Coding]:
    """Return the filtered coded segments whose words may leave the tool, in transcript order."""
    # Load every participant with their consents once, so `is_quotable` asks no query per row.
    db.session.execute(
        db.select(Participant)
        .filter_by(study_id=study_id)
        .options(selectinload(Participant.consents))
    ).scalars().all()
    # limit=None: an export has every segment, not the page's first 500.
    segments = coded_segments(study_id, filters, limit=None)
    return [coding for coding in segments if is_quotable(coding.passage)]


def _segment_table(
    study_id: int, filters: SegmentFilters, language: str | None
) -> tuple[list[str], list[list]]:
    """Return the header and rows of the coded-segment export (plain values)."""
    language = _language(language)
    attributes = list(attribute_values(study_id))
    header = [
        _("Session"),
        _("Session title"),
        _("Date"),
        _("Phase"),
        _("Phase name"),
        _("Speaker"),
        *[_attribute_label(name) for name in attributes],
        _("Theme key"),
        _("Theme"),
        _("Quote"),
        _("Memo"),
        _("Coder"),
        _("Coded on"),
    ]
    rows = []
    # Erased labels and withdrawn participants' pseudonyms in quotes, memos, titles.
    redact = Redactor.for_study(study_id, publication=False)
    for coding in exported_segments(study_id, filters):
        passage = coding.passage
        quote = redact.words(passage.text, coding.start_offset, coding.end_offset)
        if quote is None:
            continue  # coded words all in a scrubbed name: they do not leave, like the .qdpx
        group_session = passage.group_session
        phase = PHASE_BY_NUMBER.get(passage.phase)
        speaker_attributes = passage.participant.attributes if passage.participant else {}
        rows.append(
            [
                group_session.number,
                redact(group_session.title),
                group_session.held_on,
                passage.phase,
                str(phase.name) if phase else "",
                redact(passage.speaker_name),
                *[str(speaker_attributes.get(name, "")) for name in attributes],
                coding.theme.key,
                coding.theme.label(language),
                quote,
                redact(coding.memo),
                coding.coder.display_name if coding.coder else "",
                coding.created_at.date(),
            ]
        )
    return header, rows


def _segments_csv(study_id: int, filters: SegmentFilters, *, language: str | None = None) -> bytes:
    """Write the segment CSV in the current locale."""
    header, rows = _segment_table(study_id, filters, language)
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow([spreadsheet_cell(cell) for cell in header])
    for row in rows:
        writer.writerow(
            [
                cell if isinstance(cell, int) else spreadsheet_cell("" if cell is None else cell)
                for cell in row
            ]
        )
    return out.getvalue().encode("utf-8-sig")


def _text(value: str) -> str:
    """Make a string storable in XLSX: what XML cannot hold is U+FFFD (`xml_safe`), not too long.

    openpyxl's own guard misses U+FFFE and U+FFFF, which then broke the whole file.
    """
    value = xml_safe(value)
    return value if len(value) <= MAX_CELL else value[: MAX_CELL - 1] + "…"


def _put(sheet, row: int, column: int, value) -> None:
    """Write one cell; strings are always text, never formulas."""
    cell = sheet.cell(row=row, column=column)
    if isinstance(value, str):
        cell.value = _text(value)
        # openpyxl reads a leading "=" as a formula: say it is text.
        cell.data_type = "s"
        if value.startswith(_FORMULA_START):
            cell.quotePrefix = True
    else:
        cell.value = value
        if value is not None and hasattr(value, "isoformat"):
            cell.number_format = "yyyy-mm-dd"


def _fill_sheet(sheet, header: Sequence[str], rows: Iterable[Sequence], widths=None) -> None:
    """Write a bold, frozen header row and the rows, and size the columns to their content."""
    bold = Font(bold=True)
    for column, title in enumerate(header, start=1):
        _put(sheet, 1, column, str(title))
        sheet.cell(row=1, column=column).font = bold
    longest = [len(str(title)) for title in header]
    for row_number, row in enumerate(rows, start=2):
        for column, value in enumerate(row, start=1):
            _put(sheet, row_number, column, value)
            text = "" if value is None else str(value)
            longest[column - 1] = max(longest[column - 1], len(text))
    for column, length in enumerate(longest, start=1):
        cap = (widths or {}).get(column, 40)
        sheet.column_dimensions[get_column_letter(column)].width = min(max(length, 6) + 2, cap)
    sheet.freeze_panes = "A2"


def _xlsx_bytes(workbook: Workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _segments_xlsx(study_id: int, filters: SegmentFilters, *, language: str | None = None) -> bytes:
    """Write the segment workbook in the current locale."""
    header, rows = _segment_table(study_id, filters, language)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _sheet_title(_("Coded segments"))
    quote_column, memo_column = len(header) - 2, len(header) - 1
    _fill_sheet(sheet, header, rows, widths={quote_column: 80, memo_column: 60})
    wrap = Alignment(wrap_text=True, vertical="top")
    for column in (quote_column, memo_column):
        for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
            cell.alignment = wrap
    return _xlsx_bytes(workbook)


def _sheet_title(title: str) -> str:
    """Return a title Excel accepts: at most 31 characters, none of []:*?/\\."""
    return _SHEET_TITLE_FORBIDDEN.sub(" ", title).strip()[:31] or "Sheet"


def _matrix_xlsx(
    study_id: int, *, attribute: str = "organisation_type", language: str | None = None
) -> bytes:
    """Write the matrix workbook in the current locale."""
    language = _language(language)
    workbook = Workbook()
    workbook.remove(workbook.active)
    by_session = theme_matrix(study_id, "session")
    by_phase = theme_matrix(study_id, "phase")
    by_attribute = theme_matrix(study_id, "attribute", attribute, left_out=left_out_as_person)
    pairs = cooccurrence(study_id)
    pairs["columns"] = [(theme.id, theme.label(language)) for theme in pairs["themes"]]
    sheets = (
        (
            _("Themes by session"),
            by_session,
            [_("Session %(number)d", number=n) for _k, n in by_session["columns"]],
        ),
        (_("Themes by phase"), by_phase, [str(phase.name) for phase in PHASES]),
        (
            _("Themes by participant attribute"),
            by_attribute,
            [str(label) for _k, label in by_attribute["columns"]],
        ),
        (_("Co-occurrence"), pairs, [label for _k, label in pairs["columns"]]),
    )
    for title, data, headings in sheets:
        sheet = workbook.create_sheet(_sheet_title(title))
        header = [_("Key"), _("Theme"), *headings]
        rows = [
            [
                theme.key,
                theme.label(language),
                *[data["counts"].get((theme.id, key), 0) for key, _label in data["columns"]],
            ]
            for theme in data["themes"]
        ]
        _fill_sheet(sheet, header, rows, widths={2: 50})
        sheet.freeze_panes = "C2"
    return _xlsx_bytes(workbook)


def segments_csv(study_id: int, filters: SegmentFilters, *, language: str | None = None) -> bytes:
    """Return the quotable coded segments matching `filters` as UTF-8 CSV (with BOM, for Excel).

    Headers, phase names and theme labels are in `language`, or the interface language.
    """
    with _in_language(language):
        return _segments_csv(study_id, filters, language=language)


def segments_xlsx(study_id: int, filters: SegmentFilters, *, language: str | None = None) -> bytes:
    """Return the quotable coded segments matching `filters` as an XLSX workbook, in `language`."""
    with _in_language(language):
        return _segments_xlsx(study_id, filters, language=language)


def matrix_xlsx(
    study_id: int, *, attribute: str = "organisation_type", language: str | None = None
) -> bytes:
    """Return the four matrices of the matrices page as one XLSX workbook, a sheet each."""
    with _in_language(language):
        return _matrix_xlsx(study_id, attribute=attribute, language=language)

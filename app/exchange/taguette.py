"""Taguette's highlights export (CSV or XLSX) as codings of an existing study.

Taguette 1.5.2 writes one row per highlight and tag: `id, document, tag, content`, where
`content` is the highlight's HTML flattened by BeautifulSoup (`get_text(" ", strip=True)`:
pieces joined by one space, line breaks gone). So a highlight is found in our passages by its
text with every white-space character left out, NFC on both sides, and within ONE passage;
the coding gets the exact code-point offsets of the passage's own characters.

A document is the session whose title, "<number>. <title>" (our .qdpx source name) or
"Session <number>" (also "Séance", "Sessie") it is named, case and spacing ignored, with or
without a file extension. A tag is the theme whose key or label in any language it is
(case-insensitive), or the theme Taguette's own codebook files created (same GUID); else a new
theme named after the tag in every language.

All or nothing: every row is checked first, and one missing document, missing or ambiguous
text or ambiguous tag refuses the file with every problem listed by line. Rows without a tag
(Taguette lists untagged highlights) and codings the study already has are skipped, with a
warning. The importing user is the coder.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from analysis import normalise_text
from app.accounts.audit import record
from app.exchange.codebook_csv import TAGUETTE_NAMESPACE
from app.exchange.codebook_qdc import DEFAULT_COLOUR, MAX_LABEL
from app.models import Coding, CodingOrigin, GroupSession, Passage, Study, Theme
from app.platform.config import LANGUAGES
from app.platform.edits import lock_parent
from app.platform.extensions import db
from app.platform.files import ZIP_DAMAGE
from app.platform.forms import ValidationError
from app.studies.theme_keys import slugify, unique_key

COLUMNS = ("id", "document", "tag", "content")
MAX_BYTES = 5 * 1024 * 1024
MAX_XLSX_UNPACKED = 50 * 1024 * 1024
_EXTENSION = re.compile(r"\.(txt|md|html?|docx?|odt|rtf|pdf|epub)$", re.IGNORECASE)
_SESSION_WORDS = ("session", "séance", "seance", "sessie")
_GAP = "\x00"  # between passages in a session's searchable text: no highlight spans it


class HighlightsError(ValidationError):
    """A highlights file that cannot be imported; `problems` lists every line at fault."""

    def __init__(self, filename: str, problems: list[str]) -> None:
        message = _l(
            "%(file)s cannot be imported (%(count)d problems); nothing was stored.",
            file=filename,
            count=len(problems),
        )
        super().__init__(message, "file")
        self.problems = problems


@dataclass
class Row:
    """One row of the export: a highlight with one of its tags."""

    line: int
    document: str
    tag: str
    content: str


@dataclass
class HighlightsResult:
    """What an import stored (or would store, when only checked)."""

    codings: int = 0
    themes_created: list[str] = field(default_factory=list)
    skipped: int = 0
    warnings: list[str] = field(default_factory=list)


def _key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split()).casefold()


def _squeezed(text: str) -> str:
    return "".join(unicodedata.normalize("NFC", text).split())


def read_rows(data: bytes, filename: str) -> list[Row]:
    """Read a Taguette highlights export (.csv or .xlsx); raise HighlightsError if unreadable."""
    if len(data) > MAX_BYTES:
        raise HighlightsError(filename, [str(_l("the file is over 5 MB."))])
    if filename.lower().endswith(".xlsx"):
        records = _xlsx_records(data, filename)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise HighlightsError(filename, [str(_l("the file is not UTF-8 text."))]) from None
        records = _csv_records(text, filename)
    if not records or [c.strip().lower() for c in records[0][1][:4]] != list(COLUMNS):
        problem = _l("the first line must be the columns %(columns)s.", columns=", ".join(COLUMNS))
        raise HighlightsError(filename, [f"{filename}: {problem}"])
    rows = []
    for line, cells in records[1:]:
        # Control characters (NUL) never reach a theme label; see analysis.normalise_text.
        cells = [normalise_text(c) for c in [*cells, "", "", "", ""][:4]]
        if any(cells):
            rows.append(Row(line, cells[1].strip(), " ".join(cells[2].split()), cells[3]))
    return rows


def _csv_records(text: str, filename: str) -> list[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    records, line = [], 1
    try:
        for cells in reader:
            records.append((line, cells))
            line = reader.line_num + 1  # a quoted cell may hold line breaks
    except csv.Error as error:
        problem = _l("unreadable CSV (%(error)s).", error=str(error))
        raise HighlightsError(filename, [f"{filename}, line {line}: {problem}"]) from error
    return records


def _xlsx_records(data: bytes, filename: str) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    unreadable = _l("this is not an Excel workbook (.xlsx).")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_XLSX_UNPACKED:
                raise HighlightsError(filename, [str(_l("the file is over 5 MB."))])
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        records = [
            (number, ["" if v is None else str(v) for v in values])
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
        workbook.close()
    except (*ZIP_DAMAGE, KeyError, IndexError) as error:
        raise HighlightsError(filename, [f"{filename}: {unreadable}"]) from error
    return records


def _session_names(group_session: GroupSession) -> set[str]:
    names = {_key(f"{word} {group_session.number}") for word in _SESSION_WORDS}
    if group_session.title:
        names |= {_key(group_session.title), _key(f"{group_session.number}. {group_session.title}")}
    return names


class _SessionText:
    """A session's passages as one searchable string without white space."""

    def __init__(self, group_session: GroupSession) -> None:
        self.chars: list[str] = []
        self.where: list[tuple[Passage, int] | None] = []
        for passage in sorted(group_session.passages, key=lambda p: (p.phase, p.position, p.id)):
            for offset, char in enumerate(passage.text):
                if not char.isspace():
                    self.chars.append(unicodedata.normalize("NFC", char))
                    self.where.append((passage, offset))
            self.chars.append(_GAP)
            self.where.append(None)
        self.text = "".join(self.chars)

    def find(self, content: str) -> list[tuple[Passage, int, int]]:
        """Return every (passage, start, end) holding `content`, white space left out."""
        wanted, found, at = _squeezed(content), [], -1
        while wanted and (at := self.text.find(wanted, at + 1)) >= 0:
            (passage, start), (_same, last) = self.where[at], self.where[at + len(wanted) - 1]
            found.append((passage, start, last + 1))
        return found


def import_highlights(
    study: Study, data: bytes, *, filename: str, coder_id: int, store: bool = True
) -> HighlightsResult:
    """Code the study's passages as a Taguette highlights file says; all rows or none."""
    rows = read_rows(data, filename)
    if store:  # new themes go after the last one: numbered under the study's lock
        lock_parent(Study, study.id)
    sessions = list(
        db.session.execute(
            db.select(GroupSession)
            .filter_by(study_id=study.id)
            .options(selectinload(GroupSession.passages).selectinload(Passage.codings))
        ).scalars()
    )
    themes = list(db.session.execute(db.select(Theme).filter_by(study_id=study.id)).scalars())
    problems, result, planned = [], HighlightsResult(), []
    texts: dict[int, _SessionText] = {}
    for row in rows:
        where = f"{filename}, line {row.line}"
        if not row.tag:
            result.skipped += 1
            skipped = _l("a highlight without a tag was skipped.")
            result.warnings.append(f"{where}: {skipped}")
            continue
        matches = [
            s for s in sessions if _key(_EXTENSION.sub("", row.document)) in _session_names(s)
        ]
        if len(matches) != 1:
            problems.append(f"{where}: {_document_problem(row.document, len(matches))}")
            continue
        session = matches[0]
        if len(row.tag) > MAX_LABEL:
            problem = _l("the tag is longer than %(max)d characters.", max=MAX_LABEL)
            problems.append(f"{where}: {problem}")
            continue
        found = texts.setdefault(session.id, _SessionText(session)).find(row.content)
        if len(found) != 1:
            problems.append(f"{where}: {_text_problem(row.content, session, found)}")
            continue
        theme = _theme_for(row.tag, themes)
        if isinstance(theme, list):
            names = ", ".join(t.key for t in theme)
            problem = _l(
                "the tag “%(tag)s” names several themes (%(keys)s).", tag=row.tag, keys=names
            )
            problems.append(f"{where}: {problem}")
            continue
        planned.append((row, theme, *found[0]))
    if problems:
        raise HighlightsError(filename, problems)
    _apply(study, planned, themes, result, filename=filename, coder_id=coder_id, store=store)
    if store:
        details = {"codings": result.codings, "themes": len(result.themes_created)}
        record("coding.import", study, user_id=coder_id, study_id=study.id, details=details)
    return result


def _document_problem(document: str, count: int):
    if count == 0:
        return _l(
            "the document “%(document)s” is no session of this study; name it after a "
            "session's title, “3. title” or “Session 3”.",
            document=document,
        )
    return _l("the document “%(document)s” names several sessions.", document=document)


def _text_problem(content: str, session: GroupSession, found: list):
    shown = content if len(content) <= 60 else content[:57] + "…"
    if not found:
        return _l(
            "the text “%(text)s” is not in one passage of session %(number)d.",
            text=shown,
            number=session.number,
        )
    return _l(
        "the text “%(text)s” is in %(count)d places of session %(number)d; highlight a "
        "longer text.",
        text=shown,
        count=len(found),
        number=session.number,
    )


def _theme_for(tag: str, themes: list[Theme]) -> Theme | list[Theme] | None:
    guid = str(uuid.uuid5(TAGUETTE_NAMESPACE, tag))
    if same := [t for t in themes if t.guid == guid]:
        return same[0]
    wanted = _key(tag)
    named = [
        t
        for t in themes
        if wanted == t.key.casefold()
        or any(_key(getattr(t, f"label_{lang}") or "") == wanted for lang in LANGUAGES)
    ]
    return named[0] if len(named) == 1 else (named or None)


def _apply(study, planned, themes, result, *, filename: str, coder_id: int, store: bool) -> None:
    """Create missing themes and the codings; count what an import would do without storing."""
    created: dict[str, Theme] = {}
    taken = {t.key for t in themes}
    position = max((t.position for t in themes), default=-1) + 1
    seen: set[tuple] = set()
    for row, theme, passage, start, end in planned:
        if theme is None and _key(row.tag) not in created:
            theme = Theme(
                study=study,
                key=unique_key(slugify(row.tag), taken),
                guid=str(uuid.uuid5(TAGUETTE_NAMESPACE, row.tag)),
                colour=DEFAULT_COLOUR,
                position=position,
                **{f"label_{lang}": row.tag for lang in LANGUAGES},
            )
            position += 1
            created[_key(row.tag)] = theme
            result.themes_created.append(row.tag)
            if store:
                db.session.add(theme)
        theme = theme or created[_key(row.tag)]
        span = (passage.id, id(theme), start, end)
        exists = any(
            c.theme_id == theme.id and (c.start_offset, c.end_offset) == (start, end)
            for c in passage.codings
            if theme.id is not None
        )
        if exists or span in seen:
            result.skipped += 1
            warning = _l("this text already has this theme; skipped.")
            result.warnings.append(f"{filename}, line {row.line}: {warning}")
            continue
        seen.add(span)
        result.codings += 1
        if store:
            db.session.add(
                Coding(
                    passage=passage,
                    theme=theme,
                    coder_id=coder_id,
                    start_offset=start,
                    end_offset=end,
                    origin=CodingOrigin.MANUAL,
                )
            )
    if store:
        db.session.flush()

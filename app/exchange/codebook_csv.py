"""Codebook exchange as CSV: one row per theme, to edit in a spreadsheet and read back.

Columns are `COLUMNS`; seed terms are joined with "; ". Export writes parents before children
(siblings by position) with the csv module's quoting, so `import_csv(export_csv(entries))`
gives the entries back exactly when they are in that order. Import accepts a UTF-8 BOM and
";" or tab as delimiter (Excel in Belgium writes ";"), guessed from the header line; extra
columns are ignored. Rows are counted as a spreadsheet shows them: the header is row 1.

Taguette's codebook CSV (`tag`, `description`, counts) is read too: each tag becomes a theme
named after it in every language, its description the definition in the study's language, and
its GUID the one Taguette gives the same tag in its .qdc, so both files describe one theme.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Sequence

from app.exchange.codebook_qdc import (
    DEFAULT_COLOUR,
    MAX_DEPTH,
    MAX_LABEL,
    MAX_THEMES,
    CodebookEntry,
    CodebookFormatError,
    canonical_guid,
    is_slug,
    split_terms,
    tree_order,
)
from app.platform.cells import from_spreadsheet_cell, spreadsheet_cell
from app.platform.config import LANGUAGES
from app.studies.theme_keys import slugify, unique_key

COLUMNS = (
    "key",
    "parent_key",
    "position",
    "colour",
    "guid",
    *(f"label_{lang}" for lang in LANGUAGES),
    *(f"definition_{lang}" for lang in LANGUAGES),
    *(f"seed_terms_{lang}" for lang in LANGUAGES),
)
MAX_CSV_CHARS = 5 * 1024 * 1024
TAGUETTE_COLUMNS = ("tag", "description")
# Taguette derives a tag's REFI-QDA GUID as uuid5(this namespace, tag path) (taguette/export.py).
TAGUETTE_NAMESPACE = uuid.UUID("51B2B2B7-27EB-4ECB-9D56-E75B0A0496C2")


def export_csv(entries: Sequence[CodebookEntry]) -> str:
    """Write the codebook as CSV text, parents before children; encode it as UTF-8."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for entry in tree_order(entries):
        terms = dict(entry.seed_terms)
        writer.writerow(
            [entry.key, entry.parent_key or "", entry.position, entry.colour, entry.guid]
            + [spreadsheet_cell(getattr(entry, f"label_{lang}")) for lang in LANGUAGES]
            + [spreadsheet_cell(getattr(entry, f"definition_{lang}")) for lang in LANGUAGES]
            + [spreadsheet_cell("; ".join(terms[lang])) for lang in LANGUAGES]
        )
    return out.getvalue()


def import_csv(text: str, *, source: str, language: str = "en") -> list[CodebookEntry]:
    """Read a codebook CSV in file order; raise CodebookFormatError naming the row at fault."""
    text = text.removeprefix("\ufeff")
    if len(text) > MAX_CSV_CHARS:
        raise CodebookFormatError(source, "the file is over 5 MB; is this really a codebook?")
    header_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=header_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        rows = [(number, row) for number, row in enumerate(reader, start=1) if any(row)]
    except csv.Error as e:
        raise CodebookFormatError(source, f"unreadable CSV ({e}).", row=reader.line_num) from e
    if not rows:
        raise CodebookFormatError(source, "the file is empty; export the codebook again.")
    if len(rows) - 1 > MAX_THEMES:
        message = (
            f"the file holds {len(rows) - 1:,} themes; a study takes at most {MAX_THEMES:,} "
            "per file. Import it in parts, or merge themes first."
        )
        raise CodebookFormatError(source, message)
    header = [name.strip().lower() for name in rows[0][1]]
    if "key" not in header and all(name in header for name in TAGUETTE_COLUMNS):
        return _taguette(header, rows[1:], source, language)
    if missing := [name for name in COLUMNS if name not in header]:
        message = (
            f"columns missing: {', '.join(missing)}. The header must name {', '.join(COLUMNS)}."
        )
        raise CodebookFormatError(source, message, row=rows[0][0])
    siblings: dict[str | None, int] = {}
    entries = []
    for number, row in rows[1:]:
        padded = [from_spreadsheet_cell(cell) for cell in row] + [""] * (len(header) - len(row))
        cells = dict(zip(header, padded, strict=False))
        entries.append(_entry(cells, siblings, source=source, row=number))
    _check_tree(entries, [number for number, _ in rows[1:]], source)
    return entries


def _taguette(header: list[str], rows: list, source: str, language: str) -> list[CodebookEntry]:
    """Read Taguette's codebook rows: tag, description (the counts are ignored)."""
    entries, taken = [], set()
    for number, row in rows:
        cells = dict(zip(header, [from_spreadsheet_cell(c) for c in row], strict=False))
        tag = " ".join(cells.get("tag", "").split())
        if not tag:
            raise CodebookFormatError(source, "the tag is empty; name every tag.", row=number)
        if len(tag) > MAX_LABEL:
            message = f"the tag has {len(tag)} characters; shorten it to {MAX_LABEL}."
            raise CodebookFormatError(source, message, row=number)
        entries.append(
            CodebookEntry(
                key=unique_key(slugify(tag), taken),
                guid=str(uuid.uuid5(TAGUETTE_NAMESPACE, cells.get("tag", "").strip())),
                position=len(entries),
                key_given=False,  # made from the tag's name
                **{f"label_{lang}": tag for lang in LANGUAGES},
                **{f"definition_{language}": cells.get("description", "").strip()},
            )
        )
    return entries


def _entry(cells: dict[str, str], siblings: dict, *, source: str, row: int) -> CodebookEntry:
    """Build one entry from a row; `siblings` counts rows per parent for empty positions."""

    def fail(message: str) -> CodebookFormatError:
        return CodebookFormatError(source, message, row=row)

    key = cells["key"].strip()
    if not key:
        raise fail("the key is empty; give every theme a key, like role_confusion.")
    if not is_slug(key):
        raise fail(f"the key {key!r} must be 1-60 of a-z, 0-9 and _ (like role_confusion).")
    parent_key = cells["parent_key"].strip() or None
    position = cells["position"].strip()
    if position and not position.isdecimal():
        raise fail(f"the position {position!r} must be a whole number (0, 1, 2...).")
    siblings[parent_key] = siblings.get(parent_key, 0) + 1
    colour = cells["colour"].strip().lower() or DEFAULT_COLOUR
    if not re.fullmatch(r"#[0-9a-f]{6}", colour):
        raise fail(f"the colour {cells['colour']!r} must be #rrggbb, like #c0392b.")
    try:
        guid = canonical_guid(cells["guid"]) if cells["guid"].strip() else str(uuid.uuid4())
    except ValueError as e:
        raise fail(f"the guid {cells['guid']!r} must look like a UUID, or be left empty.") from e
    labels = {f"label_{lang}": cells[f"label_{lang}"] for lang in LANGUAGES}
    if not any(label.strip() for label in labels.values()):
        raise fail("the theme has no label; fill in label_nl, label_fr or label_en.")
    for name, label in labels.items():
        if len(label) > MAX_LABEL:
            raise fail(f"{name} has {len(label)} characters; shorten it to {MAX_LABEL}.")
    return CodebookEntry(
        key=key,
        guid=guid,
        colour=colour,
        parent_key=parent_key,
        position=int(position) if position else siblings[parent_key] - 1,
        seed_terms={lang: split_terms(cells[f"seed_terms_{lang}"]) for lang in LANGUAGES},
        **labels,
        **{f"definition_{lang}": cells[f"definition_{lang}"] for lang in LANGUAGES},
    )


def _check_tree(entries: list[CodebookEntry], rows: list[int], source: str) -> None:
    """Refuse repeated keys or guids, unknown parents, cycles and too deep nesting."""
    first_row: dict[str, int] = {}
    guid_row: dict[str, int] = {}
    for entry, row in zip(entries, rows, strict=True):
        if entry.key in first_row:
            message = f"the key {entry.key!r} is already used in row {first_row[entry.key]}."
            raise CodebookFormatError(source, message + " Keys must be unique.", row=row)
        if entry.guid in guid_row:
            message = f"the guid is already used in row {guid_row[entry.guid]}; change or empty it."
            raise CodebookFormatError(source, message, row=row)
        first_row[entry.key], guid_row[entry.guid] = row, row
    parents = {entry.key: entry.parent_key for entry in entries}
    for entry, row in zip(entries, rows, strict=True):
        if entry.parent_key is not None and entry.parent_key not in parents:
            message = f"the parent_key {entry.parent_key!r} is not the key of any row; fix it."
            raise CodebookFormatError(source, message, row=row)
        chain = [entry.key]
        while (parent := parents[chain[-1]]) is not None:
            if parent in chain:
                loop = " -> ".join([*chain[chain.index(parent) :], parent])
                message = f"the parents form a cycle ({loop}); change one parent_key."
                raise CodebookFormatError(source, message, row=row)
            if len(chain) >= MAX_DEPTH:
                message = f"themes are nested more than {MAX_DEPTH} levels deep; flatten them."
                raise CodebookFormatError(source, message, row=row)
            chain.append(parent)

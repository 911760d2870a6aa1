"""Codebook files: download and upload a study's codebook as REFI-QDA .qdc or CSV.

Importing adds the file's themes and updates the study's themes that have the
same GUID or key (labels, definitions, colour, nesting, seed terms, keeping what the file
leaves empty); it never deletes a theme, moves a coding or turns one theme into another
(`apply_entries` refuses such a file, naming it and the theme). It is atomic: one problem
and nothing changes. A file holds
at most `MAX_THEMES` (1,000) themes; at that size the import is one request of about half a
second (bench/codebook_import.py), so it is not a background job.
"""

from __future__ import annotations

from dataclasses import replace

from flask import Response, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from analysis import normalise_text
from app.accounts.audit import record
from app.accounts.policy import study_action
from app.exchange.codebook_csv import export_csv, import_csv
from app.exchange.codebook_qdc import (
    CodebookEntry,
    CodebookFormatError,
    export_qdc,
    import_qdc,
    split_terms,
    tree_order,
)
from app.models import Study, Theme
from app.platform.edits import lock_parent
from app.platform.extensions import db
from app.platform.forms import ValidationError
from app.studies.codebook import LANGS, bp, codebook_page, theme_tree

TEXT_FIELDS = [f"{f}_{lang}" for f in ("label", "definition") for lang in LANGS]


def codebook_entries(study_id: int) -> list[CodebookEntry]:
    """Return the study's codebook as exchange entries, parents before children."""
    tree = theme_tree(study_id)
    keys = {theme.id: theme.key for theme, _depth in tree}
    siblings: dict[int | None, int] = {}
    entries = []
    for theme, _depth in tree:
        position = siblings.get(theme.parent_id, 0)
        siblings[theme.parent_id] = position + 1
        entries.append(
            CodebookEntry(
                key=theme.key,
                guid=theme.guid,
                colour=theme.colour,
                position=position,
                parent_key=keys.get(theme.parent_id),
                # A term stored with a line break (an older API save) is two terms here:
                # an entry refuses one, and the export would fail.
                seed_terms={
                    lang: [part for term in terms for part in split_terms(term)]
                    for lang, terms in (theme.seed_terms or {}).items()
                },
                **{name: getattr(theme, name) for name in TEXT_FIELDS},
            )
        )
    return entries


def apply_entries(
    study: Study, entries: list[CodebookEntry], *, user_id: int, source: str = "the file"
) -> dict:
    """Add or update themes from entries; return counts for the report.

    An import never loses anything: an entry updates the study's theme with its GUID or
    key (for another program's code, also the theme one of whose labels is its name), or
    becomes a new theme; nothing is deleted and no coding moves. Every entry is matched
    before anything is written, and a file that would make one theme into another
    (a GUID and a key naming two different themes, or a key given to another theme's GUID),
    name one theme twice, or nest a theme inside itself is refused whole, naming `source`
    and the theme. Updates keep what the file leaves empty (labels, definitions, the seed
    terms of a language). Nesting comes second, so a file may re-nest themes in any order.
    """
    entries = [_normalised(entry) for entry in entries]
    # Matched and numbered under the study's lock (as `add_theme`), on the themes as
    # committed now: a theme added meanwhile is matched, and the new ones come after it.
    lock_parent(Study, study.id)
    db.session.expire(study, ["themes"])
    targets = _match(study, tree_order(entries), source)
    added = updated = 0
    next_position = max((t.position for t in study.themes), default=-1) + 1
    matched: dict[str, Theme] = {}
    for entry, theme in targets:
        if theme is None:
            theme = Theme(study=study, key=entry.key, guid=entry.guid, position=next_position)
            next_position += 1
            db.session.add(theme)
            added += 1
            _update(theme, entry)
        else:
            updated += 1
            # An import is a save: an edit form opened before it is stale (platform/edits).
            theme.version = theme.version + 1
            _update(theme, entry, existing_in=study.language)
        matched[entry.key] = theme
    db.session.flush()
    for entry in entries:
        parent = matched.get(entry.parent_key) if entry.parent_key else None
        matched[entry.key].parent_id = parent.id if parent else None
    db.session.flush()
    _refuse_cycles(study.id, source)
    record(
        "codebook.import",
        study,
        user_id=user_id,
        study_id=study.id,
        details={"added": added, "updated": updated},
    )
    return {"added": added, "updated": updated}


def _match(study: Study, entries: list[CodebookEntry], source: str) -> list[tuple]:
    """Pair each entry with the study's theme it updates (None: a new theme), or refuse."""
    by_guid = {t.guid: t for t in study.themes}
    by_key = {t.key: t for t in study.themes}
    seen: set[int] = set()
    targets = []
    by_label: dict[str, list[Theme]] = {}
    for theme in study.themes:
        for label in {getattr(theme, f"label_{lang}").casefold() for lang in LANGS}:
            by_label.setdefault(label, []).append(theme)
    for entry in entries:
        by_id, named = by_guid.get(entry.guid), by_key.get(entry.key)
        if by_id is None and named is None and not entry.key_given:
            # Another program's code: its name is one of our labels ("Vie privée").
            same_name = by_label.get(entry.label_en.casefold(), [])
            named = same_name[0] if len(same_name) == 1 else None
        if by_id is not None and named is not None and by_id is not named:
            raise ValidationError(
                _l(
                    "%(file)s: the theme “%(key)s” carries the GUID of the study's theme "
                    "“%(other)s”. Importing it would mix two themes and their codings, so "
                    "nothing was imported. Correct the key or the GUID of “%(key)s” in the file.",
                    file=source,
                    key=entry.key,
                    other=by_id.key,
                ),
                "file",
            )
        if by_id is not None and entry.key_given and entry.key != by_id.key:
            raise ValidationError(
                _l(
                    "%(file)s: the theme “%(key)s” carries the GUID of the study's theme "
                    "“%(other)s”. Importing it would turn “%(other)s” and its codings into "
                    "“%(key)s”, so nothing was imported. Give “%(key)s” its own GUID (in a CSV "
                    "file, leave the guid empty) or the key “%(other)s”.",
                    file=source,
                    key=entry.key,
                    other=by_id.key,
                ),
                "file",
            )
        theme = by_id or named
        if theme is not None and theme.id in seen:
            raise ValidationError(
                _l(
                    "%(file)s describes the theme “%(key)s” twice, so nothing was imported. "
                    "Keep one of the two.",
                    file=source,
                    key=theme.key,
                ),
                "file",
            )
        if theme is not None:
            seen.add(theme.id)
        targets.append((entry, theme))
    return targets


def _normalised(entry: CodebookEntry) -> CodebookEntry:
    """Return the entry's texts as every input stores text (`normalise_text`).

    A CSV cell can hold control characters, U+FFFE or U+FFFF, which the codebook form never
    lets through and no XML export (.qdc, .qdpx, Word) can write; a .qdc block value a
    carriage return. Labels and seed terms stay on one line.
    """
    fields = {name: normalise_text(getattr(entry, name)) for name in TEXT_FIELDS}
    fields.update({f"label_{lang}": fields[f"label_{lang}"].replace("\n", " ") for lang in LANGS})
    terms = {
        lang: [normalise_text(term).replace("\n", " ") for term in given]
        for lang, given in entry.seed_terms
    }
    return replace(entry, seed_terms=terms, **fields)


def _update(theme: Theme, entry: CodebookEntry, *, existing_in: str | None = None) -> None:
    """Copy the entry onto the theme, keeping whatever the entry leaves empty.

    For an existing theme (`existing_in`: the study's language), another program's code
    has one name for every language: it renames the theme in that language only, and only
    if it is none of the theme's labels, so labels in the other languages are kept.
    """
    if existing_in is not None and not entry.key_given:
        name = getattr(entry, f"label_{existing_in}")
        own = {getattr(theme, f"label_{lang}") for lang in LANGS}
        entry = replace(entry, **{f"label_{lang}": "" for lang in LANGS})
        if name not in own:
            entry = replace(entry, **{f"label_{existing_in}": name})
    for lang in LANGS:
        label, definition = f"label_{lang}", f"definition_{lang}"
        setattr(theme, label, getattr(entry, label) or getattr(theme, label, None) or entry.key)
        setattr(theme, definition, getattr(entry, definition) or getattr(theme, definition, ""))
    theme.colour = entry.colour
    terms = dict(theme.seed_terms or {})
    terms.update({lang: list(given) for lang, given in entry.seed_terms if given})
    theme.seed_terms = {lang: terms.get(lang, []) for lang in LANGS}


def _refuse_cycles(study_id: int, source: str) -> None:
    rows = db.session.execute(
        db.select(Theme.id, Theme.parent_id, Theme.key).filter_by(study_id=study_id)
    ).all()
    parents = {theme_id: parent_id for theme_id, parent_id, _key in rows}
    keys = {theme_id: key for theme_id, _parent, key in rows}
    for theme_id in parents:
        seen, current = set(), theme_id
        while current is not None:
            if current in seen:
                raise ValidationError(
                    _l(
                        "%(file)s would put the theme “%(key)s” inside itself, so nothing "
                        "was imported. Change its parent in the file.",
                        file=source,
                        key=keys[current],
                    ),
                    "file",
                )
            seen.add(current)
            current = parents.get(current)


@bp.get("/export.<any(qdc, csv):fmt>")
@study_action("study.view")
def export(study_id: int, fmt: str):
    """Download the codebook as REFI-QDA .qdc (labels in ?language=) or CSV."""
    entries = codebook_entries(study_id)
    language = request.args.get("language", g.study.language)
    if language not in LANGS:
        language = "en"
    if fmt == "qdc":
        body, mimetype = export_qdc(entries, language=language), "application/xml"
    else:
        # utf-8-sig: Excel needs the BOM to read accents correctly.
        body, mimetype = export_csv(entries).encode("utf-8-sig"), "text/csv"
    filename = f"codebook-study-{study_id}.{fmt}"
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.post("/import")
@study_action("codebook.edit")
def import_file(study_id: int):
    """Upload a .qdc or .csv codebook and merge it into the study's codebook."""
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise ValidationError(_l("Choose a .qdc or .csv file to import."), "file")
        name = upload.filename
        data = upload.read()
        warnings: list = []
        if name.lower().endswith(".qdc"):
            entries = import_qdc(data, source=name, language=g.study.language, warnings=warnings)
        elif name.lower().endswith(".csv"):
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise ValidationError(
                    _l("%(file)s is not UTF-8 text. Save it as CSV UTF-8.", file=name), "file"
                ) from None
            entries = import_csv(text, source=name, language=g.study.language)
        else:
            raise ValidationError(
                _l("%(file)s is neither a .qdc nor a .csv file.", file=name), "file"
            )
        counts = apply_entries(g.study, entries, user_id=current_user.id, source=name)
    except CodebookFormatError as error:
        db.session.rollback()
        return codebook_page(None, ValidationError(str(error), "file"), 422)
    except ValidationError as error:
        db.session.rollback()
        return codebook_page(None, error, 422)
    db.session.commit()
    flash(_("Codebook imported: %(added)d themes added, %(updated)d updated.", **counts), "success")
    for warning in warnings:
        flash(str(warning), "warning")
    return redirect(url_for("codebook.index", study_id=study_id))

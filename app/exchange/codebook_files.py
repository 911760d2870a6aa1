"""Codebook files: download and upload a study's codebook as REFI-QDA .qdc or CSV.

Importing adds the file's themes and updates the study's themes that have the
same GUID or key (labels, definitions, colour, nesting, seed terms); it never
deletes a theme or a coding. It is atomic: one problem and nothing changes. A file holds
at most `MAX_THEMES` (1,000) themes; at that size the import is one request of about half a
second (bench/codebook_import.py), so it is not a background job.
"""

from __future__ import annotations

from flask import Response, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.accounts.audit import record
from app.accounts.policy import study_action
from app.exchange.codebook_csv import export_csv, import_csv
from app.exchange.codebook_qdc import (
    CodebookEntry,
    CodebookFormatError,
    export_qdc,
    import_qdc,
    tree_order,
)
from app.models import Study, Theme
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
                seed_terms=theme.seed_terms or {},
                **{name: getattr(theme, name) for name in TEXT_FIELDS},
            )
        )
    return entries


def apply_entries(study: Study, entries: list[CodebookEntry], *, user_id: int) -> dict:
    """Add or update themes from entries; return counts for the report.

    Two passes: themes first, then nesting, so a file may re-nest existing themes
    in any order. A file that names one theme twice, or whose nesting would make a
    cycle with the study's other themes, is refused.
    """
    by_guid = {t.guid: t for t in study.themes}
    by_key = {t.key: t for t in study.themes}
    matched: dict[str, Theme] = {}
    seen: set[int] = set()
    added = updated = 0
    next_position = max((t.position for t in study.themes), default=-1) + 1
    for entry in tree_order(entries):
        theme = by_guid.get(entry.guid) or by_key.get(entry.key)
        if theme is not None and theme.id in seen:
            raise ValidationError(
                _l("The file describes the theme “%(key)s” twice.", key=theme.key), "file"
            )
        if theme is None:
            theme = Theme(study=study, key=entry.key, guid=entry.guid, position=next_position)
            next_position += 1
            db.session.add(theme)
            added += 1
        else:
            seen.add(theme.id)
            updated += 1
            # An import is a save: an edit form opened before it is stale (platform/edits).
            theme.version = theme.version + 1
        for name in TEXT_FIELDS:
            setattr(theme, name, getattr(entry, name) or getattr(theme, name, None) or entry.key)
        theme.colour = entry.colour
        theme.seed_terms = entry.seed_terms_dict()
        matched[entry.key] = theme
    db.session.flush()
    for entry in entries:
        parent = matched.get(entry.parent_key) if entry.parent_key else None
        matched[entry.key].parent_id = parent.id if parent else None
    db.session.flush()
    _refuse_cycles(study.id)
    record(
        "codebook.import",
        study,
        user_id=user_id,
        study_id=study.id,
        details={"added": added, "updated": updated},
    )
    return {"added": added, "updated": updated}


def _refuse_cycles(study_id: int) -> None:
    parents = dict(
        db.session.execute(db.select(Theme.id, Theme.parent_id).filter_by(study_id=study_id)).all()
    )
    for theme_id in parents:
        seen, current = set(), theme_id
        while current is not None:
            if current in seen:
                raise ValidationError(
                    _l("The file's nesting would put a theme inside itself."), "file"
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
        counts = apply_entries(g.study, entries, user_id=current_user.id)
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

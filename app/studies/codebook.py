"""The study codebook: adding, editing, nesting, merging, deleting.

Every change is audit-logged. Merging and deleting never lose a coding
silently: codings move to the target theme, or are deleted only when the
facilitator chose that, and the audit event records how many.
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func

from app.accounts.audit import record
from app.accounts.policy import allowed, in_study, study_action
from app.models import Coding, Study, Theme
from app.platform.edits import StaleEdit, claim_version, differences, lock_parent
from app.platform.extensions import db
from app.platform.forms import ValidationError, as_id, clean_long_text, clean_text
from app.studies.default_codebook import LANGS, seed_default_codebook  # noqa: F401  (others import these from here)
from app.studies.theme_changes import delete_theme, merge_theme

bp = Blueprint("codebook", __name__, url_prefix="/studies/<int:study_id>/codebook")

_KEY = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


# --- services -------------------------------------------------------------


def theme_fields(form) -> dict:
    """Validate the theme form: labels (at least one), definitions, colour, seed terms."""
    fields = {
        f"label_{lang}": clean_text(
            form.get(f"label_{lang}"), f"label_{lang}", max_length=120, required=False
        )
        for lang in LANGS
    }
    if not any(fields.values()):
        raise ValidationError(_l("Give the theme a label in at least one language."), "label_en")
    first = next(v for v in fields.values() if v)
    fields.update({k: v or first for k, v in fields.items()})
    for lang in LANGS:
        fields[f"definition_{lang}"] = clean_long_text(
            form.get(f"definition_{lang}"), f"definition_{lang}", max_length=5000
        )
    colour = (form.get("colour") or "#777777").strip()
    if not _COLOUR.match(colour):
        raise ValidationError(_l("Give the colour as #rrggbb, for example #2471a3."), "colour")
    fields["colour"] = colour.lower()
    # Normalised like any text (NUL made PostgreSQL refuse the save; a control character,
    # U+FFFE or a line break inside a term made the codebook export fail).
    fields["seed_terms"] = {}
    for lang in LANGS:
        terms = clean_long_text(form.get(f"seed_terms_{lang}"), f"seed_terms_{lang}")
        fields["seed_terms"][lang] = [t.strip() for t in re.split(r"[;\n]", terms) if t.strip()]
    return fields


def _check_key(study_id: int, key: str | None) -> str:
    key = (key or "").strip()
    if not _KEY.match(key):
        raise ValidationError(
            _l("Use a key of lower-case letters, digits and _, starting with a letter."), "key"
        )
    taken = db.session.execute(db.select(Theme.id).filter_by(study_id=study_id, key=key)).first()
    if taken:
        raise ValidationError(_l("This study already has a theme with this key."), "key")
    return key


def _check_parent(study_id: int, theme: Theme | None, parent_id) -> int | None:
    if parent_id in (None, ""):
        return None
    parent = theme_by_id(study_id, as_id(str(parent_id))) if as_id(str(parent_id)) else None
    if parent is None:
        raise ValidationError(_l("The parent theme is not in this codebook."), "parent_id")
    ancestor = parent
    while ancestor is not None:  # refuse cycles: a theme cannot nest inside its own child
        if theme is not None and ancestor.id == theme.id:
            raise ValidationError(_l("A theme cannot be nested inside itself."), "parent_id")
        ancestor = ancestor.parent
    return parent.id


def theme_by_id(study_id: int, theme_id: int) -> Theme | None:
    """Return the study's theme with this id, if any."""
    theme = db.session.get(Theme, theme_id)
    return theme if theme is not None and theme.study_id == study_id else None


def add_theme(study_id: int, key: str, fields: dict, parent_id=None, *, user_id: int) -> Theme:
    """Add a theme at the end of the codebook (or under a parent)."""
    # The study's lock: two themes added at once get distinct places (the codebook is
    # ordered by place alone) and the second of one key gets the message, not a 500.
    lock_parent(Study, study_id)
    position = db.session.scalar(
        db.select(func.coalesce(func.max(Theme.position), -1) + 1).filter_by(study_id=study_id)
    )
    theme = Theme(study_id=study_id, key=_check_key(study_id, key), position=position, **fields)
    theme.parent_id = _check_parent(study_id, None, parent_id)
    db.session.add(theme)
    db.session.flush()
    record("theme.create", theme, user_id=user_id, study_id=study_id, details={"key": theme.key})
    return theme


def _shown(fields: dict, parent_id: int | None) -> dict:
    """Return {field label: value} as the conflict page shows a theme."""
    names = {"nl": _l("Dutch"), "fr": _l("French"), "en": _l("English")}
    shown = {}
    for lang in LANGS:
        shown[str(_l("Label (%(language)s)", language=names[lang]))] = fields[f"label_{lang}"]
    for lang in LANGS:
        label = str(_l("Definition (%(language)s)", language=names[lang]))
        shown[label] = fields[f"definition_{lang}"]
    for lang in LANGS:
        label = str(_l("Seed terms (%(language)s)", language=names[lang]))
        shown[label] = "; ".join(fields["seed_terms"].get(lang, []))
    shown[str(_l("Colour"))] = fields["colour"]
    parent = db.session.get(Theme, parent_id) if parent_id else None
    locale = str(get_locale())
    shown[str(_l("Nested under"))] = parent.label(locale) if parent else _l("(top level)")
    return shown


def edit_theme(theme: Theme, fields: dict, parent_id, *, version, user_id: int) -> None:
    """Rename, recolour, redefine or re-nest a theme drawn from `version`; its key stays."""
    parent = _check_parent(theme.study_id, theme, parent_id)
    claim_version(
        theme,
        version,
        lambda: differences(
            _shown({name: getattr(theme, name) for name in fields}, theme.parent_id),
            _shown(fields, parent),
        ),
    )
    before = {"label_en": theme.label_en, "colour": theme.colour, "parent": theme.parent_id}
    for name, value in fields.items():
        setattr(theme, name, value)
    theme.parent_id = parent
    record(
        "theme.update",
        theme,
        user_id=user_id,
        study_id=theme.study_id,
        details={"key": theme.key, "before": before, "version": theme.version},
    )


def theme_tree(study_id: int) -> list[tuple[Theme, int]]:
    """Return the codebook in display order as (theme, depth) pairs."""
    themes = (
        db.session.execute(
            db.select(Theme).filter_by(study_id=study_id).order_by(Theme.position, Theme.id)
        )
        .scalars()
        .all()
    )
    children: dict[int | None, list[Theme]] = {}
    for theme in themes:
        children.setdefault(theme.parent_id, []).append(theme)
    ordered: list[tuple[Theme, int]] = []

    def walk(parent_id, depth):
        for theme in children.get(parent_id, []):
            ordered.append((theme, depth))
            walk(theme.id, depth + 1)

    walk(None, 0)
    return ordered


def descendant_ids(study_id: int, theme_id: int) -> set[int]:
    """Return the theme and all themes nested under it (for filters 'incl. children')."""
    tree = theme_tree(study_id)
    found = {theme_id}
    for theme, _depth in tree:  # tree order puts parents before children
        if theme.parent_id in found:
            found.add(theme.id)
    return found


# --- views ----------------------------------------------------------------


def codebook_page(form=None, error=None, status=200, editing: Theme | None = None, conflict=None):
    tree = theme_tree(g.study.id)
    counts = dict(
        db.session.execute(
            db.select(Coding.theme_id, func.count(Coding.id))
            .join(Theme)
            .where(Theme.study_id == g.study.id)
            .group_by(Coding.theme_id)
        ).all()
    )
    return render_template(
        "codebook/index.html",
        study=g.study,
        tree=tree,
        counts=counts,
        form=form or {},
        error=error,
        editing=editing,
        conflict=conflict,
        can_edit=allowed(g.membership.role, "codebook.edit"),
    ), status


def _form_of(theme: Theme) -> dict:
    form = {
        name: getattr(theme, name)
        for name in [f"{f}_{lang}" for f in ("label", "definition") for lang in LANGS]
    }
    form.update({"key": theme.key, "colour": theme.colour, "parent_id": theme.parent_id or ""})
    form["version"] = theme.version
    form.update({f"seed_terms_{lang}": "; ".join(theme.seed_terms.get(lang, [])) for lang in LANGS})
    return form


def _merge_page(theme: Theme, error=None, status=200):
    """Render one theme's merge and delete forms: each lists the other themes once."""
    nested = descendant_ids(theme.study_id, theme.id)  # merging into these is refused
    codings = db.session.scalar(db.select(func.count(Coding.id)).filter_by(theme_id=theme.id))
    return render_template(
        "codebook/merge.html",
        study=g.study,
        theme=theme,
        tree=theme_tree(g.study.id),
        nested=nested,
        codings=codings,
        form=request.form,
        error=error,
    ), status


def _back():
    return redirect(url_for("codebook.index", study_id=g.study.id))


@bp.get("/")
@study_action("study.view")
def index(study_id: int):
    """Show the codebook as a tree with definitions and coding counts."""
    return codebook_page()


@bp.post("/")
@study_action("codebook.edit")
def create(study_id: int):
    """Add a theme."""
    try:
        add_theme(
            study_id,
            request.form.get("key"),
            theme_fields(request.form),
            request.form.get("parent_id"),
            user_id=current_user.id,
        )
    except ValidationError as error:
        db.session.rollback()
        return codebook_page(request.form, error, 422)
    db.session.commit()
    flash(_("Theme added."), "success")
    return _back()


@bp.route("/<int:theme_id>", methods=["GET", "POST"])
@study_action("codebook.edit")
def edit(study_id: int, theme_id: int):
    """Rename, recolour, redefine or nest a theme."""
    theme = in_study(Theme, theme_id)
    if request.method == "GET":
        return codebook_page(_form_of(theme), editing=theme)
    try:
        edit_theme(
            theme,
            theme_fields(request.form),
            request.form.get("parent_id"),
            version=request.form.get("version"),
            user_id=current_user.id,
        )
    except StaleEdit as conflict:
        db.session.rollback()
        current = in_study(Theme, theme_id)
        # The form keeps what this person sent; saving it again replaces the saved theme.
        form = request.form.copy()
        form["version"] = str(current.version)
        return codebook_page(form, status=409, editing=current, conflict=conflict)
    except ValidationError as error:
        db.session.rollback()
        return codebook_page(request.form, error, 422, editing=in_study(Theme, theme_id))
    db.session.commit()
    flash(_("Theme saved."), "success")
    return _back()


@bp.get("/<int:theme_id>/merge")
@study_action("codebook.edit")
def merge_or_delete(study_id: int, theme_id: int):
    """Show the forms to merge a theme into another or delete it (one theme at a time)."""
    return _merge_page(in_study(Theme, theme_id))


@bp.post("/<int:theme_id>/merge")
@study_action("codebook.edit")
def merge(study_id: int, theme_id: int):
    """Merge a theme into another; its codings move to the target."""
    source = in_study(Theme, theme_id)
    target_id = request.form.get("target_id", "")
    target = theme_by_id(study_id, as_id(target_id)) if as_id(target_id) else None
    try:
        if target is None:
            raise ValidationError(_l("Choose the theme to merge into."), "target_id")
        moved = merge_theme(source, target, user_id=current_user.id)
    except ValidationError as error:
        db.session.rollback()
        return _merge_page(in_study(Theme, theme_id), error, 422)
    db.session.commit()
    flash(_("Theme merged; %(n)d codings moved.", n=moved), "success")
    return _back()


@bp.post("/<int:theme_id>/delete")
@study_action("codebook.edit")
def delete(study_id: int, theme_id: int):
    """Delete a theme, deleting its codings or moving them to another theme."""
    theme = in_study(Theme, theme_id)
    choice = request.form.get("codings")
    move_id = request.form.get("move_to", "")
    try:
        if choice == "move":
            target = theme_by_id(study_id, as_id(move_id)) if as_id(move_id) else None
            if target is None:
                raise ValidationError(_l("Choose the theme that receives the codings."), "move_to")
            count = delete_theme(theme, user_id=current_user.id, move_to=target)
        elif choice == "delete":
            count = delete_theme(theme, user_id=current_user.id)
        else:
            raise ValidationError(_l("Choose what happens to the theme's codings."), "codings")
    except ValidationError as error:
        db.session.rollback()
        return _merge_page(in_study(Theme, theme_id), error, 422)
    db.session.commit()
    flash(_("Theme deleted (%(n)d codings affected).", n=count), "success")
    return _back()


@bp.get("/themes.css")
@study_action("study.view")
def stylesheet(study_id: int):
    """Serve the theme colours as CSS classes (inline styles are forbidden by the CSP)."""
    rules = [
        f".theme-{t.id} {{ --theme: {t.colour}; }}"
        for t in g.study.themes
        if _COLOUR.match(t.colour)
    ]
    return Response("\n".join(rules) + "\n", mimetype="text/css")

"""Merging a theme into another, and deleting one: nothing that named it is lost silently.

What a merge moves (codings, child themes, statements, sheets, suggestions, groupings) is
in theme_references.py; this module checks the request and records it in the audit log.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, update

from app.accounts.audit import record
from app.models import Coding, Theme
from app.platform.extensions import db
from app.platform.forms import ValidationError
from app.studies.theme_references import move_theme_references


def _reparent_children(theme: Theme, new_parent_id: int | None) -> None:
    db.session.execute(
        update(Theme).where(Theme.parent_id == theme.id).values(parent_id=new_parent_id)
    )


def merge_theme(source: Theme, target: Theme, *, user_id: int) -> int:
    """Merge `source` into `target`, then delete it.

    Everything that named `source` names `target` afterwards (`theme_references`):
    codings, child themes, statements, incident sheets, suggestions and their
    decisions, groupings.
    """
    if source.id == target.id:
        raise ValidationError(_l("Choose another theme to merge into."), "target_id")
    if target.study_id != source.study_id:
        raise ValidationError(_l("The target theme is not in this codebook."), "target_id")
    ancestor = target
    while ancestor is not None:
        if ancestor.id == source.id:
            raise ValidationError(_l("A theme cannot be merged into its own child."), "target_id")
        ancestor = ancestor.parent
    counts = move_theme_references(source, target)
    moved = counts.pop("codings")
    record(
        "theme.merge",
        source,
        user_id=user_id,
        study_id=source.study_id,
        details={"key": source.key, "into": target.key, "codings_moved": moved, **counts},
    )
    db.session.delete(source)
    db.session.flush()
    return moved


def delete_theme(theme: Theme, *, user_id: int, move_to: Theme | None = None) -> int:
    """Delete a theme; its codings move to `move_to`, or are deleted when it is None."""
    if move_to is not None:
        if move_to.id == theme.id or move_to.study_id != theme.study_id:
            raise ValidationError(_l("Choose another theme of this codebook."), "move_to")
        count = move_theme_references(theme, move_to, children=False)["codings"]
    else:
        count = db.session.scalar(db.select(func.count(Coding.id)).filter_by(theme_id=theme.id))
        db.session.execute(db.delete(Coding).where(Coding.theme_id == theme.id))
    _reparent_children(theme, theme.parent_id)
    record(
        "theme.delete",
        theme,
        user_id=user_id,
        study_id=theme.study_id,
        details={
            "key": theme.key,
            "codings": "moved" if move_to else "deleted",
            "count": count,
            "into": move_to.key if move_to else None,
        },
    )
    db.session.delete(theme)
    db.session.flush()
    return count

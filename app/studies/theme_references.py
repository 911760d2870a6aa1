"""Everything that names a theme, moved onto another when the theme is merged away.

A theme is referred to by codings, child themes, synthesis statements, incident sheets,
suggestions (their decisions are the sweep's and the suggestion list's decisions),
groupings (the theme they became, their best match and their overlap shares). Merging
theme A into B must leave all of them on B, never cascade-deleted with A, and without
duplicates: a reference B already had wins over A's copy of it.
"""

from __future__ import annotations

from sqlalchemy import delete, insert, select, update

from app.models import Coding, Grouping, StatementLink, Suggestion, SuggestionStatus, Theme
from app.models.incidents import incident_theme
from app.models.synthesis import statement_theme
from app.platform.extensions import db


def move_theme_references(source: Theme, target: Theme, *, children: bool = True) -> dict[str, int]:
    """Point everything that names `source` at `target`; return counts for the audit log.

    With `children=False` the caller places the child themes itself (a deleted theme's
    children keep their level even when its codings move elsewhere).
    """
    counts = dict(
        zip(("codings", "codings_folded"), _move_codings(source.id, target.id), strict=True)
    )
    counts["statements"] = _move_pairs(statement_theme, "statement_id", source.id, target.id)
    counts["incidents"] = _move_pairs(incident_theme, "incident_id", source.id, target.id)
    counts["suggestions"] = _move_suggestions(source.id, target.id)
    counts["groupings"] = _move_groupings(source, target)
    if children:
        db.session.execute(
            update(Theme).where(Theme.parent_id == source.id).values(parent_id=target.id)
        )
    db.session.flush()
    # The ORM may hold source's collections (statement.themes...) from before: reload them.
    db.session.expire_all()
    return counts


def _move_codings(source_id: int, target_id: int) -> tuple[int, int]:
    """Move codings; one the same coder made on the same words with the target is folded in.

    Return (codings moved or folded, codings folded).
    """
    moved = folded = 0
    for coding in db.session.execute(select(Coding).filter_by(theme_id=source_id)).scalars().all():
        twin = db.session.execute(
            select(Coding).filter_by(
                theme_id=target_id,
                passage_id=coding.passage_id,
                coder_id=coding.coder_id,
                start_offset=coding.start_offset,
                end_offset=coding.end_offset,
            )
        ).scalar_one_or_none()
        moved += 1
        if twin is None:
            coding.theme_id = target_id
            continue
        if coding.memo and coding.memo not in twin.memo:
            twin.memo = f"{twin.memo}\n\n{coding.memo}" if twin.memo else coding.memo
        _fold_coding_links(coding, twin)
        db.session.delete(coding)
        folded += 1
    db.session.flush()
    return moved, folded


def _fold_coding_links(coding: Coding, twin: Coding) -> None:
    """Make quotes and accepted suggestions of `coding` name `twin` before it goes."""
    for link in (
        db.session.execute(select(StatementLink).filter_by(coding_id=coding.id)).scalars().all()
    ):
        exists = db.session.execute(
            select(StatementLink.id).filter_by(
                statement_id=link.statement_id, passage_id=link.passage_id, coding_id=twin.id
            )
        ).first()
        if exists:
            db.session.delete(link)
        else:
            link.coding_id = twin.id
    db.session.execute(
        update(Suggestion).where(Suggestion.coding_id == coding.id).values(coding_id=twin.id)
    )
    db.session.flush()


def _move_pairs(table, owner: str, source_id: int, target_id: int) -> int:
    """Move the rows of an association table (owner id, theme id) without duplicates."""
    owner_column = table.c[owner]
    owners = set(
        db.session.execute(select(owner_column).where(table.c.theme_id == source_id)).scalars()
    )
    already = set(
        db.session.execute(
            select(owner_column).where(
                table.c.theme_id == target_id, owner_column.in_(list(owners))
            )
        ).scalars()
    )
    if owners - already:
        db.session.execute(
            insert(table), [{owner: o, "theme_id": target_id} for o in sorted(owners - already)]
        )
    db.session.execute(delete(table).where(table.c.theme_id == source_id))
    return len(owners)


def _move_suggestions(source_id: int, target_id: int) -> int:
    """Move suggestions (and so the decisions on them); one per passage and words is kept.

    Of two for the same passage and text, a decision beats an open suggestion, and
    the target theme's own decision beats the merged theme's.
    """
    moved = 0
    for suggestion in (
        db.session.execute(select(Suggestion).filter_by(theme_id=source_id)).scalars().all()
    ):
        moved += 1
        twin = db.session.execute(
            select(Suggestion).filter_by(
                theme_id=target_id,
                passage_id=suggestion.passage_id,
                text_hash=suggestion.text_hash,
            )
        ).scalar_one_or_none()
        decided = suggestion.status != SuggestionStatus.OPEN
        if twin is not None and twin.status == SuggestionStatus.OPEN and decided:
            db.session.delete(twin)
            twin = None
        if twin is None:
            suggestion.theme_id = target_id
        else:
            db.session.delete(suggestion)
    db.session.flush()
    return moved


def _move_groupings(source: Theme, target: Theme) -> int:
    """Point groupings at the target; the source's overlap share joins the target's."""
    moved = 0
    key, into = str(source.id), str(target.id)
    for grouping in (
        db.session.execute(select(Grouping).filter_by(study_id=source.study_id)).scalars().all()
    ):
        changed = False
        if grouping.theme_id == source.id:
            grouping.theme_id, changed = target.id, True
        if grouping.best_theme_id == source.id:
            grouping.best_theme_id, changed = target.id, True
        overlap = dict(grouping.theme_overlap or {})
        if key in overlap:
            # The share of members with either theme is at least the larger of the two.
            share = overlap.pop(key)
            overlap[into] = max(share, overlap.get(into, 0))
            grouping.theme_overlap, changed = overlap, True
        moved += changed
    db.session.flush()
    return moved

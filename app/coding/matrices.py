"""Counts of coded segments: theme × session, × phase, × participant attribute, co-occurrence.

A theme's count includes the codings of the themes nested under it, exactly as
the retrieval page's theme filter does, so a cell's number is the number of
segments its link lists.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable

from sqlalchemy.orm import selectinload

from app.models import Coding, GroupSession, Participant, Passage, Theme
from app.models.phases import PHASES
from app.platform.extensions import db
from app.studies.codebook import theme_tree


def _ancestry(study_id: int) -> tuple[list[Theme], dict[int, set[int]]]:
    """Return themes in codebook order and, per theme id, itself plus its ancestors."""
    tree = [theme for theme, _depth in theme_tree(study_id)]
    parents = {theme.id: theme.parent_id for theme in tree}
    lineage = {}
    for theme in tree:
        chain, current = set(), theme.id
        while current is not None and current not in chain:
            chain.add(current)
            current = parents.get(current)
        lineage[theme.id] = chain
    return tree, lineage


def _rows(study_id: int):
    return db.session.execute(
        db.select(
            Coding.theme_id,
            Coding.passage_id,
            GroupSession.id,
            Passage.phase,
            Passage.participant_id,
        )
        .join(Passage, Coding.passage_id == Passage.id)
        .join(GroupSession)
        .where(GroupSession.study_id == study_id)
    ).all()


def theme_matrix(
    study_id: int,
    by: str,
    attribute: str = "organisation_type",
    *,
    left_out: Callable[[Participant], bool] | None = None,
) -> dict:
    """Count codings per theme and column; `by` is 'session', 'phase' or 'attribute'.

    `left_out`: who has no attribute value here, so their codings count in no attribute
    column and their value is no column (a file that may leave the team passes
    `studies.consents.left_out_as_person`: erased, or withdrew from the study).
    """
    themes, lineage = _ancestry(study_id)
    if by == "session":
        sessions = (
            db.session.execute(
                db.select(GroupSession).filter_by(study_id=study_id).order_by(GroupSession.number)
            )
            .scalars()
            .all()
        )
        columns = [(s.id, s.number) for s in sessions]
    elif by == "phase":
        columns = [(p.number, p.name) for p in PHASES]
    else:
        query = db.select(Participant).filter_by(study_id=study_id)
        if left_out is not None:  # it reads their consents
            query = query.options(selectinload(Participant.consents))
        people = db.session.execute(query).scalars()
        value_of = {
            p.id: str(p.attributes.get(attribute, ""))
            for p in people
            if left_out is None or not left_out(p)
        }
        columns = [(v, v) for v in sorted({v for v in value_of.values() if v})]
    counts: Counter = Counter()
    for theme_id, _passage, session_id, phase, participant_id in _rows(study_id):
        column = {"session": session_id, "phase": phase}.get(by)
        if by == "attribute":
            column = value_of.get(participant_id) or None
        for owner in lineage.get(theme_id, ()):
            counts[owner, column] += 1
    return {"themes": themes, "columns": columns, "counts": counts}


def cooccurrence(study_id: int) -> dict:
    """Count passages coded with both themes (diagonal: passages coded with the theme)."""
    themes, lineage = _ancestry(study_id)
    per_passage: dict[int, set[int]] = defaultdict(set)
    for theme_id, passage_id, *_rest in _rows(study_id):
        per_passage[passage_id] |= lineage.get(theme_id, set())
    counts: Counter = Counter()
    for present in per_passage.values():
        for a in present:
            for b in present:
                counts[a, b] += 1
    return {"themes": themes, "counts": counts}

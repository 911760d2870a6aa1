"""The theme sweep: review a study's passages for one theme, best candidates first.

The page shows the passages not decided yet for the theme, ranked by
`analysis.ThemeSweep`, each with its evidence highlighted. One key decides:
accept codes the whole passage with the theme (`coding.code_passage`, through
`suggestions.decide`, so audit and the conflict rules are those of a suggestion),
reject stores a rejected suggestion (the negative example the suggestion model
already learns from), skip only moves on. After each decision the model is
refitted and the ranking recomputed. With scripts the page updates in place
from JSON; without, plain forms post and redirect back.

A passage counts as decided for the theme when it is coded with the theme (by
anyone, anywhere in it) or when a suggestion of the theme was rejected for its
current text. Skipped passages travel in the request (`skipped`), never stored.

Speed: per-passage features (evidence points, lemma n-grams, evidence spans) are
cached in the process by study, codebook and text hash, and the stacked matrix by
study, theme and the passages' hashes, so a decision costs one refit and rescore.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy.orm import selectinload

import analysis
from app.models import Coding, Passage, Study, Suggestion, SuggestionStatus, Theme
from app.platform.extensions import db
from app.platform.forms import ValidationError
from app.suggestions.decisions import decide
from app.suggestions.feeding import (
    PassageRow,
    _store_cache,
    cached_lemmas,
    codebook_specs,
    engine_key,
    prepare_rows,
    study_passages,
    text_hash,
)

# --- features, cached in the process ---------------------------------------


QUEUE = 6  # passages shown: the one to decide and the next few


class _LRU:
    """A small thread-safe least-recently-used cache."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.data: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            if key in self.data:
                self.data.move_to_end(key)
                return self.data[key]
        return None

    def put(self, key, value) -> None:
        with self.lock:
            self.data[key] = value
            self.data.move_to_end(key)
            while len(self.data) > self.size:
                self.data.popitem(last=False)


_ITEMS = _LRU(100_000)  # (study, codebook, passage, text hash) -> SweepItem
_MATRICES = _LRU(16)  # (study, codebook, theme, passages digest) -> SweepMatrix


def _fingerprint(specs: list[analysis.ThemeSpec]) -> str:
    """Return a hash of the codebook as the engine sees it (a change re-computes features)."""
    return hashlib.sha256(repr(specs).encode("utf-8")).hexdigest()[:16]


def sweep_features(study: Study, rows: list[PassageRow]) -> tuple[dict, list[str], str]:
    """Return {passage id: SweepItem}, the engine keys and the codebook fingerprint.

    Lemmatises only what neither cache has; new lemmas join the unit of work.
    """
    specs = codebook_specs(study)
    codebook = _fingerprint(specs)
    keys = [spec.key for spec in specs]
    items = {row.id: _ITEMS.get((study.id, codebook, row.id, row.hash)) for row in rows}
    missing = [row for row in rows if items[row.id] is None]
    if missing:
        prepared, new_cache = prepare_rows(missing, cached_lemmas(missing))
        _store_cache(new_cache)
        fresh = analysis.sweep_items(specs, [(row.id, prepared[row.id]) for row in missing])
        for row, item in zip(missing, fresh, strict=True):
            _ITEMS.put((study.id, codebook, row.id, row.hash), item)
            items[row.id] = item
    return items, keys, codebook


def sweep_matrix(
    study: Study, theme: Theme, rows: list[PassageRow]
) -> tuple[analysis.SweepMatrix, dict]:
    """Return the (cached) feature matrix of the study's passages for one theme, and items."""
    items, keys, codebook = sweep_features(study, rows)
    digest = hashlib.sha256(
        "\n".join(f"{row.id}:{row.hash}" for row in rows).encode("ascii")
    ).hexdigest()
    cache_key = (study.id, codebook, theme.id, digest)
    matrix = _MATRICES.get(cache_key)
    if matrix is None:
        matrix = analysis.sweep_matrix([items[row.id] for row in rows], keys, engine_key(theme.id))
        _MATRICES.put(cache_key, matrix)
    return matrix, items


# --- state and decisions -----------------------------------------------------


def theme_decisions(study_id: int, theme_id: int, rows: list[PassageRow]) -> dict[int, bool]:
    """Return {passage id: accepted} for the passages already decided for the theme."""
    hashes = {row.id: row.hash for row in rows}
    decisions: dict[int, bool] = {}
    for passage_id, hashed in db.session.execute(
        db.select(Suggestion.passage_id, Suggestion.text_hash).where(
            Suggestion.study_id == study_id,
            Suggestion.theme_id == theme_id,
            Suggestion.status == SuggestionStatus.REJECTED,
        )
    ):
        if hashes.get(passage_id) == hashed:  # a rejection of other words says nothing now
            decisions[passage_id] = False
    for passage_id in db.session.execute(
        db.select(Coding.passage_id).where(
            Coding.theme_id == theme_id, Coding.passage_id.in_(list(hashes))
        )
    ).scalars():
        decisions[passage_id] = True
    return decisions


@dataclass(frozen=True)
class SweepEntry:
    """A passage in the sweep's queue, ready to show."""

    passage: Passage
    text_hash: str
    score: float
    reason: str
    highlighted: Markup
    evidence: list[str]


@dataclass(frozen=True)
class SweepState:
    """What the page shows: progress and the queue (the first entry is to decide now)."""

    total: int
    reviewed: int
    accepted: int
    remaining: float
    queue: list[SweepEntry]
    skipped: list[int]

    def progress(self) -> dict:
        """Return the progress figures as JSON."""
        return {
            "total": self.total,
            "reviewed": self.reviewed,
            "accepted": self.accepted,
            "remaining": round(self.remaining),
        }


def highlight(text: str, spans) -> Markup:
    """Return the text escaped, with the evidence spans in <mark> (overlaps merged)."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    parts, cursor = [], 0
    for start, end in merged:
        parts.append(escape(text[cursor:start]))
        parts.append(Markup("<mark>%s</mark>") % text[start:end])
        cursor = end
    parts.append(escape(text[cursor:]))
    return Markup("").join(parts)


def sweep_state(study: Study, theme: Theme, skipped: list[int]) -> SweepState:
    """Rank the passages not decided for the theme and count the progress."""
    rows = study_passages(study.id)
    decisions = theme_decisions(study.id, theme.id, rows)
    if not rows:
        return SweepState(0, 0, 0, 0.0, [], [])
    matrix, items = sweep_matrix(study, theme, rows)
    model = analysis.ThemeSweep().fit(matrix, decisions)
    known = {row.id for row in rows}
    skipped = [pid for pid in dict.fromkeys(skipped) if pid in known and pid not in decisions]
    ranked = model.ranking(exclude=skipped, limit=QUEUE)
    if not ranked and skipped:  # everything left was skipped: start over on those
        skipped = []
        ranked = model.ranking(limit=QUEUE)
    passages = {
        p.id: p
        for p in db.session.execute(
            db.select(Passage)
            .where(Passage.id.in_([entry.id for entry in ranked]))
            .options(selectinload(Passage.participant), selectinload(Passage.group_session))
        ).scalars()
    }
    key = engine_key(theme.id)
    queue = []
    for entry in ranked:
        passage = passages[entry.id]
        spans = items[entry.id].spans.get(key, ())
        queue.append(
            SweepEntry(
                passage=passage,
                text_hash=text_hash(passage.text),
                score=entry.score,
                reason=entry.reason,
                highlighted=highlight(passage.text, spans),
                evidence=analysis.evidence_terms(passage.text, spans),
            )
        )
    return SweepState(
        total=len(rows),
        reviewed=len(decisions),
        accepted=sum(decisions.values()),
        remaining=model.expected_remaining(),
        queue=queue,
        skipped=skipped,
    )


def decide_passage(
    study_id: int,
    theme_id: int,
    passage_id: int,
    hashed: str,
    accept: bool,
    *,
    user_id: int,
    score: float = 0.0,
) -> Coding | None:
    """Accept (code the whole passage) or reject a passage for a theme; return the coding."""
    # Lock the passage: two people sweeping the same theme never both decide it.
    passage = db.session.execute(
        db.select(Passage).where(Passage.id == passage_id).with_for_update()
    ).scalar_one_or_none()
    if passage is None or passage.group_session.study_id != study_id:
        raise ValidationError(_l("This passage does not exist in this study."), "passage_id")
    if hashed != text_hash(passage.text):
        raise ValidationError(_l("The passage changed since it was shown; here it is again."))
    already_coded = db.session.execute(
        db.select(Coding.id).where(Coding.passage_id == passage.id, Coding.theme_id == theme_id)
    ).first()
    rejected = db.session.execute(
        db.select(Suggestion.id).where(
            Suggestion.passage_id == passage.id,
            Suggestion.theme_id == theme_id,
            Suggestion.text_hash == hashed,
            Suggestion.status == SuggestionStatus.REJECTED,
        )
    ).first()
    if already_coded or rejected:
        raise ValidationError(_l("Someone already decided this passage for this theme."))
    suggestion = db.session.execute(
        db.select(Suggestion).where(
            Suggestion.passage_id == passage.id,
            Suggestion.theme_id == theme_id,
            Suggestion.text_hash == hashed,
            Suggestion.status == SuggestionStatus.OPEN,
        )
    ).scalar_one_or_none()
    if suggestion is None:  # the sweep proposes it now; store it as a suggestion to decide
        suggestion = Suggestion(
            study_id=study_id,
            passage_id=passage.id,
            theme_id=theme_id,
            score=round(min(max(score, 0.0), 1.0), 4),
            regime="sweep",
            evidence=[],
            text_hash=hashed,
        )
        db.session.add(suggestion)
        db.session.flush()
    return decide(suggestion, accept, user_id=user_id)


# --- views -------------------------------------------------------------------

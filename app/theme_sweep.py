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

from flask import Blueprint, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy.orm import selectinload

import analysis
from app.audit import record_event
from app.errors import wants_json
from app.extensions import db
from app.models import Coding, Passage, Study, Suggestion, SuggestionStatus, Theme
from app.policy import allowed, in_study, study_action
from app.suggestions import (
    PassageRow,
    _store_cache,
    cached_lemmas,
    codebook_specs,
    decide,
    engine_key,
    prepare_rows,
    study_passages,
    text_hash,
)
from app.validation import ValidationError, as_id

bp = Blueprint("sweep", __name__, url_prefix="/studies/<int:study_id>/sweep")

QUEUE = 6  # passages shown: the one to decide and the next few
MAX_SKIPPED = 500
DECISIONS = ("accept", "reject", "skip")


# --- features, cached in the process ---------------------------------------


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


def _theme(theme_id: int) -> Theme:
    return in_study(Theme, theme_id)


def _skipped(values: str | None) -> list[int]:
    """Read a comma-separated list of passage ids (what the facilitator skipped)."""
    ids = [as_id(part.strip()) for part in (values or "").split(",")[:MAX_SKIPPED]]
    return [value for value in ids if value]


def _score(value: str | None) -> float:
    """Read the score the page showed (kept with the decision, like a suggestion's)."""
    try:
        number = float(value or 0)
    except ValueError:
        return 0.0
    return number if 0.0 <= number <= 1.0 else 0.0


def _render_queue(state: SweepState, theme: Theme) -> str:
    return render_template(
        "sweep/_queue.html", state=state, theme=theme, study=g.study, **_words(theme)
    )


def _words(theme: Theme) -> dict:
    return {"theme_label": theme.label(str(get_locale()))}


def _json_state(state: SweepState, theme: Theme, message: str = "", status: int = 200):
    current = state.queue[0] if state.queue else None
    body = {
        "progress": state.progress(),
        "current": {"id": current.passage.id, "text_hash": current.text_hash} if current else None,
        "queue": [
            {"id": entry.passage.id, "score": round(entry.score, 4), "reason": entry.reason}
            for entry in state.queue
        ],
        "skipped": state.skipped,
        "html": _render_queue(state, theme),
        "message": message,
    }
    return jsonify(body), status


@bp.app_template_global("sweep_allowed")
def sweep_allowed() -> bool:
    """Tell templates whether the current member may sweep themes (codebook links)."""
    membership = g.get("membership")
    return membership is not None and allowed(membership.role, "theme.sweep")


@bp.get("/<int:theme_id>")
@study_action("theme.sweep")
def page(study_id: int, theme_id: int):
    """Show the theme sweep: passages ranked for one theme, decided with one key each."""
    theme = _theme(theme_id)
    state = sweep_state(g.study, theme, _skipped(request.args.get("skipped")))
    # The page shows passages of every session: recorded like the other transcript views.
    record_event("theme.sweep_view", "theme", theme.id, user_id=current_user.id, study_id=study_id)
    db.session.commit()
    return render_template(
        "sweep/page.html", study=g.study, theme=theme, state=state, **_words(theme)
    )


@bp.get("/<int:theme_id>/state")
@study_action("theme.sweep")
def state(study_id: int, theme_id: int):
    """Return the sweep's progress and queue as JSON (the page's script refreshes with it)."""
    theme = _theme(theme_id)
    result = sweep_state(g.study, theme, _skipped(request.args.get("skipped")))
    db.session.commit()  # lemmas cached on the way
    return _json_state(result, theme)


@bp.post("/<int:theme_id>/decide")
@study_action("theme.sweep")
def decide_one(study_id: int, theme_id: int):
    """Accept, reject or skip the passage shown, then show the updated ranking."""
    theme = _theme(theme_id)
    skipped = _skipped(request.form.get("skipped"))
    decision = request.form.get("decision")
    passage_id = as_id(request.form.get("passage_id"))
    message, status = "", 200
    if decision not in DECISIONS or passage_id is None:
        message, status = _("Choose accept, reject or skip for a passage."), 422
    elif decision == "skip":
        skipped.append(passage_id)
    else:
        try:
            decide_passage(
                study_id,
                theme.id,
                passage_id,
                request.form.get("text_hash", ""),
                decision == "accept",
                user_id=current_user.id,
                score=_score(request.form.get("score")),
            )
            db.session.commit()
            message = _("Accepted.") if decision == "accept" else _("Rejected.")
        except ValidationError as error:
            db.session.rollback()
            message, status = str(error.message), 409
    if not wants_json():
        if status != 200:
            flash(message, "error")
        target = url_for("sweep.page", study_id=study_id, theme_id=theme.id)
        if skipped:
            target = url_for(
                "sweep.page",
                study_id=study_id,
                theme_id=theme.id,
                skipped=",".join(map(str, skipped)),
            )
        return redirect(target, code=303)
    result = sweep_state(g.study, theme, skipped)
    db.session.commit()
    return _json_state(result, theme, message, status)

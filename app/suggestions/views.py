"""Theme suggestions and thematic groupings in the app: jobs, decisions, pages.

The engine is the pure `analysis` package; this module feeds it the study's
codebook, passages and decisions, and stores what it returns. Themes are
passed to the engine under neutral keys (`t<id>`), so any theme key the
codebook allows works, and renaming a theme never confuses the model.

What the model learns from (the learned regime): every passage with codings
is an example of its themes (and of not being the others); a rejected
suggestion is a strong "not this theme" for that passage's current text.
Nothing becomes a coding unless a facilitator accepts it: accepting a
suggestion codes the whole passage with `origin = suggestion`.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

import analysis
from app.accounts.audit import record
from app.accounts.policy import allowed, in_study, study_action
from app.coding.codings import code_passage, open_suggestions
from app.jobs.queue import JobError, enqueue, handler, latest_job
from app.models import (
    Coding,
    CodingOrigin,
    Grouping,
    GroupingStatus,
    GroupSession,
    Job,
    Passage,
    PassageAnalysis,
    Study,
    Suggestion,
    SuggestionStatus,
    Theme,
)
from app.models.base import utcnow
from app.platform.extensions import db
from app.platform.forms import ValidationError, as_id, as_number, clean_text
from app.studies.codebook import add_theme
from app.studies.theme_keys import slugify, unique_key

bp = Blueprint("analysis", __name__, url_prefix="/studies/<int:study_id>/analysis")

# Palette for themes created from groupings; mid-tone like the default codebook's.
NEW_THEME_COLOURS = ("#7d3c98", "#138d75", "#ba4a00", "#2e4053", "#b03a2e", "#1f618d")
MAX_MEMBERS_SHOWN = 8


# --- feeding the engine ---------------------------------------------------


def text_hash(text: str) -> str:
    """Return the hash that ties cached lemmas and decisions to one text of a passage."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def engine_key(theme_id: int) -> str:
    """Return the neutral key a theme has inside the engine."""
    return f"t{theme_id}"


def theme_id_of(key: str) -> int:
    """Return the theme id behind an engine key."""
    return int(key[1:])


def codebook_specs(study: Study) -> list[analysis.ThemeSpec]:
    """Return the study's codebook as the engine's theme specifications."""
    return [
        analysis.ThemeSpec(
            key=engine_key(theme.id),
            labels={lang: getattr(theme, f"label_{lang}") for lang in ("nl", "fr", "en")},
            definitions={lang: getattr(theme, f"definition_{lang}") for lang in ("nl", "fr", "en")},
            seed_terms={
                lang: list((theme.seed_terms or {}).get(lang, [])) for lang in ("nl", "fr", "en")
            },
            parent=engine_key(theme.parent_id) if theme.parent_id else None,
        )
        for theme in study.themes
    ]


@dataclass(frozen=True)
class PassageRow:
    """A passage as plain values, so jobs can end their read transaction before computing."""

    id: int
    text: str
    language: str  # the session's, used when the passage itself is too short to tell
    session_id: int

    @property
    def hash(self) -> str:
        return text_hash(self.text)


def study_passages(study_id: int, session_id: int | None = None) -> list[PassageRow]:
    """Return the passages to analyse (a session's, or the whole study's) as plain rows."""
    query = (
        db.select(Passage.id, Passage.text, GroupSession.language, GroupSession.id)
        .join(GroupSession, Passage.group_session_id == GroupSession.id)
        .where(GroupSession.study_id == study_id)
        .order_by(GroupSession.number, Passage.phase, Passage.position, Passage.id)
    )
    if session_id is not None:
        query = query.where(Passage.group_session_id == session_id)
    return [PassageRow(*row) for row in db.session.execute(query) if row[1].strip()]


def cached_lemmas(rows: list[PassageRow]) -> dict[int, dict]:
    """Return the cached PreparedText dicts still valid for these passages' texts."""
    hashes = {row.id: row.hash for row in rows}
    found = db.session.execute(
        db.select(
            PassageAnalysis.passage_id, PassageAnalysis.text_hash, PassageAnalysis.prepared
        ).where(PassageAnalysis.passage_id.in_(list(hashes)))
    )
    return {pid: data for pid, hashed, data in found if hashes.get(pid) == hashed}


def prepare_rows(rows: list[PassageRow], cached: dict[int, dict]) -> tuple[dict, list]:
    """Return {passage id: PreparedText}, lemmatising only what the cache lacks (no database).

    Also returns the new cache rows, for the caller to store with its results.
    """
    result = {pid: analysis.PreparedText.from_dict(data) for pid, data in cached.items()}
    missing = [row for row in rows if row.id not in result]
    languages = [analysis.detect_language(row.text, default=row.language) for row in missing]
    fresh = analysis.prepare_many([row.text for row in missing], languages) if missing else []
    new_rows = []
    for row, prepared in zip(missing, fresh, strict=True):
        result[row.id] = prepared
        new_rows.append(
            {
                "passage_id": row.id,
                "text_hash": row.hash,
                "language": prepared.language,
                "prepared": prepared.to_dict(),
            }
        )
    return result, new_rows


def _store_cache(rows: list[dict]) -> None:
    """Store new cache rows, skipping passages deleted or edited since they were read."""
    if not rows:
        return
    current = dict(
        db.session.execute(
            db.select(Passage.id, Passage.text).where(
                Passage.id.in_([row["passage_id"] for row in rows])
            )
        ).all()
    )
    for row in rows:
        text = current.get(row["passage_id"])
        if text is None or text_hash(text) != row["text_hash"]:
            continue
        existing = db.session.get(PassageAnalysis, row["passage_id"])
        if existing is None:
            db.session.add(PassageAnalysis(**row))
        else:
            existing.text_hash, existing.language = row["text_hash"], row["language"]
            existing.prepared = row["prepared"]


def study_decisions(study_id: int) -> tuple[dict, dict]:
    """Return {passage id: coded engine keys} and {passage id: rejected keys, same text}."""
    labels: dict[int, set[str]] = defaultdict(set)
    rejected: dict[int, set[str]] = defaultdict(set)
    for passage_id, theme_id in db.session.execute(
        db.select(Coding.passage_id, Coding.theme_id)
        .join(Passage, Coding.passage_id == Passage.id)
        .join(GroupSession)
        .where(GroupSession.study_id == study_id)
    ):
        labels[passage_id].add(engine_key(theme_id))
    for passage_id, theme_id, hashed, text in db.session.execute(
        db.select(Suggestion.passage_id, Suggestion.theme_id, Suggestion.text_hash, Passage.text)
        .join(Passage, Suggestion.passage_id == Passage.id)
        .where(Suggestion.study_id == study_id, Suggestion.status == SuggestionStatus.REJECTED)
    ):
        if hashed == text_hash(text):  # a decision about other words says nothing here
            rejected[passage_id].add(engine_key(theme_id))
    return labels, rejected


def training_examples(labels: dict, rejected: dict, prepared: dict) -> list[analysis.Example]:
    """Return coded passages (and rejected suggestions) as engine examples (no database)."""
    return [
        analysis.Example(
            id=passage_id,
            text=prepared[passage_id],
            labels=frozenset(labels.get(passage_id, set())),
            rejected=frozenset(rejected.get(passage_id, set()) - labels.get(passage_id, set())),
        )
        for passage_id in sorted(set(labels) | set(rejected))
        if passage_id in prepared
    ]


# --- jobs -----------------------------------------------------------------
#
# Handlers read everything they need as plain values, commit (on SQLite every
# transaction holds the write lock), compute, then write their results in one
# transaction: a long lemmatisation never blocks the facilitators' saves.


@handler("analysis.suggest")
def run_suggestions(job: Job, progress) -> dict:
    """Suggest themes for a session's (or the study's) passages and store the open ones."""
    study = db.session.get(Study, job.study_id)
    study_id = study.id
    if not study.themes:
        raise JobError(_("The codebook has no theme yet: add themes first."))
    session_id = job.params.get("session_id")
    everything = study_passages(study_id)
    targets = [row for row in everything if session_id is None or row.session_id == session_id]
    if not targets:
        raise JobError(_("There is no passage to analyse yet."))
    specs = codebook_specs(study)
    cached = cached_lemmas(everything)
    labels, rejected = study_decisions(study_id)
    decided = {
        (passage_id, theme_id, hashed)
        for passage_id, theme_id, hashed in db.session.execute(
            db.select(Suggestion.passage_id, Suggestion.theme_id, Suggestion.text_hash).where(
                Suggestion.study_id == study_id, Suggestion.status != SuggestionStatus.OPEN
            )
        )
    }
    progress(0.02, _("Reading the passages"))  # commits: the read transaction ends here
    prepared, cache_rows = prepare_rows(everything, cached)
    progress(0.3, _("Learning from the study's codings"))
    suggester = analysis.ThemeSuggester(specs, training_examples(labels, rejected, prepared)).fit()
    progress(0.5, _("Scoring the passages"))
    results = suggester.suggest(
        [(row.id, prepared[row.id]) for row in targets],
        progress=lambda f: progress(0.5 + 0.4 * f),
    )
    hashes = {row.id: row.hash for row in targets}
    current = {
        pid: text_hash(text)
        for pid, text in db.session.execute(
            db.select(Passage.id, Passage.text).where(Passage.id.in_(list(hashes)))
        )
    }
    db.session.execute(
        db.delete(Suggestion).where(
            Suggestion.study_id == study_id,
            Suggestion.status == SuggestionStatus.OPEN,
            Suggestion.passage_id.in_(list(hashes)),
        )
    )
    stored = 0
    for result in results:
        if current.get(result.id) != hashes[result.id]:
            continue  # edited or deleted while the job ran: its scores are about old words
        for score in result.themes:
            theme_id = theme_id_of(score.key)
            if not score.suggested or score.key in labels.get(result.id, ()):
                continue
            if (result.id, theme_id, hashes[result.id]) in decided:
                continue  # already accepted or rejected for these very words
            db.session.add(
                Suggestion(
                    study_id=study_id,
                    passage_id=result.id,
                    theme_id=theme_id,
                    score=round(float(score.score), 4),
                    regime=score.regime,
                    evidence=[_evidence_json(item) for item in score.evidence],
                    text_hash=hashes[result.id],
                    job_id=job.id,
                )
            )
            stored += 1
    _store_cache(cache_rows)
    examples = len(set(labels) | set(rejected))
    record(
        "analysis.suggest",
        job,
        user_id=job.created_by_id,
        study_id=study_id,
        details={"passages": len(targets), "suggestions": stored, "examples": examples},
    )
    db.session.commit()
    outcome = {"suggestions": stored, "passages": len(targets)}
    if session_id:
        outcome.update(
            endpoint="coding.workspace", args={"study_id": study_id, "session_id": session_id}
        )
    return outcome


def _evidence_json(item) -> dict:
    if item.kind == "term":
        return {"kind": "term", "text": item.text, "start": item.start, "end": item.end}
    return {"kind": "similar", "passage_id": item.example_id, "score": item.score}


@handler("analysis.cluster")
def run_groupings(job: Job, progress) -> dict:
    """Cluster the study's passages (all or not yet coded) and store the groups."""
    study = db.session.get(Study, job.study_id)
    study_id = study.id
    rows = study_passages(study_id)
    labels, _rejected = study_decisions(study_id)
    if job.params.get("scope") == "uncoded":
        rows = [row for row in rows if row.id not in labels]
    if len(rows) < 3:
        raise JobError(_("At least three passages are needed to look for groupings."))
    specs = codebook_specs(study)
    cached = cached_lemmas(rows)
    progress(0.02, _("Reading the passages"))  # commits: the read transaction ends here
    prepared, cache_rows = prepare_rows(rows, cached)
    k = job.params.get("k", "auto")
    groups = analysis.cluster(
        [(row.id, prepared[row.id]) for row in rows],
        k=k if k == "auto" else min(int(k), len(rows)),
        codebook=specs,
        coded=labels,
        progress=lambda f: progress(0.1 + 0.8 * f, _("Grouping the passages")),
    )
    db.session.execute(
        db.update(Grouping)
        .where(Grouping.study_id == study_id, Grouping.status == GroupingStatus.OPEN)
        .values(status=GroupingStatus.DISMISSED, note="replaced by a newer run")
    )
    for group in groups:
        db.session.add(
            Grouping(
                study_id=study_id,
                job_id=job.id,
                label=group.label[:200],
                terms=list(group.terms),
                members=list(group.members),
                representatives=list(group.representatives),
                theme_overlap={
                    str(theme_id_of(key)): round(float(share), 4)
                    for key, share in group.theme_overlap.items()
                    if key.startswith("t") and key[1:].isdigit()
                },
                best_theme_id=theme_id_of(group.best_theme) if group.best_theme else None,
                candidate_new_theme=group.candidate_new_theme,
            )
        )
    _store_cache(cache_rows)
    record(
        "analysis.cluster",
        job,
        user_id=job.created_by_id,
        study_id=study_id,
        details={"passages": len(rows), "groups": len(groups)},
    )
    db.session.commit()
    return {"groups": len(groups), "endpoint": "analysis.groupings", "args": {"study_id": study_id}}


# --- decisions ------------------------------------------------------------


def _claim(model, object_id: int, expected, new) -> bool:
    """Move a row from status `expected` to `new` unless another request already did.

    A conditional UPDATE: on PostgreSQL the second of two concurrent requests waits
    for the first and then matches no row, so one decision never codes twice.
    """
    claimed = db.session.execute(
        db.update(model)
        .where(model.id == object_id, model.status == expected)
        .values(status=new)
        .execution_options(synchronize_session=False)
    ).rowcount
    return claimed == 1


def decide(suggestion: Suggestion, accept: bool, *, user_id: int) -> Coding | None:
    """Accept (code the whole passage) or reject a suggestion; return the coding made."""
    if suggestion.status != SuggestionStatus.OPEN:
        return None
    passage = suggestion.passage
    if suggestion.text_hash != text_hash(passage.text):
        raise ValidationError(
            _l("The passage changed since this suggestion was made; run the suggestions again.")
        )
    status = SuggestionStatus.ACCEPTED if accept else SuggestionStatus.REJECTED
    if not _claim(Suggestion, suggestion.id, SuggestionStatus.OPEN, status):
        return None  # someone else decided it a moment ago
    coding = None
    if accept:
        coding = code_passage(
            suggestion.study_id,
            passage.id,
            0,
            len(passage.text),
            suggestion.theme_id,
            coder_id=user_id,
            origin=CodingOrigin.SUGGESTION,
        )
        suggestion.coding_id = coding.id
    suggestion.status = status
    suggestion.decided_by_id, suggestion.decided_at = user_id, utcnow()
    db.session.flush()
    record(
        "suggestion.accept" if accept else "suggestion.reject",
        suggestion,
        user_id=user_id,
        study_id=suggestion.study_id,
        details={"passage": passage.id, "theme": suggestion.theme_id, "score": suggestion.score},
    )
    return coding


def accept_grouping(grouping: Grouping, form, *, user_id: int) -> Theme:
    """Create a theme from a grouping (or use an existing one) and code its passages."""
    study_id = grouping.study_id
    if not _claim(Grouping, grouping.id, GroupingStatus.OPEN, GroupingStatus.ACCEPTED):
        raise ValidationError(_l("This grouping was already decided."))
    choice = form.get("theme", "new")
    if choice == "new":
        label = clean_text(form.get("label") or grouping.label, "label", max_length=120)
        taken = set(db.session.execute(db.select(Theme.key).filter_by(study_id=study_id)).scalars())
        count = len(taken)
        theme = add_theme(
            study_id,
            unique_key(slugify(label), taken),
            {
                "label_nl": label,
                "label_fr": label,
                "label_en": label,
                "definition_nl": "",
                "definition_fr": "",
                "definition_en": "",
                "colour": NEW_THEME_COLOURS[count % len(NEW_THEME_COLOURS)],
                "seed_terms": {"nl": [], "fr": [], "en": []},
            },
            user_id=user_id,
        )
    else:
        theme = db.session.get(Theme, as_id(choice) or 0)
        if theme is None or theme.study_id != study_id:
            raise ValidationError(_l("Choose a theme of this study."), "theme")
    already = set(
        db.session.execute(
            db.select(Coding.passage_id).where(
                Coding.theme_id == theme.id, Coding.passage_id.in_(grouping.members)
            )
        ).scalars()
    )
    coded = 0
    for passage in db.session.execute(
        db.select(Passage).where(Passage.id.in_(grouping.members))
    ).scalars():
        if passage.id in already or not passage.text:
            continue
        code_passage(
            study_id,
            passage.id,
            0,
            len(passage.text),
            theme.id,
            coder_id=user_id,
            origin=CodingOrigin.SUGGESTION,
        )
        coded += 1
    grouping.status, grouping.theme_id = GroupingStatus.ACCEPTED, theme.id
    record(
        "grouping.accept",
        grouping,
        user_id=user_id,
        study_id=study_id,
        details={"theme": theme.key, "codings": coded},
    )
    return theme


def merge_groupings(groupings: list[Grouping], *, user_id: int) -> Grouping:
    """Merge open groupings into the first: members and representatives are united."""
    target, *others = groupings
    members = list(target.members)
    for other in others:
        members += [m for m in other.members if m not in members]
        other.status, other.note = GroupingStatus.MERGED, f"merged into {target.id}"
    target.members = members
    target.representatives = list(dict.fromkeys(r for g_ in groupings for r in g_.representatives))[
        :5
    ]
    target.terms = list(dict.fromkeys(t for g_ in groupings for t in g_.terms))[:12]
    record(
        "grouping.merge",
        target,
        user_id=user_id,
        study_id=target.study_id,
        details={"merged": [o.id for o in others]},
    )
    return target


# --- views ----------------------------------------------------------------


def _suggestion(suggestion_id: int) -> Suggestion:
    suggestion = db.session.get(Suggestion, suggestion_id)
    if suggestion is None or suggestion.study_id != g.study.id:
        abort(404)
    return suggestion


def _grouping(grouping_id: int) -> Grouping:
    grouping = db.session.get(Grouping, grouping_id)
    if grouping is None or grouping.study_id != g.study.id:
        abort(404)
    return grouping


def _coding_view(session_id: int):
    return redirect(
        url_for("coding.workspace", study_id=g.study.id, session_id=session_id)
        + "#suggestions-heading",
        code=303,
    )


@bp.post("/suggest")
@study_action("coding.edit")
def suggest(study_id: int):
    """Start a suggestion run for a session (as a background job)."""
    session_id = as_id(request.form.get("session_id"))
    group_session = in_study(GroupSession, session_id) if session_id else None
    job = enqueue(
        study_id,
        "analysis.suggest",
        {"session_id": group_session.id if group_session else None},
        user_id=current_user.id,
    )
    return redirect(url_for("jobs.status", study_id=study_id, job_id=job.id), code=303)


@bp.post("/suggestions/<int:suggestion_id>")
@study_action("coding.edit")
def decide_one(study_id: int, suggestion_id: int):
    """Accept or reject one suggestion."""
    suggestion = _suggestion(suggestion_id)
    session_id = suggestion.passage.group_session_id
    try:
        decide(suggestion, request.form.get("decision") == "accept", user_id=current_user.id)
    except ValidationError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _coding_view(session_id)
    db.session.commit()
    return _coding_view(session_id)


@bp.post("/suggestions/accept-all")
@study_action("coding.edit")
def accept_all(study_id: int):
    """Accept every open suggestion of one theme in a session at or above a score."""
    session_id = as_id(request.form.get("session_id"))
    if session_id is None:
        flash(_("Open the coding view of a session to accept its suggestions."), "error")
        return redirect(url_for("studies.overview", study_id=study_id), code=303)
    group_session = in_study(GroupSession, session_id)
    theme_id = as_id(request.form.get("theme_id"))
    threshold = as_number(request.form.get("threshold"), default=70, maximum=100) / 100
    accepted = skipped = 0
    for suggestion in open_suggestions(study_id, group_session.id):
        if suggestion.theme_id != theme_id or suggestion.score < threshold:
            continue
        if suggestion.text_hash != text_hash(suggestion.passage.text):
            skipped += 1
            continue
        decide(suggestion, True, user_id=current_user.id)
        accepted += 1
    db.session.commit()
    if skipped:
        message = _(
            "%(accepted)d suggestions accepted; %(skipped)d skipped because their passage changed.",
            accepted=accepted,
            skipped=skipped,
        )
    else:
        message = _("%(accepted)d suggestions accepted.", accepted=accepted)
    flash(message, "success")
    return _coding_view(group_session.id)


@bp.get("/groupings")
@study_action("study.view")
def groupings(study_id: int):
    """Show the latest thematic groupings with their quotes and how they relate to themes."""
    rows = (
        db.session.execute(
            db.select(Grouping)
            .filter_by(study_id=study_id, status=GroupingStatus.OPEN)
            .order_by(Grouping.id)
        )
        .scalars()
        .all()
    )
    wanted = {pid for row in rows for pid in row.representatives}
    passages = {
        p.id: p
        for p in db.session.execute(db.select(Passage).where(Passage.id.in_(wanted))).scalars()
    }
    decided = (
        db.session.execute(
            db.select(Grouping)
            .where(
                Grouping.study_id == study_id,
                Grouping.status.in_([GroupingStatus.ACCEPTED]),
            )
            .order_by(Grouping.id.desc())
            .limit(20)
        )
        .scalars()
        .all()
    )
    themes = {theme.id: theme for theme in g.study.themes}
    return render_template(
        "analysis/groupings.html",
        study=g.study,
        groupings=rows,
        accepted=decided,
        passages=passages,
        themes=themes,
        job=latest_job(study_id, "analysis.cluster"),
        can_edit=allowed(g.membership.role, "codebook.edit"),
    )


@bp.post("/groupings/run")
@study_action("codebook.edit")
def run_clustering(study_id: int):
    """Start a clustering run (as a background job)."""
    scope = "uncoded" if request.form.get("scope") == "uncoded" else "all"
    k_value = request.form.get("k", "auto").strip() or "auto"
    k = "auto" if k_value == "auto" else as_number(k_value, default=0, maximum=50)
    if k != "auto" and k < 2:
        flash(_("Give the number of groups as a whole number from 2 to 50, or auto."), "error")
        return redirect(url_for("analysis.groupings", study_id=study_id), code=303)
    job = enqueue(study_id, "analysis.cluster", {"scope": scope, "k": k}, user_id=current_user.id)
    return redirect(url_for("jobs.status", study_id=study_id, job_id=job.id), code=303)


@bp.post("/groupings/<int:grouping_id>/accept")
@study_action("codebook.edit")
def accept_group(study_id: int, grouping_id: int):
    """Turn a grouping into a theme (new or existing) with its codings, in one step."""
    grouping = _grouping(grouping_id)
    if grouping.status != GroupingStatus.OPEN:
        abort(409)
    try:
        theme = accept_grouping(grouping, request.form, user_id=current_user.id)
    except ValidationError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("analysis.groupings", study_id=study_id), code=303)
    db.session.commit()
    flash(
        _(
            "The passages of the grouping are coded with “%(theme)s”.",
            theme=theme.label(str(get_locale())),
        ),
        "success",
    )
    return redirect(url_for("analysis.groupings", study_id=study_id), code=303)


@bp.post("/groupings/<int:grouping_id>/rename")
@study_action("codebook.edit")
def rename_group(study_id: int, grouping_id: int):
    """Give a grouping a clearer label."""
    grouping = _grouping(grouping_id)
    try:
        grouping.label = clean_text(request.form.get("label"), "label", max_length=200)
    except ValidationError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("analysis.groupings", study_id=study_id), code=303)
    record("grouping.rename", grouping, user_id=current_user.id, study_id=study_id)
    db.session.commit()
    return redirect(
        url_for("analysis.groupings", study_id=study_id) + f"#grouping-{grouping.id}", code=303
    )


@bp.post("/groupings/<int:grouping_id>/dismiss")
@study_action("codebook.edit")
def dismiss_group(study_id: int, grouping_id: int):
    """Set a grouping aside."""
    grouping = _grouping(grouping_id)
    grouping.status = GroupingStatus.DISMISSED
    record("grouping.dismiss", grouping, user_id=current_user.id, study_id=study_id)
    db.session.commit()
    return redirect(url_for("analysis.groupings", study_id=study_id), code=303)


@bp.post("/groupings/merge")
@study_action("codebook.edit")
def merge_groups(study_id: int):
    """Merge two or more open groupings into one."""
    ids = [as_id(value) for value in request.form.getlist("groupings")]
    chosen = [_grouping(i) for i in dict.fromkeys(i for i in ids if i)]
    if len(chosen) < 2 or any(c.status != GroupingStatus.OPEN for c in chosen):
        flash(_("Tick at least two open groupings to merge."), "error")
        return redirect(url_for("analysis.groupings", study_id=study_id), code=303)
    target = merge_groupings(chosen, user_id=current_user.id)
    db.session.commit()
    return redirect(
        url_for("analysis.groupings", study_id=study_id) + f"#grouping-{target.id}", code=303
    )

"""The background jobs of the engine: theme suggestions and groupings.

Both run through `app.jobs` (a thread, or an RQ worker); they read the study in one
short transaction, run `analysis` outside it, then store open suggestions or
groupings that the facilitator decides on.
"""

from __future__ import annotations

from flask_babel import gettext as _

import analysis
from app.accounts.audit import record
from app.jobs.queue import JobError, handler
from app.models import (
    Grouping,
    GroupingStatus,
    Job,
    Passage,
    Study,
    Suggestion,
    SuggestionStatus,
)
from app.platform.extensions import db
from app.suggestions.feeding import (
    _store_cache,
    cached_lemmas,
    codebook_specs,
    prepare_rows,
    speaker_names,
    study_decisions,
    study_passages,
    text_hash,
    theme_id_of,
    training_examples,
)


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
    names = speaker_names(study_id)
    progress(0.02, _("Reading the passages"))  # commits: the read transaction ends here
    prepared, cache_rows = prepare_rows(rows, cached)
    k = job.params.get("k", "auto")
    groups = analysis.cluster(
        [(row.id, prepared[row.id]) for row in rows],
        k=k if k == "auto" else min(int(k), len(rows)),
        codebook=specs,
        coded=labels,
        progress=lambda f: progress(0.1 + 0.8 * f, _("Grouping the passages")),
        exclude_terms=names,
        label_language=(job.params.get("locale") or "")[:2] or None,
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
                labels={language: label[:200] for language, label in group.labels.items()},
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

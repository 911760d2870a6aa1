"""Importing transcript files: upload, map the speakers, then store (all or nothing).

Storing runs as a background job (`import_jobs.py`); the mapping step answers with
the job's page, which links to the first imported session once every turn is stored.

Uploaded files wait in `import_draft` rows until the speakers are mapped;
they may contain real names, so they are deleted as soon as the import is
confirmed or cancelled, and any draft older than a day is purged.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.policy import study_action
from app.capture.formats import speakers
from app.capture.import_jobs import KIND, batch_job, choice_of
from app.capture.transcripts import fold_text_turns, known_speakers, map_speakers, read_files
from app.jobs.queue import enqueue
from app.models import ImportDraft
from app.models.base import utcnow
from app.platform.extensions import db
from app.platform.forms import ValidationError, as_number, clean_language, pseudonym_key

bp = Blueprint("imports", __name__, url_prefix="/studies/<int:study_id>/import")


def _drafts(batch: str) -> list[ImportDraft]:
    drafts = (
        db.session.execute(
            db.select(ImportDraft)
            .filter_by(study_id=g.study.id, user_id=current_user.id, batch=batch)
            .order_by(ImportDraft.id)
        )
        .scalars()
        .all()
    )
    if not drafts:
        abort(404)
    return drafts


def _purge_old() -> None:
    db.session.execute(
        db.delete(ImportDraft).where(ImportDraft.created_at < utcnow() - timedelta(days=1))
    )


@bp.route("/", methods=["GET", "POST"])
@study_action("session.edit")
def upload(study_id: int):
    """Upload one or more transcripts; each becomes a new session after the mapping step."""
    form = request.form
    if request.method == "GET":
        return render_template(
            "imports/upload.html", study=g.study, error=None, form={"language": g.study.language}
        )
    default_phase = as_number(form.get("default_phase"), maximum=11) or None
    files = [
        (f.filename or "upload", f.read()) for f in request.files.getlist("files") if f.filename
    ]
    known = known_speakers(g.study)
    db.session.commit()  # parsing takes seconds: hold no transaction (SQLite: the lock)
    try:
        clean_language(form.get("language"))
        read_files(files, default_phase=default_phase, known=known)
    except ValidationError as error:
        return render_template("imports/upload.html", study=g.study, error=error, form=form), 422
    _purge_old()
    batch = secrets.token_hex(8)
    for name, data in files:
        db.session.add(
            ImportDraft(
                study_id=study_id,
                user_id=current_user.id,
                batch=batch,
                filename=name[:255],
                data=data,
                default_phase=default_phase,
            )
        )
    db.session.commit()
    return redirect(
        url_for("imports.review", study_id=study_id, batch=batch, language=form.get("language"))
    )


def _review_page(drafts, parsed, error=None, status=200):
    names = speakers([turn for _name, turns in parsed for turn in turns])
    by_key = {p.pseudonym_key: p for p in g.study.participants}
    guesses = {name: by_key.get(pseudonym_key(name)) for name in names}
    counts = {name: sum(t.speaker == name for _n, turns in parsed for t in turns) for name in names}
    # Which files each name comes from: one "Sophie" in two files may be two people.
    sources = {
        name: [file for file, turns in parsed if any(t.speaker == name for t in turns)]
        for name in names
    }
    return render_template(
        "imports/review.html",
        study=g.study,
        drafts=drafts,
        parsed=parsed,
        names=names,
        guesses=guesses,
        counts=counts,
        sources=sources,
        error=error,
        form=request.form,
        language=request.values.get("language", g.study.language),
    ), status


@bp.route("/<batch>", methods=["GET", "POST"])
@study_action("session.edit")
def review(study_id: int, batch: str):
    """Map each speaker name of the files to a participant or a facilitator, then import."""
    started = batch_job(study_id, batch)
    if started is not None:  # confirmed already (a second click, the back button)
        return redirect(url_for("jobs.status", study_id=study_id, job_id=started.id), code=303)
    drafts = _drafts(batch)
    files, default_phase = [(d.filename, d.data) for d in drafts], drafts[0].default_phase
    known = known_speakers(g.study)
    db.session.commit()  # parsing takes seconds: hold no transaction (SQLite: the lock)
    parsed = read_files(files, default_phase=default_phase, known=known)
    if request.method == "GET":
        return _review_page(drafts, parsed)
    names = speakers([turn for _name, turns in parsed for turn in turns])
    choices = {name: request.form.get(f"map-{i}", "") for i, name in enumerate(names)}
    labels = {name: request.form.get(f"label-{i}", "") for i, name in enumerate(names)}
    pseudonyms = {name: request.form.get(f"pseudonym-{i}", "") for i, name in enumerate(names)}
    try:
        language = clean_language(request.form.get("language"))
        mapped = map_speakers(
            study_id, names, choices, labels, pseudonyms=pseudonyms, user_id=current_user.id
        )
        fold_text_turns(parsed, mapped)  # "not a speaker" that opens a phase: say it now
    except ValidationError as error:
        db.session.rollback()
        return _review_page(drafts, parsed, error, 422)
    new = [mapped[name].participant_id for name in names if choices[name] == "new"]
    db.session.commit()
    # Storing runs as a job (import_jobs.py): a long file must hold no request or lock.
    params = {
        "batch": batch,
        "speakers": [choice_of(mapped[name]) for name in names],
        "language": language,
        "new_participants": new,
    }
    job = enqueue(study_id, KIND, params, user_id=current_user.id)
    return redirect(url_for("jobs.status", study_id=study_id, job_id=job.id), code=303)


@bp.post("/<batch>/cancel")
@study_action("session.edit")
def cancel(study_id: int, batch: str):
    """Drop the uploaded files without importing anything."""
    for draft in _drafts(batch):
        db.session.delete(draft)
    db.session.commit()
    flash(_("Import cancelled; the uploaded files were deleted."), "success")
    return redirect(url_for("studies.overview", study_id=study_id))

"""Exports and imports from the web UI: Word report, REFI-QDA, spreadsheets, study archive.

Every export of transcript material is recorded in the audit log. The Word
report runs as a background job (it can take seconds on a large study); its
file is kept in `instance/exports/` until downloaded by a member of the study
(files older than a day are removed when the next report is made). The other
exports are quick and stream directly.
"""

from __future__ import annotations

import re
import secrets
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.audit import record_event
from app.accounts.policy import allowed, login_required, study_action
from app.coding.segments import filters_from_args
from app.exchange.archive.restore_job import KIND as RESTORE
from app.exchange.archive.restore_job import start_restore
from app.jobs.queue import JobError, enqueue, handler
from app.jobs.views import job_page
from app.models import Consent, GroupSession, Job, JobStatus, Participant, Passage, Study
from app.platform.extensions import db
from app.platform.files import private_folder, write_private
from app.platform.forms import ValidationError, as_id, clean_language
from app.studies.redaction import words_kept

bp = Blueprint("exports", __name__, url_prefix="/studies/<int:study_id>/exports")
imports_bp = Blueprint("study_imports", __name__, url_prefix="/import")

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_REFERENCE_BYTES = 10 * 1024 * 1024
KEEP_SECONDS = 24 * 3600


def export_dir() -> Path:
    """Return the folder where finished report files wait for download."""
    folder = Path(
        current_app.config.get("EXPORT_DIR") or Path(current_app.instance_path) / "exports"
    )
    return private_folder(folder)  # reports hold quotes: the service user's only


def _tidy(folder: Path) -> None:
    """Remove report files (and reference uploads) older than a day: they hold quotes."""
    cutoff = time.time() - KEEP_SECONDS
    for path in [*folder.glob("job-*"), *folder.glob("reference-*")]:
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


def _outdated(job: Job) -> bool:
    """Tell whether a finished report may no longer be handed out.

    After a day, or once a quote was withdrawn, a participant erased or a consent
    decision recorded after it was made: the file could hold words that must not
    leave the tool any more (`quotations.participant_problem` reads all three).
    """
    finished = job.finished_at
    if finished is None:
        return True
    if finished.tzinfo is None:  # SQLite returns naive UTC datetimes
        finished = finished.replace(tzinfo=UTC)
    if datetime.now(UTC) - finished > timedelta(seconds=KEEP_SECONDS):
        return True
    withdrawn = db.session.execute(
        db.select(Passage.id)
        .join(GroupSession)
        .where(GroupSession.study_id == job.study_id, Passage.quote_withdrawn_at > finished)
        .limit(1)
    ).first()
    erased = db.session.execute(
        db.select(Participant.id)
        .where(Participant.study_id == job.study_id, Participant.erased_at > finished)
        .limit(1)
    ).first()
    decided = db.session.execute(
        db.select(Consent.id)
        .join(Participant)
        .where(Participant.study_id == job.study_id, Consent.recorded_at > finished)
        .limit(1)
    ).first()
    return bool(withdrawn or erased or decided)


def file_name(study_title: str, kind: str, suffix: str) -> str:
    """Return a safe download name: the study title in ASCII, what it holds, the date.

    `kind` comes after the shortened title, so two exports of one day never share a
    name (the segments and the matrices are both .xlsx).
    """
    stem = re.sub(r"[^A-Za-z0-9]+", "-", study_title).strip("-")[:60].strip("-") or "study"
    return f"{stem}-{kind}-{datetime.now(UTC):%Y%m%d}.{suffix}"


def download(data: bytes, name: str, mimetype: str) -> Response:
    """Send bytes as an attachment that no cache keeps."""
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


# --- the Word report as a job ----------------------------------------------


@handler("export.docx")
def run_report(job: Job, progress) -> dict:
    """Build the Word report and leave it in instance/exports/ for download."""
    from app.exchange.reports import ReportRefused, build_report

    params = job.params
    folder = export_dir()
    reference = None
    if params.get("reference"):
        reference = (folder / params["reference"]).read_bytes()
    db.session.commit()
    try:
        data = build_report(
            job.study_id,
            language=params["language"],
            session_ids=params.get("session_ids") or None,
            reference_docx=reference,
            override_pii=params.get("override_pii", False),
            user_id=job.created_by_id,
            progress=lambda f: progress(0.95 * f, _("Writing the report")),
        )
    except ReportRefused as refused:
        raise JobError(
            _("The report was not made: personal data is still flagged in the transcripts.")
            + " "
            + " · ".join(refused.problems[:20])
            + " "
            + _(
                "Review these findings on the personal data page, or tick the override "
                "(it is recorded in the audit log)."
            )
        ) from refused
    finally:
        if params.get("reference"):
            (folder / params["reference"]).unlink(missing_ok=True)
    # A random part in the name: a file is only ever served for the job that made it.
    name = f"job-{job.id}-{secrets.token_hex(8)}.docx"
    write_private(folder / name, data)
    db.session.commit()  # build_report recorded its audit events in the session
    _tidy(folder)
    return {
        "endpoint": "exports.report_file",
        "args": {"study_id": job.study_id, "job_id": job.id},
        "file": name,
        "bytes": len(data),
    }


# --- views ----------------------------------------------------------------


@bp.get("/")
@study_action("export.download")
def index(study_id: int):
    """The export page: Word report, REFI-QDA, spreadsheets, archive."""
    return render_template(
        "exports/index.html",
        study=g.study,
        sessions=g.study.group_sessions,
        can_backup=allowed(g.membership.role, "study.backup"),
        words_kept=words_kept(study_id),  # names kept as words: "the rents rose"
        reports=db.session.execute(
            db.select(Job)
            .filter_by(study_id=study_id, kind="export.docx")
            .order_by(Job.id.desc())
            .limit(5)
        )
        .scalars()
        .all(),
    )


@bp.post("/report")
@study_action("export.download")
def report(study_id: int):
    """Start building the Word report."""
    try:
        language = clean_language(request.form.get("language"))
    except ValidationError as error:
        flash(error.message, "error")
        return redirect(url_for("exports.index", study_id=study_id), code=303)
    chosen = {as_id(value) for value in request.form.getlist("sessions")} - {None}
    session_ids = sorted(s.id for s in g.study.group_sessions if s.id in chosen)
    params = {
        "language": language,
        "session_ids": session_ids,
        "override_pii": request.form.get("override_pii") == "1",
    }
    if not params["override_pii"]:
        # Answer now, with the way to the review queue, instead of a job that fails.
        from app.exchange.reports import pii_problems

        problems = pii_problems(study_id, session_ids or None)
        if problems:
            return render_template(
                "exports/blocked.html",
                study=g.study,
                problems=problems,
                params=params,
                can_review=allowed(g.membership.role, "privacy.review"),
            ), 409
    upload = request.files.get("reference")
    if upload and upload.filename:
        data = upload.read(MAX_REFERENCE_BYTES + 1)
        if len(data) > MAX_REFERENCE_BYTES or not data.startswith(b"PK"):
            flash(
                _(
                    "The reference document must be a .docx file under 10 MB (%(name)s).",
                    name=upload.filename,
                ),
                "error",
            )
            return redirect(url_for("exports.index", study_id=study_id), code=303)
        name = f"reference-{study_id}-{time.time_ns()}.docx"
        write_private(export_dir() / name, data)
        params["reference"] = name
    job = enqueue(study_id, "export.docx", params, user_id=current_user.id)
    return redirect(url_for("jobs.status", study_id=study_id, job_id=job.id), code=303)


@bp.get("/report/<int:job_id>.docx")
@study_action("export.download")
def report_file(study_id: int, job_id: int):
    """Download a finished Word report."""
    job = db.session.get(Job, job_id)
    if job is None or job.study_id != study_id or job.kind != "export.docx":
        abort(404)
    name = job.result.get("file", "")
    path = export_dir() / name
    if job.status != JobStatus.DONE or not name or not path.is_file() or _outdated(job):
        if name:
            path.unlink(missing_ok=True)
        message = _(
            "This report file is no longer available: files are kept for a day, and not "
            "after a quote was withdrawn, a consent decision recorded or a participant "
            "erased. Make the report again."
        )
        return render_template("errors/error.html", status=410, message=message), 410
    record_event(
        "export.download",
        "job",
        job.id,
        user_id=current_user.id,
        study_id=study_id,
        details={"format": "docx"},
    )
    db.session.commit()
    return download(path.read_bytes(), file_name(g.study.title, "report", "docx"), DOCX)


@bp.get("/project.qdpx")
@study_action("export.download")
def qdpx(study_id: int):
    """Download the study as a REFI-QDA project."""
    from app.exchange.qdpx import export_qdpx

    data = export_qdpx(g.study, user_id=current_user.id)
    _audit(study_id, "qdpx")
    return download(data, file_name(g.study.title, "project", "qdpx"), "application/zip")


@bp.get("/segments.<any(csv, xlsx):fmt>")
@study_action("export.download")
def segments(study_id: int, fmt: str):
    """Download the coded segments, with the retrieval page's filters."""
    from app.exchange.spreadsheets import segments_csv, segments_xlsx

    filters = filters_from_args()
    language = str(get_locale() or "en")  # the interface language the user reads
    if fmt == "csv":
        data = segments_csv(study_id, filters, language=language)
        mimetype = "text/csv; charset=utf-8"
    else:
        data, mimetype = segments_xlsx(study_id, filters, language=language), XLSX
    _audit(study_id, f"segments.{fmt}")
    return download(data, file_name(g.study.title, "segments", fmt), mimetype)


@bp.get("/matrices.xlsx")
@study_action("export.download")
def matrices(study_id: int):
    """Download the theme matrices as one workbook."""
    from app.exchange.spreadsheets import matrix_xlsx

    attribute = request.args.get("attribute", "organisation_type")[:60]
    data = matrix_xlsx(study_id, attribute=attribute, language=str(get_locale() or "en"))
    _audit(study_id, "matrices.xlsx")
    return download(data, file_name(g.study.title, "matrices", "xlsx"), XLSX)


@bp.get("/archive.zip")
@study_action("study.backup")
def archive(study_id: int):
    """Download everything of the study as a versioned archive (owners only)."""
    from app.exchange.archive.export import export_study_archive

    data = export_study_archive(study_id)
    _audit(study_id, "archive")
    return download(data, file_name(g.study.title, "archive", "zip"), "application/zip")


def _audit(study_id: int, fmt: str) -> None:
    record_event(
        "export." + fmt.split(".")[0],
        "study",
        study_id,
        user_id=current_user.id,
        study_id=study_id,
        details={"format": fmt},
    )
    db.session.commit()


@imports_bp.route("/", methods=["GET", "POST"])
@login_required
def study_import():
    """Create a study from a REFI-QDA project (.qdpx) or restore a study archive (.zip)."""
    if request.method == "GET":
        return render_template("exports/import.html", result=None)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        error = ValidationError(_("Choose a .qdpx project or a study archive."), "file")
        return render_template("exports/import.html", error=error, result=None), 422
    data = upload.read()
    try:
        if upload.filename.lower().endswith(".qdpx"):
            from app.exchange.qdpx import import_qdpx

            language = clean_language(request.form.get("language") or "fr")
            result = import_qdpx(
                data, filename=upload.filename, owner_id=current_user.id, language=language
            )
            study_id, warnings = result.study.id, result.warnings
        else:
            if not current_user.is_admin:
                # A restore creates (disabled) accounts for the archive's members.
                raise ValidationError(
                    _("Only administrators restore study archives; ask one to do it."), "file"
                )
            # Checked here, restored by a job (exchange/archive/restore_job.py).
            job = start_restore(data, user_id=current_user.id)
            return redirect(url_for("study_imports.restore_job", job_id=job.id), 303)
    except ValidationError as error:
        db.session.rollback()
        return render_template("exports/import.html", error=error, result=None), 422
    db.session.commit()
    flash(_("The study was imported."), "success")
    return render_template(
        "exports/import.html",
        result={"study_id": study_id, "warnings": warnings},
        error=None,
    )


@imports_bp.get("/jobs/<int:job_id>")
@login_required
def restore_job(job_id: int):
    """Show (or return as JSON) a study restore's progress; only to whoever started it."""
    job = db.session.get(Job, job_id)
    if job is None or job.kind != RESTORE or job.created_by_id != current_user.id:
        abort(404)
    return job_page(job, db.session.get(Study, job.study_id) if job.study_id else None)

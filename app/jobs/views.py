"""The job page: progress of a background job, its error, or where its result is.

The page refreshes itself with a `<meta http-equiv="refresh">` while the job
runs, so it needs no JavaScript; the same URL answers JSON for scripts.
"""

from __future__ import annotations

from flask import Blueprint, abort, g, jsonify, render_template, url_for

from app.accounts.policy import study_action
from app.models import Job, JobStatus, Study
from app.platform.errors import wants_json
from app.platform.extensions import db

bp = Blueprint("jobs", __name__, url_prefix="/studies/<int:study_id>/jobs")


def job_of_study(job_id: int) -> Job:
    """Load a job of the current study; another study's job is a 404."""
    job = db.session.get(Job, job_id)
    if job is None or job.study_id != g.study.id:
        abort(404)
    return job


@bp.get("/<int:job_id>")
@study_action("study.view")
def status(study_id: int, job_id: int):
    """Show (or return as JSON) a job's progress, result link or error."""
    return job_page(job_of_study(job_id), g.study)


def job_page(job: Job, study: Study | None):
    """Answer a job's page (or JSON); `study` is None for a restore that has not made one."""
    running = job.status in {JobStatus.QUEUED, JobStatus.RUNNING}
    # Handlers name where their result is as an endpoint and arguments, not a URL:
    # they run outside any request.
    endpoint = job.result.get("endpoint") if job.status == JobStatus.DONE else None
    result_url = url_for(endpoint, **job.result.get("args", {})) if endpoint else None
    if wants_json():
        return jsonify(
            id=job.id,
            kind=job.kind,
            status=job.status.value,
            progress=round(job.progress, 3),
            message=job.message,
            error=job.error,
            result_url=result_url,
        )
    return render_template(
        "jobs/status.html", study=study, job=job, running=running, result_url=result_url
    )

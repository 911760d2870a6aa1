"""Background jobs: analysis runs and long exports, with progress the UI can poll.

A job is a `Job` row plus a handler registered here by kind. `enqueue`
commits the row, then hands its id to a runner:
- by default an in-process worker thread (one per process, jobs run one after
  another), so the embedded SQLite setup needs nothing else;
- RQ workers when `REDIS_URL` is set (`rq worker magwb` next to gunicorn;
  README "Deployment"), so several web workers share one queue;
- synchronously when `MAGWB_JOBS=sync` (tests that do not test the runner).

Handlers get the job and a `progress(fraction, message)` callback. Progress is
committed on the handler's session, so a handler must not hold uncommitted
writes while it reports: read, commit, compute (reporting), then write its
results and return. A handler that raises `JobError` fails with that message;
any other exception fails with a generic message and the traceback goes to
the server log only (it may quote transcript text).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from flask import Flask, current_app, has_request_context
from flask_babel import force_locale, get_locale
from flask_babel import lazy_gettext as _l

from app.models import Job, JobStatus
from app.models.base import utcnow
from app.platform.extensions import db

QUEUE_NAME = "magwb"

Progress = Callable[[float, str], None]
Handler = Callable[[Job, Progress], dict | None]
HANDLERS: dict[str, Handler] = {}
CLEANUPS: dict[str, Callable[[Job], None]] = {}

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


class JobError(Exception):
    """A failure the person who started the job can understand and act on."""


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register a job handler under `kind`."""

    def register(function: Handler) -> Handler:
        HANDLERS[kind] = function
        return function

    return register


def cleanup(kind: str) -> Callable:
    """Register what undoes a job of `kind` that a stopped process left half done."""

    def register(function: Callable[[Job], None]) -> Callable[[Job], None]:
        CLEANUPS[kind] = function
        return function

    return register


def enqueue(study_id: int, kind: str, params: dict | None = None, *, user_id: int | None) -> Job:
    """Store a job and start it; return it (already committed)."""
    if kind not in HANDLERS:
        raise KeyError(f"No job handler for {kind!r}")
    params = dict(params or {})
    if has_request_context():  # progress and errors speak the language of who started it
        params.setdefault("locale", str(get_locale()))
    job = Job(study_id=study_id, kind=kind, params=params, created_by_id=user_id)
    db.session.add(job)
    db.session.commit()
    mode = current_app.config.get("JOBS_MODE", "thread")
    if mode == "sync":
        run(job.id)
    elif mode == "rq":
        _rq_queue(current_app).enqueue("app.worker.run_in_worker", job.id, job_timeout=3600)
    else:
        app = current_app._get_current_object()
        _thread_pool().submit(_run_in_thread, app, job.id)
    return job


def _thread_pool() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="magwb-job")
        return _executor


def _run_in_thread(app: Flask, job_id: int) -> None:
    with app.app_context():
        try:
            run(job_id)
        finally:
            db.session.remove()


def _rq_queue(app: Flask):
    from redis import Redis
    from rq import Queue

    return Queue(QUEUE_NAME, connection=Redis.from_url(app.config["REDIS_URL"]))


def run(job_id: int) -> None:
    """Run one job to its end, recording progress, result or error on its row."""
    job = db.session.get(Job, job_id)
    if job is None or job.status not in {JobStatus.QUEUED, JobStatus.RUNNING}:
        return
    job.status, job.started_at, job.progress = JobStatus.RUNNING, utcnow(), 0.0
    db.session.commit()

    def progress(fraction: float, message: str = "") -> None:
        job.progress = max(0.0, min(1.0, float(fraction)))
        if message:
            job.message = message[:200]
        db.session.commit()

    locale = job.params.get("locale") or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        try:
            result = HANDLERS[job.kind](job, progress)
        except JobError as error:
            _fail(job_id, str(error))
            return
        except Exception:
            current_app.logger.exception("Job %s (%s) failed", job_id, job.kind)
            _fail(job_id, str(_l("The job failed unexpectedly. The server log has the details.")))
            return
    job.result = result or {}
    job.status, job.progress, job.finished_at = JobStatus.DONE, 1.0, utcnow()
    db.session.commit()


def _fail(job_id: int, message: str) -> None:
    db.session.rollback()
    job = db.session.get(Job, job_id)
    job.status, job.error, job.finished_at = JobStatus.FAILED, message, utcnow()
    db.session.commit()


def interrupt_abandoned_jobs(app: Flask) -> None:
    """Mark jobs left running by a stopped process as failed (in-process mode only).

    With RQ, the queue outlives a web process and workers finish their jobs;
    with the in-process worker, a restart loses the thread, so the row would
    otherwise say "running" forever.
    """
    from sqlalchemy import inspect

    if app.config.get("JOBS_MODE", "thread") != "thread":
        return
    with app.app_context():
        if not inspect(db.engine).has_table("job"):
            return
        stale = db.session.execute(
            db.select(Job).where(Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]))
        ).scalars()
        for job in list(stale):
            job.status, job.finished_at = JobStatus.FAILED, utcnow()
            job.error = str(_l("The application restarted while this job ran. Start it again."))
            db.session.commit()
            if job.kind in CLEANUPS:
                CLEANUPS[job.kind](job)


def wait(job_id: int, timeout: float = 60.0) -> Job:
    """Block until a job ends (for the command line and tests); return it."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        db.session.expire_all()
        job = db.session.get(Job, job_id)
        if job.status in {JobStatus.DONE, JobStatus.FAILED} or time.monotonic() > deadline:
            db.session.expunge(job)  # a loaded snapshot the caller can read after the commit
            db.session.commit()  # end the read transaction (SQLite: release the lock)
            return job
        db.session.commit()
        time.sleep(0.05)


def latest_job(study_id: int, kind: str, session_id: int | None = None) -> Job | None:
    """Return the newest job of a kind (for a session, when given)."""
    jobs = db.session.execute(
        db.select(Job).filter_by(study_id=study_id, kind=kind).order_by(Job.id.desc()).limit(20)
    ).scalars()
    for job in jobs:
        if session_id is None or job.params.get("session_id") == session_id:
            return job
    return None

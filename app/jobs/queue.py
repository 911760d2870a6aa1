"""Background jobs: analysis runs and long exports, with progress the UI can poll.

A job is a `Job` row plus a handler registered here by kind. `enqueue`
commits the row, then hands its id to a runner:
- by default an in-process worker thread (one per process, jobs run one after
  another), so the embedded SQLite setup needs nothing else;
- RQ workers when `REDIS_URL` is set (`rq worker magwb` next to gunicorn;
  README "Deployment"), so several web workers share one queue (see "Workers
  that die" below);
- synchronously when `MAGWB_JOBS=sync` (tests that do not test the runner).

Handlers get the job and a `progress(fraction, message)` callback. Progress is
committed on the handler's session, so a handler must not hold uncommitted
writes while it reports: read, commit, compute (reporting), then write its
results and return. A handler that raises `JobError` fails with that message;
any other exception fails with a generic message and the traceback goes to
the server log only (it may quote transcript text).

Workers that die (RQ mode). A worker killed mid-job (SIGKILL, out of memory, a
reboot) leaves its RQ job "started"; once its heartbeat expires (the worker's
`--job-monitoring-interval` plus RQ's fixed 60 s) the next registry clean-up of
any live worker (at its start, then every `--maintenance-interval`) retries it,
`RQ_RETRIES` times, on whichever worker is free; a work horse killed alone is
retried at once by its worker. No operator step. A retry finds our row still
"running" and runs the handler again, so handlers must be safe to re-run:
remove what an earlier attempt stored, or replace it (an import deletes the
sessions it recorded on the row; a suggestion run replaces its open
suggestions in one transaction). The row ends "done" once: `run` skips a row
that already ended.

When the last attempt dies too, the row is failed and the kind's `@cleanup`
runs from two places, whichever comes first (`fail_abandoned` is atomic, so
it runs once): RQ's `on_failure` callback, which RQ calls in the worker that
finds the job abandoned; and a sweep at the start of every job
(`fail_ended_rq_jobs`), because RQ does not call that callback when only the
work horse died (its worker marks the job failed directly). App start is no
place for it: web processes start rarely and several at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, timedelta
from uuid import uuid4

from flask import Flask, current_app, has_request_context
from flask_babel import force_locale, get_locale
from flask_babel import lazy_gettext as _l

from app.models import Job, JobStatus
from app.models.base import utcnow
from app.platform.extensions import db

QUEUE_NAME = "magwb"
RQ_RETRIES = 2  # runs after the first when a worker dies mid-job (then the job fails)
RQ_JOB = "rq_job"  # the params key that holds a job's RQ id

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


def enqueue(
    study_id: int | None, kind: str, params: dict | None = None, *, user_id: int | None
) -> Job:
    """Store a job and start it; return it (already committed)."""
    if kind not in HANDLERS:
        raise KeyError(f"No job handler for {kind!r}")
    params = dict(params or {})
    if has_request_context():  # progress and errors speak the language of who started it
        params.setdefault("locale", str(get_locale()))
    mode = current_app.config.get("JOBS_MODE", "thread")
    if mode == "rq":  # written with the row: a worker may start (and write params) at once
        params[RQ_JOB] = f"magwb-{uuid4().hex}"
    job = Job(study_id=study_id, kind=kind, params=params, created_by_id=user_id)
    db.session.add(job)
    db.session.commit()
    if mode == "sync":
        run(job.id)
    elif mode == "rq":
        from rq import Callback, Retry

        _rq_queue(current_app).enqueue(
            "app.worker.run_in_worker",
            job.id,
            job_id=params[RQ_JOB],
            job_timeout=3600,
            retry=Retry(max=RQ_RETRIES),
            on_failure=Callback("app.worker.on_rq_failure"),
        )
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
    if job.status == JobStatus.RUNNING:  # a retry: the handler replaces what the last one left
        current_app.logger.warning("Job %s (%s) runs again after a stop", job_id, job.kind)
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


def fail_abandoned(job_id: int, message: str) -> bool:
    """Fail a job whose process stopped, once, and run its cleanup; say whether it did.

    One conditional UPDATE: of two processes that find the same abandoned job, one
    fails it and cleans up, the other does nothing.
    """
    failed = db.session.execute(
        db.update(Job)
        .where(Job.id == job_id, Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]))
        .values(status=JobStatus.FAILED, error=message, finished_at=utcnow())
    ).rowcount
    db.session.commit()
    if failed:
        job = db.session.get(Job, job_id)
        if job.kind in CLEANUPS:
            CLEANUPS[job.kind](job)
    return bool(failed)


def fail_ended_rq_jobs(app: Flask, *, running: int | None = None) -> list[int]:
    """Fail (and clean up) rows still waiting or running whose RQ job ended or is gone.

    `running` is the job this worker is starting (its RQ job says "started").
    Return the ids of the jobs failed.
    """
    from rq.exceptions import NoSuchJobError
    from rq.job import Job as RQJob
    from rq.job import JobStatus as RQStatus

    ended = {RQStatus.FAILED, RQStatus.STOPPED, RQStatus.CANCELED, RQStatus.FINISHED}
    connection = _rq_queue(app).connection
    failed = []
    rows = db.session.execute(
        db.select(Job.id, Job.params, Job.created_at).where(
            Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]), Job.id != (running or 0)
        )
    ).all()
    db.session.commit()
    for job_id, params, created_at in rows:
        if not params.get(RQ_JOB):
            continue  # enqueued before jobs had RQ ids, or in another mode
        try:
            status = RQJob.fetch(params[RQ_JOB], connection=connection).get_status()
        except NoSuchJobError:
            # `enqueue` commits the row, then queues it: a young row may not be there yet.
            born = created_at if created_at.tzinfo else created_at.replace(tzinfo=UTC)
            status = None if utcnow() - born > timedelta(minutes=1) else RQStatus.QUEUED
        if (status is None or status in ended) and fail_abandoned(job_id, stopped_message()):
            failed.append(job_id)
    return failed


def stopped_message() -> str:
    """The error of a job whose worker stopped on every attempt."""
    return str(_l("The worker running this job stopped, on every try. Start it again."))


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

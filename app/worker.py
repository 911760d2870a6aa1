"""Entry points for RQ workers (`rq worker magwb`): one app per worker process.

It builds the whole application, so it sits at the top of the package next to
`create_app`; the queue (app/jobs/queue.py) names these functions by dotted path.

RQ forks a work horse per job. The worker process itself builds the app only to
run `on_rq_failure`; a horse forked from it then inherits that app, and with it
the engine's pool: the horse drops the inherited connections (without closing
them: they are the parent's) before it touches the database.
"""

from __future__ import annotations

import os

from flask import Flask

from app import create_app
from app.jobs.queue import fail_abandoned, fail_ended_rq_jobs, run, stopped_message
from app.platform.extensions import db

_worker_app: Flask | None = None
_app_pid: int | None = None


def _app() -> Flask:
    """Return this process's app: built once, its pool fresh after a fork."""
    global _worker_app, _app_pid
    if _worker_app is None:
        _worker_app = create_app({"LOAD_DEMO": False, "AUTO_UPGRADE": False})
    elif _app_pid not in {None, os.getpid()}:
        with _worker_app.app_context():
            db.engine.dispose(close=False)
    _app_pid = os.getpid()
    return _worker_app


def run_in_worker(job_id: int) -> None:
    """Entry point for RQ workers: fail what earlier workers left ended, then run the job."""
    app = _app()
    with app.app_context():
        try:
            # RQ calls no callback when only a work horse died on its last try.
            fail_ended_rq_jobs(app, running=job_id)
            run(job_id)
        finally:
            db.session.remove()


def on_rq_failure(rq_job, connection, *exc_info) -> None:
    """RQ's failure callback: on the last try, fail our row and undo what the job stored.

    RQ calls it in the worker that finds the job abandoned (its worker died) or whose
    horse raised, before it decides on a retry: while retries are left, the next try
    cleans up after this one, so nothing happens here.
    """
    if rq_job.retries_left:
        return
    app = _app()
    with app.app_context():
        try:
            fail_abandoned(rq_job.args[0], stopped_message())
        finally:
            db.session.remove()
            db.engine.dispose()  # in the worker process: the horses it forks start afresh

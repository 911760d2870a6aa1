"""Entry point for RQ workers (`rq worker magwb`): one app per worker process.

It builds the whole application, so it sits at the top of the package next to
`create_app`; the queue (app/jobs/queue.py) names it by its dotted path.
"""

from __future__ import annotations

from flask import Flask

from app import create_app
from app.jobs.queue import run
from app.platform.extensions import db

_worker_app: Flask | None = None


def run_in_worker(job_id: int) -> None:
    """Entry point for RQ workers: build the app once per worker process, then run."""
    global _worker_app
    if _worker_app is None:
        _worker_app = create_app({"LOAD_DEMO": False, "AUTO_UPGRADE": False})
    with _worker_app.app_context():
        try:
            run(job_id)
        finally:
            db.session.remove()

"""RQ workers that stop mid-job: the job runs again, ends once, or fails and is cleaned up.

Real Redis, real RQ workers in this process (`SimpleWorker`) or forking work horses
(`Worker`). A stop is what the job's code sees of a killed process: `Stopped`, a
`BaseException`, passes by every `except Exception` in `run`, so RQ sees the job fail
without our row being touched, as after a SIGKILL; `os._exit` kills a work horse.
"""

from __future__ import annotations

import os
import uuid

import pytest

import app.jobs.queue as jobs
import app.worker as worker
from app.jobs.queue import cleanup, enqueue, handler, stopped_message
from app.models import Job, JobStatus
from app.platform.extensions import db

REDIS_URL = os.environ.get("MAGWB_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


class Stopped(BaseException):
    """The process running the job stopping."""


def _tries(job: Job) -> int:
    """Count a try on the row itself (a work horse's memory dies with it)."""
    job.result = {"tries": (job.result or {}).get("tries", 0) + 1}
    db.session.commit()
    return job.result["tries"]


@handler("test.stop_once")
def _stop_once(job, progress):
    if _tries(job) == 1:
        raise Stopped
    return {"tries": job.result["tries"]}


@handler("test.stop_always")
def _stop_always(job, progress):
    _tries(job)
    raise Stopped


@handler("test.horse_dies")
def _horse_dies(job, progress):
    _tries(job)
    os._exit(1)


@cleanup("test.stop_always")
@cleanup("test.horse_dies")
def _clean(job):
    job.message = "cleaned"
    db.session.commit()


@pytest.fixture
def rq_app(make_app, make_user, make_study, monkeypatch):
    """An app in RQ mode on a queue of its own; the worker uses this very app."""
    from redis import Redis
    from rq import Queue

    app = make_app(REDIS_URL=REDIS_URL, JOBS_MODE="rq")
    owner = make_user("owner@example.org")
    study_id = make_study(owner)
    name = f"magwb-test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setattr(jobs, "QUEUE_NAME", name)
    monkeypatch.setattr(worker, "_worker_app", app)
    monkeypatch.setattr(worker, "_app_pid", os.getpid())
    queue = Queue(name, connection=Redis.from_url(REDIS_URL))
    yield app, study_id, owner, queue
    queue.delete(delete_jobs=True)


def _enqueue(app, study_id, owner, kind) -> int:
    with app.test_request_context():
        return enqueue(study_id, kind, {}, user_id=owner).id


def _job(app, job_id) -> Job:
    with app.app_context():
        job = db.session.get(Job, job_id)
        db.session.expunge(job)
        db.session.commit()
        return job


def test_a_job_stopped_on_its_first_try_runs_again_and_ends_done_once(rq_app):
    """The worker stops mid-job; RQ retries it and our row ends "done" after two tries."""
    from rq import SimpleWorker

    app, study_id, owner, queue = rq_app
    job_id = _enqueue(app, study_id, owner, "test.stop_once")
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    job = _job(app, job_id)
    assert job.status == JobStatus.DONE and job.result == {"tries": 2}


def test_a_job_stopped_on_every_try_fails_and_is_cleaned_up_once(rq_app):
    """Three tries, three stops: RQ's failure callback fails the row and runs its cleanup."""
    from rq import SimpleWorker

    app, study_id, owner, queue = rq_app
    job_id = _enqueue(app, study_id, owner, "test.stop_always")
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    job = _job(app, job_id)
    assert job.status == JobStatus.FAILED and job.result == {"tries": 1 + jobs.RQ_RETRIES}
    with app.test_request_context():
        assert job.error == stopped_message()
    assert job.message == "cleaned"


def test_a_job_whose_work_horse_dies_every_time_is_failed_when_the_next_job_starts(rq_app):
    """RQ calls no callback for a killed work horse: the next job's start fails and cleans it."""
    from rq import Worker

    app, study_id, owner, queue = rq_app
    job_id = _enqueue(app, study_id, owner, "test.horse_dies")
    Worker([queue], connection=queue.connection).work(burst=True)
    job = _job(app, job_id)
    assert job.status == JobStatus.RUNNING and job.result == {"tries": 1 + jobs.RQ_RETRIES}
    next_id = _enqueue(app, study_id, owner, "test.stop_once")
    Worker([queue], connection=queue.connection).work(burst=True)
    job = _job(app, job_id)
    assert job.status == JobStatus.FAILED and job.message == "cleaned"
    assert _job(app, next_id).status == JobStatus.DONE

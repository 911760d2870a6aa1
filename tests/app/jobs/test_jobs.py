"""Background jobs: the in-process worker, RQ workers on real Redis, failures and restarts."""

from __future__ import annotations

import os
import uuid

import pytest

from app.jobs.queue import JobError, enqueue, handler, wait
from app.models import Job, JobStatus
from app.platform.extensions import db
from tests.conftest import login

SEEN: list[float] = []


@handler("test.count")
def _count(job, progress):
    """Count to params["n"], reporting progress at each step."""
    n = job.params["n"]
    for i in range(n):
        progress((i + 1) / n, f"step {i + 1}")
        SEEN.append(job.progress)
    return {"total": n}


@handler("test.refuse")
def _refuse(job, progress):
    raise JobError("The codebook has no theme: add one first.")


@handler("test.crash")
def _crash(job, progress):
    raise RuntimeError("secret transcript words must not reach the page")


@pytest.fixture
def study(app, make_user, make_study, client):
    owner = make_user("owner@example.org")
    study_id = make_study(owner)
    login(client, "owner@example.org")
    return study_id, owner


def test_the_in_process_worker_runs_a_job_and_the_page_shows_progress_then_done(app, client, study):
    study_id, owner = study
    with app.test_request_context():
        job_id = enqueue(study_id, "test.count", {"n": 4}, user_id=owner).id
        job = wait(job_id)
        assert job.status == JobStatus.DONE and job.result == {"total": 4}
    assert SEEN[-4:] == [0.25, 0.5, 0.75, 1.0]
    page = client.get(f"/studies/{study_id}/jobs/{job_id}")
    assert page.status_code == 200 and "Done." in page.text
    assert 'http-equiv="refresh"' not in page.text
    data = client.get(f"/studies/{study_id}/jobs/{job_id}", headers={"Accept": "application/json"})
    assert data.json["status"] == "done" and data.json["progress"] == 1.0


def test_a_running_job_page_refreshes_itself_and_shows_a_progress_bar(app, client, study):
    study_id, owner = study
    with app.app_context():
        job = Job(study_id=study_id, kind="test.count", status=JobStatus.RUNNING, progress=0.3)
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    page = client.get(f"/studies/{study_id}/jobs/{job_id}").text
    assert 'http-equiv="refresh"' in page and 'value="30"' in page


def test_failures_show_a_clear_error_and_never_the_exception_text(app, client, study):
    study_id, owner = study
    with app.test_request_context():
        refused = wait(enqueue(study_id, "test.refuse", user_id=owner).id)
        crashed = wait(enqueue(study_id, "test.crash", user_id=owner).id)
    assert refused.status == crashed.status == JobStatus.FAILED
    page = client.get(f"/studies/{study_id}/jobs/{refused.id}").text
    assert "The codebook has no theme: add one first." in page
    page = client.get(f"/studies/{study_id}/jobs/{crashed.id}").text
    assert "failed unexpectedly" in page and "secret transcript words" not in page


def test_a_restart_marks_jobs_left_running_as_failed(app, make_app, study):
    study_id, owner = study
    with app.app_context():
        job = Job(study_id=study_id, kind="test.count", status=JobStatus.RUNNING)
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    restarted = make_app()
    with restarted.app_context():
        job = db.session.get(Job, job_id)
        if restarted.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
            assert job.status == JobStatus.FAILED and "restarted" in job.error
        else:  # PostgreSQL deployments use RQ workers, whose jobs outlive a web process
            assert job.status == JobStatus.RUNNING


def test_another_studys_job_is_not_found(app, client, study, make_user, make_study):
    study_id, owner = study
    other = make_study(make_user("other@example.org"))
    with app.app_context():
        job = Job(study_id=other, kind="test.count")
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    assert client.get(f"/studies/{study_id}/jobs/{job_id}").status_code == 404


def test_rq_workers_on_redis_run_the_job(make_app, make_user, make_study, monkeypatch):
    """With REDIS_URL set, jobs go through a real Redis queue to an RQ worker."""
    from redis import Redis
    from rq import Queue, SimpleWorker

    import app.jobs.queue as jobs
    import app.worker as worker

    redis_url = os.environ.get("MAGWB_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    app = make_app(REDIS_URL=redis_url, JOBS_MODE="rq")
    owner = make_user("owner@example.org")
    study_id = make_study(owner)
    queue_name = f"magwb-test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setattr(jobs, "QUEUE_NAME", queue_name)
    monkeypatch.setattr(worker, "_worker_app", app)  # the worker process would build the same app
    with app.test_request_context():
        job_id = enqueue(study_id, "test.count", {"n": 3}, user_id=owner).id
        assert db.session.get(Job, job_id).status == JobStatus.QUEUED
        db.session.commit()
    connection = Redis.from_url(redis_url)
    try:
        SimpleWorker([Queue(queue_name, connection=connection)], connection=connection).work(
            burst=True
        )
    finally:
        Queue(queue_name, connection=connection).delete(delete_jobs=True)
    with app.app_context():
        job = db.session.get(Job, job_id)
        assert job.status == JobStatus.DONE and job.result == {"total": 3}

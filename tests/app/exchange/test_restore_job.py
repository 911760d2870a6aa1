"""Restoring a study archive on the web runs as a background job (issue 16).

The upload is checked in the request (a damaged archive is refused there, as before), the job
restores it all or nothing, and only the person who started it sees the job page.
"""

from __future__ import annotations

import io
import re

import pytest

from app.demo import load_demo
from app.exchange.archive.export import export_study_archive
from app.exchange.archive.format import ArchiveError
from app.exchange.archive.restore import import_study_archive
from app.jobs.queue import wait
from app.models import Job, JobStatus, Study, User
from app.platform.extensions import db
from tests.app.exchange.test_study_archive import CORRUPTIONS, _rewrite, _twin_participant
from tests.conftest import login


@pytest.fixture
def app(make_app, tmp_path):
    """The in-process job runner of the embedded setup, uploads in a folder of the test."""
    return make_app(JOBS_MODE="thread", EXPORT_DIR=str(tmp_path / "exports"))


@pytest.fixture
def archive(app, make_user) -> bytes:
    """The demo study's archive, made by an administrator who is logged in to restore it."""
    admin = make_user("admin@example.org", admin=True)
    with app.app_context():
        study = load_demo(owner_id=admin)
        db.session.commit()
        return export_study_archive(study.id)


def _upload(client, data: bytes, name: str = "backup.zip"):
    return client.post("/import/", data={"file": (io.BytesIO(data), name)})


def _studies(app) -> list[tuple[int, str]]:
    with app.app_context():
        return db.session.execute(db.select(Study.id, Study.title).order_by(Study.id)).all()


def _job_id(response) -> int:
    assert response.status_code == 303
    return int(re.fullmatch(r".*/import/jobs/(\d+)", response.headers["Location"]).group(1))


def test_a_web_restore_is_a_job_that_ends_with_a_link_to_the_restored_study(
    app, client, archive, tmp_path
):
    """The upload answers at once with the job page; when done, it links to the new study."""
    login(client, "admin@example.org")
    job_id = _job_id(_upload(client, archive))
    with app.app_context():
        job = wait(job_id)
    assert job.status == JobStatus.DONE, job.error
    (old, title), (new, new_title) = _studies(app)
    assert new_title == title and new != old
    assert job.study_id == new  # the job now belongs to the study it made
    page = client.get(f"/import/jobs/{job_id}")
    assert page.status_code == 200 and "Done. The study was restored." in page.text
    assert f'href="/studies/{new}"' in page.text
    assert client.get(f"/studies/{new}").status_code == 200  # the admin owns it
    data = client.get(f"/import/jobs/{job_id}", headers={"Accept": "application/json"}).json
    assert data["status"] == "done" and data["result_url"] == f"/studies/{new}"
    assert list((tmp_path / "exports").glob("restore-*")) == []  # the upload is deleted


@pytest.mark.parametrize("case", ["not a zip", "bad checksum", "other format"])
def test_a_damaged_archive_is_refused_at_upload_with_the_restores_message(
    app, client, archive, tmp_path, case
):
    """Refused in the request with the message the restore itself gives; no job, no file."""
    corrupt, _message = CORRUPTIONS[case]
    damaged = corrupt(archive)
    with app.app_context(), pytest.raises(ArchiveError) as refused:
        import_study_archive(damaged)
    login(client, "admin@example.org")
    response = _upload(client, damaged)
    assert response.status_code == 422
    assert str(refused.value.message).replace("'", "&#39;") in response.text
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Job.id))) == 0
    assert list((tmp_path / "exports").glob("restore-*")) == []
    assert len(_studies(app)) == 1


def test_a_failure_inside_the_job_leaves_no_study_and_shows_the_archives_error(
    app, client, archive, tmp_path
):
    """Rows the database refuses: the job fails with the archive's message, nothing stays."""
    damaged = _rewrite(archive, _twin_participant)  # its manifest and checksums are right
    login(client, "admin@example.org")
    job_id = _job_id(_upload(client, damaged))
    with app.app_context():
        job = wait(job_id)
        assert db.session.scalar(db.select(User).filter_by(email="nobody-yet@example.org")) is None
    assert job.status == JobStatus.FAILED and job.study_id is None
    assert len(_studies(app)) == 1
    page = client.get(f"/import/jobs/{job_id}")
    assert "The job failed" in page.text
    assert "tables/participant.jsonl break this database&#39;s rules" in page.text
    # Kept for a retry of the job, readable by the service user only; removed after a day.
    (kept,) = (tmp_path / "exports").glob("restore-*")
    assert kept.stat().st_mode & 0o777 == 0o600


def test_another_user_cannot_see_a_restore_job(app, client, archive, make_user):
    """Another account, even an administrator, gets a 404 for someone's restore job."""
    make_user("other@example.org", admin=True)
    login(client, "admin@example.org")
    job_id = _job_id(_upload(client, _rewrite(archive, _twin_participant)))
    with app.app_context():
        wait(job_id)
    client.post("/logout")
    login(client, "other@example.org")
    assert client.get(f"/import/jobs/{job_id}").status_code == 404
    json = client.get(f"/import/jobs/{job_id}", headers={"Accept": "application/json"})
    assert json.status_code == 404


def test_an_rq_worker_restores_the_archive_uploaded_to_a_web_process(
    make_app, make_user, monkeypatch, tmp_path
):
    """With Redis, the web process keeps the upload and enqueues; an RQ worker restores it."""
    import os
    import uuid

    from redis import Redis
    from rq import Queue, SimpleWorker

    import app.jobs.queue as jobs
    import app.worker as worker

    redis_url = os.environ.get("MAGWB_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    app = make_app(REDIS_URL=redis_url, JOBS_MODE="rq", EXPORT_DIR=str(tmp_path / "exports"))
    admin = make_user("admin@example.org", admin=True)
    with app.app_context():
        data = export_study_archive(load_demo(owner_id=admin).id)
        db.session.commit()
    queue_name = f"magwb-test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setattr(jobs, "QUEUE_NAME", queue_name)
    monkeypatch.setattr(worker, "_worker_app", app)  # the worker process would build the same app
    client = app.test_client()
    login(client, "admin@example.org")
    job_id = _job_id(_upload(client, data))
    assert "Waiting to start" in client.get(f"/import/jobs/{job_id}").text
    connection = Redis.from_url(redis_url)
    try:
        SimpleWorker([Queue(queue_name, connection=connection)], connection=connection).work(
            burst=True
        )
    finally:
        Queue(queue_name, connection=connection).delete(delete_jobs=True)
    (_old, title), (new, new_title) = _studies(app)
    assert new_title == title
    page = client.get(f"/import/jobs/{job_id}")
    assert "Done. The study was restored." in page.text and f'href="/studies/{new}"' in page.text

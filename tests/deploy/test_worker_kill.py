"""A worker killed in the middle of a suggestion job: a new worker finishes it, nothing twice.

Real processes: the worker unit's command from docs/deploy.md on a Redis database of its
own, killed with SIGKILL (with the work horse it forked) while the job is running; then
only a new worker, as systemd's `Restart=` would start it: no operator step. Its registry
clean-up finds the job abandoned once RQ's heartbeat expires (the unit's
`--job-monitoring-interval` plus RQ's fixed 60 s, not configurable) and retries it. An
idle worker cleans up only between two waits on the queue (`--worker-ttl` less 15 s): the
new worker waits one second at a time and cleans up every second (`--worker-ttl 16
--maintenance-interval 1`), so the test waits for that expiry and little more.
"""

from __future__ import annotations

import time
from collections import Counter

from app.jobs.queue import RQ_RETRIES, enqueue
from app.models import AuditEvent, Job, JobStatus, Suggestion
from app.platform.extensions import db
from tests.deploy.conftest import REDIS_URL, kill_hard, worker

TEXTS = (
    "Elle n'avait plus de code PIN pour sa banque et m'a donné son mot de passe itsme.",
    "Le guichet de la commune est fermé, on nous envoie tout le monde au CPAS.",
    "Je remplis sa déclaration d'impôts à sa place, ce n'est pas mon métier.",
    "Nous avons parlé du calendrier de la prochaine séance.",
)


def _job(app, job_id: int) -> Job:
    with app.app_context():
        job = db.session.get(Job, job_id)
        db.session.expunge(job)
        db.session.commit()
        return job


def _until(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_a_killed_workers_suggestion_job_is_finished_by_a_new_worker_exactly_once(
    make_app, make_user, make_study, make_passages, stack_env, tmp_path
):
    """SIGKILL during the job, then a new worker only: done once, no duplicate suggestion."""
    from redis import Redis
    from rq import Queue

    app = make_app(REDIS_URL=REDIS_URL, JOBS_MODE="rq")
    owner = make_user("owner@example.org")
    study_id = make_study(owner)
    texts = [f"{TEXTS[i % 4]} (tour {i})" for i in range(800)]
    session_id, _ = make_passages(study_id, texts)
    with app.test_request_context():
        job_id = enqueue(study_id, "analysis.suggest", {"session_id": session_id}, user_id=owner).id
    queue = Queue("magwb", connection=Redis.from_url(REDIS_URL))
    (rq_job_id,) = queue.job_ids

    with worker(stack_env, tmp_path / "worker-1.log") as first:
        _until(lambda: _job(app, job_id).status == JobStatus.RUNNING, 120, "the job to start")
        kill_hard(first)
    assert _job(app, job_id).status == JobStatus.RUNNING, "the job ended before the kill"
    with app.app_context():
        assert db.session.execute(db.select(Suggestion.id)).first() is None

    log = tmp_path / "worker-2.log"
    with worker(stack_env, log, "--worker-ttl", "16", "--maintenance-interval", "1"):
        _until(
            lambda: _job(app, job_id).status in {JobStatus.DONE, JobStatus.FAILED},
            180,
            "the new worker to retry and finish the job",
        )
    job = _job(app, job_id)
    assert queue.fetch_job(rq_job_id).retries_left == RQ_RETRIES - 1  # RQ retried it, once
    assert job.status == JobStatus.DONE, (job.error, log.read_text()[-3000:])
    with app.app_context():
        stored = db.session.execute(
            db.select(Suggestion.passage_id, Suggestion.theme_id, Suggestion.job_id)
        ).all()
        audited = db.session.execute(
            db.select(AuditEvent.id).filter_by(action="analysis.suggest", study_id=study_id)
        ).all()
    assert job.result["suggestions"] == len(stored) > 0
    assert {row.job_id for row in stored} == {job_id}
    assert max(Counter((row.passage_id, row.theme_id) for row in stored).values()) == 1
    assert len(audited) == 1

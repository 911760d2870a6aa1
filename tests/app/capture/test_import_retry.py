"""An import whose process stops after its first batch runs again and stores one copy.

With RQ a worker killed mid-import is retried (app/jobs/queue.py, "Workers that
die"). The stop is the real one for what the code sees: a `BaseException` from the
job's progress report after the first batch of `BATCH_TURNS` turns passes by every
`except Exception`, as a killed process runs no handler, so the first try's session
and turns stay committed and the row stays "running". The retry is the queue's own
`run`, as the next worker calls it.
"""

from __future__ import annotations

import io

import pytest

from app.capture.import_jobs import BATCH_TURNS, KIND, run_import
from app.jobs.queue import run
from app.models import AuditEvent, GroupSession, ImportDraft, Job, JobStatus, Participant, Passage
from app.platform.extensions import db
from tests.conftest import login

TURNS = BATCH_TURNS * 2 + 17


class Stopped(BaseException):
    """The process stopping: no `except Exception` in the job sees it."""


@pytest.fixture
def draft_batch(app, client, make_user, make_study):
    """A study with one participant and an uploaded, not yet imported, transcript."""
    owner = make_user("owner@example.org")
    study_id = make_study(owner)
    with app.app_context():
        amina = Participant(study_id=study_id, pseudonym="Amina", pseudonym_key="amina")
        db.session.add(amina)
        db.session.commit()
        amina_id = amina.id
    login(client, "owner@example.org")
    text = "## 5. Premier tour\n" + "".join(
        f"{'Amina' if i % 2 else 'Julien'}: Au guichet, tour numéro {i}.\n" for i in range(TURNS)
    )
    response = client.post(
        f"/studies/{study_id}/import/",
        data={"files": [(io.BytesIO(text.encode()), "long.md")], "language": "fr"},
        content_type="multipart/form-data",
    )
    assert response.status_code in {302, 303}, response.text[:2000]
    batch = response.location.split("?")[0].rstrip("/").rsplit("/", 1)[1]
    return study_id, amina_id, batch


def test_an_import_stopped_after_its_first_batch_and_retried_stores_one_copy(app, draft_batch):
    """Stop after batch 1, run again: one session with every turn, done, audited once."""
    study_id, amina_id, batch = draft_batch
    with app.app_context():
        user_id = db.session.execute(db.select(ImportDraft.user_id)).scalars().first()
        job = Job(
            study_id=study_id,
            kind=KIND,
            status=JobStatus.RUNNING,
            created_by_id=user_id,
            params={"batch": batch, "speakers": [f"p:{amina_id}"] * 2, "language": "fr"},
        )
        db.session.add(job)
        db.session.commit()
        job_id = job.id

        def progress(fraction: float, message: str = "") -> None:
            db.session.commit()  # as the queue's progress does
            if fraction > 0:
                raise Stopped

        with pytest.raises(Stopped):
            run_import(job, progress)
        db.session.rollback()
        stored = db.session.execute(db.select(GroupSession.id)).scalars().all()
        assert len(stored) == 1
        assert len(db.session.execute(db.select(Passage.id)).all()) == BATCH_TURNS
        db.session.commit()

        run(job_id)  # the retry

        job = db.session.get(Job, job_id)
        assert job.status == JobStatus.DONE and job.result["passages"] == TURNS
        sessions = db.session.execute(db.select(GroupSession.id)).scalars().all()
        assert sessions == job.result["sessions"] and stored[0] not in sessions
        assert len(db.session.execute(db.select(Passage.id)).all()) == TURNS
        audited = db.session.execute(
            db.select(AuditEvent.id).where(AuditEvent.action.like("%import%"))
        ).all()
        assert len(audited) == 1
        assert db.session.execute(db.select(ImportDraft)).first() is None
        assert db.session.get(Participant, amina_id) is not None

        run(job_id)  # a late duplicate delivery finds the job done and stores nothing
        assert len(db.session.execute(db.select(Passage.id)).all()) == TURNS

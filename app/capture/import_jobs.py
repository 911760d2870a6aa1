"""Storing a confirmed transcript import as a background job, in bounded transactions.

The mapping step (`imports.py`) checks every choice, creates the new participants it
names and enqueues "capture.import" with the draft batch, the choices by speaker
number (never the names of the file: they may be real names) and the ids of those new
participants. The job parses the drafts again and stores each file's turns
`BATCH_TURNS` at a time, one short transaction each (on SQLite a transaction holds
the write lock), so other members read and write between them however long the
file is. Each batch takes the session's lock and continues every phase after its last
stored place, as a passage added by hand does (`store_batch`), so the two never share one.

All or nothing, for the person who imports: on any failure the job deletes what it
stored (the sessions, and with them their passages and findings; the participants
created for it) and fails with a message; the drafts stay for another try. While it
runs, the new sessions are visible to the study's members and grow: hiding them
would need a state that every page of the study filters on, so the job page says
what is happening instead, and the result is only announced once all is stored.
If the process stops mid-import, the sessions it recorded on the row go: with RQ the
job runs again (app/jobs/queue.py, "Workers that die") and first deletes the sessions
of the earlier try, so a retried import ends with one copy, or, on its last try, RQ's
failure callback runs `undo`; in thread mode the restart marks the job failed and
`undo` removes them (`interrupt_abandoned_jobs`). The result is written in the last
transaction, with the import's audit events: a retry that finds it returns it.
"""

from __future__ import annotations

import time

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from analysis import detect_language
from analysis.pii import detect
from app.capture.formats import Turn, speakers
from app.capture.formats.markdown import speaker_key
from app.capture.passages import Speaker, parse_speaker
from app.capture.transcripts import (
    allocate_session_number,
    fold_text_turns,
    known_speakers,
    new_session,
    read_files,
    record_import,
    store_turns,
)
from app.jobs.queue import JobError, cleanup, handler
from app.models import GroupSession, ImportDraft, Job, JobStatus, Participant, Passage, Study
from app.platform.database import is_sqlite
from app.platform.edits import lock_parent
from app.platform.extensions import db
from app.platform.forms import ValidationError
from app.privacy.scan import ner_pipeline

KIND = "capture.import"
BATCH_TURNS = 250  # turns per transaction: ~0.1 s of write lock on this hardware
# A pause between transactions, on SQLite or when the job runs in the web process: waiting
# connections poll for the SQLite lock (the busy handler sleeps up to 100 ms between tries)
# and request threads wait for the interpreter lock; without it the job would take either
# back before they woke up, and they would wait for the whole import.
PAUSE = 0.1
NOT_A_SPEAKER = "text"


def batch_drafts(study_id: int, user_id: int | None, batch: str) -> list[ImportDraft]:
    """Return the uploaded files of one import batch of a user, in upload order."""
    return list(
        db.session.execute(
            db.select(ImportDraft)
            .filter_by(study_id=study_id, user_id=user_id, batch=batch)
            .order_by(ImportDraft.id)
        ).scalars()
    )


def batch_job(study_id: int, batch: str) -> Job | None:
    """Return the import job of a batch that is waiting, running or done, if any."""
    jobs = db.session.execute(
        db.select(Job)
        .filter_by(study_id=study_id, kind=KIND)
        .where(Job.status != JobStatus.FAILED)
        .order_by(Job.id.desc())
        .limit(50)
    ).scalars()
    return next((job for job in jobs if job.params.get("batch") == batch), None)


def choice_of(speaker: Speaker | None) -> str:
    """Write a mapped speaker as the choice string the job reads back."""
    if speaker is None:
        return NOT_A_SPEAKER
    if speaker.participant_id is not None:
        return f"p:{speaker.participant_id}"
    return f"f:{speaker.label}"


@handler(KIND)
def run_import(job: Job, progress) -> dict:
    """Parse the batch's drafts again and store them file by file, in bounded transactions."""
    if (job.result or {}).get("sessions"):  # an earlier try committed its last transaction
        return job.result
    try:
        _forget_earlier_try(job)
        study = db.session.get(Study, job.study_id)
        files, mapped = _read(job, study)
        return _store(job, study, files, mapped, progress)
    except Exception:
        db.session.rollback()
        undo(job)
        raise


def _forget_earlier_try(job: Job) -> None:
    """Delete the sessions an earlier try of this job stored; keep its new participants.

    The participants were created by the mapping step, which the speaker choices name.
    """
    if job.params.get("sessions"):
        _delete_sessions(job)
        job.params = {k: v for k, v in job.params.items() if k != "sessions"}
        db.session.commit()


def _delete_sessions(job: Job) -> None:
    # Passages, their revisions, codings and findings go with them (ON DELETE CASCADE).
    db.session.execute(
        db.delete(GroupSession).where(
            GroupSession.id.in_(job.params.get("sessions") or []),
            GroupSession.study_id == job.study_id,
        )
    )


def _read(job: Job, study: Study) -> tuple[list, dict]:
    """Parse the drafts and read the mapping; no transaction stays open while parsing."""
    params = job.params
    drafts = batch_drafts(job.study_id, job.created_by_id, params["batch"])
    if not drafts:
        raise JobError(_("The uploaded files are gone (cancelled, or older than a day)."))
    files = [(d.filename, d.data) for d in drafts]
    default_phase = drafts[0].default_phase
    # As the mapping step read them: before it created the new participants.
    new = [db.session.get(Participant, i) for i in params.get("new_participants") or []]
    known = known_speakers(study) - {speaker_key(p.pseudonym) for p in new if p}
    db.session.commit()  # on SQLite a reading transaction holds the write lock
    try:
        parsed = read_files(files, default_phase=default_phase, known=known)
        del files, drafts
        names = speakers([turn for _name, turns in parsed for turn in turns])
        if len(names) != len(params["speakers"]):
            raise JobError(_("The uploaded files changed since the mapping; map them again."))
        mapped = {
            name: None if choice == NOT_A_SPEAKER else parse_speaker(study.id, choice)
            for name, choice in zip(names, params["speakers"], strict=True)
        }
        db.session.commit()
        return fold_text_turns(parsed, mapped), mapped
    except ValidationError as error:
        raise JobError(error.message) from error


def _store(job: Job, study: Study, files, mapped, progress) -> dict:
    total = sum(len(turns) for _name, turns in files) or 1
    language, default = job.params.get("language"), study.language
    db.session.commit()  # what follows is long and needs no database
    languages = [
        language or detect_language(" ".join(t.text for t in turns), default=default)
        for _name, turns in files
    ]
    for each in set(languages):  # load the detectors now, not while holding the write lock
        detect("", language=each, nlp=ner_pipeline(each))
    number = allocate_session_number(study.id)
    sessions = []
    for (_name, turns), each in zip(files, languages, strict=True):
        sessions.append(new_session(study, number, turns, mapped, language=each).id)
        number += 1
    # Written down with the sessions, so `undo` finds them even after a crash.
    job.params = {**job.params, "sessions": sessions}
    progress(0.0, _("Storing the turns"))
    in_process = current_app.config.get("JOBS_MODE", "thread") == "thread"
    pause = PAUSE if is_sqlite(current_app) or in_process else 0
    done = 0
    for session_id, (_name, turns) in zip(sessions, files, strict=True):
        for start in range(0, len(turns), BATCH_TURNS):
            store_batch(session_id, turns[start : start + BATCH_TURNS], mapped)
            done += len(turns[start : start + BATCH_TURNS])
            # The session keeps no list of the passages (store_turns links them by id) and
            # its identity map holds objects weakly: memory stays at one batch.
            progress(done / total, _("%(done)d of %(total)d turns stored", done=done, total=total))
            if pause:
                time.sleep(pause)
    for session_id, (name, turns) in zip(sessions, files, strict=True):
        group_session = db.session.get(GroupSession, session_id)
        record_import(group_session, passages=len(turns), filename=name, user_id=job.created_by_id)
    for draft in batch_drafts(study.id, job.created_by_id, job.params["batch"]):
        db.session.delete(draft)
    job.result = {
        "endpoint": "group_sessions.overview",
        "args": {"study_id": study.id, "session_id": sessions[0]},
        "sessions": sessions,
        "passages": done,
    }
    db.session.commit()
    return job.result


def store_batch(session_id: int, turns: list[Turn], mapped: dict[str, Speaker | None]) -> None:
    """Store one batch of a file's turns, each phase's after what the session holds now.

    The session is visible, and editable, from the transaction that created it, and each
    batch is committed on its own: between batches (or during one) a facilitator may add
    a passage, split or merge one, or edit one into another phase. All of these take the
    session's lock and give "the last place + 1"; so does each batch, reading the last
    place of every phase under that lock instead of counting its own turns, or its next
    turn would share a place with the hand-made one (PostgreSQL's READ COMMITTED would
    let both commit). So a passage added by hand while a file is imported comes after
    every turn of its phase stored by then, and the import's later turns of that phase
    come after it: the record's order is the order of the saves, never ambiguous, and
    the passage can be moved. Refusing edits until the job ends was the alternative;
    it would need a check in every edit path and keep the facilitator waiting.
    """
    lock_parent(GroupSession, session_id)
    last = db.session.execute(
        db.select(Passage.phase, func.max(Passage.position))
        .filter_by(group_session_id=session_id)
        .group_by(Passage.phase)
    ).all()
    group_session = db.session.get(GroupSession, session_id)
    store_turns(group_session, turns, mapped, {phase: position for phase, position in last})


@cleanup(KIND)
def undo(job: Job) -> None:
    """Delete what a failed import stored: its sessions, then the participants made for it."""
    if job.params.get("sessions"):
        _delete_sessions(job)
    db.session.commit()
    created = job.params.get("new_participants") or []
    speaking = db.select(Passage.participant_id).where(Passage.participant_id.in_(created))
    for participant_id in created:
        try:  # one that speaks elsewhere by now, or proposed a story, stays
            with db.session.begin_nested():
                db.session.execute(
                    db.delete(Participant).where(
                        Participant.id == participant_id,
                        Participant.study_id == job.study_id,
                        Participant.id.not_in(speaking),
                    )
                )
        except IntegrityError:
            continue
    db.session.commit()

"""A session still being imported, edited by hand: every passage keeps a place of its own.

An import job commits the session first, then its turns batch by batch (import_jobs.py),
so the session can be edited between and during batches. A passage added by hand comes
after every turn of its phase stored by then; the import's later turns come after it.
"""

from __future__ import annotations

import pytest

from app.capture.formats import parse_transcript
from app.capture.import_jobs import BATCH_TURNS, KIND, run_import, store_batch
from app.capture.joins import split_passage
from app.capture.passages import Speaker, add_passage
from app.models import (
    GroupSession,
    ImportDraft,
    Job,
    JobStatus,
    Passage,
    SessionStatus,
    SpeakerKind,
)
from app.platform.extensions import db
from tests.app.capture.test_import_retry import TURNS as FILE_TURNS
from tests.app.capture.test_import_retry import draft_batch  # noqa: F401 (a fixture)
from tests.conftest import while_held

ANIMATRICE = Speaker(SpeakerKind.FACILITATOR, None, "Animatrice")
MAPPED = {"Animatrice": ANIMATRICE}
TURNS = parse_transcript(
    (
        "## 5. Premier tour\n"
        + "".join(f"Animatrice: Tour numéro {i}.\n" for i in range(1, 5))
        + "## 6. Deuxième tour\nAnimatrice: Et maintenant ?\n"
    ).encode(),
    "long.md",
)


@pytest.fixture
def importing(app, make_user, make_study):
    """A session an import created and stored its first batch of (two phase-5 turns) in."""
    owner = make_user("owner@example.org")
    study_id = make_study(owner)
    with app.app_context():
        group_session = GroupSession(
            study_id=study_id, number=1, language="fr", status=SessionStatus.TRANSCRIBED
        )
        db.session.add(group_session)
        db.session.commit()
        store_batch(group_session.id, TURNS[:2], MAPPED)
        db.session.commit()
        return {"session": group_session.id, "owner": owner}


def _add(importing, text: str) -> None:
    """Add a passage by hand at the end of phase 5 (in the current transaction)."""
    group_session = db.session.get(GroupSession, importing["session"])
    add_passage(group_session, 5, ANIMATRICE, text, user_id=importing["owner"])


def _next_batch(app, importing):
    """The import's next batch, in a transaction of its own (as the job commits it)."""

    def run():
        with app.app_context():
            store_batch(importing["session"], TURNS[2:], MAPPED)
            db.session.commit()

    return run


def _record(app, importing) -> list[tuple[int, int, str]]:
    """The session as the record orders it: (phase, place, text)."""
    with app.app_context():
        rows = db.session.execute(
            db.select(Passage.phase, Passage.position, Passage.text)
            .filter_by(group_session_id=importing["session"])
            .order_by(Passage.phase, Passage.position, Passage.id)
        ).all()
        return [tuple(row) for row in rows]


def _tours(*numbers: int) -> list[str]:
    return [f"Tour numéro {i}." for i in numbers]


def _assert_places_1_to_n(record) -> None:
    """Each phase's places are 1, 2, … n: none shared, none skipped."""
    for phase in {phase for phase, _place, _text in record}:
        places = [place for each, place, _text in record if each == phase]
        assert places == list(range(1, len(places) + 1)), (phase, places)


def test_a_passage_added_between_two_import_batches_comes_before_the_second(app, importing):
    """A facilitator adds a passage after the first batch is stored: it takes place 3 and
    the import's next turns of that phase follow it at 4 and 5; all are kept."""
    with app.app_context():
        _add(importing, "Ajouté à la main.")
        db.session.commit()
    _next_batch(app, importing)()
    record = _record(app, importing)
    _assert_places_1_to_n(record)
    assert [text for phase, _place, text in record if phase == 5] == [
        *_tours(1, 2),
        "Ajouté à la main.",
        *_tours(3, 4),
    ]
    assert record[-1] == (6, 1, "Et maintenant ?")


def test_a_batch_starting_while_a_passage_is_added_waits_and_comes_after_it(app, importing):
    """The hand-made passage is being saved when the next batch starts: the batch waits for
    it and continues the phase after it (PostgreSQL: it would otherwise read place 2 as the
    last and store a turn at place 3 too)."""
    while_held(app, lambda: _add(importing, "Ajouté à la main."), _next_batch(app, importing))
    record = _record(app, importing)
    _assert_places_1_to_n(record)
    assert [text for phase, _place, text in record if phase == 5][2] == "Ajouté à la main."
    assert len(record) == len(TURNS) + 1


def test_a_passage_added_while_a_batch_is_stored_comes_after_the_batch(app, importing):
    """The other way round: the batch is being stored when a facilitator adds a passage;
    the passage waits for the batch and comes after its turns."""
    while_held(
        app,
        lambda: store_batch(importing["session"], TURNS[2:], MAPPED),
        lambda: _committed_add(app, importing),
    )
    record = _record(app, importing)
    _assert_places_1_to_n(record)
    assert [text for phase, _place, text in record if phase == 5] == [
        *_tours(1, 2, 3, 4),
        "Ajouté à la main.",
    ]


def _committed_add(app, importing) -> None:
    with app.app_context():
        _add(importing, "Ajouté à la main.")
        db.session.commit()


def test_a_batch_stored_while_a_passage_is_split_comes_after_both_halves(app, importing):
    """A split gives the phase one more place while the import's next batch starts: the
    batch continues after the split's last place."""

    def split():
        passage = db.session.execute(
            db.select(Passage).filter_by(group_session_id=importing["session"], position=1)
        ).scalar_one()
        split_passage(passage, passage.text.index("numéro"), version=1, user_id=None)

    while_held(app, split, _next_batch(app, importing))
    record = _record(app, importing)
    _assert_places_1_to_n(record)
    assert [text for phase, _place, text in record if phase == 5] == [
        "Tour",
        "numéro 1.",
        *_tours(2, 3, 4),
    ]


def test_an_import_job_stores_its_next_batches_after_a_passage_added_by_hand(
    app,
    draft_batch,  # noqa: F811 (the fixture imported above)
):
    """The job itself: a facilitator adds a passage once the first batch is stored; the job
    ends with every turn and that passage, each at a place of its own, none skipped."""
    study_id, amina_id, batch = draft_batch
    with app.app_context():
        job = Job(
            study_id=study_id,
            kind=KIND,
            status=JobStatus.RUNNING,
            created_by_id=db.session.execute(db.select(ImportDraft.user_id)).scalar(),
            params={"batch": batch, "speakers": [f"p:{amina_id}"] * 2, "language": "fr"},
        )
        db.session.add(job)
        db.session.commit()
        added = []

        def progress(fraction: float, message: str = "") -> None:
            db.session.commit()  # as the queue's progress does
            if fraction > 0 and not added:  # between the first batch and the second
                group_session = db.session.get(GroupSession, job.params["sessions"][0])
                added.append(add_passage(group_session, 5, ANIMATRICE, "À la main.", user_id=None))
                db.session.commit()

        result = run_import(job, progress)
        importing = {"session": result["sessions"][0]}
    record = _record(app, importing)
    _assert_places_1_to_n(record)
    assert len(record) == FILE_TURNS + 1
    assert record[BATCH_TURNS] == (5, BATCH_TURNS + 1, "À la main.")

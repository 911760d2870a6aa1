"""Places and numbers given as "the last one + 1" while another request gives one too.

Each test holds a first save open (read, written, not committed) while a second one starts,
then commits: the second must wait and count after the first, as a user would expect.
"""

from __future__ import annotations

import pytest

from app.capture.formats import parse_transcript
from app.capture.group_sessions import save_group_session, session_fields
from app.capture.joins import split_passage
from app.capture.passages import Speaker, add_passage, edit_passage
from app.capture.transcripts import import_sessions
from app.models import GroupSession, Passage, SpeakerKind, Study
from app.platform.extensions import db
from tests.conftest import login, while_held

ANIMATRICE = Speaker(SpeakerKind.FACILITATOR, None, "Animatrice")
WELCOME = "Bienvenue au cinquième tour. Qui commence ?"
STORY = "Une dame est venue au CPAS."


@pytest.fixture
def session(app, client, make_user, make_study):
    """A session with one passage in phase 5 and one in phase 3; its owner is logged in."""
    owner = make_user("owner@example.org")
    study_id = make_study(owner)
    with app.app_context():
        group_session = GroupSession(study_id=study_id, number=1, language="fr")
        passages = [
            Passage(
                group_session=group_session,
                phase=phase,
                position=1,
                speaker_kind=SpeakerKind.FACILITATOR,
                speaker_label="Animatrice",
                text=text,
            )
            for phase, text in ((5, WELCOME), (3, STORY))
        ]
        db.session.add_all([group_session, *passages])
        db.session.commit()
        ids = {"study": study_id, "session": group_session.id, "owner": owner}
        ids["welcome"], ids["story"] = (passage.id for passage in passages)
    login(client, "owner@example.org")
    ids["base"] = f"/studies/{study_id}/sessions/{ids['session']}"
    return ids


def _add(session, text: str, **extra) -> tuple[int, bool]:
    """Add a passage by the facilitator at the end of phase 5 (in the current transaction)."""
    group_session = db.session.get(GroupSession, session["session"])
    passage, created = add_passage(
        group_session, 5, ANIMATRICE, text, user_id=session["owner"], **extra
    )
    return passage.id, created


def _move_story_to_phase_5(session) -> None:
    """Edit the phase-3 passage into phase 5 (in the current transaction)."""
    passage = db.session.get(Passage, session["story"])
    edit_passage(
        passage,
        version=passage.version,
        text=passage.text,
        speaker=ANIMATRICE,
        phase=5,
        user_id=session["owner"],
    )


def _committed(app, action):
    """Return a function running `action` in a transaction of its own, then committing."""

    def run():
        with app.app_context():
            result = action()
            db.session.commit()
            return result

    return run


def _phase_5(app, session) -> list[tuple[int, str]]:
    """The phase as the record orders it (reports, exports, the coding view): (place, text)."""
    with app.app_context():
        rows = db.session.execute(
            db.select(Passage.position, Passage.text)
            .filter_by(group_session_id=session["session"], phase=5)
            .order_by(Passage.position, Passage.id)
        ).all()
        return [tuple(row) for row in rows]


def test_two_passages_added_to_one_phase_at_once_get_places_of_their_own(app, session):
    """Two facilitators capture in one phase at the same moment: both passages are kept,
    in the order they were saved, at places 2 and 3 (none shared, none skipped)."""
    second = while_held(
        app, lambda: _add(session, "Premier."), _committed(app, lambda: _add(session, "Second."))
    )
    assert second[1] is True
    assert _phase_5(app, session) == [(1, WELCOME), (2, "Premier."), (3, "Second.")]


def test_a_passage_added_while_another_is_moved_into_the_phase_comes_after_it(app, session):
    """An edit moves a passage into phase 5 while a contribution is captured there: the
    moved passage and the new one each get their own place at the end."""
    while_held(
        app,
        lambda: _move_story_to_phase_5(session),
        _committed(app, lambda: _add(session, "Merci.")),
    )
    assert _phase_5(app, session) == [(1, WELCOME), (2, STORY), (3, "Merci.")]


def test_a_passage_moved_into_the_phase_while_another_is_added_comes_after_it(app, session):
    """The other way round: the capture is being saved when the edit moves a passage in."""
    while_held(
        app,
        lambda: _add(session, "Merci."),
        _committed(app, lambda: _move_story_to_phase_5(session)),
    )
    assert _phase_5(app, session) == [(1, WELCOME), (2, "Merci."), (3, STORY)]


def test_a_passage_added_while_the_phase_is_split_comes_after_both_halves(app, session):
    """A split spreads the phase's places out and takes one for its second half: a
    contribution captured meanwhile waits for it and comes last."""

    def split():
        passage = db.session.get(Passage, session["welcome"])
        offset = WELCOME.index(" Qui")
        split_passage(passage, offset, version=passage.version, user_id=session["owner"])

    while_held(app, split, _committed(app, lambda: _add(session, "Moi.")))
    assert _phase_5(app, session) == [
        (1, "Bienvenue au cinquième tour."),
        (2, "Qui commence ?"),
        (3, "Moi."),
    ]


def test_one_contribution_sent_twice_at_once_is_stored_once(app, client, session):
    """Live capture resends a contribution (same client key) while the first send is being
    saved: the resend answers with the stored passage, and the transcript holds it once."""
    first = {}

    def send():
        first["id"], first["created"] = _add(session, "Merci à tous.", client_key="k1")

    def resend():
        return client.post(
            f"{session['base']}/live/contributions",
            json={
                "client_key": "k1",
                "phase": 5,
                "speaker": "f:Animatrice",
                "text": "Merci à tous.",
            },
        )

    answer = while_held(app, send, resend)
    assert not isinstance(answer, Exception), answer  # a server error, before the lock
    assert answer.status_code == 200
    assert answer.get_json()["created"] is False and answer.get_json()["id"] == first["id"]
    assert _phase_5(app, session) == [(1, WELCOME), (2, "Merci à tous.")]


def _save_session_2(session) -> None:
    fields = session_fields({"number": "2", "language": "fr", "status": "planned"})
    save_group_session(session["study"], fields, user_id=session["owner"])


def _numbers(app, session) -> list[int]:
    with app.app_context():
        return list(
            db.session.execute(
                db.select(GroupSession.number)
                .filter_by(study_id=session["study"])
                .order_by(GroupSession.number)
            ).scalars()
        )


def test_two_sessions_saved_with_one_number_at_once_the_second_is_told(app, client, session):
    """Two facilitators create session 2 at the same moment: one is saved, the other form
    comes back (422) saying the number is taken, never a server error."""

    def post():
        data = {"number": "2", "language": "fr", "status": "planned"}
        return client.post(f"/studies/{session['study']}/sessions/new", data=data)

    answer = while_held(app, lambda: _save_session_2(session), post)
    assert not isinstance(answer, Exception), answer  # a server error, before the lock
    assert answer.status_code == 422
    assert b"already has a session with this number" in answer.data
    assert _numbers(app, session) == [1, 2]


def test_an_import_while_a_session_is_saved_numbers_its_session_after_it(app, session):
    """A transcript imported while session 2 is being created becomes session 3."""

    def import_one():
        turns = parse_transcript(b"## 1. Propositions\nAnimatrice: Bonjour.\n", "s.md")
        study = db.session.get(Study, session["study"])
        (stored,) = import_sessions(
            study, [("s.md", turns)], {"Animatrice": ANIMATRICE}, language="fr", user_id=None
        )
        return stored.number

    number = while_held(app, lambda: _save_session_2(session), _committed(app, import_one))
    assert number == 3
    assert _numbers(app, session) == [1, 2, 3]

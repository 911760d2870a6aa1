"""Feedback appears where the user is looking, also after a jump down a long page."""

from __future__ import annotations

import pytest

from app.models import GroupSession, Participant, Passage, SpeakerKind
from app.platform.extensions import db
from tests.browser.conftest import log_in


@pytest.fixture
def long_session(app, live_server, make_user, make_study):
    """A session with 40 passages; the last two, in phase 7, have different speakers."""
    owner = make_user("owner@example.org")
    study_id = make_study(owner)
    with app.app_context():
        group_session = GroupSession(study_id=study_id, number=1, language="fr")
        sophie = Participant(study_id=study_id, pseudonym="Sophie", pseudonym_key="sophie")
        db.session.add_all([group_session, sophie])
        db.session.flush()
        for position in range(1, 39):
            db.session.add(
                Passage(
                    group_session_id=group_session.id,
                    phase=5,
                    position=position,
                    speaker_kind=SpeakerKind.PARTICIPANT,
                    participant_id=sophie.id,
                    text=f"Interprétation numéro {position}, assez longue pour remplir une ligne.",
                )
            )
        db.session.add(
            Passage(
                group_session_id=group_session.id,
                phase=7,
                position=1,
                speaker_kind=SpeakerKind.PARTICIPANT,
                participant_id=sophie.id,
                text="Deuxième tour, Sophie.",
            )
        )
        last = Passage(
            group_session_id=group_session.id,
            phase=7,
            position=2,
            speaker_kind=SpeakerKind.FACILITATOR,
            speaker_label="Animatrice",
            text="Deuxième tour, l'animatrice.",
        )
        db.session.add(last)
        db.session.commit()
        return f"{live_server}/studies/{study_id}/sessions/{group_session.id}"


def _in_view(page, selector: str) -> bool:
    return page.evaluate(
        """(selector) => {
            const box = document.querySelector(selector).getBoundingClientRect();
            return box.height > 0 && box.top >= 0 && box.bottom <= window.innerHeight;
        }""",
        selector,
    )


def test_a_refused_merge_far_down_the_page_is_shown_in_view(page, live_server, long_session):
    """Merging passages of two speakers is refused, and the message is on screen."""
    log_in(page, live_server, "owner@example.org")
    page.goto(long_session)
    merge = page.locator("#phase-7 button", has_text="Merge with the next passage").first
    merge.scroll_into_view_if_needed()
    merge.click()
    page.wait_for_selector(".flash-error")
    assert "same speaker" in page.inner_text(".flash-error")
    assert page.evaluate("() => window.scrollY") > 200  # the page jumped down to the passage
    assert _in_view(page, ".flash-error")

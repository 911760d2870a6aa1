"""Live capture in a real browser: keyboard-only rounds, reloads and a network drop."""

from __future__ import annotations

import pytest

from app.models import GroupSession, Participant, Passage
from app.platform.extensions import db
from tests.browser.conftest import log_in


@pytest.fixture
def live_url(app, live_server, make_user, make_study):
    """A session with three seated participants; the owner captures."""
    owner = make_user("owner@example.org")
    study_id = make_study(owner)
    with app.app_context():
        group_session = GroupSession(study_id=study_id, number=1, language="nl")
        people = [
            Participant(study_id=study_id, pseudonym=name, pseudonym_key=name.lower())
            for name in ("Sanne", "Bram", "Élodie")
        ]
        db.session.add_all([group_session, *people])
        db.session.flush()
        group_session.seating = [people[1].id, people[2].id, people[0].id]  # Bram, Élodie, Sanne
        db.session.commit()
        return f"{live_server}/studies/{study_id}/sessions/{group_session.id}/live?phase=5"


def _stored(app) -> list[tuple[int, str, str]]:
    with app.app_context():
        passages = (
            db.session.execute(db.select(Passage).order_by(Passage.position, Passage.id))
            .scalars()
            .all()
        )
        return [(p.phase, p.speaker_name, p.text) for p in passages]


def test_three_contributions_by_keyboard_survive_a_reload(page, app, live_server, live_url):
    """Typing three interpretations with Ctrl+Enter stores them in seating order."""
    log_in(page, live_server, "owner@example.org")
    page.goto(live_url)
    assert page.locator("#speaker-facilitator").count() == 1
    texts = ["Het gaat over vertrouwen.", "Ik zie vooral uitbesteding.", "Ça touche au rôle."]
    for text in texts:
        page.keyboard.type(text)
        page.keyboard.press("Control+Enter")
    page.wait_for_function("() => !document.querySelector('#captured .pending')")
    page.reload()
    captured = page.locator("#captured li").all_inner_texts()
    assert captured == [f"Bram: {texts[0]}", f"Élodie: {texts[1]}", f"Sanne: {texts[2]}"]
    assert _stored(app) == [(5, "Bram", texts[0]), (5, "Élodie", texts[1]), (5, "Sanne", texts[2])]
    assert page.locator(".queue li.spoken").count() == 3


def test_contribution_typed_offline_is_kept_and_sent_later(page, app, live_server, live_url):
    """With the network down, the contribution waits in the browser and is saved once back."""
    log_in(page, live_server, "owner@example.org")
    page.goto(live_url)
    page.context.set_offline(True)
    page.keyboard.type("Gezegd tijdens een netwerkonderbreking.")
    page.keyboard.press("Control+Enter")
    page.wait_for_function(
        "() => document.getElementById('live-status').textContent.includes('(1)')"
    )
    assert _stored(app) == []
    page.keyboard.type("Half getypte zin")
    page.context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    page.wait_for_function("() => !document.querySelector('#captured .pending')")
    assert _stored(app) == [(5, "Bram", "Gezegd tijdens een netwerkonderbreking.")]
    page.reload()
    assert page.input_value("#live-text") == "Half getypte zin"  # the draft survived


def test_resending_the_same_contribution_stores_it_once(page, app, live_server, live_url):
    """Saving is idempotent: the same client key posted twice makes one passage."""
    log_in(page, live_server, "owner@example.org")
    page.goto(live_url)
    statuses = page.evaluate("""async () => {
        const root = document.getElementById('live-root');
        const body = JSON.stringify({client_key: 'abc123', phase: 5,
            speaker: document.querySelector('input[name=speaker]').value, text: 'Eén keer.'});
        const send = () => fetch(root.dataset.post, {method: 'POST', body,
            headers: {'Content-Type': 'application/json', 'X-CSRFToken': root.dataset.csrf}});
        return [(await send()).status, (await send()).status];
    }""")
    assert statuses == [201, 200]
    assert len(_stored(app)) == 1


def test_the_narrator_keeps_the_floor_in_the_narrative(page, app, live_server, live_url):
    """In phase 3 each Ctrl+Enter stores the next chunk of the story under the narrator."""
    from app.models import Narrative

    with app.app_context():
        group_session = db.session.execute(db.select(GroupSession)).scalar_one()
        elodie = db.session.execute(db.select(Participant).filter_by(pseudonym="Élodie"))
        elodie_id = elodie.scalar_one().id
        db.session.add(
            Narrative(
                group_session_id=group_session.id,
                proposer_id=elodie_id,
                narrator_id=elodie_id,
                title="De app",
                is_chosen=True,
            )
        )
        db.session.commit()
    log_in(page, live_server, "owner@example.org")
    page.goto(live_url.replace("phase=5", "phase=3"))
    assert page.is_checked(f"#speaker-{elodie_id}")
    chunks = ["Het begon met een brief.", "Daarna moest ze de app downloaden."]
    for chunk in chunks:
        page.keyboard.type(chunk)
        page.keyboard.press("Control+Enter")
    page.wait_for_function("() => !document.querySelector('#captured .pending')")
    assert _stored(app) == [(3, "Élodie", chunks[0]), (3, "Élodie", chunks[1])]
    assert page.is_checked(f"#speaker-{elodie_id}")


def test_a_typed_facilitator_label_becomes_a_choice(page, app, live_server, live_url):
    """ "Begeleider Sara" typed once is stored as the speaker and offered after a reload."""
    log_in(page, live_server, "owner@example.org")
    page.goto(live_url.replace("phase=5", "phase=1"))
    assert page.get_attribute("#speaker-facilitator", "value") == "f:Begeleider"
    page.check("#speaker-facilitator-new")
    page.fill("#facilitator-label", "Begeleider Sara")
    page.click("#live-text")
    page.keyboard.type("Wie wil beginnen?")
    page.keyboard.press("Control+Enter")
    page.wait_for_function("() => !document.querySelector('#captured .pending')")
    assert _stored(app) == [(1, "Begeleider Sara", "Wie wil beginnen?")]
    page.reload()
    assert page.get_attribute("#speaker-facilitator", "value") == "f:Begeleider Sara"

"""Live capture: the session's group, its facilitator labels, and the phase it opens on."""

from __future__ import annotations

import pytest

from app.models import GroupSession, Narrative, Participant, Passage, SpeakerKind
from app.platform.extensions import db
from tests.conftest import login


@pytest.fixture
def groups(app, client, make_user, make_study):
    """A study with a Dutch group (Sanne, Bram) and a French group (Élodie, Marc)."""
    owner = make_user("owner@example.org")
    study_id = make_study(owner)
    with app.app_context():
        people = {
            name: Participant(study_id=study_id, pseudonym=name, pseudonym_key=name.lower())
            for name in ("Sanne", "Bram", "Élodie", "Marc")
        }
        db.session.add_all(people.values())
        db.session.commit()
        ids = {name: p.id for name, p in people.items()}
    login(client, "owner@example.org")
    return {"id": study_id, **ids}


def _new_session(client, groups, members, language="nl", number=1) -> int:
    response = client.post(
        f"/studies/{groups['id']}/sessions/new",
        data={"number": str(number), "language": language, "status": "planned", "members": members},
    )
    assert response.status_code == 302, response.text
    return int(response.location.rstrip("/").rsplit("/", 1)[-1])


def _queue(page: str) -> list[str]:
    return [
        line.split(">", 1)[1].split("<", 1)[0]
        for line in page.splitlines()
        if '<label for="speaker-' in line and "speaker-facilitator" not in line
    ]


def test_the_queue_lists_the_sessions_group_not_the_whole_study(client, app, groups):
    """A Dutch session created with Sanne and Bram lists them, never the French group."""
    session_id = _new_session(client, groups, [str(groups["Bram"]), str(groups["Sanne"])])
    page = client.get(f"/studies/{groups['id']}/sessions/{session_id}/live?phase=5")
    assert page.status_code == 200
    assert sorted(_queue(page.text)) == ["Bram", "Sanne"]
    with app.app_context():
        group_session = db.session.get(GroupSession, session_id)
        assert set(group_session.seating) == {groups["Bram"], groups["Sanne"]}
    edit = client.get(f"/studies/{groups['id']}/sessions/{session_id}/edit")
    assert f'id="member-{groups["Bram"]}" name="members" value="{groups["Bram"]}" checked' in (
        edit.text
    )


def test_a_session_without_a_group_lists_its_speakers_only(client, app, groups):
    """An older session without a group falls back to who speaks in it, not to everyone."""
    session_id = _new_session(client, groups, [])
    with app.app_context():
        db.session.add(
            Passage(
                group_session_id=session_id,
                phase=1,
                position=1,
                speaker_kind=SpeakerKind.PARTICIPANT,
                participant_id=groups["Marc"],
                text="Un récit.",
            )
        )
        db.session.commit()
    page = client.get(f"/studies/{groups['id']}/sessions/{session_id}/live?phase=5")
    assert _queue(page.text) == ["Marc"]


def test_a_new_empty_session_opens_on_phase_one(client, groups):
    """Live capture without a phase opens on phase 1 for an empty session."""
    session_id = _new_session(client, groups, [str(groups["Sanne"])])
    page = client.get(f"/studies/{groups['id']}/sessions/{session_id}/live")
    assert 'data-phase="1"' in page.text
    assert '<option value="1" selected>' in page.text


def test_facilitator_labels_are_the_sessions_and_in_its_language(client, app, groups):
    """Labels come from the session (typed ones too), else in the session's language."""
    session_id = _new_session(client, groups, [str(groups["Sanne"])])
    base = f"/studies/{groups['id']}/sessions/{session_id}/live"
    page = client.get(f"{base}?phase=1", headers={"Accept-Language": "fr"})
    assert 'value="f:Begeleider"' in page.text and "f:Animat" not in page.text
    response = client.post(
        f"{base}/contributions",
        data={
            "phase": "1",
            "speaker": "f:",
            "facilitator_label": "Begeleider Sara",
            "text": "Wie wil beginnen?",
        },
    )
    assert response.status_code == 302
    page = client.get(f"{base}?phase=1")
    assert 'value="f:Begeleider Sara"' in page.text and 'value="f:Begeleider"' not in page.text
    with app.app_context():
        passage = db.session.execute(db.select(Passage)).scalar_one()
        assert passage.speaker_label == "Begeleider Sara"


def test_the_narrator_stays_selected_in_phases_three_and_six(client, app, groups):
    """In the narrative and the narrator's reaction the narrator is selected, spoken or not."""
    session_id = _new_session(client, groups, [str(groups["Sanne"]), str(groups["Bram"])])
    with app.app_context():
        db.session.add(
            Narrative(
                group_session_id=session_id,
                proposer_id=groups["Bram"],
                narrator_id=groups["Bram"],
                title="De brief",
                is_chosen=True,
            )
        )
        db.session.commit()
    base = f"/studies/{groups['id']}/sessions/{session_id}/live"
    for phase in (3, 6):
        client.post(
            f"{base}/contributions",
            data={"phase": str(phase), "speaker": f"p:{groups['Bram']}", "text": "Eerste deel."},
        )
        page = client.get(f"{base}?phase={phase}")
        assert f'value="p:{groups["Bram"]}" form="live-form" checked' in page.text
        assert 'data-keep-speaker="1"' in page.text
    page = client.get(f"{base}?phase=5")
    assert 'data-keep-speaker=""' in page.text


def test_an_import_sets_the_group_of_each_session(client, app, groups):
    """The participants a transcript's speakers map to become that session's group."""
    import io

    text = "## 1. Voorstellen\nSanne: Een verhaal.\nBram: Nog een.\n"
    response = client.post(
        f"/studies/{groups['id']}/import/",
        data={"files": [(io.BytesIO(text.encode()), "s.md")], "language": "nl"},
        content_type="multipart/form-data",
    )
    response = client.post(
        response.location,
        data={"language": "nl", "map-0": f"p:{groups['Sanne']}", "map-1": f"p:{groups['Bram']}"},
    )
    assert response.status_code == 303  # to the import job's page
    with app.app_context():
        from app.jobs.queue import wait

        assert wait(int(response.location.rsplit("/", 1)[1])).status.value == "done"
        group_session = db.session.execute(db.select(GroupSession)).scalar_one()
        assert group_session.seating == [groups["Sanne"], groups["Bram"]]


def test_story_proposals_offer_the_sessions_group(client, groups):
    """ "Proposed by" lists the session's group, not the other group of the study."""
    session_id = _new_session(client, groups, [str(groups["Sanne"]), str(groups["Bram"])])
    page = client.get(f"/studies/{groups['id']}/sessions/{session_id}").text
    select = page.split('id="proposer-new"', 1)[1].split("</select>", 1)[0]
    assert ">Sanne<" in select and ">Bram<" in select
    assert ">Élodie<" not in select and ">Marc<" not in select


def test_a_stale_session_form_is_refused_with_both_versions(client, app, groups):
    """Two people edit one session: the later save from the older form is 409, the first stays."""
    session_id = _new_session(client, groups, [str(groups["Sanne"])])
    url = f"/studies/{groups['id']}/sessions/{session_id}/edit"
    assert 'name="version" value="1"' in client.get(url).text
    form = {"number": "1", "language": "nl", "status": "planned", "version": "1"}
    first = client.post(url, data={**form, "place": "Anderlecht", "members": [groups["Sanne"]]})
    assert first.status_code == 302
    second = client.post(url, data={**form, "title": "Eerste cyclus", "members": [groups["Bram"]]})
    assert second.status_code == 409
    assert "Someone else saved this while you were editing" in second.text
    assert "Anderlecht" in second.text and "Eerste cyclus" in second.text
    assert 'name="version" value="2"' in second.text
    with app.app_context():
        group_session = db.session.get(GroupSession, session_id)
        assert (group_session.place, group_session.title) == ("Anderlecht", "")
        assert group_session.seating == [groups["Sanne"]]


def test_a_stale_seating_form_is_refused_with_both_orders(client, app, groups):
    """The live page's seating saved from an older page is 409; the saved order stays."""
    session_id = _new_session(client, groups, [str(groups["Sanne"]), str(groups["Bram"])])
    base = f"/studies/{groups['id']}/sessions/{session_id}"
    assert 'name="version" value="1"' in client.get(f"{base}/live?phase=5").text
    sanne, bram = f"seat-{groups['Sanne']}", f"seat-{groups['Bram']}"
    first = client.post(
        f"{base}/live/seating", data={"phase": "5", "version": "1", bram: "1", sanne: "2"}
    )
    assert first.status_code == 302
    second = client.post(
        f"{base}/live/seating", data={"phase": "5", "version": "1", sanne: "1", bram: "2"}
    )
    assert second.status_code == 409
    assert "Bram, Sanne" in second.text and "Sanne, Bram" in second.text
    with app.app_context():
        assert db.session.get(GroupSession, session_id).seating == [groups["Bram"], groups["Sanne"]]

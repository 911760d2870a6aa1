"""Editing transcripts: add, edit with conflicts and codings, move, split, merge."""

from __future__ import annotations

import html
import re
import threading
import time

import pytest

from app.models import (
    Coding,
    GroupSession,
    Participant,
    Passage,
    PassageRevision,
    SpeakerKind,
    Theme,
    User,
)
from app.platform.extensions import db
from tests.conftest import login

TEXT = "Le CPAS a fermé le guichet. Ma voisine a dû tout faire sur itsme. Elle a abandonné."


@pytest.fixture
def session(app, client, make_user, make_study, add_member):
    """A session with one coded passage; a facilitator is logged in."""
    owner = make_user("owner@example.org")
    study_id = make_study(owner)
    add_member(study_id, make_user("fac@example.org"), "facilitator")
    with app.app_context():
        group_session = GroupSession(study_id=study_id, number=1, language="fr")
        amina = Participant(study_id=study_id, pseudonym="Amina", pseudonym_key="amina")
        passage = Passage(
            group_session=group_session,
            phase=5,
            position=1,
            text=TEXT,
            speaker_kind=SpeakerKind.PARTICIPANT,
            participant=amina,
        )
        theme = db.session.execute(db.select(Theme).filter_by(key="outsourcing")).scalar_one()
        start = TEXT.index("fermé le guichet")
        coding = Coding(
            passage=passage,
            theme=theme,
            coder_id=owner,
            start_offset=start,
            end_offset=start + len("fermé le guichet"),
        )
        db.session.add_all([group_session, amina, passage, coding])
        db.session.commit()
        ids = {
            "study": study_id,
            "session": group_session.id,
            "passage": passage.id,
            "amina": amina.id,
            "coding": coding.id,
        }
    login(client, "fac@example.org")
    ids["base"] = f"/studies/{study_id}/sessions/{ids['session']}"
    return ids


def _passage(app, passage_id):
    with app.app_context():
        passage = db.session.get(Passage, passage_id)
        return passage.text, passage.version, [c.quote for c in passage.codings]


def _edit(client, s, text, version, **extra):
    return client.post(
        f"{s['base']}/passages/{s['passage']}/edit",
        data={
            "text": text,
            "version": version,
            "phase": "5",
            "speaker": f"p:{s['amina']}",
            **extra,
        },
    )


def test_add_passage_to_a_phase(client, app, session):
    """A facilitator adds a passage at the end of a phase with a chosen speaker."""
    response = client.post(
        f"{session['base']}/passages",
        data={"phase": "7", "speaker": "f:Animatrice", "text": "On passe au deuxième tour."},
    )
    assert response.status_code == 302
    with app.app_context():
        added = db.session.execute(db.select(Passage).filter_by(phase=7)).scalar_one()
        assert (added.speaker_label, added.text) == ("Animatrice", "On passe au deuxième tour.")


def test_edit_before_the_coding_keeps_it_on_its_words(client, app, session):
    """Editing text before a coded span moves the coding with its words."""
    response = _edit(client, session, "Hier, " + TEXT, 1)
    assert response.status_code == 302
    text, version, quotes = _passage(app, session["passage"])
    assert text.startswith("Hier, ") and version == 2 and quotes == ["fermé le guichet"]


def test_editing_coded_words_asks_what_to_do(client, app, session):
    """Changing coded words asks first; 'adjust' keeps the coding on the new words."""
    new = TEXT.replace("fermé le guichet", "fermé son guichet")
    response = _edit(client, session, new, 1)
    assert response.status_code == 409 and "Your edit changes coded words" in response.text
    assert _passage(app, session["passage"])[0] == TEXT  # nothing saved yet
    response = _edit(client, session, new, 1, codings="adjust")
    assert response.status_code == 302
    assert _passage(app, session["passage"])[2] == ["fermé son guichet"]


def test_editing_coded_words_can_remove_the_coding(client, app, session):
    """Choosing 'remove' deletes the affected coding and saves the text."""
    new = TEXT.replace("fermé le guichet", "supprimé l'accueil")
    assert _edit(client, session, new, 1, codings="remove").status_code == 302
    assert _passage(app, session["passage"])[2] == []


def test_second_editor_gets_a_conflict_and_both_texts_survive(app, session):
    """Two editors start from version 1; the second sees the conflict; nothing is lost."""
    first, second = app.test_client(), app.test_client()
    login(first, "fac@example.org")
    login(second, "owner@example.org")
    for client in (first, second):
        page = client.get(f"{session['base']}/passages/{session['passage']}/edit").text
        assert 'name="version" value="1"' in page
    mine = TEXT + " Premier ajout."
    theirs = TEXT + " Second ajout."
    assert _edit(first, session, mine, 1).status_code == 302
    response = _edit(second, session, theirs, 1)
    assert response.status_code == 409
    assert "Someone else saved this passage" in response.text
    assert "Premier ajout." in response.text and "Second ajout." in response.text
    assert re.search(r'name="version" value="2"', response.text)
    with app.app_context():
        rejected = db.session.execute(
            db.select(PassageRevision).filter_by(rejected=True)
        ).scalar_one()
        assert rejected.text == theirs
    assert _passage(app, session["passage"])[0] == mine
    assert _edit(second, session, theirs, 2).status_code == 302  # resolving saves it
    assert _passage(app, session["passage"])[0] == theirs


def test_split_after_a_sentence_moves_codings_along(client, app, session):
    """Splitting creates a second passage after the first; codings stay on their words."""
    offset = TEXT.index(" Ma voisine")
    response = client.post(
        f"{session['base']}/passages/{session['passage']}/split",
        data={"offset": str(offset), "version": "1"},
    )
    assert response.status_code == 302
    with app.app_context():
        passages = db.session.execute(db.select(Passage).order_by(Passage.position)).scalars().all()
        assert [p.text for p in passages] == [TEXT[:offset], TEXT[offset + 1 :]]
        assert [c.quote for c in passages[0].codings] == ["fermé le guichet"]


def test_split_through_a_coding_keeps_both_halves(client, app, session):
    """A coding that crosses the split point becomes one coding in each part."""
    offset = TEXT.index(" le guichet")
    client.post(
        f"{session['base']}/passages/{session['passage']}/split",
        data={"offset": str(offset), "version": "1"},
    )
    with app.app_context():
        quotes = sorted(c.quote for c in db.session.execute(db.select(Coding)).scalars())
    assert quotes == ["fermé", "le guichet"]


def test_merge_joins_same_speaker_and_keeps_codings(client, app, session):
    """Merging with the next passage of the same speaker keeps every coding on its words."""
    offset = TEXT.index(" Ma voisine")
    client.post(
        f"{session['base']}/passages/{session['passage']}/split",
        data={"offset": str(offset), "version": "1"},
    )
    response = _button(client, session, session["passage"], "merge")
    assert response.status_code == 302
    with app.app_context():
        passage = db.session.execute(db.select(Passage)).scalar_one()
        assert passage.text == TEXT[:offset] + "\n" + TEXT[offset + 1 :]
        assert [c.quote for c in passage.codings] == ["fermé le guichet"]


def test_merge_refuses_different_speakers(client, app, session):
    """Passages of two speakers are not merged."""
    client.post(
        f"{session['base']}/passages",
        data={"phase": "5", "speaker": "f:Animatrice", "text": "Merci."},
    )
    response = _button(client, session, session["passage"], "merge")
    assert response.status_code == 303
    with app.app_context():
        assert len(db.session.execute(db.select(Passage)).all()) == 2


def test_move_changes_the_order_within_the_phase(client, app, session):
    """Moving a passage down puts it after its neighbour."""
    client.post(
        f"{session['base']}/passages",
        data={"phase": "5", "speaker": "f:Animatrice", "text": "Merci."},
    )
    assert _button(client, session, session["passage"], "move", "down").status_code == 302
    page = client.get(session["base"]).text
    assert page.index("Merci.") < page.index("Ma voisine")


def test_changing_the_speaker_is_recorded_in_history(client, app, session):
    """The speaker can be changed; the earlier state stays in the passage history."""
    response = client.post(
        f"{session['base']}/passages/{session['passage']}/edit",
        data={"text": TEXT, "version": "1", "phase": "5", "speaker": "f:Animatrice"},
    )
    assert response.status_code == 302
    page = client.get(f"{session['base']}/passages/{session['passage']}/edit").text
    assert "History" in page and "Amina" in page


def _press(client, page: str, formaction: str, value: str | None = None):
    """Submit what a browser sends for a button: its form's fields, then its name and value,
    to its formaction with the query the page gave it."""
    pattern = rf'<button type="submit" form="([\w-]+)" formaction="({re.escape(formaction)}[^"]*)"'
    if value is not None:
        pattern += rf' name="(\w+)" value="{value}"'
    button = re.search(pattern, page)
    assert button, formaction
    form = re.search(rf'<form id="{button.group(1)}" method="post" hidden>(.*?)</form>', page)
    data = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form.group(1)))
    if value is not None:
        data[button.group(3)] = value
    return client.post(html.unescape(button.group(2)), data=data)


def _button(client, session, passage_id: int, action: str, value: str | None = None):
    """Press a passage's move or merge button on the session page as it is now."""
    page = client.get(session["base"]).text
    url = f"{session['base']}/passages/{passage_id}/{action}"
    return _press(client, page, url, value)


def test_session_page_buttons_move_and_merge_without_script(client, app, session):
    """The session page's move and merge buttons, sent as a browser sends them, do their work."""
    client.post(
        f"{session['base']}/passages",
        data={"phase": "5", "speaker": f"p:{session['amina']}", "text": "Merci."},
    )
    page = client.get(session["base"]).text
    moved = f"{session['base']}/passages/{session['passage']}"
    assert _press(client, page, f"{moved}/move", "down").status_code == 302
    page = client.get(session["base"]).text
    assert page.index("Merci.") < page.index("Ma voisine")
    with app.app_context():
        first = (
            db.session.execute(
                db.select(Passage.id)
                .filter_by(group_session_id=session["session"], phase=5)
                .order_by(Passage.position)
            )
            .scalars()
            .first()
        )
    assert _press(client, page, f"{session['base']}/passages/{first}/merge").status_code == 302
    with app.app_context():
        texts = (
            db.session.execute(
                db.select(Passage.text).filter_by(group_session_id=session["session"])
            )
            .scalars()
            .all()
        )
    assert texts == [f"Merci.\n{TEXT}"]


def _split_then_edit_both(client, app, session):
    """Split the passage, edit each half once; return (first id, second id)."""
    offset = TEXT.index(" Ma voisine")
    client.post(
        f"{session['base']}/passages/{session['passage']}/split",
        data={"offset": str(offset), "version": "1"},
    )
    with app.app_context():
        second = db.session.execute(
            db.select(Passage.id).where(Passage.id != session["passage"])
        ).scalar_one()
    half = {"phase": "5", "speaker": f"p:{session['amina']}"}
    first_edit = client.post(
        f"{session['base']}/passages/{session['passage']}/edit",
        data={**half, "text": "Le CPAS a fermé le guichet !", "version": "2"},
    )
    second_edit = client.post(
        f"{session['base']}/passages/{second}/edit",
        data={
            **half,
            "text": "Ma voisine a tout fait sur itsme. Elle a abandonné.",
            "version": "1",
        },
    )
    assert first_edit.status_code == 302 and second_edit.status_code == 302
    return session["passage"], second


def test_merge_keeps_the_history_of_both_passages_in_order(client, app, session):
    """After a merge, the merged passage's history holds both passages' earlier texts, in order."""
    first, second = _split_then_edit_both(client, app, session)
    response = _button(client, session, first, "merge")
    assert response.status_code == 302
    with app.app_context():
        history = db.session.execute(
            db.select(PassageRevision.text, PassageRevision.merged_in)
            .filter_by(passage_id=first)
            .order_by(PassageRevision.id)
        ).all()
        assert db.session.get(Passage, second) is None
    assert history == [
        (TEXT, False),  # before the split
        ("Le CPAS a fermé le guichet.", False),  # before the first half's edit
        ("Ma voisine a dû tout faire sur itsme. Elle a abandonné.", True),  # second, as split
        ("Le CPAS a fermé le guichet !", False),  # first half just before the merge
        ("Ma voisine a tout fait sur itsme. Elle a abandonné.", True),  # second, just before
    ]
    page = client.get(f"{session['base']}/passages/{first}/edit").text
    assert "Ma voisine a dû tout faire sur itsme." in page
    assert "from the passage merged into this one" in page


def test_merge_keeps_codings_of_the_second_passage_on_their_words(client, app, session):
    """A coding made in the second passage still covers its words in the merged text."""
    first, second = _split_then_edit_both(client, app, session)
    with app.app_context():
        theme = db.session.execute(db.select(Theme).filter_by(key="dependency")).scalar_one()
        words = "tout fait sur itsme"
        start = "Ma voisine a tout fait sur itsme. Elle a abandonné.".index(words)
        db.session.add(
            Coding(
                passage_id=second, theme=theme, start_offset=start, end_offset=start + len(words)
            )
        )
        db.session.commit()
    assert _button(client, session, first, "merge").status_code == 302
    assert sorted(_passage(app, first)[2]) == ["fermé le guichet", "tout fait sur itsme"]


def test_split_from_a_stale_version_is_refused_and_changes_nothing(client, app, session):
    """A split chosen in a text someone has since edited answers 409; the passage stays whole."""
    page = client.get(f"{session['base']}/passages/{session['passage']}/edit").text
    assert 'name="version" value="1"' in page  # the split form carries the version seen
    edited = "Hier, le CPAS a fermé le guichet. Ma voisine a dû tout faire sur itsme."
    assert _edit(client, session, edited, 1).status_code == 302  # someone else saves first
    offset = TEXT.index(" Ma voisine")  # chosen in the old text
    response = client.post(
        f"{session['base']}/passages/{session['passage']}/split",
        data={"offset": str(offset), "version": "1"},
    )
    assert response.status_code == 409
    assert "it was not split" in response.text
    assert TEXT in response.text and edited in response.text  # the text seen and the current one
    with app.app_context():
        texts = db.session.execute(db.select(Passage.text)).scalars().all()
    assert texts == [edited]
    assert _passage(app, session["passage"])[2] == ["fermé le guichet"]


def test_split_without_a_version_is_refused(client, app, session):
    """A split request that does not say which version it was chosen in splits nothing."""
    response = client.post(
        f"{session['base']}/passages/{session['passage']}/split",
        data={"offset": str(TEXT.index(" Ma voisine"))},
    )
    assert response.status_code == 409
    with app.app_context():
        assert len(db.session.execute(db.select(Passage)).all()) == 1


def _three_of_amina(client, app, session) -> tuple[list[int], str]:
    """Add two passages of Amina after the first; return the three ids in order and the page."""
    for text in ("Merci.", "Au revoir."):
        client.post(
            f"{session['base']}/passages",
            data={"phase": "5", "speaker": f"p:{session['amina']}", "text": text},
        )
    return _order(app, session), client.get(session["base"]).text


def _order(app, session) -> list[int]:
    with app.app_context():
        return list(
            db.session.execute(
                db.select(Passage.id)
                .filter_by(group_session_id=session["session"], phase=5)
                .order_by(Passage.position, Passage.id)
            ).scalars()
        )


def _texts(app, session) -> list[str]:
    with app.app_context():
        return [db.session.get(Passage, passage_id).text for passage_id in _order(app, session)]


def test_merge_from_an_old_page_is_refused_when_another_passage_came_next(client, app, session):
    """A saw B next; someone moved B down since: merging A from the old page answers 409
    naming the passage next to it now, and nothing is merged."""
    (first, second, third), old_page = _three_of_amina(client, app, session)
    other = app.test_client()
    login(other, "owner@example.org")
    base = f"{session['base']}/passages"
    assert _press(other, old_page, f"{base}/{second}/move", "down").status_code == 302
    refused = _press(client, old_page, f"{base}/{first}/merge")
    assert refused.status_code == 409
    assert "Not merged: the transcript changed after you opened the page" in refused.text
    assert "Merci." in refused.text and "Au revoir." in refused.text  # seen next, next now
    assert _order(app, session) == [first, third, second]  # the first save's order
    assert _texts(app, session) == [TEXT, "Au revoir.", "Merci."]


def test_a_second_merge_from_the_same_page_does_not_swallow_the_passage_after(client, app, session):
    """Merge pressed twice from one page (a double click, a second tab): the first joins A
    and B, the second answers 409 instead of joining C too."""
    (first, _second, third), page = _three_of_amina(client, app, session)
    assert _press(client, page, f"{session['base']}/passages/{first}/merge").status_code == 302
    again = _press(client, page, f"{session['base']}/passages/{first}/merge")
    assert again.status_code == 409
    assert _texts(app, session) == [f"{TEXT}\nMerci.", "Au revoir."]
    assert _order(app, session) == [first, third]


def test_move_from_an_old_page_is_refused_when_the_order_changed(client, app, session):
    """Two facilitators on one page state: B is moved down, then A "down" from the old
    page (meant to pass B, it would now pass C) answers 409; the first move stays."""
    (first, second, third), old_page = _three_of_amina(client, app, session)
    other = app.test_client()
    login(other, "owner@example.org")
    base = f"{session['base']}/passages"
    assert _press(other, old_page, f"{base}/{second}/move", "down").status_code == 302
    refused = _press(client, old_page, f"{base}/{first}/move", "down")
    assert refused.status_code == 409
    assert "Not moved: the transcript changed after you opened the page" in refused.text
    assert _order(app, session) == [first, third, second]


def test_move_and_merge_without_the_page_state_are_refused(client, app, session):
    """A post that does not say what its page showed (an old cached page) changes nothing."""
    (first, second, third), _page = _three_of_amina(client, app, session)
    base = f"{session['base']}/passages/{first}"
    assert client.post(f"{base}/move", data={"direction": "down"}).status_code == 409
    assert client.post(f"{base}/merge").status_code == 409
    assert _order(app, session) == [first, second, third]
    assert _texts(app, session) == [TEXT, "Merci.", "Au revoir."]


def _two_pages_then_a_move(client, app, session):
    """Six passages of Amina whose positions have gaps, as a split leaves them (and the demo,
    numbered across the session); two facilitators open the page, and the first moves the
    split's second half down past "Merci.". Return the six ids in the first order, the
    second facilitator's client and the page it still shows."""
    for text in ("Merci.", "Au revoir.", "À bientôt.", "Bonne soirée."):
        client.post(
            f"{session['base']}/passages",
            data={"phase": "5", "speaker": f"p:{session['amina']}", "text": text},
        )
    client.post(
        f"{session['base']}/passages/{session['passage']}/split",
        data={"offset": str(TEXT.index(" Ma voisine")), "version": "1"},
    )
    ids = _order(app, session)
    head, tail, merci, revoir, bientot, soiree = ids
    other = app.test_client()
    login(other, "owner@example.org")
    old_page = other.get(session["base"]).text
    moved = _button(client, session, tail, "move", "down")
    assert moved.status_code == 302
    assert _order(app, session) == [head, merci, tail, revoir, bientot, soiree]
    return ids, other, old_page


def test_a_move_leaves_other_open_pages_free_to_move_other_passages(client, app, session):
    """Another page opened before a move still moves a passage the move did not touch:
    the order it gets is the first move's with its own applied, not a 409."""
    (head, tail, merci, revoir, bientot, soiree), other, old_page = _two_pages_then_a_move(
        client, app, session
    )
    base = f"{session['base']}/passages"
    assert _press(other, old_page, f"{base}/{soiree}/move", "up").status_code == 302
    assert _order(app, session) == [head, merci, tail, revoir, soiree, bientot]


def test_a_move_leaves_other_open_pages_free_to_merge_other_passages(client, app, session):
    """Merging two passages the move did not touch, from a page opened before it, joins them."""
    (head, tail, merci, revoir, bientot, soiree), other, old_page = _two_pages_then_a_move(
        client, app, session
    )
    merged = _press(other, old_page, f"{session['base']}/passages/{bientot}/merge")
    assert merged.status_code == 302
    assert _order(app, session) == [head, merci, tail, revoir, bientot]
    assert _texts(app, session)[-1] == "À bientôt.\nBonne soirée."


def test_moving_the_moved_passage_again_from_another_open_page_is_refused(client, app, session):
    """The other page still shows the moved passage above "Merci.": its "down" (meant to
    pass "Merci.", it would now pass "Au revoir.") answers 409 and changes nothing."""
    (head, tail, merci, revoir, bientot, soiree), other, old_page = _two_pages_then_a_move(
        client, app, session
    )
    texts = _texts(app, session)
    refused = _press(other, old_page, f"{session['base']}/passages/{tail}/move", "down")
    assert refused.status_code == 409
    assert "Not moved: the transcript changed after you opened the page" in refused.text
    assert _order(app, session) == [head, merci, tail, revoir, bientot, soiree]
    assert _texts(app, session) == texts


def test_an_edit_form_opened_before_a_move_saves_without_a_conflict(client, app, session):
    """A move changes no passage's words, so an edit started before it is no conflict."""
    for text in ("Merci.", "Au revoir."):
        client.post(
            f"{session['base']}/passages",
            data={"phase": "5", "speaker": f"p:{session['amina']}", "text": text},
        )
    client.post(
        f"{session['base']}/passages/{session['passage']}/split",
        data={"offset": str(TEXT.index(" Ma voisine")), "version": "1"},
    )
    head, tail, merci, revoir = _order(app, session)
    form = client.get(f"{session['base']}/passages/{revoir}/edit").text
    version = re.search(r'name="version" value="(\d+)"', form).group(1)
    assert _button(client, session, tail, "move", "down").status_code == 302
    saved = client.post(
        f"{session['base']}/passages/{revoir}/edit",
        data={
            "text": "Au revoir, à jeudi.",
            "version": version,
            "phase": "5",
            "speaker": f"p:{session['amina']}",
        },
    )
    assert saved.status_code == 302
    assert _order(app, session) == [head, merci, tail, revoir]
    assert _texts(app, session)[-1] == "Au revoir, à jeudi."


def test_a_coding_view_opened_before_a_move_still_codes(client, app, session):
    """A move changes no passage's words, so coding from a view drawn before it is accepted."""
    for text in ("Merci.", "Au revoir."):
        client.post(
            f"{session['base']}/passages",
            data={"phase": "5", "speaker": f"p:{session['amina']}", "text": text},
        )
    client.post(
        f"{session['base']}/passages/{session['passage']}/split",
        data={"offset": str(TEXT.index(" Ma voisine")), "version": "1"},
    )
    head, tail, merci, revoir = _order(app, session)
    view = client.get(f"{session['base']}/code").text
    version = re.search(rf'data-passage-id="{revoir}" data-version="(\d+)"', view).group(1)
    assert _button(client, session, tail, "move", "down").status_code == 302
    coded = client.post(
        f"/api/studies/{session['study']}/codings",
        json={
            "passage_id": revoir,
            "theme": "privacy",
            "start": 0,
            "end": 9,
            "passage_version": int(version),
        },
    )
    assert coded.status_code == 201 and coded.json["text"] == "Au revoir"


def _while_a_move_is_saved(app, passage_id: int, then) -> dict:
    """Move a passage down and, before committing, start `then()` in another thread; let it
    reach the phase's lock, commit the move, and return what `then` returned."""
    from app.capture.passages import move_passage

    result = {}

    def other():
        result["outcome"] = then()

    with app.app_context():
        owner = db.session.execute(db.select(User.id).filter_by(email="owner@example.org"))
        move_passage(db.session.get(Passage, passage_id), 1, user_id=owner.scalar_one())
        db.session.flush()  # saved and locked, not committed
        waiting = threading.Thread(target=other)
        waiting.start()
        time.sleep(0.5)  # let it reach the lock (had it not, it simply runs after the move)
        db.session.commit()
    waiting.join(timeout=30)
    assert not waiting.is_alive() and "outcome" in result
    return result["outcome"]


def test_a_split_waiting_on_a_move_keeps_the_moved_order(client, app, session):
    """A split that comes in while a move of the same phase is being saved waits for it and
    renumbers the order as moved: positions written without a version check lose no move."""
    from app.capture.joins import split_passage

    (first, second, third), _page = _three_of_amina(client, app, session)

    def split():
        with app.app_context():
            passage = db.session.get(Passage, first)
            offset = TEXT.index(" Ma voisine")
            coder = passage.codings[0].coder_id
            split_passage(passage, offset, version=passage.version, user_id=coder)
            db.session.commit()
        return True

    assert _while_a_move_is_saved(app, second, split)
    order = _order(app, session)
    assert order[0] == first and order[2:] == [third, second]
    assert [text[:10] for text in _texts(app, session)] == [
        "Le CPAS a ",
        "Ma voisine",
        "Au revoir.",
        "Merci.",
    ]


def test_a_move_waiting_on_a_move_is_judged_on_the_order_as_moved(client, app, session):
    """Two pages, one state: B is moved down while A "down" (meant to pass B) from the other
    page waits for it; A's move then sees C next, answers 409 and changes nothing."""
    (first, second, third), page = _three_of_amina(client, app, session)

    def move_from_the_old_page():
        return _press(client, page, f"{session['base']}/passages/{first}/move", "down")

    refused = _while_a_move_is_saved(app, second, move_from_the_old_page)
    assert refused.status_code == 409
    assert _order(app, session) == [first, third, second]

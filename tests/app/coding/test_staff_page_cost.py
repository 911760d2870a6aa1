"""The staff pages built from plain rows: what they show, escaping, and their statements.

The session page, the coded-segment search, the coding view's fragments and the coding API
read plain rows and compute what every row shares once per page (issue 16). These tests pin
what a reader sees (the same as the per-row macros showed), that stored text is escaped
wherever it lands, and that the number of SQL statements does not grow with the number of
passages, codings or themes: no query per row is back.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from app.models import (
    AuditEvent,
    Coding,
    GroupSession,
    Job,
    JobStatus,
    Membership,
    Participant,
    Passage,
    Role,
    SpeakerKind,
    Suggestion,
    Theme,
    User,
)
from app.models.base import utcnow
from app.platform.extensions import db
from tests.conftest import login

HOSTILE = '<img src=x onerror=alert(1)> & "quoted" l\'OCMW'


@contextmanager
def statements(app):
    """Collect the SQL statements the app's engine sends.

    SQLite's `PRAGMA query_only` is left out: it is sent when a pooled connection changes
    between reading and writing, which depends on the pool, not on the page.
    """
    sent: list[str] = []

    def seen(_connection, _cursor, statement, *_args):
        if not statement.startswith("PRAGMA"):
            sent.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", seen)


def _build(app, study_id: int, owner: int, coder: int, passages: int, codings: int) -> dict:
    """A session of `passages` passages (every fifth a facilitator's) and `codings` codings."""
    with app.app_context():
        group_session = GroupSession(study_id=study_id, number=1, language="nl")
        people = [
            Participant(
                study_id=study_id,
                pseudonym=f"P{i} <b>",
                pseudonym_key=f"p{i}",
                attributes={"organisation_type": "CPAS <i>"},
            )
            for i in range(3)
        ]
        rows = [
            Passage(
                group_session=group_session,
                phase=1 + i % 11,
                position=i,
                speaker_kind=SpeakerKind.FACILITATOR if i % 5 == 0 else SpeakerKind.PARTICIPANT,
                speaker_label="Anim <u>" if i % 5 == 0 else "",
                participant=None if i % 5 == 0 else people[i % 3],
                start_time=3671.6 if i == 1 else None,
                text=f"{i} guichet {HOSTILE} fin",
            )
            for i in range(passages)
        ]
        db.session.add_all([group_session, *people, *rows])
        db.session.flush()
        themes = db.session.execute(db.select(Theme).filter_by(study_id=study_id)).scalars().all()
        themes[0].label_en = themes[0].label_fr = themes[0].label_nl = "<script>x</script>"
        for i in range(codings):
            db.session.add(
                Coding(
                    passage=rows[i % passages],
                    theme=themes[i % len(themes)],
                    coder_id=owner if i % 2 else coder,
                    start_offset=2,
                    end_offset=12 + i % 5,
                    memo=f"memo <em>{i}</em>" if i % 3 == 0 else "",
                )
            )
        db.session.commit()
        return {
            "session": group_session.id,
            "passages": [p.id for p in rows],
            "theme_key": themes[1].key,
        }


@pytest.fixture
def study(app, make_user, make_study, add_member):
    owner = make_user("owner@example.org")
    study_id = make_study(owner)
    coder = make_user("coder@example.org")
    add_member(study_id, coder, "researcher")
    return {"id": study_id, "owner": owner, "coder": coder}


def _urls(study_id: int, ids: dict) -> dict[str, str]:
    base = f"/studies/{study_id}/sessions/{ids['session']}"
    return {
        "session page": base,
        "coding view": f"{base}/code",
        "passage fragment": f"{base}/passages/{ids['passages'][1]}",
        "segments": f"/studies/{study_id}/segments",
        "search": f"/studies/{study_id}/segments?q=guichet",
        "codings API": f"/api/studies/{study_id}/codings?session={ids['session']}",
    }


def _count(app, client, url: str) -> int:
    client.get(url)  # the first opening in a window writes its audit event
    with statements(app) as sent:
        assert client.get(url).status_code == 200, url
    return len(sent)


@pytest.mark.parametrize("email", ["owner@example.org", "coder@example.org"])
def test_statements_do_not_grow_with_passages_and_codings(app, study, email):
    """The same statements for 3 passages with 4 codings as for 40 with 120."""
    small = _build(app, study["id"], study["owner"], study["coder"], 3, 4)
    client = app.test_client()
    login(client, email)
    few = {name: _count(app, client, url) for name, url in _urls(study["id"], small).items()}
    with app.app_context():  # a second, larger session in the same study, newly numbered
        db.session.execute(db.delete(Coding))
        db.session.execute(db.delete(Passage))
        db.session.execute(db.delete(GroupSession))
        db.session.execute(db.delete(Participant))
        db.session.commit()
    large = _build(app, study["id"], study["owner"], study["coder"], 40, 120)
    many = {name: _count(app, client, url) for name, url in _urls(study["id"], large).items()}
    assert many == few


def test_session_page_shows_passages_codes_and_tools_escaped(app, client, study):
    """Speaker, time, text and code tags as before; stored markup is text; tools per passage."""
    ids = _build(app, study["id"], study["owner"], study["coder"], 12, 30)
    login(client, "owner@example.org")
    html = client.get(_urls(study["id"], ids)["session page"]).text
    assert "<img src=x" not in html and "<script>x" not in html and "<b>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; &#34;quoted&#34; l&#39;OCMW fin" in html
    assert '<p class="speaker">Anim &lt;u&gt; <small>(facilitator)</small>' in html
    assert '<small class="time">1:01:11</small>' in html  # 3671.6 s
    assert html.count('<div class="passage" id="passage-') == 12
    # Each coding shows its theme's tag once, escaped, with the theme's swatch.
    assert html.count('<span class="code-tag"><svg class="swatch"') == 30
    assert "</svg>&lt;script&gt;x&lt;/script&gt;</span>" in html
    # The no-script tools: an edit link, move up and down and (all but the last passage of a
    # phase) merge buttons, which submit the page's one form and its CSRF field.
    assert html.count('<form id="passage-tools-form" method="post" hidden>') == 1
    for passage in html.split('<div class="passage" id="passage-')[1:]:
        assert "csrf_token" not in passage.split('<details class="add-passage">')[0]
    base = f"/studies/{study['id']}/sessions/{ids['session']}"
    for passage_id in ids["passages"]:
        assert f"/passages/{passage_id}/edit" in html
        for direction in ("up", "down"):  # each carries the versions its page shows
            assert re.search(
                f'form="passage-tools-form" formaction="{base}/passages/{passage_id}/move'
                rf'\?version=\d+[^"]*" name="direction" value="{direction}"',
                html,
            )
    assert len(re.findall(r'/merge\?version=\d+&amp;neighbour=\d+[^"]*" class="link">', html)) == 1


def test_session_page_has_no_tools_for_researchers(app, client, study):
    ids = _build(app, study["id"], study["owner"], study["coder"], 4, 4)
    login(client, "coder@example.org")
    html = client.get(_urls(study["id"], ids)["session page"]).text
    assert "passage-tools" not in html and "/move" not in html
    assert html.count('<div class="passage" id="passage-') == 4


def test_search_marks_the_coded_span_and_escapes_everything(app, client, study):
    """Each segment: theme, session, phase, speaker (organisation), coder, marked span, memo."""
    ids = _build(app, study["id"], study["owner"], study["coder"], 6, 9)
    login(client, "owner@example.org")
    html = client.get(_urls(study["id"], ids)["search"]).text
    assert "<img src=x" not in html and "<script>x" not in html and "<em>" not in html
    assert html.count('<li class="theme-') == 9
    # Codings span characters 2 to 12-16 of "<i> guichet <img…": the span is marked, the rest
    # of the passage is text around it.
    assert re.search(r'<blockquote lang="nl">\d <mark>guichet &lt;im(g)?[^<]*</mark>[^<]*fin', html)
    assert "P1 &lt;b&gt; (CPAS &lt;i&gt;) ·" in html
    assert "Memo: memo &lt;em&gt;0&lt;/em&gt;" in html
    assert f'/sessions/{ids["session"]}/code#passage-{ids["passages"][0]}">' in html
    # The passages that contain the words, below the segments.
    assert "6 passages contain these words" in html


def test_api_create_answers_without_reading_after_the_commit(app, client, study):
    """The created coding's JSON is built from what was written; nothing is sent after COMMIT."""
    ids = _build(app, study["id"], study["owner"], study["coder"], 2, 0)
    login(client, "owner@example.org")
    url = f"/api/studies/{study['id']}/codings"
    body = {"passage_id": ids["passages"][1], "start": 2, "end": 9, "theme": ids["theme_key"]}
    with statements(app) as sent:
        response = client.post(url, json=body)
    assert response.status_code == 201
    made = response.get_json()
    assert (made["start"], made["end"], made["theme"], made["text"]) == (
        2,
        9,
        ids["theme_key"],
        "guichet",
    )
    assert made["coder_id"] == study["owner"] and made["origin"] == "manual" and made["created_at"]
    inserts = [i for i, s in enumerate(sent) if s.startswith("INSERT INTO coding")]
    assert inserts and not any(s.startswith("SELECT") for s in sent[inserts[0] :])
    # Login, study, and the passage with its session and the theme in one query.
    assert sum(s.startswith("SELECT") for s in sent) <= 3
    listed = client.get(f"{url}?passage={ids['passages'][1]}").get_json()["codings"]
    assert [{**c, "created_at": None} for c in listed] == [{**made, "created_at": None}]
    with statements(app) as sent:
        assert client.delete(f"{url}/{made['id']}").status_code == 204
    assert sum(s.startswith("SELECT") for s in sent) <= 3  # login, study, coding with theme


def _suggest(app, study_id: int, ids: dict, passages: int, done: bool) -> None:
    """Open suggestions on the first `passages` passages, and suggestion runs of the study."""
    with app.app_context():
        themes = db.session.execute(db.select(Theme.id).filter_by(study_id=study_id)).scalars()
        theme_ids = list(themes)
        other = Job(study_id=study_id, kind="analysis.suggest", params={"session_id": 999_999})
        run = Job(
            study_id=study_id,
            kind="analysis.suggest",
            params={"session_id": ids["session"]},
            status=JobStatus.DONE if done else JobStatus.RUNNING,
            progress=0.5,
            finished_at=utcnow() if done else None,
        )
        db.session.add_all([run, other])  # the other session's run is the newest
        db.session.add_all(
            Suggestion(
                study_id=study_id,
                passage_id=passage_id,
                theme_id=theme_ids[i % len(theme_ids)],
                score=0.5 + i / 1000,
                regime="codebook",
                evidence=[{"kind": "term", "text": f"guichet {i}"}],
                text_hash="x",
            )
            for i, passage_id in enumerate(ids["passages"][:passages])
        )
        db.session.commit()


def test_coding_view_suggestion_panel_in_one_query_unless_some_are_open(app, study):
    """Coders: one query for the panel when nothing is open; open ones add a fixed few.

    Observers see no panel and send none of its queries.
    """
    ids = _build(app, study["id"], study["owner"], study["coder"], 40, 20)
    url = _urls(study["id"], ids)["coding view"]
    client = app.test_client()
    login(client, "coder@example.org")
    plain = _count(app, client, url)
    html = client.get(url).text
    assert "Suggested themes" in html and "Suggestions are being computed" not in html
    _suggest(app, study["id"], {**ids, "passages": []}, 0, done=False)
    assert _count(app, client, url) == plain
    assert "Suggestions are being computed (50%)." in client.get(url).text
    with app.app_context():
        db.session.execute(db.delete(Job))
        db.session.commit()
    _suggest(app, study["id"], ids, 2, done=True)
    with_two = _count(app, client, url)
    assert plain < with_two <= plain + 3  # the suggestions, their passages and speakers
    html = client.get(url).text
    assert html.count('<li id="suggestion-') == 2 and "<mark>guichet 1</mark>" in html
    assert "Last run:" in html and "P1 &lt;b&gt;" in html
    _suggest(app, study["id"], {**ids, "passages": ids["passages"][2:]}, 38, done=True)
    assert _count(app, client, url) == with_two
    assert client.get(url).text.count('<li id="suggestion-') == 40
    observer = app.test_client()
    with app.app_context():
        observer_id = db.session.execute(
            db.select(User.id).filter_by(email="coder@example.org")
        ).scalar_one()
        db.session.execute(
            db.update(Membership).filter_by(user_id=observer_id).values(role=Role.OBSERVER)
        )
        db.session.commit()
    login(observer, "coder@example.org")
    assert _count(app, observer, url) == plain - 1
    assert "Suggested themes" not in observer.get(url).text


def test_api_create_checks_the_passage_version_in_the_same_query(app, client, study):
    """The coding view's create (with the passage version) reads no more; a stale one is 409."""
    ids = _build(app, study["id"], study["owner"], study["coder"], 2, 0)
    login(client, "owner@example.org")
    url = f"/api/studies/{study['id']}/codings"
    body = {"passage_id": ids["passages"][1], "start": 2, "end": 9, "theme": ids["theme_key"]}
    with statements(app) as sent:
        response = client.post(url, json={**body, "passage_version": 1})
    assert response.status_code == 201 and response.get_json()["text"] == "guichet"
    assert sum(s.startswith("SELECT") for s in sent) <= 3
    response = client.post(url, json={**body, "passage_version": 2})
    assert response.status_code == 409 and "reload" in response.get_json()["message"]
    response = client.post(url, json={**body, "passage_id": 999_999, "passage_version": 2})
    assert response.status_code == 422 and "passage" in response.get_json()["message"]
    response = client.post(url, json={**body, "theme": ["x"]})
    assert response.status_code == 422 and "codebook" in response.get_json()["message"]
    listed = client.get(f"{url}?passage={ids['passages'][1]}").get_json()["codings"]
    assert len(listed) == 1


# Statements each page sends on a reopening (SQLite's BEGIN included, PRAGMAs left out;
# PostgreSQL sends one fewer), listed so that one more query on a page shows up here.
# Session page: login, study, session, audit check, codebook, its passages and codings,
# narratives, and for owners the roster (the session's speakers and facilitator labels
# come from its passages). Coding view: the suggestion panel is one query. Segments and
# search: one for the pseudonyms, whether any is a word an export would keep
# (`studies.redaction.words_kept`).
_PAGES = {"coding view": 9, "passage fragment": 6, "segments": 10, "search": 11, "codings API": 4}
MOST_STATEMENTS = {
    "owner@example.org": {"session page": 10, **_PAGES},
    "coder@example.org": {"session page": 9, **_PAGES},
}


@pytest.mark.parametrize("email", sorted(MOST_STATEMENTS))
def test_staff_pages_send_no_more_statements_than_listed(app, study, email):
    """Each staff page's statement count stays at or under the listed figure."""
    ids = _build(app, study["id"], study["owner"], study["coder"], 12, 30)
    client = app.test_client()
    login(client, email)
    counts = {name: _count(app, client, url) for name, url in _urls(study["id"], ids).items()}
    assert {n: c for n, c in counts.items() if c > MOST_STATEMENTS[email][n]} == {}, counts


def test_api_create_and_delete_write_the_coding_and_one_audit_event_each(app, client, study):
    """Creating then deleting a coding through the API: each writes its row change and one
    audit event, touches no login row, and sends at most six statements."""
    ids = _build(app, study["id"], study["owner"], study["coder"], 1, 0)
    login(client, "coder@example.org")
    url = f"/api/studies/{study['id']}/codings"
    body = {"passage_id": ids["passages"][0], "start": 0, "end": 4, "theme": ids["theme_key"]}
    with statements(app) as created:
        response = client.post(url, json=body)
    assert response.status_code == 201
    coding_id = response.get_json()["id"]
    with statements(app) as deleted:
        assert client.delete(f"{url}/{coding_id}").status_code == 204
    for sent, change in ((created, "INSERT INTO coding"), (deleted, "DELETE FROM coding")):
        assert sum(s.startswith(change) for s in sent) == 1
        assert sum(s.startswith("INSERT INTO audit_event") for s in sent) == 1
        assert not any(s.startswith("UPDATE") for s in sent)  # no login or user row touched
        assert len(sent) <= 6
    with app.app_context():
        events = db.session.execute(
            db.select(AuditEvent.action, AuditEvent.object_id).filter(
                AuditEvent.action.like("coding.%")
            )
        ).all()
        assert sorted(events) == [("coding.create", coding_id), ("coding.delete", coding_id)]
        assert db.session.get(Coding, coding_id) is None
    assert client.delete(f"{url}/{coding_id}").status_code == 404  # gone: nothing logged


def test_a_coding_deleted_meanwhile_is_not_logged_twice(app, study):
    """A delete that finds its coding already deleted (by a simultaneous request) answers 404
    and adds no second "coding.delete" event."""
    from werkzeug.exceptions import NotFound

    from app.coding.codings import coding_in_study, remove_coding

    ids = _build(app, study["id"], study["owner"], study["coder"], 1, 1)
    with app.test_request_context():
        coding_id = db.session.execute(db.select(Coding.id)).scalar_one()
        coding = coding_in_study(coding_id, study["id"])
        remove_coding(coding, user_id=study["owner"])
        with pytest.raises(NotFound):
            remove_coding(coding, user_id=study["owner"])  # read before, deleted since
        db.session.commit()
        deletes = db.session.execute(
            db.select(AuditEvent).filter_by(action="coding.delete", object_id=coding_id)
        )
        assert len(deletes.scalars().all()) == 1
    assert ids["passages"]

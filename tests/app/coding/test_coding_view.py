"""The coding view's page: every coding shown, and its forms working without JavaScript."""

from __future__ import annotations

import re
from urllib.parse import urljoin

import pytest

from app.models import Coding, GroupSession, Participant, Passage, SpeakerKind, Theme
from app.platform.extensions import db
from tests.conftest import PASSWORD, csrf_token

WORDS = [
    "de",
    "dame",
    "heeft",
    "geen",
    "smartphone",
    "en",
    "het",
    "loket",
    "van",
    "het",
    "OCMW",
    "is",
    "gesloten",
]


@pytest.fixture
def app(make_app):
    """CSRF protection on, as in production: the no-script forms must carry the token."""
    return make_app(WTF_CSRF_ENABLED=True)


@pytest.fixture
def session(app, make_user, make_study, add_member):
    """A session of 22 passages over all eleven phases, with 40 codings by two coders."""
    owner = make_user("owner@example.org")
    study_id = make_study(owner)
    coder = make_user("coder@example.org")
    add_member(study_id, coder, "researcher")
    add_member(study_id, make_user("observer@example.org"), "observer")
    with app.app_context():
        group_session = GroupSession(study_id=study_id, number=1, language="nl")
        participant = Participant(study_id=study_id, pseudonym="Lotte", pseudonym_key="lotte")
        passages = [
            Passage(
                group_session=group_session,
                phase=1 + i // 2,
                position=i,
                text=f"{i}: " + " ".join(WORDS[(i + j) % len(WORDS)] for j in range(20)),
                speaker_kind=SpeakerKind.PARTICIPANT,
                participant=participant,
            )
            for i in range(22)
        ]
        db.session.add_all(passages)
        db.session.flush()
        themes = db.session.execute(db.select(Theme).order_by(Theme.id)).scalars().all()
        for i in range(40):
            passage = passages[i % 22]
            start = (i * 7) % 40
            db.session.add(
                Coding(
                    passage=passage,
                    theme=themes[i % len(themes)],
                    coder_id=owner if i % 2 else coder,
                    start_offset=start,
                    end_offset=start + 12 + i % 9,
                )
            )
        db.session.commit()
        return {
            "study": study_id,
            "session": group_session.id,
            "url": f"/studies/{study_id}/sessions/{group_session.id}/code",
            "coder": coder,
        }


def login(client, email: str) -> None:
    """Log in through the form, with its CSRF token."""
    token = csrf_token(client.get("/login").data)
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302


def _quotes(app, coder_id=None) -> list[tuple[int, str]]:
    with app.app_context():
        query = db.select(Coding).order_by(Coding.id)
        if coder_id is not None:
            query = query.where(Coding.coder_id == coder_id)
        return [(c.id, c.quote) for c in db.session.execute(query).scalars()]


def test_the_page_shows_every_coding_of_every_phase(client, app, session):
    """All 40 codings are listed with their quotes, in all eleven phase sections."""
    login(client, "coder@example.org")
    html = client.get(session["url"]).text
    shown = [int(i) for i in re.findall(r'data-coding-id="(\d+)"', html)]
    assert sorted(shown) == [coding_id for coding_id, _ in _quotes(app)]
    for _, quote in _quotes(app):
        assert f"<q>{quote}</q>" in html
    assert len(re.findall(r'<section aria-labelledby="phase-\d+-heading"', html)) == 11


def test_only_mine_shows_only_my_codings(client, app, session):
    """Independent coding: the coder sees exactly their own codings."""
    login(client, "coder@example.org")
    html = client.get(session["url"] + "?show=mine").text
    shown = sorted(int(i) for i in re.findall(r'data-coding-id="(\d+)"', html))
    assert shown == [coding_id for coding_id, _ in _quotes(app, session["coder"])]


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html)[1]


def test_remove_button_works_without_javascript(client, app, session):
    """A coder's remove button submits the page's shared form to its own coding's URL."""
    login(client, "coder@example.org")
    html = client.get(session["url"]).text
    form = re.search(r'<form id="([^"]+)" method="post"[^>]*>(.*?)</form>', html, re.S)
    buttons = re.findall(rf'<button form="{form[1]}" formaction="([^"]+/(\d+)/delete)"', html)
    own = {coding_id for coding_id, _ in _quotes(app, session["coder"])}
    assert {int(coding_id) for _, coding_id in buttons} == own  # a researcher: own codings only
    action, coding_id = buttons[0]
    response = client.post(urljoin(session["url"], action), data={"csrf_token": _csrf(form[2])})
    assert response.status_code == 302
    assert int(coding_id) not in {i for i, _ in _quotes(app)}
    assert len(_quotes(app)) == 39


def test_memo_is_written_on_the_codings_own_page(client, app, session):
    """The memo link opens a page with the memo form; the saved memo shows in the view."""
    login(client, "coder@example.org")
    html = client.get(session["url"]).text
    href = re.search(r'class="memo-link" href="([^"]+)"', html)[1]
    coding_id = href.rsplit("/", 1)[1]
    page = client.get(urljoin(session["url"], href))
    assert page.status_code == 200 and "<textarea" in page.text
    action = re.search(r'<form method="post" action="([^"]+/memo)"', page.text)[1]
    response = client.post(
        action,
        data={"memo": "revisit <b>this</b>", "memo_version": "1", "csrf_token": _csrf(page.text)},
    )
    assert response.status_code == 302
    html = client.get(session["url"]).text
    assert 'class="memo-text">revisit &lt;b&gt;this&lt;/b&gt;</p>' in html
    with app.app_context():
        assert db.session.get(Coding, int(coding_id)).memo == "revisit <b>this</b>"


def test_observers_see_codings_and_memos_without_forms(client, app, session):
    """An observer gets no remove button and a read-only coding page."""
    coding_id = _quotes(app)[0][0]
    with app.app_context():
        db.session.get(Coding, coding_id).memo = "a memo"
        db.session.commit()
    login(client, "observer@example.org")
    html = client.get(session["url"]).text
    assert 'data-coding-id="' in html and "remove-coding" not in html and "memo-link" not in html
    base = session["url"].removesuffix("/code")
    page = client.get(f"{base}/codings/{coding_id}")
    assert page.status_code == 200 and "a memo" in page.text and "<textarea" not in page.text


def test_a_coding_page_checks_the_session_in_the_url(client, app, session):
    """A coding opened through another session's URL is not found."""
    login(client, "owner@example.org")
    with app.app_context():
        other = GroupSession(study_id=session["study"], number=2, language="nl")
        db.session.add(other)
        db.session.commit()
        other_id = other.id
    coding_id = _quotes(app)[0][0]
    assert (
        client.get(
            f"/studies/{session['study']}/sessions/{other_id}/codings/{coding_id}"
        ).status_code
        == 404
    )


def test_hostile_text_and_labels_are_escaped(client, app, session):
    """Markup in a passage and in a theme label is shown as text, in runs and in lists."""
    with app.app_context():
        passage = db.session.execute(db.select(Passage).order_by(Passage.id)).scalars().first()
        passage.text += ' <img src=x onerror=alert(1)> & "quoted"'  # after every coding
        theme = db.session.execute(db.select(Theme).order_by(Theme.id)).scalars().first()
        theme.label_en = theme.label_nl = theme.label_fr = '"><script>alert(2)</script>'
        db.session.commit()
    login(client, "owner@example.org")
    html = client.get(session["url"]).text
    assert "<img src=x" not in html and "<script>alert" not in html
    assert ' &lt;img src=x onerror=alert(1)&gt; &amp; "quoted"</span>' in html
    assert 'title="&quot;&gt;&lt;script&gt;' in html


def test_theme_colours_and_script_are_cacheable_at_versioned_urls(client, app, session):
    """The view's stylesheet URL changes with a colour; its script is kept by browsers."""
    login(client, "owner@example.org")
    html = client.get(session["url"]).text
    css = re.search(r'href="([^"]*/themes\.css\?v=[^"]+)"', html)[1]
    response = client.get(css)
    assert "max-age" in response.headers["Cache-Control"] and "--theme" in response.text
    assert client.get(css.split("?")[0]).headers["Cache-Control"] == "no-store"
    script = re.search(r'src="([^"]*coding\.js\?v=\d+)"', html)[1]
    with client.get(script) as response:
        assert "immutable" in response.headers["Cache-Control"]
    with app.app_context():
        theme = db.session.execute(db.select(Theme).order_by(Theme.id)).scalars().first()
        theme.colour = "#123456"
        db.session.commit()
    again = client.get(session["url"]).text
    new_css = re.search(r'href="([^"]*/themes\.css\?v=[^"]+)"', again)[1]
    assert new_css != css and "#123456" in client.get(new_css).text


def _buttons(html: str) -> set[int]:
    return {int(i) for i in re.findall(r'formaction="[^"]+/(\d+)/delete"', html)}


def test_each_view_shows_the_current_codings_labels_and_rights(app, session):
    """Passages are rendered once and reused: never with another reader's buttons or old data."""
    coder, owner = app.test_client(), app.test_client()
    login(coder, "coder@example.org")
    login(owner, "owner@example.org")
    own = {coding_id for coding_id, _ in _quotes(app, session["coder"])}
    every = {coding_id for coding_id, _ in _quotes(app)}
    assert _buttons(coder.get(session["url"]).text) == own
    assert _buttons(owner.get(session["url"]).text) == every  # the owner reviews: any coding
    assert _buttons(coder.get(session["url"]).text) == own
    with app.app_context():
        passage = db.session.execute(db.select(Passage).order_by(Passage.id)).scalars().first()
        theme = db.session.execute(db.select(Theme).order_by(Theme.id)).scalars().first()
        theme.label_en = theme.label_nl = theme.label_fr = "Renamed & <new>"
        added = Coding(
            passage=passage, theme=theme, coder_id=session["coder"], start_offset=0, end_offset=2
        )
        db.session.add(added)
        db.session.commit()
        added_id, quote = added.id, added.quote
    html = coder.get(session["url"]).text
    assert _buttons(html) == own | {added_id}
    label = '<span class="tag">Renamed &amp; &lt;new&gt;</span> '
    assert f'data-coding-id="{added_id}">{label}' in html
    assert f"<q>{quote}</q>" in html

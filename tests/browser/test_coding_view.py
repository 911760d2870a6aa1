"""The coding view in a real browser: mouse selection, number keys, removal, emoji offsets."""

from __future__ import annotations

import pytest

from app.models import Coding, GroupSession, Participant, Passage, SpeakerKind
from app.platform.extensions import db
from tests.browser.conftest import log_in

TEXTS = [
    "Élodie: « le CPAS 👍🏽 ferme à midi » — café ☕ et eID obligatoires.",
    "Mijn verhaal gaat over een meneer met leefloon en zijn pincode.",
]


@pytest.fixture
def session_url(app, live_server, make_user, make_study, add_member):
    """A session with two passages; a facilitator is the coder."""
    owner = make_user("owner@example.org")
    study_id = make_study(owner)
    add_member(study_id, make_user("coder@example.org"), "facilitator")
    with app.app_context():
        group_session = GroupSession(study_id=study_id, number=1, language="fr")
        participant = Participant(study_id=study_id, pseudonym="Lotte", pseudonym_key="lotte")
        for position, text in enumerate(TEXTS, start=1):
            db.session.add(
                Passage(
                    group_session=group_session,
                    phase=5,
                    position=position,
                    text=text,
                    speaker_kind=SpeakerKind.PARTICIPANT,
                    participant=participant,
                )
            )
        db.session.commit()
        return f"{live_server}/studies/{study_id}/sessions/{group_session.id}/code"


def _select_with_mouse(page, passage_index: int, start_utf16: int, end_utf16: int) -> str:
    """Drag the mouse from one character to another; return what the browser selected."""
    box = page.evaluate(
        """([index, start, end]) => {
            const text = document.querySelectorAll('.passage-text')[index];
            const walker = document.createTreeWalker(text, NodeFilter.SHOW_TEXT);
            const point = (target, side) => {
                let node, seen = 0;
                walker.currentNode = text;
                while ((node = walker.nextNode())) {
                    const after = seen + node.data.length;
                    if (after > target || (side === 'end' && after === target)) {
                        const range = document.createRange();
                        const offset = target - seen;
                        const from = side === 'start' ? offset : offset - 1;
                        range.setStart(node, from);
                        range.setEnd(node, from + 1);
                        const r = range.getClientRects()[0];
                        return side === 'start' ? {x: r.left + 0.5, y: r.top + r.height / 2}
                                                : {x: r.right - 0.5, y: r.top + r.height / 2};
                    }
                    seen += node.data.length;
                }
            };
            return {from: point(start, 'start'), to: point(end, 'end')};
        }""",
        [passage_index, start_utf16, end_utf16],
    )
    page.mouse.move(box["from"]["x"], box["from"]["y"])
    page.mouse.down()
    page.mouse.move(box["to"]["x"], box["to"]["y"], steps=8)
    page.mouse.up()
    return page.evaluate("window.getSelection().toString()")


def _utf16(text: str, index: int) -> int:
    return len(text[:index].encode("utf-16-le")) // 2


def _stored(app) -> list[tuple[str, str, int, int]]:
    with app.app_context():
        codings = db.session.execute(db.select(Coding).order_by(Coding.id)).scalars().all()
        return [(c.theme.key, c.quote, c.start_offset, c.end_offset) for c in codings]


def test_mouse_selection_and_click_codes_exactly_the_selected_text(
    page, app, live_server, session_url
):
    """Selecting across an emoji and accents and clicking a theme stores that exact substring."""
    log_in(page, live_server, "coder@example.org")
    page.goto(session_url)
    text = TEXTS[0]
    start, end = text.index("👍🏽"), text.index(" à midi")
    selected = _select_with_mouse(page, 0, _utf16(text, start), _utf16(text, end))
    assert selected == "👍🏽 ferme"
    page.click(".apply-theme[data-key='2']")
    page.wait_for_selector("#passage-1 .coding-list")
    assert _stored(app) == [("privacy", "👍🏽 ferme", start, end)]
    assert "👍🏽 ferme" in page.inner_text("#passage-1 .coding-list")


def test_number_key_applies_a_theme(page, app, live_server, session_url):
    """With text selected, pressing 1 codes it with the first theme of the palette."""
    log_in(page, live_server, "coder@example.org")
    page.goto(session_url)
    text = TEXTS[1]
    start = text.index("leefloon")
    selected = _select_with_mouse(page, 1, start, start + len("leefloon"))
    assert selected == "leefloon"
    page.keyboard.press("1")
    page.wait_for_selector("#passage-2 .coding-list")
    assert _stored(app) == [("dependency", "leefloon", start, start + len("leefloon"))]
    assert "leefloon" in page.inner_text("#coding-status")


def test_overlapping_codings_are_visible_and_removable(page, app, live_server, session_url):
    """Two overlapping codings show as stacked marks with both themes; one can be removed."""
    log_in(page, live_server, "coder@example.org")
    page.goto(session_url)
    text = TEXTS[1]
    first = (text.index("meneer"), text.index(" en zijn"))
    second = (text.index("leefloon"), len(text) - 1)
    _select_with_mouse(page, 1, *first)
    page.keyboard.press("1")
    page.wait_for_selector("#passage-2 .coding-list li")
    _select_with_mouse(page, 1, *second)
    page.keyboard.press("3")
    page.wait_for_function(
        "() => document.querySelectorAll('#passage-2 .coding-list li').length == 2"
    )
    overlap = page.locator("#passage-2 .seg.coded", has_text="leefloon")
    assert overlap.get_attribute("title") == "Dependency, Outsourcing"
    assert overlap.locator(".u").count() == 2
    overlap.focus()  # keyboard users see the themes too
    shown = page.evaluate("() => getComputedStyle(document.activeElement, '::after').content")
    assert shown == '"Dependency, Outsourcing"'
    page.click("#passage-2 .coding-list li:first-child button.remove-coding")
    page.wait_for_function(
        "() => document.querySelectorAll('#passage-2 .coding-list li').length == 1"
    )
    assert [row[0] for row in _stored(app)] == ["outsourcing"]
    assert page.evaluate("document.querySelectorAll('.passage-text')[1].textContent") == TEXTS[1]


def test_selection_across_passages_is_refused(page, app, live_server, session_url):
    """A selection that spans two passages codes nothing and says why."""
    log_in(page, live_server, "coder@example.org")
    page.goto(session_url)
    page.evaluate("""() => {
        const texts = document.querySelectorAll('.passage-text');
        const range = document.createRange();
        range.setStart(texts[0].firstChild.firstChild, 3);
        range.setEnd(texts[1].firstChild.firstChild, 4);
        getSelection().removeAllRanges(); getSelection().addRange(range);
    }""")
    page.keyboard.press("1")
    page.wait_for_function("() => document.getElementById('coding-status').textContent.length > 0")
    assert page.inner_text("#coding-status") == "Select text inside one passage first."
    assert _stored(app) == []


def test_without_javascript_memos_are_written_and_codings_removed(
    browser, app, live_server, session_url
):
    """With scripts off, the memo link's page saves a memo and the remove button removes."""
    from app.models import Theme, User

    with app.app_context():
        coder = db.session.execute(
            db.select(User).filter_by(email="coder@example.org")
        ).scalar_one()
        themes = db.session.execute(db.select(Theme).order_by(Theme.id)).scalars().all()
        passage = db.session.execute(db.select(Passage).order_by(Passage.id)).scalars().all()[1]
        for theme, (start, end) in zip(themes, [(0, 4), (5, 12)], strict=False):
            db.session.add(
                Coding(
                    passage=passage, theme=theme, coder=coder, start_offset=start, end_offset=end
                )
            )
        db.session.commit()
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    try:
        log_in(page, live_server, "coder@example.org")
        page.goto(session_url)
        assert page.locator("#passage-2 .coding-list li").count() == 2
        page.click("#passage-2 .coding-list li:first-child .memo-link")
        page.fill("#memo", "to discuss with the group")
        page.click("main button:has-text('Save the memo')")
        page.wait_for_url(f"{session_url}#passage-2")
        assert "to discuss with the group" in page.inner_text("#passage-2 .coding-list")
        page.click("#passage-2 .coding-list li:last-child button.remove-coding")
        page.wait_for_load_state()
        assert page.locator("#passage-2 .coding-list li").count() == 1
        assert [row[1] for row in _stored(app)] == ["Mijn"]
    finally:
        context.close()

"""A participant's validation page on a phone, in a real browser, without an account."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from app.models import (
    Consent,
    ConsentScope,
    GroupSession,
    Participant,
    Passage,
    SpeakerKind,
    Statement,
    StatementKind,
    StatementLink,
    StatementVersion,
    Synthesis,
)
from app.models.base import utcnow
from app.platform.extensions import db
from tests.browser.conftest import log_in

TEXTS = (
    "Le guichet fermé renvoie tout le monde vers le CPAS.",
    "Les travailleurs sociaux deviennent des informaticiens malgré eux.",
    "Les avis divergent sur la responsabilité des banques.",
)

# Every form control must have a label a screen reader announces.
UNLABELLED = """() => [...document.querySelectorAll('main input:not([type=hidden]), main textarea')]
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
  .map(el => el.name)"""
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"


@pytest.fixture
def round_world(app, live_server, make_user, make_study):
    """A session with Amina and Bart, three statements quoting them, and an open round."""
    from app.synthesis.links import link_token
    from app.synthesis.rounds import create_round

    owner = make_user("owner@example.org")
    study_id = make_study(owner)
    with app.app_context():
        group_session = GroupSession(study_id=study_id, number=1, language="fr")
        db.session.add(group_session)
        passages = {}
        for position, name in enumerate(("Amina", "Bart"), start=1):
            person = Participant(study_id=study_id, pseudonym=name, pseudonym_key=name.lower())
            person.consents.append(
                Consent(scope=ConsentScope.QUOTATION, granted=True, given_on=utcnow().date())
            )
            passages[name] = Passage(
                group_session=group_session,
                phase=5,
                position=position,
                speaker_kind=SpeakerKind.PARTICIPANT,
                participant=person,
                text=f"{name}: on passe nos journées à remplir des formulaires en ligne.",
            )
            db.session.add_all([person, passages[name]])
        synthesis = Synthesis(study_id=study_id, group_session=group_session)
        statements = []
        for text in TEXTS:
            statement = Statement(synthesis=synthesis, kind=StatementKind.CONVERGENCE)
            statement.versions.append(StatementVersion(number=1, text=text))
            statements.append(statement)
        statements[0].links.append(StatementLink(passage=passages["Amina"]))
        statements[1].links.append(StatementLink(passage=passages["Bart"]))
        db.session.add_all([synthesis, *statements])
        db.session.flush()
        form = MultiDict([("statements", str(s.id)) for s in statements] + [("attributed", "1")])
        round_ = create_round(synthesis, form, user_id=owner)
        db.session.commit()
        link = next(link for link in round_.links if link.participant.pseudonym == "Amina")
        return {
            "link": f"{live_server}/v/{link_token(link)}",
            "dashboard": f"{live_server}/studies/{study_id}/rounds/{round_.id}",
            "statements": [s.id for s in statements],
            "passage": passages["Amina"].id,
        }


@pytest.fixture
def phone(browser):
    """A phone-sized, touch browser context, as participants will mostly use."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="fr-BE",
    )
    yield context.new_page()
    context.close()


def test_answer_withdraw_reload_change_and_the_dashboard_shows_it(
    phone, page, app, live_server, round_world
):
    w = round_world
    first, second, third = w["statements"]
    phone.goto(w["link"])
    assert phone.locator("html").get_attribute("lang") == "fr"  # the group's language
    assert phone.evaluate(OVERFLOW) <= 0  # nothing wider than the phone
    assert phone.evaluate(UNLABELLED) == []
    assert phone.locator("main").count() == 1 and phone.locator("header").count() == 1
    assert phone.locator(".own-quote mark").count() == 1  # Amina's own words are highlighted

    phone.check(f"input[name=verdict-{first}][value=agree]")
    phone.check(f"input[name=verdict-{second}][value=nuance]")
    phone.fill(f"#comment-{second}", "Pas seulement informaticiens : aussi comptables.")
    phone.check(f"input[name=verdict-{third}][value=disagree]")
    phone.check(f"input[name=quote-{w['passage']}][value=withdraw]")
    phone.click("button.primary")
    phone.wait_for_url("**saved=1**")
    assert phone.locator("#saved").is_visible()

    phone.reload()
    assert phone.is_checked(f"input[name=verdict-{third}][value=disagree]")
    assert phone.is_checked(f"input[name=quote-{w['passage']}][value=withdraw]")
    assert "aussi comptables" in phone.input_value(f"#comment-{second}")
    phone.check(f"input[name=verdict-{third}][value=agree]")
    phone.click("button.primary")
    phone.wait_for_url("**saved=1**")
    phone.reload()
    assert phone.is_checked(f"input[name=verdict-{third}][value=agree]")

    log_in(page, live_server, "owner@example.org")
    page.goto(w["dashboard"])
    dashboard = page.locator("main").inner_text()
    assert "aussi comptables" in dashboard
    assert "Amina" in dashboard
    assert "withdraw: never exported" in dashboard
    assert "disagree: 1" not in dashboard  # the third answer was changed to agree
    with app.app_context():
        assert db.session.get(Passage, w["passage"]).quote_withdrawn_at is not None


def test_the_page_reflows_at_320_pixels_and_works_without_javascript(browser, round_world):
    """200% zoom on a small screen is a 320 px wide layout; no script is needed to answer."""
    context = browser.new_context(
        viewport={"width": 320, "height": 640}, java_script_enabled=False, locale="fr-BE"
    )
    phone = context.new_page()
    w = round_world
    phone.goto(w["link"])
    phone.check(f"input[name=verdict-{w['statements'][0]}][value=agree]")
    phone.click("button.primary")
    phone.wait_for_url("**saved=1**")
    assert phone.is_checked(f"input[name=verdict-{w['statements'][0]}][value=agree]")
    context.close()
    # Overflow needs script to measure: a scripted context at the same width.
    context = browser.new_context(viewport={"width": 320, "height": 640})
    scripted = context.new_page()
    scripted.goto(w["link"])
    assert scripted.evaluate(OVERFLOW) <= 0
    context.close()


DUPLICATE_IDS = """() => { const seen = {}, twice = [];
  for (const el of document.querySelectorAll('[id]')) {
    if (seen[el.id]) twice.push(el.id); seen[el.id] = true; }
  return twice; }"""


def test_a_quote_linked_to_two_statements_is_decided_once_and_the_withdrawal_holds(
    phone, app, round_world
):
    """One radio group per quote: a withdrawal cannot be undone by another statement's block."""
    w = round_world
    first, _second, third = w["statements"]
    with app.app_context():
        statement = db.session.get(Statement, third)
        statement.links.append(StatementLink(passage_id=w["passage"]))
        db.session.commit()
    phone.goto(w["link"])
    assert phone.evaluate(DUPLICATE_IDS) == []
    radios = phone.locator(f"input[name=quote-{w['passage']}]")
    assert radios.count() == 3  # keep, rephrase, withdraw: once on the page
    # The third statement shows the quote and points to where it is decided.
    third_card = phone.locator("section.statement-card").nth(2)
    assert "Amina" not in third_card.locator("fieldset legend").all_inner_texts()
    assert third_card.locator(f"a[href='#quote-{w['passage']}']").count() == 1
    phone.check(f"input[name=quote-{w['passage']}][value=withdraw]")
    phone.check(f"input[name=verdict-{first}][value=agree]")
    phone.check(f"input[name=verdict-{third}][value=agree]")
    phone.click("button.primary")
    phone.wait_for_url("**saved=1**")
    phone.reload()
    assert phone.is_checked(f"input[name=quote-{w['passage']}][value=withdraw]")
    with app.app_context():
        assert db.session.get(Passage, w["passage"]).quote_withdrawn_at is not None

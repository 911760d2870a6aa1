"""The theme sweep in a real browser: one key per decision, the page updates in place."""

from __future__ import annotations

import pytest

from app.models import (
    Coding,
    Suggestion,
    SuggestionStatus,
    Theme,
)
from app.platform.extensions import db
from tests.browser.conftest import log_in

PRIVATE = [
    "Elle m'a donné son mot de passe itsme pour que je fasse le virement.",
    "Je garde son code PIN dans mon tiroir, ce n'est pas normal.",
    "Le formulaire demandait son numéro national et une copie de sa carte d'identité.",
    "Il ne savait pas qui lisait sa boîte mail, sa fille avait le mot de passe.",
    "La banque voulait son consentement en ligne pour partager ses données.",
    "J'ai dû entrer mon propre code PIN pour l'aider, avec mon téléphone.",
    "Sa fille gère son compte bancaire avec ses identifiants à lui.",
    "On m'a demandé le mot de passe de sa eBox devant tout le monde au guichet.",
    "Le RGPD, personne ne savait ce que la plateforme faisait de ses données.",
    "Elle note ses mots de passe sur un carnet qu'elle laisse au CPAS.",
    "Le code de sa carte bancaire était écrit au dos de la carte.",
    "Ils ont photocopié sa carte d'identité sans lui demander son accord.",
]
OTHER = [
    "Le guichet de la commune est fermé, on envoie tout le monde au CPAS.",
    "Je remplis sa déclaration d'impôts à sa place, ce n'est pas mon métier.",
    "Nous avons parlé du calendrier de la prochaine séance.",
    "Le fournisseur d'énergie renvoie les clients vers les associations.",
    "Le bus avait du retard, nous avons commencé à dix heures.",
    "La mutuelle ne répond plus qu'en ligne, alors ils viennent chez nous.",
    "Je ne suis pas informaticien, mais je passe mes journées à réparer des téléphones.",
    "La réunion était courte, il faisait mauvais.",
    "Elle dépend de son voisin pour chaque papier, elle n'ose plus demander.",
    "L'école envoie tout par Smartschool et les parents viennent nous voir.",
    "Le café était froid et la salle trop petite.",
    "On a voté pour le récit de Sophie, à main levée.",
]


@pytest.fixture
def sweep_url(app, live_server, make_user, make_study, add_member, make_passages):
    """A French session of 24 passages, half about privacy; a researcher sweeps privacy."""
    owner = make_user("owner@example.org")
    study_id = make_study(owner)
    add_member(study_id, make_user("coder@example.org"), "researcher")
    make_passages(study_id, [text for pair in zip(PRIVATE, OTHER, strict=True) for text in pair])
    with app.app_context():
        theme_id = db.session.execute(
            db.select(Theme.id).filter_by(study_id=study_id, key="privacy")
        ).scalar_one()
        return f"{live_server}/studies/{study_id}/sweep/{theme_id}"


def _progress(page, field: str) -> int:
    return int(page.inner_text(f'#sweep-progress [data-field="{field}"]'))


def _stored(app) -> tuple[set[int], set[int]]:
    with app.app_context():
        coded = set(db.session.execute(db.select(Coding.passage_id)).scalars())
        rejected = set(
            db.session.execute(
                db.select(Suggestion.passage_id).where(
                    Suggestion.status == SuggestionStatus.REJECTED
                )
            ).scalars()
        )
        return coded, rejected


def test_twenty_decisions_with_one_key_each(page, app, live_server, sweep_url):
    """Twenty keys (a, 1, r, 0) decide twenty passages; codings, rejections and counts follow."""
    log_in(page, live_server, "coder@example.org")
    page.goto(sweep_url)
    assert _progress(page, "reviewed") == 0 and _progress(page, "total") == 24
    private = set(PRIVATE)
    accepted, rejected = set(), set()
    for step in range(20):
        current = page.locator("#sweep-current")
        passage_id = int(current.get_attribute("data-passage-id"))
        text = page.inner_text("#sweep-current .sweep-text")
        accept = text in private
        key = ("a", "1")[step % 2] if accept else ("r", "0")[step % 2]
        page.keyboard.press(key)
        page.wait_for_function(
            "n => document.querySelector('#sweep-progress [data-field=reviewed]')"
            ".textContent === String(n)",
            arg=step + 1,
        )
        (accepted if accept else rejected).add(passage_id)
        assert _progress(page, "accepted") == len(accepted)
        assert page.inner_text("#sweep-status") == ("Accepted." if accept else "Rejected.")
        if step < 19:
            shown = int(page.locator("#sweep-current").get_attribute("data-passage-id"))
            assert shown not in accepted | rejected  # the next passage is a new one
    assert _stored(app) == (accepted, rejected)
    assert len(accepted) >= 10  # the privacy passages came first: most decisions were accepts
    page.reload()  # the counts come from the stored decisions, not from the page
    assert _progress(page, "reviewed") == 20 and _progress(page, "accepted") == len(accepted)


def test_skip_key_shows_another_passage_and_stores_nothing(page, app, live_server, sweep_url):
    """S moves to the next passage without deciding anything."""
    log_in(page, live_server, "coder@example.org")
    page.goto(sweep_url)
    first = page.locator("#sweep-current").get_attribute("data-passage-id")
    page.keyboard.press("s")
    page.wait_for_function(
        "id => document.querySelector('#sweep-current').dataset.passageId !== id", arg=first
    )
    assert _progress(page, "reviewed") == 0
    assert _stored(app) == (set(), set())


def test_buttons_decide_too(page, app, live_server, sweep_url):
    """Clicking Reject does what the R key does."""
    log_in(page, live_server, "coder@example.org")
    page.goto(sweep_url)
    shown = int(page.locator("#sweep-current").get_attribute("data-passage-id"))
    page.click("#sweep-form button[value=reject]")
    page.wait_for_function(
        "() => document.querySelector('#sweep-progress [data-field=reviewed]').textContent === '1'"
    )
    assert _stored(app) == (set(), {shown})

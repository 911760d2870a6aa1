"""Themes added to one codebook at the same moment: each at its own place, no key twice.

The codebook is ordered by place alone, so two themes at one place would show in any order.
Each test holds a first addition open (read, written, not committed) while a second starts.
"""

from __future__ import annotations

import pytest

from app.exchange.codebook_files import apply_entries
from app.exchange.codebook_qdc import CodebookEntry
from app.models import Study, Theme
from app.platform.extensions import db
from app.studies.codebook import add_theme, theme_fields
from tests.conftest import login, while_held


@pytest.fixture
def study(app, client, make_user, make_study):
    """A study with the default codebook; its owner is logged in."""
    owner = make_user("owner@example.org")
    study_id = make_study(owner)
    login(client, "owner@example.org")
    return {"id": study_id, "owner": owner}


def _add(study, key: str) -> None:
    """Add a theme `key` (in the current transaction)."""
    add_theme(study["id"], key, theme_fields({"label_en": key.title()}), user_id=study["owner"])


def _post(client, study, key: str):
    data = {"key": key, "label_en": key.title(), "colour": "#2471a3"}
    return client.post(f"/studies/{study['id']}/codebook/", data=data)


def _codebook(app, study) -> list[tuple[int, str]]:
    """The codebook in its order: (place, key)."""
    with app.app_context():
        rows = db.session.execute(
            db.select(Theme.position, Theme.key)
            .filter_by(study_id=study["id"])
            .order_by(Theme.position, Theme.id)
        ).all()
        return [tuple(row) for row in rows]


def test_two_themes_added_at_once_get_places_of_their_own(app, client, study):
    """Two coders add a theme at the same moment: both come last, in the order saved."""
    before = _codebook(app, study)
    answer = while_held(app, lambda: _add(study, "waiting"), lambda: _post(client, study, "paper"))
    assert not isinstance(answer, Exception), answer
    assert answer.status_code == 302
    last = before[-1][0]
    assert _codebook(app, study) == [*before, (last + 1, "waiting"), (last + 2, "paper")]


def test_one_key_added_twice_at_once_is_refused_with_a_message(app, client, study):
    """The second of two themes with one key comes back (422) saying the key is taken."""
    before = _codebook(app, study)
    answer = while_held(
        app, lambda: _add(study, "waiting"), lambda: _post(client, study, "waiting")
    )
    assert not isinstance(answer, Exception), answer  # a server error, before the lock
    assert answer.status_code == 422
    assert b"already has a theme with this key" in answer.data
    assert _codebook(app, study) == [*before, (before[-1][0] + 1, "waiting")]


def test_a_codebook_imported_while_a_theme_is_added_comes_after_it(app, study):
    """A codebook file's new theme, imported while a coder adds one, goes after it."""
    before = _codebook(app, study)
    entry = CodebookEntry(key="paper", guid="0f0e0d0c-0b0a-4908-8706-050403020100")

    def import_file():
        with app.app_context():
            target = db.session.get(Study, study["id"])
            counts = apply_entries(target, [entry], user_id=study["owner"])
            db.session.commit()
            return counts

    counts = while_held(app, lambda: _add(study, "waiting"), import_file)
    assert counts == {"added": 1, "updated": 0}
    last = before[-1][0]
    assert _codebook(app, study) == [*before, (last + 1, "waiting"), (last + 2, "paper")]

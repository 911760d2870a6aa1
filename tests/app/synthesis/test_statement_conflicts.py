"""Two facilitators editing one statement: a save drawn from an older state is refused (409)."""

from __future__ import annotations

import re

import pytest

from app.models import Statement, Theme
from app.platform.extensions import db
from tests.conftest import login

BASE = re.compile(r'name="base_version" value="(\d+)"')


@pytest.fixture
def statement_world(app, client, make_user, make_study, make_passages):
    """A study with a session, its default themes, and one convergence statement."""
    owner = make_user("owner@example.org")
    study_id = make_study(owner)
    session_id, _passages = make_passages(study_id, ["Le guichet est fermé."])
    with app.app_context():
        themes = {
            theme.key: theme.id
            for theme in db.session.execute(db.select(Theme).filter_by(study_id=study_id))
            .scalars()
            .all()
        }
    login(client, "owner@example.org")
    created = client.post(
        f"/studies/{study_id}/statements",
        data={
            "session_id": session_id,
            "kind": "convergence",
            "text": "Le numérique déplace le travail.",
            "group_label": "Déplacement",
            "themes": [themes["outsourcing"]],
        },
    )
    assert created.status_code == 303
    statement_id = int(created.headers["Location"].rsplit("statement-", 1)[1])
    return {"study": study_id, "statement": statement_id, "themes": themes}


def _form_base(client, w) -> str:
    page = client.get(f"/studies/{w['study']}/statements/{w['statement']}").text
    return BASE.search(page).group(1)


def _save(client, w, base, **fields):
    data = {
        "kind": "convergence",
        "text": "Le numérique déplace le travail.",
        "group_label": "Déplacement",
        "themes": [w["themes"]["outsourcing"]],
        "base_version": base,
        **fields,
    }
    return client.post(f"/studies/{w['study']}/statements/{w['statement']}", data=data)


def _stored(app, statement_id):
    with app.app_context():
        statement = db.session.get(Statement, statement_id)
        return (
            statement.group_label,
            sorted(theme.key for theme in statement.themes),
            [version.text for version in statement.versions],
        )


def test_stale_heading_and_themes_save_is_refused_and_the_first_save_kept(
    app, client, statement_world
):
    """A heading/themes save from an older form answers 409 and keeps the first save."""
    w = statement_world
    base = _form_base(client, w)  # both facilitators open the edit form
    first = _save(
        client,
        w,
        base,
        group_label="Sous-traitance aux CPAS",
        themes=[w["themes"]["outsourcing"], w["themes"]["dependency"]],
    )
    assert first.status_code == 303
    second = _save(client, w, base, group_label="Rôles brouillés", themes=[w["themes"]["privacy"]])
    assert second.status_code == 409
    assert _stored(app, w["statement"]) == (
        "Sous-traitance aux CPAS",
        ["dependency", "outsourcing"],
        ["Le numérique déplace le travail."],
    )


def test_conflict_page_shows_both_versions_and_what_to_do(app, client, statement_world):
    """The 409 page shows the saved heading and themes beside the refused ones, and how to go on."""
    w = statement_world
    base = _form_base(client, w)
    assert _save(client, w, base, group_label="Sous-traitance aux CPAS").status_code == 303
    refused = _save(
        client, w, base, group_label="Rôles brouillés", text="Mon texte concurrent", kind="tension"
    )
    assert refused.status_code == 409
    page = refused.text
    assert "Someone saved this statement while you were editing" in page
    assert "Sous-traitance aux CPAS" in page and "Rôles brouillés" in page
    assert "Mon texte concurrent" in page and "Le numérique déplace le travail." in page
    assert "then save again" in page
    # The form below now carries the saved revision: saving from it goes through.
    again = _save(client, w, BASE.search(page).group(1), group_label="Rôles brouillés")
    assert again.status_code == 303
    assert _stored(app, w["statement"])[0] == "Rôles brouillés"


def test_save_that_changes_nothing_keeps_open_forms_valid(app, client, statement_world):
    """Saving an unchanged statement does not make another facilitator's open form stale."""
    w = statement_world
    base = _form_base(client, w)
    assert _save(client, w, base).status_code == 303
    assert _save(client, w, base, group_label="Nouveau titre").status_code == 303
    assert _stored(app, w["statement"])[0] == "Nouveau titre"


def test_statement_edit_without_a_base_version_is_refused(app, client, statement_world):
    """An edit that does not say which state it was drawn from cannot overwrite anything."""
    w = statement_world
    response = _save(client, w, "", group_label="Sans version")
    assert response.status_code == 409
    assert _stored(app, w["statement"])[0] == "Déplacement"


def test_two_clicks_on_take_out_do_not_put_the_statement_back(app, client, statement_world):
    """Two facilitators both take a statement out: it stays out (the form says which)."""
    w = statement_world
    page = client.get(f"/studies/{w['study']}/statements/{w['statement']}").text
    assert 'name="archived" value="1"' in page
    url = f"/studies/{w['study']}/statements/{w['statement']}/archive"
    for _click in range(2):
        assert client.post(url, data={"archived": "1"}).status_code == 303
    with app.app_context():
        assert db.session.get(Statement, w["statement"]).archived_at is not None
    assert client.post(url, data={}).status_code == 303  # no state named: nothing changes
    with app.app_context():
        assert db.session.get(Statement, w["statement"]).archived_at is not None

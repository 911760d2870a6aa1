"""Codebook management: add, rename, nest, merge, delete — no coding ever unaccounted for."""

from __future__ import annotations

import pytest
from sqlalchemy import func

from app.models import AuditEvent, Coding, GroupSession, Passage, SpeakerKind, Theme
from app.platform.extensions import db
from tests.conftest import login


@pytest.fixture
def coded(client, app, make_user, make_study):
    """A study with three codings per default theme; the owner is logged in."""
    owner = make_user("owner@example.org")
    study_id = make_study(owner)
    with app.app_context():
        group_session = GroupSession(study_id=study_id, number=1, language="nl")
        passage = Passage(
            group_session=group_session,
            phase=5,
            position=1,
            text="x" * 40,
            speaker_kind=SpeakerKind.FACILITATOR,
            speaker_label="Begeleider",
        )
        db.session.add_all([group_session, passage])
        themes = db.session.execute(db.select(Theme)).scalars().all()
        for theme in themes:
            for i in range(3):
                db.session.add(
                    Coding(
                        passage=passage,
                        theme=theme,
                        coder_id=owner,
                        start_offset=i,
                        end_offset=i + 5,
                    )
                )
        db.session.commit()
        ids = {t.key: t.id for t in themes}
    login(client, "owner@example.org")
    return study_id, ids


def _counts(app) -> dict[str, int]:
    with app.app_context():
        rows = db.session.execute(
            db.select(Theme.key, func.count(Coding.id)).outerjoin(Coding).group_by(Theme.key)
        ).all()
        return dict(rows)


def _actions(app) -> list[str]:
    with app.app_context():
        return db.session.execute(db.select(AuditEvent.action)).scalars().all()


def test_add_theme_with_labels_and_seed_terms(client, app, coded):
    """A facilitator adds a theme; missing labels take the given one."""
    study_id, _ids = coded
    response = client.post(
        f"/studies/{study_id}/codebook/",
        data={
            "key": "non_take_up",
            "label_fr": "Non-recours",
            "colour": "#2E8B57",
            "seed_terms_fr": "non-recours; abandon ;",
            "definition_en": "Rights not claimed.",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        theme = db.session.execute(db.select(Theme).filter_by(key="non_take_up")).scalar_one()
        assert (theme.label_fr, theme.label_nl, theme.label_en) == ("Non-recours",) * 3
        assert theme.colour == "#2e8b57" and theme.seed_terms["fr"] == ["non-recours", "abandon"]
        assert len(theme.guid) == 36
    assert "theme.create" in _actions(app)


@pytest.mark.parametrize(
    "form, fragment",
    [
        ({"key": "Bad Key", "label_en": "X"}, b"lower-case letters"),
        ({"key": "privacy", "label_en": "X"}, b"already has a theme with this key"),
        ({"key": "new"}, b"label in at least one language"),
        ({"key": "new", "label_en": "X", "colour": "red"}, b"#rrggbb"),
        ({"key": "new", "label_en": "L" * 121}, b"at most 120 characters"),
    ],
)
def test_bad_theme_input_is_refused(client, app, coded, form, fragment):
    """Bad keys, duplicate keys, missing labels, bad colours: 422 with the reason."""
    study_id, _ids = coded
    response = client.post(f"/studies/{study_id}/codebook/", data=form)
    assert response.status_code == 422 and fragment in response.data
    assert len(_counts(app)) == 4


def test_rename_recolour_and_nest(client, app, coded):
    """Editing changes labels, colour and parent; the key stays; cycles are refused."""
    study_id, ids = coded
    url = f"/studies/{study_id}/codebook/{ids['outsourcing']}"
    response = client.post(
        url,
        data={
            "version": "1",
            "label_en": "Shifted work",
            "colour": "#123456",
            "parent_id": str(ids["dependency"]),
        },
    )
    assert response.status_code == 302
    response = client.post(
        f"/studies/{study_id}/codebook/{ids['dependency']}",
        data={"version": "1", "label_en": "Dependency", "parent_id": str(ids["outsourcing"])},
    )
    assert response.status_code == 422 and b"cannot be nested inside itself" in response.data
    with app.app_context():
        theme = db.session.get(Theme, ids["outsourcing"])
        assert (theme.key, theme.label_en, theme.colour) == (
            "outsourcing",
            "Shifted work",
            "#123456",
        )
        assert theme.parent_id == ids["dependency"]
        assert db.session.get(Theme, ids["dependency"]).parent_id is None
    page = client.get(f"/studies/{study_id}/codebook/").data
    assert b'class="depth-1"' in page


def test_merge_moves_every_coding_and_child(client, app, coded):
    """Merging privacy into dependency moves its 3 codings and its children.

    The fixture codes the same words by the same coder with every theme, so the moved
    codings are folded into dependency's identical ones instead of doubling them.
    """
    study_id, ids = coded
    client.post(
        f"/studies/{study_id}/codebook/{ids['role_confusion']}",
        data={"version": "1", "label_en": "Role confusion", "parent_id": str(ids["privacy"])},
    )
    response = client.post(
        f"/studies/{study_id}/codebook/{ids['privacy']}/merge",
        data={"target_id": str(ids["dependency"])},
    )
    assert response.status_code == 302
    counts = _counts(app)
    assert "privacy" not in counts and counts["dependency"] == 3
    assert sum(counts.values()) == 9
    with app.app_context():
        assert db.session.get(Theme, ids["role_confusion"]).parent_id == ids["dependency"]
        event = db.session.execute(
            db.select(AuditEvent).filter_by(action="theme.merge")
        ).scalar_one()
        assert event.details["codings_moved"] == 3 and event.details["codings_folded"] == 3


def test_merge_into_itself_or_own_child_is_refused(client, app, coded):
    """A theme cannot be merged into itself or into a theme nested under it."""
    study_id, ids = coded
    url = f"/studies/{study_id}/codebook/{ids['privacy']}/merge"
    assert client.post(url, data={"target_id": str(ids["privacy"])}).status_code == 422
    client.post(
        f"/studies/{study_id}/codebook/{ids['outsourcing']}",
        data={"version": "1", "label_en": "Outsourcing", "parent_id": str(ids["privacy"])},
    )
    response = client.post(url, data={"target_id": str(ids["outsourcing"])})
    assert response.status_code == 422 and b"its own child" in response.data
    assert sum(_counts(app).values()) == 12


def test_delete_moving_codings_keeps_them(client, app, coded):
    """Deleting with 'move' hands the codings to the chosen theme (identical ones folded)."""
    study_id, ids = coded
    response = client.post(
        f"/studies/{study_id}/codebook/{ids['privacy']}/delete",
        data={"codings": "move", "move_to": str(ids["outsourcing"])},
    )
    assert response.status_code == 302
    counts = _counts(app)
    assert "privacy" not in counts and counts["outsourcing"] == 3 and sum(counts.values()) == 9


def test_delete_with_codings_deletes_them_and_audits_count(client, app, coded):
    """Deleting with 'delete' removes exactly that theme's codings, and says how many."""
    study_id, ids = coded
    response = client.post(
        f"/studies/{study_id}/codebook/{ids['privacy']}/delete", data={"codings": "delete"}
    )
    assert response.status_code == 302
    assert sum(_counts(app).values()) == 9
    with app.app_context():
        event = db.session.execute(
            db.select(AuditEvent).filter_by(action="theme.delete")
        ).scalar_one()
        assert event.details["count"] == 3 and event.details["codings"] == "deleted"


def test_delete_without_a_choice_is_refused(client, app, coded):
    """No choice about the codings means nothing is deleted."""
    study_id, ids = coded
    response = client.post(f"/studies/{study_id}/codebook/{ids['privacy']}/delete", data={})
    assert response.status_code == 422
    assert sum(_counts(app).values()) == 12


def test_api_theme_delete_requires_a_choice(client, app, coded):
    """The API refuses to delete a theme unless told what happens to its codings."""
    study_id, ids = coded
    url = f"/api/studies/{study_id}/themes/{ids['privacy']}"
    assert client.delete(url).status_code == 422
    response = client.delete(f"{url}?move_to={ids['dependency']}")
    assert response.json == {"deleted": ids["privacy"], "codings_affected": 3}
    assert _counts(app)["dependency"] == 3  # identical codings folded


def test_theme_stylesheet_carries_colours(client, coded):
    """Theme colours reach the page as CSS classes (no inline styles under the CSP)."""
    study_id, ids = coded
    response = client.get(f"/studies/{study_id}/codebook/themes.css")
    assert response.mimetype == "text/css"
    assert f".theme-{ids['privacy']} {{ --theme: #".encode() in response.data


def test_merge_or_delete_page_offers_the_other_themes(client, app, coded):
    """From the codebook a link opens one theme's merge and delete forms, usable without script."""
    study_id, ids = coded
    client.post(
        f"/studies/{study_id}/codebook/{ids['outsourcing']}",
        data={"version": "1", "label_en": "Outsourcing", "parent_id": str(ids["privacy"])},
    )
    url = f"/studies/{study_id}/codebook/{ids['privacy']}/merge"
    assert f'href="{url}"'.encode() in client.get(f"/studies/{study_id}/codebook/").data
    page = client.get(url).text
    assert "This theme has 3 codings." in page
    merge_form, delete_form = page.split("<h1>", 1)[1].split('action="', 2)[1:]
    assert merge_form.startswith(url) and f'value="{ids["dependency"]}"' in merge_form
    # Neither itself nor its own child can receive a merge; the child can receive codings.
    assert f'value="{ids["privacy"]}"' not in merge_form
    assert f'value="{ids["outsourcing"]}"' not in merge_form
    assert delete_form.startswith(url.replace("/merge", "/delete"))
    assert f'value="{ids["outsourcing"]}"' in delete_form
    assert f'value="{ids["privacy"]}"' not in delete_form


def test_a_refused_merge_shows_the_forms_again_with_the_reason(client, coded):
    """A refused merge answers 422 on the same page, the chosen target still selected."""
    study_id, ids = coded
    response = client.post(
        f"/studies/{study_id}/codebook/{ids['privacy']}/merge", data={"target_id": "999999"}
    )
    assert response.status_code == 422
    assert "Choose the theme to merge into." in response.text
    assert 'id="target_id" name="target_id"' in response.text


def _page_sizes(app, client, study_id: int, themes: int) -> tuple[int, int]:
    """Grow the codebook to `themes` themes; return the bytes of the codebook and merge pages."""
    with app.app_context():
        have = db.session.scalar(db.select(func.count(Theme.id)).filter_by(study_id=study_id))
        db.session.add_all(
            Theme(
                study_id=study_id,
                key=f"theme_{n}",
                position=n,
                label_nl=f"Thema {n}",
                label_fr=f"Thème {n}",
                label_en=f"Theme {n}",
                colour="#2471a3",
            )
            for n in range(have, themes)
        )
        db.session.commit()
        first = db.session.scalar(db.select(func.min(Theme.id)).filter_by(study_id=study_id))
    base = f"/studies/{study_id}/codebook"
    return len(client.get(f"{base}/").data), len(client.get(f"{base}/{first}/merge").data)


def test_codebook_pages_grow_linearly_with_the_number_of_themes(client, app, coded):
    """Ten times the themes is about ten times the HTML, not a hundred (each row no longer
    carries a list of every theme)."""
    study_id, _ids = coded
    small_page, small_merge = _page_sizes(app, client, study_id, 60)
    large_page, large_merge = _page_sizes(app, client, study_id, 600)
    assert large_page < 12 * small_page
    assert large_merge < 12 * small_merge
    assert large_page < 600 * 1024  # it was 27 MB


def test_a_stale_theme_edit_is_refused_with_both_versions(client, app, coded):
    """Two facilitators edit one theme: the later save from the older form is 409."""
    study_id, ids = coded
    url = f"/studies/{study_id}/codebook/{ids['outsourcing']}"
    assert 'name="version" value="1"' in client.get(url).text
    first = client.post(url, data={"version": "1", "label_en": "Shifted work"})
    assert first.status_code == 302
    second = client.post(
        url, data={"version": "1", "label_en": "Outsourcing", "definition_en": "Work moved."}
    )
    assert second.status_code == 409
    assert "Someone else saved this while you were editing" in second.text
    assert "Shifted work" in second.text and "Work moved." in second.text
    assert 'name="version" value="2"' in second.text
    with app.app_context():
        theme = db.session.get(Theme, ids["outsourcing"])
        assert (theme.label_en, theme.definition_en) == ("Shifted work", "")


def test_a_theme_edit_without_a_version_cannot_overwrite(client, app, coded):
    """A theme edit that does not say which version it started from changes nothing."""
    study_id, ids = coded
    url = f"/studies/{study_id}/codebook/{ids['outsourcing']}"
    assert client.post(url, data={"label_en": "Renamed"}).status_code == 409
    with app.app_context():
        assert db.session.get(Theme, ids["outsourcing"]).label_en != "Renamed"

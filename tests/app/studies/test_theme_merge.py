"""Merging a theme into another keeps everything that named it, on the target, once."""

from __future__ import annotations

import pytest

from app.models import (
    Coding,
    Consequence,
    Grouping,
    IncidentSheet,
    Statement,
    StatementKind,
    StatementLink,
    StatementVersion,
    Suggestion,
    SuggestionStatus,
    Synthesis,
    Theme,
    WorkerAction,
)
from app.platform.extensions import db
from tests.conftest import login


@pytest.fixture
def merge_world(app, client, make_user, make_study, make_passages):
    """Privacy (A) and dependency (B) both referred to by every kind of row; owner logged in."""
    owner = make_user("owner@example.org")
    study_id = make_study(owner)
    session_id, (p1, p2, p3) = make_passages(
        study_id, ["Le code PIN de madame.", "Le mot de passe itsme.", "La banque en ligne."]
    )
    with app.app_context():
        themes = {t.key: t for t in db.session.execute(db.select(Theme)).scalars()}
        a, b = themes["privacy"], themes["dependency"]
        twin_a = Coding(passage_id=p1, theme=a, coder_id=owner, start_offset=3, end_offset=11)
        twin_b = Coding(passage_id=p1, theme=b, coder_id=owner, start_offset=3, end_offset=11)
        only_a = Coding(passage_id=p2, theme=a, coder_id=owner, start_offset=0, end_offset=10)
        db.session.add_all([twin_a, twin_b, only_a])
        synthesis = Synthesis(study_id=study_id, group_session_id=session_id)
        with_a = Statement(synthesis=synthesis, kind=StatementKind.CONVERGENCE, themes=[a])
        with_both = Statement(synthesis=synthesis, kind=StatementKind.TENSION, themes=[a, b])
        for statement in (with_a, with_both):
            statement.versions.append(StatementVersion(number=1, text="Les codes circulent."))
        db.session.add_all([synthesis, with_a, with_both])
        db.session.flush()
        db.session.add_all(
            [
                StatementLink(statement=with_a, passage_id=p1, coding=twin_a),
                StatementLink(statement=with_a, passage_id=p2, coding=only_a),
            ]
        )
        sheet = IncidentSheet(
            study_id=study_id,
            organisation="Banque",
            channel="app",
            worker_action=WorkerAction.INFORMED,
            consequence=Consequence.NONE,
            themes=[a],
        )
        db.session.add(sheet)

        def suggestion(passage_id, theme, status, text_hash):
            return Suggestion(
                study_id=study_id,
                passage_id=passage_id,
                theme=theme,
                score=0.5,
                regime="zero-shot",
                status=status,
                text_hash=text_hash,
            )

        rejected_a = suggestion(p3, a, SuggestionStatus.REJECTED, "h3")  # a sweep decision
        open_b = suggestion(p2, b, SuggestionStatus.OPEN, "h2")
        accepted_a = suggestion(p2, a, SuggestionStatus.ACCEPTED, "h2")
        open_a = suggestion(p1, a, SuggestionStatus.OPEN, "h1")
        rejected_b = suggestion(p1, b, SuggestionStatus.REJECTED, "h1")
        db.session.add_all([rejected_a, open_b, accepted_a, open_a, rejected_b])
        grouping = Grouping(
            study_id=study_id,
            label="Codes",
            theme_id=a.id,
            best_theme_id=a.id,
            theme_overlap={str(a.id): 0.8, str(b.id): 0.5, str(themes["privacy"].id + 100): 0.1},
        )
        db.session.add(grouping)
        db.session.commit()
        ids = {
            "study": study_id,
            "a": a.id,
            "b": b.id,
            "twin_b": twin_b.id,
            "only_a": only_a.id,
            "with_a": with_a.id,
            "with_both": with_both.id,
            "sheet": sheet.id,
            "grouping": grouping.id,
            "p1": p1,
            "p2": p2,
            "p3": p3,
        }
    login(client, "owner@example.org")
    response = client.post(
        f"/studies/{study_id}/codebook/{ids['a']}/merge", data={"target_id": str(ids["b"])}
    )
    assert response.status_code == 302
    return ids


def test_merge_keeps_statement_themes_on_the_target_without_duplicates(app, merge_world):
    """Statements tagged with the merged theme carry the target theme, once."""
    w = merge_world
    with app.app_context():
        for key in ("with_a", "with_both"):
            statement = db.session.get(Statement, w[key])
            assert [theme.id for theme in statement.themes] == [w["b"]]


def test_merge_keeps_statement_quotes_of_merged_codings(app, merge_world):
    """A statement's quotes of the merged theme's codings survive, on the folded coding."""
    w = merge_world
    with app.app_context():
        links = db.session.execute(
            db.select(StatementLink.coding_id).filter_by(statement_id=w["with_a"])
        ).scalars()
        assert sorted(links) == sorted([w["twin_b"], w["only_a"]])
        codings = db.session.execute(
            db.select(Coding.passage_id, Coding.start_offset, Coding.theme_id).order_by(Coding.id)
        ).all()
        assert sorted(codings) == sorted([(w["p1"], 3, w["b"]), (w["p2"], 0, w["b"])])


def test_merge_keeps_incident_sheet_themes(app, merge_world):
    """An incident sheet coded with the merged theme is coded with the target."""
    w = merge_world
    with app.app_context():
        sheet = db.session.get(IncidentSheet, w["sheet"])
        assert [theme.id for theme in sheet.themes] == [w["b"]]


def test_merge_keeps_suggestion_and_sweep_decisions_once(app, merge_world):
    """Decisions on the merged theme move to the target; of two, a decision beats an open one."""
    w = merge_world
    with app.app_context():
        rows = db.session.execute(
            db.select(Suggestion.passage_id, Suggestion.theme_id, Suggestion.status)
        ).all()
        assert sorted(rows) == sorted(
            [
                (w["p3"], w["b"], SuggestionStatus.REJECTED),  # the sweep's rejection is kept
                (w["p2"], w["b"], SuggestionStatus.ACCEPTED),  # beats the open twin
                (w["p1"], w["b"], SuggestionStatus.REJECTED),  # the target's own decision
            ]
        )


def test_merge_points_groupings_at_the_target(app, merge_world):
    """Groupings that became or best matched the merged theme name the target."""
    w = merge_world
    with app.app_context():
        grouping = db.session.get(Grouping, w["grouping"])
        assert (grouping.theme_id, grouping.best_theme_id) == (w["b"], w["b"])
        assert grouping.theme_overlap[str(w["b"])] == 0.8
        assert str(w["a"]) not in grouping.theme_overlap
        assert db.session.get(Theme, w["a"]) is None

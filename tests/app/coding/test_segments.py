"""Retrieval, full-text search (same on SQLite and PostgreSQL), matrices and agreement."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest

from app.coding.retrieval import search_terms
from app.coding.retrieval import words as search_words
from app.demo import load_demo
from app.models import Coding, GroupSession, Participant, Passage, Theme, User
from app.platform.extensions import db
from tests.conftest import login


@pytest.fixture
def demo(app, client, make_user):
    """The demo study, owned by a logged-in user."""
    owner = make_user("owner@example.org")
    with app.app_context():
        study = load_demo(owner_id=owner)
        db.session.commit()
        study_id = study.id
    login(client, "owner@example.org")
    return study_id


def _result_count(page: bytes) -> int:
    return int(re.search(rb"<h2>(\d+) coded segments?</h2>", page).group(1))


def _reference_matches(app, query: str) -> set[int]:
    """Passages containing every query word, computed in Python as the specification."""
    terms = search_terms(query)
    with app.app_context():
        found = set()
        for passage in db.session.execute(db.select(Passage)).scalars():
            words = set(search_words(passage.text))
            if all(term in words for term in terms):
                found.add(passage.id)
        return found


@pytest.mark.parametrize(
    "query",
    [
        "pincode",
        "eBox",
        "itsme eBox",
        "CPAS",
        "cpas",
        "récit",
        "café",
        "OCMW leefloon",
        "post-it",
        "l'eBox",
        "zijn",
        "n'importe quoi absent",
        "mandat",
        "aide ½",
        "prive\u0301",  # "privé" typed with a combining accent
    ],
)
def test_full_text_search_finds_exactly_the_passages_with_all_words(client, app, demo, query):
    """The database search returns the same passages as the word-matching specification."""
    from app.coding.retrieval import SegmentFilters, found_passages

    expected = _reference_matches(app, query)
    with app.app_context():
        filters = SegmentFilters(terms=tuple(search_terms(query)))
        got = {p.id for p in found_passages(demo, filters, limit=10_000)}
    assert got == expected
    page = client.get(f"/studies/{demo}/segments", query_string={"q": query})
    assert page.status_code == 200


def test_search_index_follows_edits_and_deletions(app, demo):
    """Changing or deleting a passage changes what the search finds."""
    from app.coding.retrieval import SegmentFilters, found_passages

    with app.app_context():
        passage = db.session.execute(db.select(Passage).limit(1)).scalar_one()
        passage.text = passage.text + " zeldzaamwoord"
        db.session.commit()
        filters = SegmentFilters(terms=("zeldzaamwoord",))
        assert [p.id for p in found_passages(demo, filters)] == [passage.id]
        db.session.delete(passage)
        db.session.commit()
        assert found_passages(demo, filters) == []


def test_theme_filter_includes_child_themes(client, app, demo):
    """Filtering on a parent theme lists its own and its children's segments."""
    with app.app_context():
        themes = {t.key: t for t in db.session.execute(db.select(Theme)).scalars()}
        parent, child = themes["dependency"], themes["outsourcing"]
        own = db.session.query(Coding).filter_by(theme_id=parent.id).count()
        nested = db.session.query(Coding).filter_by(theme_id=child.id).count()
        child.parent_id = parent.id
        db.session.commit()
        parent_id = parent.id
    page = client.get(f"/studies/{demo}/segments", query_string={"theme": parent_id}).data
    assert _result_count(page) == own + nested


def test_filters_combine(client, app, demo):
    """Theme, session, phase, attribute, coder and words narrow the list together."""
    with app.app_context():
        privacy = db.session.execute(db.select(Theme).filter_by(key="privacy")).scalar_one()
        first = db.session.execute(db.select(GroupSession).filter_by(number=1)).scalar_one()
        coder = db.session.execute(
            db.select(User).filter_by(email="demo-coder-a@demo.invalid")
        ).scalar_one()
        ocmw = {
            p.id
            for p in db.session.execute(db.select(Participant)).scalars()
            if p.attributes.get("organisation_type") == "OCMW"
        }
        expected = [
            c
            for c in db.session.execute(db.select(Coding)).scalars()
            if c.theme_id == privacy.id
            and c.passage.group_session_id == first.id
            and c.coder_id == coder.id
            and c.passage.participant_id in ocmw
        ]
        args = {
            "theme": privacy.id,
            "session": first.id,
            "coder": coder.id,
            "attribute": "organisation_type=OCMW",
        }
        with_phase = [c for c in expected if c.passage.phase == 3]
    assert expected, "the demo should have such segments"
    page = client.get(f"/studies/{demo}/segments", query_string=args).data
    assert _result_count(page) == len(expected)
    page = client.get(f"/studies/{demo}/segments", query_string={**args, "phase": 3}).data
    assert _result_count(page) == len(with_phase)
    page = client.get(f"/studies/{demo}/segments", query_string={**args, "q": "xyzzy"}).data
    assert _result_count(page) == 0


def test_bad_date_filter_is_reported(client, demo):
    """A malformed date gives 422 and says how to write it."""
    page = client.get(f"/studies/{demo}/segments", query_string={"from": "28/11/2026"})
    assert page.status_code == 422 and b"YYYY-MM-DD" in page.data


def test_matrices_count_codings_and_link_to_the_same_segments(client, app, demo):
    """Each matrix cell's number equals the segments its link lists; CSV has the same numbers."""
    page = client.get(f"/studies/{demo}/matrices").data.decode()
    links = re.findall(r'<a href="(/studies/\d+/segments\?[^"]+)">(\d+)</a>', page)
    assert len(links) > 20
    for href, number in links:
        if "with_theme" in href:
            continue  # co-occurrence counts passages, its link lists their segments
        listed = client.get(html.unescape(href)).data
        assert _result_count(listed) == int(number), href
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(f"/studies/{demo}/matrices/session.csv").data.decode("utf-8-sig")
            )
        )
    )
    assert rows[0] == ["Theme", "Session 1", "Session 2"]
    with app.app_context():
        total = db.session.query(Coding).count()
    assert sum(int(n) for row in rows[1:] for n in row[1:]) == total


def test_cooccurrence_is_symmetric_with_passage_counts_on_the_diagonal(client, app, demo):
    """Co-occurrence counts passages having both themes; the diagonal counts coded passages."""
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(f"/studies/{demo}/matrices/cooccurrence.csv").data.decode("utf-8-sig")
            )
        )
    )
    matrix = [[int(n) for n in row[1:]] for row in rows[1:]]
    assert all(matrix[i][j] == matrix[j][i] for i in range(4) for j in range(4))
    with app.app_context():
        privacy = db.session.execute(db.select(Theme).filter_by(key="privacy")).scalar_one()
        passages = {c.passage_id for c in db.session.query(Coding).filter_by(theme_id=privacy.id)}
    assert matrix[1][1] == len(passages)


def test_agreement_page_shows_kappa_and_alpha_for_the_demo(client, app, demo):
    """The demo's two coders get per-theme agreement figures and a list of disagreements."""
    with app.app_context():
        session_id = db.session.execute(db.select(GroupSession.id).filter_by(number=2)).scalar_one()
    page = client.get(f"/studies/{demo}/sessions/{session_id}/agreement").data.decode()
    assert "Cohen’s kappa" in page and "Krippendorff’s alpha" in page
    cells = re.findall(r"<td>([^<]*)</td>", page)
    assert re.fullmatch(r"-?\d\.\d\d", cells[2]) and re.fullmatch(r"-?\d\.\d\d", cells[3])
    assert "Disagreements to review" in page and "<q>" in page

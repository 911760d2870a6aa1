"""The demo study: loaded from sessions/demo/, idempotent, realistic and consistent."""

from __future__ import annotations

from sqlalchemy import func

from app.demo import load_demo
from app.models import Coding, GroupSession, Narrative, Participant, Passage, Study, User
from app.platform.extensions import db


def _counts() -> dict:
    return {
        model.__name__: db.session.scalar(db.select(func.count()).select_from(model))
        for model in (Study, GroupSession, Participant, Passage, Coding, Narrative, User)
    }


def test_demo_loads_once(app):
    """Loading the demo twice leaves exactly one demo study."""
    with app.app_context():
        assert load_demo() is not None
        db.session.commit()
        first = _counts()
        assert load_demo() is None
        db.session.commit()
        assert _counts() == first
    assert first["Study"] == 1 and first["GroupSession"] == 2
    assert first["Passage"] > 100 and first["Coding"] > 30


def test_demo_has_a_dutch_and_a_french_session_across_phases(app):
    """Two sessions (nl, fr), passages in all eleven phases, one chosen narrative each."""
    with app.app_context():
        load_demo()
        db.session.commit()
        sessions = (
            db.session.execute(db.select(GroupSession).order_by(GroupSession.number))
            .scalars()
            .all()
        )
        assert [s.language for s in sessions] == ["nl", "fr"]
        for group_session in sessions:
            assert {p.phase for p in group_session.passages} == set(range(1, 12))
            chosen = [n for n in group_session.narratives if n.is_chosen]
            assert len(chosen) == 1 and chosen[0].narrator is not None


def test_demo_codings_point_at_the_quoted_words(app):
    """Every demo coding's offsets cover exactly an occurrence of text in its passage."""
    with app.app_context():
        load_demo()
        db.session.commit()
        codings = db.session.execute(db.select(Coding)).scalars().all()
        coders = {c.coder_id for c in codings}
        for coding in codings:
            quote = coding.passage.text[coding.start_offset : coding.end_offset]
            assert len(quote.split()) >= 3
            assert quote == quote.strip()
    assert len(coders) == 2  # a second coder, for inter-coder agreement


def test_demo_coders_cannot_log_in(app, client):
    """The demo's coder accounts have no password and are disabled."""
    with app.app_context():
        load_demo()
        db.session.commit()
        coders = db.session.execute(db.select(User)).scalars().all()
        assert coders and all(u.password_hash is None and not u.is_active for u in coders)
        email = coders[0].email
    assert client.post("/login", data={"email": email, "password": ""}).status_code in {302, 401}
    assert client.get("/studies/").status_code == 302


def test_demo_is_loaded_on_first_start_unless_disabled(make_app):
    """An empty database gets the demo at start; MAGWB_LOAD_DEMO=0 turns that off."""
    app = make_app(LOAD_DEMO=False)
    with app.app_context():
        assert db.session.scalar(db.select(func.count(Study.id))) == 0
    app = make_app(LOAD_DEMO=True)
    with app.app_context():
        assert db.session.scalar(db.select(func.count(Study.id))) == 1
    app = make_app(LOAD_DEMO=True)  # a restart does not load it again
    with app.app_context():
        assert db.session.scalar(db.select(func.count(Study.id))) == 1

"""Replacing personal data changes the occurrences and nothing else; codings keep their words.

Hypothesis builds passage texts around a name (at the start or the end, next to
punctuation, straight and curly apostrophes, inside longer words, in another case,
after emoji and combining accents) and codings anywhere on them. After the
replacement the stored text must differ from the old one only at the occurrences,
and every coding must cover its old words with only the occurrences it touched
replaced: never fewer words, never part of the replacement, never deleted.
Found this way: a coding on a name at the very end of a passage was deleted, and
one on "Ann" replaced by "Anna" (or "Anonymous") covered "Ann" (or "Anon") only.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.models import Coding, Passage, SpeakerKind, Theme
from app.platform.extensions import db
from app.privacy.fields import name_pattern

PROPERTY = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

# "Rose" and "De Rose" are also words: in lower case they stay (privacy/fields.name_pattern).
NAMES = ["Ann", "Zoë", "O'Brien", "Jean Dupont", "Ana-Lu", "Éva", "Rose", "De Rose"]
REPLACEMENTS = ["[NOM]", "Anna", "Anonymous", "X", "P1", "Éva Éva", "😀", "n"]
PIECES = [
    " ",
    ", ",
    ".",
    "\n",
    "'",
    "’",
    "d'",
    "d’",
    "'s",
    "’s",
    "(",
    ")",
    "-",
    "e\u0301",  # a combining accent just before what follows
    "😀",
    "𝒜",
    "said",
    "nick",
    "Annick",
    "na",
    " et ",
]


@st.composite
def passages(draw):
    """A name, a replacement, a text made of the name's variants and filler, and spans."""
    name = draw(st.sampled_from(NAMES))
    variants = [name, name.upper(), name.lower(), name.replace("'", "’"), name + "ick"]
    pieces = draw(st.lists(st.sampled_from(PIECES + variants), min_size=1, max_size=14))
    text = "".join(pieces)
    spans = []
    for _ in range(draw(st.integers(0, 4))):
        start = draw(st.integers(0, len(text) - 1))
        end = draw(st.integers(start + 1, len(text)))
        spans.append((start, end))
    replacement = draw(st.sampled_from(REPLACEMENTS))
    ignore_case = draw(st.booleans())
    return name, replacement, ignore_case, text, spans


def _expected(old: str, matches, start: int, end: int, replacement: str) -> str:
    """The old covered words with each occurrence they touch replaced whole."""
    for m in matches:  # a span that cuts an occurrence grows to hold all of it
        if m.start() < end and start < m.end():
            start, end = min(start, m.start()), max(end, m.end())
    out, at = [], start
    for m in matches:
        if start <= m.start() and m.end() <= end:
            out += [old[at : m.start()], replacement]
            at = m.end()
    return "".join(out) + old[at:end]


@pytest.fixture
def one_session(app, make_user, make_study, make_passages):
    owner = make_user("owner@example.org", admin=True)
    study_id = make_study(owner)
    session_id, _ = make_passages(study_id, [])
    with app.app_context():
        theme_id = db.session.scalars(select(Theme.id).filter_by(study_id=study_id)).first()
    return {"study": study_id, "session": session_id, "theme": theme_id, "owner": owner}


@PROPERTY
@given(case=passages())
def test_replacement_changes_only_the_occurrences_and_codings_keep_their_words(
    app, one_session, case
):
    """The stored text differs only at the name; each coding covers its words, renamed."""
    from app.privacy.replace import replace_in_fields

    name, replacement, ignore_case, old, spans = case
    pattern = name_pattern([name], ignore_case=ignore_case)
    matches = list(pattern.finditer(old))
    with app.app_context():
        try:
            passage = Passage(
                group_session_id=one_session["session"],
                phase=5,
                position=1,
                speaker_kind=SpeakerKind.FACILITATOR,
                text=old,
            )
            passage.codings = [
                Coding(theme_id=one_session["theme"], start_offset=s, end_offset=e)
                for s, e in spans
            ]
            db.session.add(passage)
            db.session.flush()
            replace_in_fields(one_session["study"], pattern, replacement)
            db.session.expire_all()
            stored = db.session.get(Passage, passage.id)
            # Outside the occurrences the text is exactly the old one.
            pieces, at = [], 0
            for m in matches:
                pieces += [old[at : m.start()], replacement]
                at = m.end()
            assert stored.text == "".join(pieces) + old[at:]
            codings = db.session.scalars(
                select(Coding).filter_by(passage_id=passage.id).order_by(Coding.id)
            ).all()
            assert len(codings) == len(spans), "a coding was deleted"
            for coding, (start, end) in zip(codings, spans, strict=True):
                assert 0 <= coding.start_offset < coding.end_offset <= len(stored.text)
                covered = stored.text[coding.start_offset : coding.end_offset]
                assert covered == _expected(old, matches, start, end, replacement), old[start:end]
        finally:
            db.session.rollback()


def test_a_coding_on_a_name_ending_the_passage_survives_its_replacement(app, one_session):
    """ "I met Ann" coded on "Ann": after the replacement the coding holds "[NOM]"."""
    from app.privacy.replace import replace_in_fields

    with app.app_context():
        passage = Passage(
            group_session_id=one_session["session"],
            phase=5,
            position=1,
            speaker_kind=SpeakerKind.FACILITATOR,
            text="I met Ann",
        )
        passage.codings = [Coding(theme_id=one_session["theme"], start_offset=6, end_offset=9)]
        db.session.add(passage)
        db.session.commit()
        replace_in_fields(one_session["study"], name_pattern(["Ann"]), "[NOM]")
        db.session.commit()
        (coding,) = db.session.scalars(select(Coding).filter_by(passage_id=passage.id))
        assert coding.quote == "[NOM]"


def test_a_coding_on_a_name_covers_all_of_a_replacement_that_starts_like_it(app, one_session):
    """ "Ann" replaced by "Anonymous": the coding covers "Anonymous", not "Ann" of it."""
    from app.privacy.replace import replace_in_fields

    with app.app_context():
        passage = Passage(
            group_session_id=one_session["session"],
            phase=5,
            position=1,
            speaker_kind=SpeakerKind.FACILITATOR,
            text="Ann said no",
        )
        passage.codings = [Coding(theme_id=one_session["theme"], start_offset=0, end_offset=3)]
        db.session.add(passage)
        db.session.commit()
        replace_in_fields(one_session["study"], name_pattern(["Ann"]), "Anonymous")
        db.session.commit()
        (coding,) = db.session.scalars(select(Coding).filter_by(passage_id=passage.id))
        assert coding.quote == "Anonymous"

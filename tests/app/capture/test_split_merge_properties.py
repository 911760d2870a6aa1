"""Splitting a passage anywhere, then merging it back, keeps every word and every coding on it.

Hypothesis builds passage texts (spaces, line breaks, tabs, no-break and zero-width
spaces, emoji, combining accents) with codings anywhere on them and splits at any
offset the form accepts. The halves must hold all the words (only the blanks at the
cut go), each coding's words must be found in the halves it falls in, and merging the
halves again must leave every coding on the words it covered.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.models import Coding, Passage, SpeakerKind, Theme
from app.platform.extensions import db
from app.platform.forms import ValidationError

PROPERTY = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

PIECES = ["mot", " ", "  ", "\n", "\t", "\xa0", "\u200b", "é", "e\u0301", "😀", "𝒜", ".", "’"]


@st.composite
def splits(draw):
    """A text, codings on it (each with its own memo) and a split offset."""
    text = "".join(draw(st.lists(st.sampled_from(PIECES), min_size=2, max_size=16))).strip()
    assume(len(text) >= 2)
    spans = []
    for _ in range(draw(st.integers(0, 4))):
        start = draw(st.integers(0, len(text) - 1))
        spans.append((start, draw(st.integers(start + 1, len(text)))))
    return text, spans, draw(st.integers(1, len(text) - 1))


@pytest.fixture
def phase(app, make_user, make_study, make_passages):
    owner = make_user("owner@example.org", admin=True)
    study_id = make_study(owner)
    session_id, _ = make_passages(study_id, [])
    with app.app_context():
        theme_id = db.session.scalars(select(Theme.id).filter_by(study_id=study_id)).first()
    return {"session": session_id, "theme": theme_id, "owner": owner}


def _quotes(passage_ids) -> dict[str, list[str]]:
    """Each original coding (by memo) → the words its codings cover, in passage order."""
    quotes: dict[str, list[str]] = {}
    for passage_id in passage_ids:
        passage = db.session.get(Passage, passage_id)
        codings = db.session.scalars(
            select(Coding).filter_by(passage_id=passage_id).order_by(Coding.start_offset)
        )
        for coding in codings:
            assert 0 <= coding.start_offset < coding.end_offset <= len(passage.text)
            quotes.setdefault(coding.memo, []).append(coding.quote)
    return quotes


@PROPERTY
@given(case=splits())
def test_split_then_merge_keeps_the_words_and_the_codings_on_them(app, phase, case):
    """Split anywhere: no word lost, codings on their words; merged back: the same words coded."""
    from app.capture.joins import merge_with_next, split_passage

    text, spans, offset = case
    with app.app_context():
        try:
            passage = Passage(
                group_session_id=phase["session"],
                phase=5,
                position=1,
                speaker_kind=SpeakerKind.FACILITATOR,
                speaker_label="F1",
                text=text,
            )
            passage.codings = [
                Coding(theme_id=phase["theme"], start_offset=s, end_offset=e, memo=str(n))
                for n, (s, e) in enumerate(spans)
            ]
            db.session.add(passage)
            db.session.flush()
            try:
                second = split_passage(
                    passage, offset, version=passage.version, user_id=phase["owner"]
                )
            except ValidationError:
                # Refused only when one side of the cut holds nothing but blanks.
                assert not text[:offset].strip() or not text[offset:].strip()
                return
            db.session.flush()
            head, tail = passage.text, second.text
            cut = len(text[:offset].rstrip())
            gap = text[cut : len(text) - len(tail)]
            assert head + gap + tail == text and not gap.strip()
            split_quotes = _quotes([passage.id, second.id])
            for n, (s, e) in enumerate(spans):
                words = text[s:e]
                if not words.strip():
                    continue  # blanks only: nothing to keep once the cut removes them
                kept = "".join(split_quotes.get(str(n), []))
                before, after = text[s : max(s, min(e, cut))], text[max(s, cut + len(gap)) : e]
                assert kept == before + after, words
            merge_with_next(passage, user_id=phase["owner"])
            db.session.flush()
            db.session.expire_all()
            merged = db.session.get(Passage, passage.id)
            assert merged.text == head + "\n" + tail
            assert _quotes([passage.id]) == split_quotes
        finally:
            db.session.rollback()

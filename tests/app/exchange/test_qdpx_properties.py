"""Any stored text survives a REFI-QDA round trip: export, import into a fresh study, same words.

Hypothesis fills a session with passages, a facilitator label and coding memos drawn from
the whole of Unicode (in the stored normal form: what every input path leaves), codes
spans anywhere, exports the study as .qdpx and imports it as a new study. The passages,
their speakers and every coding's offsets, words and memo must come back; a character
XML cannot carry (U+FFFE, U+FFFF) must be replaced as documented, never break the file.
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from analysis import normalise_text
from app.exchange.qdpx import export_qdpx, import_qdpx
from app.models import (
    Coding,
    Consent,
    ConsentScope,
    GroupSession,
    Participant,
    Passage,
    SpeakerKind,
    Study,
    Theme,
)
from app.platform.extensions import db

PROPERTY = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

# Every code point but lone surrogates (refused by every form); plus those that try XML.
CHARACTERS = st.one_of(
    st.characters(exclude_categories=("Cs",)),
    st.sampled_from("\uffff\ufffe\u200b\xa0\u202e\u0301😀ي:\n"),
)
TEXT = st.text(CHARACTERS, min_size=1, max_size=60).map(normalise_text)


def _xml_safe(text: str) -> str:
    """What the export documents for characters XML 1.0 cannot hold."""
    return text.replace("\ufffe", "\ufffd").replace("\uffff", "\ufffd")


@st.composite
def sessions(draw):
    """[(text, by participant?, [(start, end, memo)])], and a facilitator label."""
    passages = []
    for _ in range(draw(st.integers(1, 3))):
        text = draw(TEXT)
        assume(text)
        codings = []
        for _ in range(draw(st.integers(0, 3))):
            start = draw(st.integers(0, len(text) - 1))
            end = draw(st.integers(start + 1, len(text)))
            codings.append((start, end, draw(st.one_of(st.just(""), TEXT))))
        passages.append((text, draw(st.booleans()), codings))
    label = draw(st.text(st.sampled_from("Aaé ي😀\uffff"), min_size=1, max_size=12)).strip()
    assume(label)
    return passages, label


@pytest.fixture
def owner(make_user):
    return make_user("owner@example.org", password=None)


@PROPERTY
@given(case=sessions())
def test_any_stored_text_comes_back_from_a_qdpx_with_its_codings(app, owner, make_study, case):
    """Export then import: same passages, speakers, coded offsets, words and memos."""
    passages, label = case
    study_id = make_study(owner)
    with app.app_context():
        try:
            study = db.session.get(Study, study_id)
            theme = db.session.scalars(select(Theme).filter_by(study_id=study_id)).first()
            person = Participant(study=study, pseudonym="Amina", pseudonym_key="amina")
            person.consents.append(
                Consent(scope=ConsentScope.QUOTATION, granted=True, given_on=date(2026, 1, 1))
            )
            group_session = GroupSession(study=study, number=1, language="fr")
            db.session.add_all([person, group_session])
            for position, (text, by_person, codings) in enumerate(passages, start=1):
                passage = Passage(
                    group_session=group_session,
                    phase=5,
                    position=position,
                    speaker_kind=SpeakerKind.PARTICIPANT if by_person else SpeakerKind.FACILITATOR,
                    participant=person if by_person else None,
                    speaker_label="" if by_person else label,
                    text=text,
                )
                passage.codings = [
                    Coding(theme=theme, start_offset=s, end_offset=e, memo=memo)
                    for s, e, memo in codings
                ]
                db.session.add(passage)
            db.session.flush()
            data = export_qdpx(study, user_id=owner)
            result = import_qdpx(data, filename="round.qdpx", owner_id=owner, language="fr")
            (imported,) = result.study.group_sessions
            got = [
                (
                    p.text,
                    p.speaker_name,
                    sorted((c.start_offset, c.end_offset, c.quote, c.memo) for c in p.codings),
                )
                for p in imported.passages
            ]
            wanted = [
                (
                    text,
                    "Amina" if by_person else _xml_safe(label),
                    sorted((s, e, text[s:e], _xml_safe(memo)) for s, e, memo in codings),
                )
                for text, by_person, codings in passages
            ]
            assert got == wanted
        finally:
            db.session.rollback()

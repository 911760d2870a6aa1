"""What leaves the tool, as a property over every export format (issue 14).

For random studies with random quotation consents (granted, refused, withdrawn
later), quote withdrawals and erasures: no word of a participant without current
quotation consent, and no erased participant's label, is in any exported file
(the Word report, the REFI-QDA project, the segment CSV and XLSX, the matrices
XLSX; zips are opened and every member searched). The study archive is a
same-team backup and is exempt: it must keep everything (lossless restore).
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.coding.retrieval import SegmentFilters
from app.exchange.archive.export import export_study_archive
from app.exchange.qdpx import export_qdpx
from app.exchange.reports import build_report
from app.exchange.spreadsheets import matrix_xlsx, segments_csv, segments_xlsx
from app.models import (
    Coding,
    GroupSession,
    Narrative,
    Participant,
    Passage,
    QuoteChoice,
    QuoteDecision,
    RoundStatement,
    SpeakerKind,
    Statement,
    StatementAnswer,
    StatementKind,
    StatementLink,
    StatementVersion,
    Study,
    Synthesis,
    Theme,
    ValidationLink,
    ValidationRound,
    Verdict,
)
from app.models.base import utcnow
from app.platform.extensions import db
from app.studies.participants import erase_participant, record_consent
from tests.conftest import wipe

NAMES = ("Zorbaxe", "Quillonne", "Vextrane", "Mirwenne")
ERASED = re.compile(r"erased-\d+")

person = st.fixed_dictionaries(
    {
        # Quotation consent decisions, oldest first: the newest one is in force.
        "consents": st.lists(st.booleans(), max_size=3),
        "erased": st.booleans(),
        "withdrawn": st.lists(st.booleans(), min_size=1, max_size=2),  # one per passage
        "verdict": st.sampled_from([Verdict.NUANCE, Verdict.DISAGREE]),
    }
)


def _text_of(name: str, data: bytes) -> str:
    """Every member of a zip (docx, xlsx, qdpx), or the file itself, as text."""
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "\n".join(
                f"--- {name}:{member}\n" + archive.read(member).decode("utf-8", "replace")
                for member in archive.namelist()
            )
    return data.decode("utf-8-sig")


def _build_study(people: list[dict], owner_id: int) -> tuple[int, dict]:
    """Store a study whose participants follow `people`; return its id and the markers."""
    study = Study(title="Consent property", language="fr", created_by_id=owner_id)
    db.session.add(study)
    db.session.flush()
    theme = Theme(
        study_id=study.id,
        key="dependency",
        label_nl="Afhankelijkheid",
        label_fr="Dépendance",
        label_en="Dependency",
        position=1,
    )
    group_session = GroupSession(study_id=study.id, number=1, language="fr", title="Séance")
    synthesis = Synthesis(study=study, group_session=group_session)
    db.session.add_all([theme, group_session, synthesis])
    statement = Statement(synthesis=synthesis, kind=StatementKind.DIVERGENCE, position=1)
    statement.themes.append(theme)
    db.session.add(statement)
    participants, passages, markers = [], [], {}
    everyone = " et ".join(NAMES[: len(people)])
    for i, spec in enumerate(people):
        participant = Participant(study=study, pseudonym=NAMES[i], pseudonym_key=NAMES[i].lower())
        db.session.add(participant)
        db.session.flush()
        for granted in spec["consents"]:
            record_consent(participant, "quotation", granted, date(2026, 1, 1), user_id=owner_id)
        own = []
        for j, withdrawn in enumerate(spec["withdrawn"]):
            words = f"xq{i}said{j}"
            passage = Passage(
                group_session=group_session,
                phase=5,
                position=10 * i + j,
                speaker_kind=SpeakerKind.PARTICIPANT,
                participant=participant,
                # Each one names everybody: an erased name ends up in others' words.
                text=f"{words}: le guichet ferme, comme {everyone} le disent souvent ici.",
                quote_withdrawn_at=utcnow() if withdrawn else None,
            )
            db.session.add(passage)
            own.append(passage)
        db.session.add(
            Narrative(
                group_session=group_session,
                proposer=participant,
                title=f"xq{i}story",
                is_chosen=True,
            )
        )
        participants.append(participant)
        passages.append(own)
        markers[i] = [f"xq{i}said{j}" for j in range(len(own))] + [
            f"xq{i}comment",
            f"xq{i}reword",
            f"xq{i}story",
        ]
    facilitator = Passage(
        group_session=group_session,
        phase=8,
        position=99,
        speaker_kind=SpeakerKind.FACILITATOR,
        speaker_label="Animatrice",
        text=f"Synthèse: {everyone} ne sont pas d'accord.",
    )
    db.session.add(facilitator)
    db.session.flush()
    statement.versions.append(
        StatementVersion(
            number=1, text=f"Divergence entre {everyone}.", positions=f"Positions: {everyone}."
        )
    )
    for own in passages:
        for passage in own:
            db.session.add(
                Coding(passage=passage, theme=theme, start_offset=0, end_offset=len(passage.text))
            )
            db.session.add(StatementLink(statement=statement, passage=passage))
    db.session.flush()
    round_ = ValidationRound(
        study_id=study.id,
        synthesis_id=synthesis.id,
        title="Tour",
        attributed=True,
        opened_by_id=owner_id,
        expires_at=utcnow() + timedelta(days=7),
    )
    db.session.add(round_)
    round_.items.append(RoundStatement(statement=statement, version=statement.current, position=1))
    for i, (participant, spec) in enumerate(zip(participants, people, strict=True)):
        link = ValidationLink(participant=participant, nonce=f"nonce-{i}")
        round_.links.append(link)
        db.session.flush()
        db.session.add(
            StatementAnswer(
                link_id=link.id,
                statement_id=statement.id,
                version_id=statement.current.id,
                verdict=spec["verdict"],
                comment=f"xq{i}comment, dit {participant.pseudonym}",
            )
        )
        db.session.add(
            QuoteDecision(
                link_id=link.id,
                passage_id=passages[i][0].id,
                choice=QuoteChoice.REPHRASE,
                rephrasing=f"xq{i}reword",
            )
        )
    round_.closed_at = utcnow()
    db.session.flush()
    for participant, spec in zip(participants, people, strict=True):
        if spec["erased"]:
            erase_participant(participant, user_id=owner_id, real_names=[])
    db.session.commit()
    return study.id, markers


def _exports(study_id: int) -> dict[str, str]:
    study = db.session.get(Study, study_id)
    files = {
        "report.docx": build_report(study_id, language="fr", override_pii=True, user_id=None),
        "project.qdpx": export_qdpx(study, user_id=None),
        "segments.csv": segments_csv(study_id, SegmentFilters()),
        "segments.xlsx": segments_xlsx(study_id, SegmentFilters()),
        "matrices.xlsx": matrix_xlsx(study_id),
    }
    db.session.rollback()
    return {name: _text_of(name, data) for name, data in files.items()}


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(people=st.lists(person, min_size=1, max_size=len(NAMES)))
def test_no_export_carries_words_without_current_consent_or_an_erased_label(app, make_user, people):
    """Random consents, withdrawals and erasures: every export leaves out what it must."""
    with app.app_context():
        wipe(db.engine)
    owner = make_user("owner@example.org")
    with app.app_context():
        study_id, markers = _build_study(people, owner)
        exported = _exports(study_id)
        archive = _text_of("archive", export_study_archive(study_id))
    for i, spec in enumerate(people):
        quotable = bool(spec["consents"]) and spec["consents"][-1] and not spec["erased"]
        for name, text in exported.items():
            assert not ERASED.search(text), (name, ERASED.search(text).group())
            if not quotable:
                for marker in markers[i]:
                    assert marker not in text, (name, marker, spec)
            else:
                for j, withdrawn in enumerate(spec["withdrawn"]):
                    if withdrawn:
                        assert f"xq{i}said{j}" not in text, (name, spec)
        if not quotable:  # a publication names nobody who may not be quoted
            assert NAMES[i] not in exported["report.docx"], spec
        else:  # the property is not vacuous: quotable words do leave
            assert f"xq{i}comment" in exported["report.docx"]
            if not all(spec["withdrawn"]):
                assert f"xq{i}said" in exported["project.qdpx"]
        # The archive is a same-team backup: it keeps every word, to restore losslessly.
        assert all(marker in archive for marker in markers[i][: len(spec["withdrawn"])])

"""Transcripts: storing the turns read from transcript files as passages.

Reading the file formats is pure and lives in `app.capture.formats`;
`Turn` and `parse_markdown` are re-exported here for existing callers.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func

from app.accounts.audit import record
from app.capture.formats import Turn, parse_markdown, parse_transcript
from app.capture.passages import Speaker, parse_speaker
from app.models import GroupSession, Participant, Passage, SessionStatus, SpeakerKind, Study
from app.platform.extensions import db
from app.platform.forms import ValidationError, pseudonym_key
from app.privacy.scan import scan_passages

# One transcript file: a 3-hour session is well under 1 MB of text (a .docx with images more).
MAX_TRANSCRIPT_BYTES = 20 * 2**20

__all__ = [
    "Turn",
    "add_passages",
    "import_sessions",
    "map_speakers",
    "parse_markdown",
    "read_files",
]


def add_passages(
    group_session: GroupSession,
    turns: list[Turn],
    *,
    participants: dict[str, Participant],
    facilitators: set[str],
    source: str,
) -> list[Passage]:
    """Store turns as passages; every speaker must map to a participant or facilitator.

    `participants` maps the speaker names used in the file to participants,
    keyed by `pseudonym_key`. Nothing is added if any speaker is unknown.
    """
    passages = []
    positions: dict[int, int] = {}
    for turn in turns:
        participant = participants.get(pseudonym_key(turn.speaker))
        if participant is None and turn.speaker not in facilitators:
            raise ValidationError(
                _l(
                    "%(file)s, line %(line)d: the speaker “%(name)s” is neither a participant "
                    "nor a facilitator of this session.",
                    file=source,
                    line=turn.line,
                    name=turn.speaker,
                )
            )
        positions[turn.phase] = positions.get(turn.phase, 0) + 1
        passages.append(
            Passage(
                group_session=group_session,
                phase=turn.phase,
                position=positions[turn.phase],
                speaker_kind=SpeakerKind.PARTICIPANT if participant else SpeakerKind.FACILITATOR,
                participant=participant,
                speaker_label="" if participant else turn.speaker,
                text=turn.text,
            )
        )
    db.session.add_all(passages)
    return passages


def map_speakers(
    study_id: int, names: list[str], choices: dict[str, str], labels: dict[str, str]
) -> dict[str, Speaker]:
    """Turn the review step's choices into speakers; every name must be mapped.

    `choices[name]` is "p:<participant id>" or "f" (a facilitator, shown under
    `labels[name]`). The names in the file are used only here: they are not stored.
    """
    mapped, missing = {}, []
    for name in names:
        choice = choices.get(name, "")
        if choice == "f":
            choice = "f:" + (labels.get(name) or "").strip()
        try:
            mapped[name] = parse_speaker(study_id, choice)
        except ValidationError:
            missing.append(name)
    if missing:
        raise ValidationError(
            _l(
                "Map every speaker to a participant or a facilitator label: %(names)s.",
                names=", ".join(missing),
            ),
            "mapping",
        )
    return mapped


def import_sessions(
    study: Study,
    files: list[tuple[str, list[Turn]]],
    speakers_by_name: dict[str, Speaker],
    *,
    language: str,
    user_id: int | None,
) -> list[GroupSession]:
    """Create one session per file with its passages, numbered after the study's last."""
    number = db.session.scalar(
        db.select(func.coalesce(func.max(GroupSession.number), 0)).filter_by(study_id=study.id)
    )
    created = []
    for filename, turns in files:
        number += 1
        group_session = GroupSession(
            study_id=study.id, number=number, language=language, status=SessionStatus.TRANSCRIBED
        )
        db.session.add(group_session)
        positions: dict[int, int] = {}
        for turn in turns:
            speaker = speakers_by_name[turn.speaker]
            positions[turn.phase] = positions.get(turn.phase, 0) + 1
            db.session.add(
                Passage(
                    group_session=group_session,
                    phase=turn.phase,
                    position=positions[turn.phase],
                    speaker_kind=speaker.kind,
                    participant_id=speaker.participant_id,
                    speaker_label=speaker.label,
                    text=turn.text,
                    start_time=turn.start,
                    end_time=turn.end,
                )
            )
        db.session.flush()
        # The file name is not recorded: it may carry a person's name.
        record(
            "session.import",
            group_session,
            user_id=user_id,
            study_id=study.id,
            details={"passages": len(turns), "format": filename.rsplit(".", 1)[-1].lower()},
        )
        created.append(group_session)
    scan_passages([p for s in created for p in s.passages])
    return created


def read_files(
    files: list[tuple[str, bytes]], *, default_phase: int | None
) -> list[tuple[str, list[Turn]]]:
    """Parse every file; the first problem stops everything (with its file and line)."""
    if not files:
        raise ValidationError(_l("Choose at least one transcript file."), "files")
    for name, data in files:
        if len(data) > MAX_TRANSCRIPT_BYTES:
            raise ValidationError(
                _l(
                    "%(file)s is larger than %(max)d MB; split it or save it without images.",
                    file=name,
                    max=MAX_TRANSCRIPT_BYTES // 2**20,
                ),
                "files",
            )
    return [
        (name, parse_transcript(data, name, default_phase=default_phase)) for name, data in files
    ]

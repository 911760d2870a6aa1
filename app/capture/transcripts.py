"""Transcripts: storing the turns read from transcript files as passages.

Reading the file formats is pure and lives in `app.capture.formats`;
`Turn` and `parse_markdown` are re-exported here for existing callers.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func

from analysis import detect_language, normalise_text
from app.accounts.audit import record
from app.capture.formats import Turn, keep_as_text, parse_markdown, parse_transcript
from app.capture.formats.markdown import speaker_key
from app.capture.passages import Speaker, parse_speaker
from app.models import GroupSession, Participant, Passage, SessionStatus, SpeakerKind, Study
from app.platform.edits import lock_parent
from app.platform.extensions import db
from app.platform.forms import ValidationError, pseudonym_key
from app.privacy.scan import scan_passages
from app.studies.participants import save_participant

# One transcript file: a 3-hour session is well under 1 MB of text (a .docx with images more).
MAX_TRANSCRIPT_BYTES = 20 * 2**20

__all__ = [
    "Turn",
    "add_passages",
    "import_sessions",
    "known_speakers",
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


KEEP_AS_TEXT = "text"  # the mapping choice for a "speaker" that is a sentence with a colon


def map_speakers(
    study_id: int,
    names: list[str],
    choices: dict[str, str],
    labels: dict[str, str],
    *,
    pseudonyms: dict[str, str] | None = None,
    user_id: int | None = None,
) -> dict[str, Speaker | None]:
    """Turn the review step's choices into speakers; every name must be mapped.

    `choices[name]` is "p:<participant id>", "f" (a facilitator, shown under
    `labels[name]`), "new" (a new participant under `pseudonyms[name]`, created here) or
    "text" (not a speaker: the line is kept as text of the turn before; mapped to None).
    The names in the file are used only here: they are not stored.
    """
    mapped: dict[str, Speaker | None] = {}
    missing = []
    for name in names:
        choice = choices.get(name, "")
        if choice == KEEP_AS_TEXT:
            mapped[name] = None
            continue
        if choice == "new":
            # As typed in the mapping form: normalised like every text stored (no control
            # character, which no export could write), on one line.
            pseudonym = " ".join(normalise_text((pseudonyms or {}).get(name, "")).split())[:80]
            if not pseudonym:
                missing.append(name)
                continue
            fields = {"pseudonym": pseudonym, "attributes": {}}
            participant = save_participant(study_id, fields, user_id=user_id)
            choice = f"p:{participant.id}"
        if choice == "f":
            choice = "f:" + (labels.get(name) or "").strip()
        try:
            mapped[name] = parse_speaker(study_id, choice)
        except ValidationError:
            missing.append(name)
    if missing:
        raise ValidationError(
            _l(
                "Map every speaker to a participant, a new participant with its pseudonym, "
                "a facilitator label or “not a speaker”: %(names)s.",
                names=", ".join(missing),
            ),
            "mapping",
        )
    return mapped


def known_speakers(study: Study) -> set[str]:
    """Return the `speaker_key`s of the study's pseudonyms and facilitator labels."""
    labels = db.session.execute(
        db.select(Passage.speaker_label)
        .join(GroupSession)
        .where(GroupSession.study_id == study.id, Passage.speaker_label != "")
        .distinct()
    ).scalars()
    return {speaker_key(p.pseudonym) for p in study.participants} | {
        speaker_key(label) for label in labels
    }


def new_session(
    study: Study,
    number: int,
    turns: list[Turn],
    speakers_by_name: dict[str, Speaker | None],
    *,
    language: str | None,
) -> GroupSession:
    """Add (and flush) the session one file becomes, without its passages.

    `language` None means: detect it from the file's text. Its group is the
    participants the file's speakers were mapped to, in order of first turn.
    """
    session_language = language or detect_language(
        " ".join(turn.text for turn in turns), default=study.language
    )
    group_session = GroupSession(
        study_id=study.id,
        number=number,
        title=getattr(turns, "title", ""),
        language=session_language,
        status=SessionStatus.TRANSCRIBED,
    )
    group_session.seating = list(
        dict.fromkeys(
            speakers_by_name[t.speaker].participant_id
            for t in turns
            if speakers_by_name[t.speaker].participant_id is not None
        )
    )
    db.session.add(group_session)
    db.session.flush()
    return group_session


def store_turns(
    group_session: GroupSession,
    turns: list[Turn],
    speakers_by_name: dict[str, Speaker | None],
    positions: dict[int, int],
) -> list[Passage]:
    """Add (and flush) turns as passages of a new session, and queue their personal data.

    `positions` holds the last position per phase, so a file can be stored in several
    calls. Passages point at the session by id, not through `group_session.passages`:
    that collection would keep every passage of a long file in memory.
    """
    passages = []
    for turn in turns:
        speaker = speakers_by_name[turn.speaker]
        positions[turn.phase] = positions.get(turn.phase, 0) + 1
        passages.append(
            Passage(
                group_session_id=group_session.id,
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
    db.session.add_all(passages)
    db.session.flush()
    scan_passages(passages, fresh=True)
    return passages


def allocate_session_number(study_id: int) -> int:
    """Take the study's lock and return the number a new session gets (after the last one).

    The lock, held until commit, makes a session saved meanwhile from the form (or another
    import) wait for these numbers, or it would collide with one of them (a 500).
    """
    lock_parent(Study, study_id)
    last = db.session.scalar(
        db.select(func.coalesce(func.max(GroupSession.number), 0)).filter_by(study_id=study_id)
    )
    return last + 1


def record_import(group_session: GroupSession, *, passages: int, filename: str, user_id) -> None:
    """Record a session's import in the audit log (never the file name: it may hold a name)."""
    record(
        "session.import",
        group_session,
        user_id=user_id,
        study_id=group_session.study_id,
        details={"passages": passages, "format": filename.rsplit(".", 1)[-1].lower()},
    )


def fold_text_turns(
    files: list[tuple[str, list[Turn]]], speakers_by_name: dict[str, Speaker | None]
) -> list[tuple[str, list[Turn]]]:
    """Fold the turns of names mapped to None ("not a speaker") into the turn before."""
    as_text = {name for name, speaker in speakers_by_name.items() if speaker is None}
    if not as_text:
        return files
    return [(name, keep_as_text(read, as_text, source=name)) for name, read in files]


def import_sessions(
    study: Study,
    files: list[tuple[str, list[Turn]]],
    speakers_by_name: dict[str, Speaker | None],
    *,
    language: str | None,
    user_id: int | None,
) -> list[GroupSession]:
    """Create one session per file with its passages, numbered after the study's last.

    One unit of work (the command line and the demo); the web runs the same steps
    as a job in bounded transactions (`app/capture/import_jobs.py`). The file's
    `# Title` becomes the session title. `language` None means: detect it from each
    file's text. Names mapped to None are kept as text of the turn before them.
    """
    number = allocate_session_number(study.id)
    created = []
    for filename, turns in fold_text_turns(files, speakers_by_name):
        group_session = new_session(study, number, turns, speakers_by_name, language=language)
        number += 1
        store_turns(group_session, turns, speakers_by_name, {})
        record_import(group_session, passages=len(turns), filename=filename, user_id=user_id)
        created.append(group_session)
    return created


def read_files(
    files: list[tuple[str, bytes]],
    *,
    default_phase: int | None,
    known: set[str] | frozenset = frozenset(),
) -> list[tuple[str, list[Turn]]]:
    """Parse every file; the first problem stops everything (with its file and line).

    `known` (see `known_speakers`) are names that are speakers even when not capitalised.
    """
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
        (name, parse_transcript(data, name, default_phase=default_phase, known=known))
        for name, data in files
    ]

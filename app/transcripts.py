"""Transcripts in the plain-text/Markdown format of sessions/README.md.

A transcript is a sequence of phase headings (`## 5. First round`) and
turns (`Speaker: text`); lines without a speaker prefix continue the
previous turn. Parsing is pure; storing is `add_passages`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from analysis import normalise_text
from app.extensions import db
from app.models import GroupSession, Participant, Passage, SpeakerKind
from app.validation import ValidationError, pseudonym_key

_HEADING = re.compile(r"^#{1,6}\s*(\d{1,2})\s*[.):]?\s*(.*)$")
_TITLE = re.compile(r"^#\s")
_TURN = re.compile(r"^([^:\n]{1,60}):\s+(.*)$")


@dataclass(frozen=True)
class Turn:
    """One contribution read from a transcript file."""

    phase: int
    speaker: str
    text: str
    line: int  # 1-based line where the turn starts, for error messages


def parse_markdown(text: str, *, source: str) -> list[Turn]:
    """Read the turns of a Markdown transcript; errors name the file and line."""
    turns: list[Turn] = []
    phase: int | None = None
    speaker, lines, start = None, [], 0

    def flush() -> None:
        if speaker is not None:
            turns.append(Turn(phase, speaker, "\n".join(lines).strip(), start))

    for number, line in enumerate(normalise_text(text).split("\n"), start=1):
        heading = _HEADING.match(line)
        if heading:
            flush()
            speaker, lines = None, []
            phase = int(heading.group(1))
            if not 1 <= phase <= 11:
                raise ValidationError(
                    _l(
                        "%(file)s, line %(line)d: phase %(phase)d does not exist; "
                        "number phases from 1 to 11.",
                        file=source,
                        line=number,
                        phase=phase,
                    )
                )
            continue
        if _TITLE.match(line) or (not line.strip() and speaker is None):
            continue
        turn = _TURN.match(line)
        if turn:
            flush()
            if phase is None:
                raise ValidationError(
                    _l(
                        "%(file)s, line %(line)d: a turn comes before the first phase heading; "
                        "add a heading such as “## 1. Story proposals”.",
                        file=source,
                        line=number,
                    )
                )
            speaker, lines, start = turn.group(1).strip(), [turn.group(2)], number
        elif speaker is None:
            raise ValidationError(
                _l(
                    "%(file)s, line %(line)d: text without a speaker; start the line with "
                    "“Name: ”.",
                    file=source,
                    line=number,
                )
            )
        else:
            lines.append(line)
    flush()
    return turns


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

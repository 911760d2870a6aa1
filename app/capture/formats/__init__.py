"""Read transcript files (Markdown/text, .docx, WebVTT, SRT) into turns.

Everything here is pure: bytes and strings in, `Turn`s out, no Flask request
and no database. Errors are `TranscriptError`s whose message names the file
and the line (paragraph, cue) and says what to do. The formats are described
in sessions/README.md.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import PurePath

from app.capture.formats.encodings import decode
from app.capture.formats.headings import PHASE_NAMES
from app.capture.formats.markdown import parse_markdown
from app.capture.formats.subtitles import parse_srt, parse_vtt
from app.capture.formats.turns import (
    MAX_TURNS,
    TranscriptError,
    Turn,
    Turns,
    check_turn_count,
    keep_as_text,
)
from app.capture.formats.word import parse_docx

__all__ = [
    "EXTENSIONS",
    "MAX_TURNS",
    "PHASE_NAMES",
    "TranscriptError",
    "Turn",
    "Turns",
    "decode",
    "keep_as_text",
    "parse_docx",
    "parse_markdown",
    "parse_srt",
    "parse_transcript",
    "parse_vtt",
    "speakers",
]

EXTENSIONS = (".md", ".markdown", ".txt", ".docx", ".vtt", ".srt")


def parse_transcript(
    data: bytes, filename: str, *, default_phase: int | None = None, known: Collection[str] = ()
) -> list[Turn]:
    """Read the turns of a transcript file, choosing the format by its extension.

    `default_phase` is the phase of subtitle cues that come before any phase marker;
    Markdown and .docx files always need their own phase headings. `known` holds the
    `speaker_key`s of the study's pseudonyms and labels: speakers even when lowercase.
    The result is a `Turns` list; its `title` is the file's `# Title`, if any.
    """
    extension = PurePath(filename).suffix.lower()
    if extension == ".docx":
        turns = parse_docx(data, source=filename, known=known)
    elif extension in (".md", ".markdown", ".txt"):
        turns = parse_markdown(decode(data, source=filename), source=filename, known=known)
    elif extension == ".vtt":
        text = decode(data, source=filename)
        turns = parse_vtt(text, source=filename, default_phase=default_phase)
    elif extension == ".srt":
        text = decode(data, source=filename)
        turns = parse_srt(text, source=filename, default_phase=default_phase)
    else:
        raise TranscriptError(
            filename,
            None,
            "is not a transcript format MAG Workbench reads",
            f"use one of {', '.join(EXTENSIONS)}",
        )
    check_turn_count(len(turns), filename, None)  # subtitles: their cues, counted at the end
    if not turns:
        raise TranscriptError(
            filename,
            None,
            "contains no turns",
            "check that speakers are written as “Name: ” (see sessions/README.md)",
        )
    return turns


def speakers(turns: list[Turn]) -> list[str]:
    """Return the speaker names in order of first appearance, for mapping them to people."""
    return list(dict.fromkeys(turn.speaker for turn in turns))

"""Subtitle transcripts (WebVTT and SRT): timed cues, speakers, phase markers.

The speaker comes from a WebVTT voice tag (`<v Amina>`) or a `Name: ` prefix.
A cue without a speaker whose whole text is a phase marker ("Phase 5",
"Fase 5", "## 5. ...", a phase name), or a WebVTT `NOTE` holding one, sets the
phase of the cues that follow. Consecutive cues of one speaker in one phase
make one turn, from the start of the first cue to the end of the last.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass

from analysis import normalise_text
from app.capture.formats.headings import phase_of_marker
from app.capture.formats.markdown import TURN, reads_as_name
from app.capture.formats.turns import TranscriptError, Turn, check_phase

_TIME = r"((?:\d+:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?)"
_TIMING = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}(?:\s.*)?$")
_VOICE = re.compile(r"<v(?:\.[^\s>]+)*[ \t]+([^>]+)>")
_TAG = re.compile(r"<[^>]*>|\{\\[^}]*\}")  # HTML-like tags, cue timestamps, SSA {\an8}
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class _Cue:
    where: str  # "cue 3 (line 9)": its position among the cues and its first line
    line: int
    start: float
    end: float
    text: str  # the cue payload, tags and all


def _seconds(stamp: str) -> float:
    """Turn "01:02:03.500", "02:03,5" or "02:03" into seconds."""
    total = 0.0
    for part in stamp.replace(",", ".").split(":"):
        total = total * 60 + float(part)
    return total


def _blocks(text: str) -> Iterator[tuple[int, list[str]]]:
    """Yield (first line number, lines) for each run of non-blank lines."""
    block: list[str] = []
    start = 0
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            if not block:
                start = number
            block.append(line)
        elif block:
            yield start, block
            block = []
    if block:
        yield start, block


def _clean(text: str) -> str:
    """Drop tags and entities, and fold line breaks: subtitle lines are layout, not meaning."""
    return _SPACES.sub(" ", html.unescape(_TAG.sub("", text))).strip()


def _pieces(payload: str) -> list[tuple[str | None, str]]:
    """Split a cue into (speaker or None, text), by voice tags or "Name: " line prefixes."""
    parts = _VOICE.split(payload)
    pieces: list[tuple[str | None, str]] = []
    for line in parts[0].split("\n"):
        cleaned = _clean(line)
        turn = TURN.match(cleaned)
        if turn and reads_as_name(turn.group(1).strip()):
            pieces.append((turn.group(1).strip(), turn.group(2)))
        elif cleaned and pieces:
            pieces[-1] = (pieces[-1][0], f"{pieces[-1][1]} {cleaned}")
        elif cleaned:
            pieces.append((None, cleaned))
    for voice, text in zip(parts[1::2], parts[2::2], strict=True):
        pieces.append((_clean(voice), _clean(text)))
    return [(speaker, text.strip()) for speaker, text in pieces if text.strip()]


class _Joiner:
    """Turn cues into turns, joining consecutive cues of one speaker in one phase."""

    def __init__(self, source: str, default_phase: int | None, hint: str) -> None:
        if default_phase is not None and not 1 <= default_phase <= 11:
            raise ValueError(f"default_phase must be 1 to 11, not {default_phase}")
        self.source, self.phase, self.hint = source, default_phase, hint
        self.turns: list[Turn] = []
        self._open: Turn | None = None

    def marker(self, phase: int, where: str, line: int) -> None:
        self._close()
        self.phase = check_phase(phase, self.source, line, where)

    def cue(self, cue: _Cue) -> None:
        pieces = _pieces(cue.text)
        if pieces and all(speaker is None for speaker, _ in pieces):
            phase = phase_of_marker(_clean(cue.text))
            if phase is not None:
                self.marker(phase, cue.where, cue.line)
                return
        for speaker, text in pieces:
            if speaker is None:
                raise TranscriptError(
                    self.source,
                    cue.line,
                    f"the cue “{text[:40]}” has no speaker",
                    "start its text with “Name: ” or a voice tag “<v Name>”",
                    where=cue.where,
                )
            if self.phase is None:
                raise TranscriptError(
                    self.source,
                    cue.line,
                    "a cue comes before any phase marker",
                    f"add a phase marker such as {self.hint} before it, "
                    "or choose a phase in the import form",
                    where=cue.where,
                )
            last = self._open
            if last and last.speaker == speaker and last.phase == self.phase:
                text = f"{last.text} {text}"
                self._open = Turn(self.phase, speaker, text, last.line, last.start, cue.end)
            else:
                self._close()
                self._open = Turn(self.phase, speaker, text, cue.line, cue.start, cue.end)

    def finish(self) -> list[Turn]:
        self._close()
        return self.turns

    def _close(self) -> None:
        if self._open is not None:
            self.turns.append(self._open)
            self._open = None


def _cue(source: str, number: int, line: int, lines: list[str], *, srt: bool) -> _Cue:
    """Read one cue block: an optional identifier, the timing line, the payload."""
    where = f"cue {number} (line {line})"
    timing_at = 0 if "-->" in lines[0] else 1
    timing = _TIMING.match(lines[timing_at]) if len(lines) > timing_at else None
    if timing is None:
        example = "00:00:01,000 --> 00:00:04,000" if srt else "00:00:01.000 --> 00:00:04.000"
        raise TranscriptError(
            source,
            line,
            "no valid timing line",
            f"give each cue a line such as “{example}”",
            where=where,
        )
    start, end = _seconds(timing.group(1)), _seconds(timing.group(2))
    return _Cue(where, line, start, end, "\n".join(lines[timing_at + 1 :]))


def parse_vtt(text: str, *, source: str, default_phase: int | None) -> list[Turn]:
    """Read the turns of a WebVTT file; errors name the file, the cue and its line."""
    blocks = _blocks(normalise_text(text))
    header = next(blocks, None)
    if header is None or not re.match(r"WEBVTT(?:[ \t]|$)", header[1][0]):
        raise TranscriptError(
            source, 1, "is not a WebVTT file", "start the file with the line “WEBVTT”"
        )
    joiner = _Joiner(source, default_phase, "“NOTE Phase 1”")
    number = 0
    for line, lines in blocks:
        keyword = lines[0].split(None, 1)[0] if lines[0].strip() else ""
        if keyword == "NOTE":
            phase = phase_of_marker(" ".join(lines)[len("NOTE") :])
            if phase is not None:
                joiner.marker(phase, f"line {line}", line)
            continue
        if keyword in ("STYLE", "REGION") and "-->" not in lines[0]:
            continue
        number += 1
        joiner.cue(_cue(source, number, line, lines, srt=False))
    return joiner.finish()


def parse_srt(text: str, *, source: str, default_phase: int | None) -> list[Turn]:
    """Read the turns of an SRT file; errors name the file, the cue and its line."""
    joiner = _Joiner(source, default_phase, "a cue “Phase 1”")
    for number, (line, lines) in enumerate(_blocks(normalise_text(text)), start=1):
        joiner.cue(_cue(source, number, line, lines, srt=True))
    return joiner.finish()

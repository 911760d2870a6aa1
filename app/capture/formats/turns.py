"""Turns, the errors of transcript readers, and the state machine shared by line formats."""

from __future__ import annotations

from dataclasses import dataclass

from app.platform.forms import ValidationError

# Turns per file. A 3-hour session has about 1,500; a file ten times longer is refused
# before it is stored (each turn becomes a passage with its search entry and scan).
MAX_TURNS = 20_000


@dataclass(frozen=True)
class Turn:
    """One contribution read from a transcript file."""

    phase: int
    speaker: str
    text: str
    line: int  # 1-based line (paragraph for .docx) where the turn starts, for error messages
    start: float | None = None  # seconds from the start of the recording (subtitles only)
    end: float | None = None


class Turns(list):
    """The turns of one transcript file, with its title (a `# Title` that names no phase)."""

    title: str = ""


def keep_as_text(turns: list[Turn], names: set[str], *, source: str) -> list[Turn]:
    """Fold the turns of `names` back into the turn before them, as "Name: text".

    For a "speaker" the user says is not one: a sentence with a colon that the reader
    took for a speaker prefix ("Bon: ..."). A folded line never starts a file or phase.
    """
    kept: list[Turn] = []
    for turn in turns:
        if turn.speaker not in names:
            kept.append(turn)
            continue
        if not kept or kept[-1].phase != turn.phase:
            raise TranscriptError(
                source,
                turn.line,
                f"“{turn.speaker}” is kept as text but opens a phase",
                "store it as a speaker, or put it after a turn",
            )
        previous = kept[-1]
        text = f"{previous.text}\n{turn.speaker}: {turn.text}"
        kept[-1] = Turn(
            previous.phase, previous.speaker, text, previous.line, previous.start, turn.end
        )
    result = Turns(kept)
    result.title = getattr(turns, "title", "")
    return result


class TranscriptError(ValidationError):
    """A transcript file that cannot be read, with the place to fix it.

    The message reads "<file>, <where>: <what is wrong>; <what to do>." in plain
    English, so readers stay free of Flask. It is a `ValidationError` (itself a
    `ValueError`) so the error pages and the CLI already know how to show it.
    """

    def __init__(
        self, source: str, line: int | None, problem: str, todo: str, *, where: str | None = None
    ) -> None:
        if where is None and line is not None:
            where = f"line {line}"
        place = f"{source}, {where}:" if where else source
        super().__init__(f"{place} {problem}; {todo}.")
        self.source = source
        self.line = line


def check_turn_count(count: int, source: str, line: int | None, unit: str = "line") -> None:
    """Refuse a file once it holds more than `MAX_TURNS` turns."""
    if count > MAX_TURNS:
        raise TranscriptError(
            source,
            line,
            f"the file holds more than {MAX_TURNS:,} turns (the limit per file)",
            "split it into several files (one per session or per part of a session)",
            where=f"{unit} {line}" if line is not None else None,
        )


def check_phase(phase: int, source: str, line: int, where: str) -> int:
    """Return `phase` if it is a MAG phase number, else raise naming the place."""
    if not 1 <= phase <= 11:
        raise TranscriptError(
            source, line, f"phase {phase} does not exist", "number phases from 1 to 11", where=where
        )
    return phase


class TurnCollector:
    """Build turns from headings, speaker lines and continuation lines, in file order.

    Markdown lines and .docx paragraphs feed the same machine; `unit` names
    the place in messages ("line" or "paragraph").
    """

    def __init__(self, source: str, unit: str = "line") -> None:
        self.source = source
        self.unit = unit
        self.turns = Turns()
        self.phase: int | None = None
        self._speaker: str | None = None
        self._lines: list[str] = []
        self._start = 0

    def heading(self, number: int, phase: int) -> None:
        """Close the current turn and enter `phase`."""
        self._flush()
        self.phase = check_phase(phase, self.source, number, f"{self.unit} {number}")

    def turn(self, number: int, speaker: str, text: str) -> None:
        """Start a turn of `speaker`."""
        self._flush()
        if self.phase is None:
            raise TranscriptError(
                self.source,
                number,
                "a turn comes before the first phase heading",
                "add a heading such as “## 1. Story proposals”",
                where=f"{self.unit} {number}",
            )
        self._speaker, self._lines, self._start = speaker, [text], number

    def text(self, number: int, text: str) -> None:
        """Continue the current turn; blank text between turns is ignored."""
        if self._speaker is not None:
            self._lines.append(text)
        elif text.strip():
            raise TranscriptError(
                self.source,
                number,
                "text without a speaker",
                "start the line with “Name: ”",
                where=f"{self.unit} {number}",
            )

    def title(self, number: int, title: str) -> None:
        """Keep the first title of the file (a level-1 heading that names no phase).

        Among the turns such a line holds words that would be lost: it is refused.
        """
        if self._speaker is not None or self.turns:
            raise TranscriptError(
                self.source,
                number,
                "a “#” line among the turns is neither a phase nor the title",
                "remove the “#” to keep the words in the turn, or make it a phase heading",
                where=f"{self.unit} {number}",
            )
        if not self.turns.title and title.strip():
            self.turns.title = " ".join(title.split())[:200]

    def finish(self) -> list[Turn]:
        """Close the last turn and return them all."""
        self._flush()
        return self.turns

    def _flush(self) -> None:
        if self._speaker is not None:
            text = "\n".join(self._lines).strip()
            if not text:
                raise TranscriptError(
                    self.source,
                    self._start,
                    f"the turn of “{self._speaker}” has no text",
                    "write what was said after the name, or remove the name",
                    where=f"{self.unit} {self._start}",
                )
            assert self.phase is not None  # turn() refuses turns before any phase
            check_turn_count(len(self.turns) + 1, self.source, self._start, self.unit)
            self.turns.append(Turn(self.phase, self._speaker, text, self._start))
        self._speaker, self._lines = None, []

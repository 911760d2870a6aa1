"""The plain-text/Markdown transcript format of sessions/README.md.

A transcript is a sequence of phase headings (`## 5. First round` or
`## Premier tour d'interprétations`) and turns (`Speaker: text`,
`**Speaker:** text`); lines without a speaker prefix continue the previous turn.
"""

from __future__ import annotations

import re

from analysis import normalise_text
from app.capture.formats.headings import MARKDOWN_HEADING, phase_of_title
from app.capture.formats.turns import TranscriptError, Turn, TurnCollector

TURN = re.compile(r"^([^:\n]{1,60}):\s+(.*)$")
BOLD_TURN = re.compile(r"^\*\*([^*:\n]{1,60})(?::\*\*|\*\*\s*:)\s*(.*)$")


def speaker_line(line: str) -> tuple[str, str] | None:
    """Split "Name: text" or "**Name:** text" into (name, text), or return None."""
    match = BOLD_TURN.match(line) or TURN.match(line)
    if match is None or not match.group(1).strip():
        return None
    return match.group(1).strip(), match.group(2)


def heading_phase(level: int, title: str, *, source: str, where: str, line: int) -> int | None:
    """Return the phase of a heading; a level-1 heading that names no phase is a title (None)."""
    phase = phase_of_title(title)
    if phase is None and level > 1:
        raise TranscriptError(
            source,
            line,
            f"unknown phase heading “{title.strip()}”",
            "start it with the phase number, as in “## 5. First round of interpretations”, "
            "or use a phase name from sessions/README.md",
            where=where,
        )
    return phase


def parse_markdown(text: str, *, source: str) -> list[Turn]:
    """Read the turns of a Markdown transcript; errors name the file and line."""
    collector = TurnCollector(source)
    for number, line in enumerate(normalise_text(text).split("\n"), start=1):
        heading = MARKDOWN_HEADING.match(line)
        if heading:
            level, title = len(heading.group(1)), heading.group(2)
            phase = heading_phase(level, title, source=source, where=f"line {number}", line=number)
            if phase is not None:
                collector.heading(number, phase)
            continue
        turn = speaker_line(line)
        if turn:
            collector.turn(number, *turn)
        else:
            collector.text(number, line)
    return collector.finish()

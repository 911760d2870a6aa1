"""The plain-text/Markdown transcript format of sessions/README.md.

A transcript is a sequence of phase headings (`## 5. First round` or
`## Premier tour d'interprétations`) and turns (`Speaker: text`,
`**Speaker:** text`); lines without a speaker prefix continue the previous turn.
A prefix before a colon is a speaker only if it reads as a name: a few capitalised
words ("Sophie", "Begeleider Sara", "Deelnemer 3"), a name written in bold or known to
the study; "De school weigerde die facturen te geven: ze moest..." is text.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from analysis import normalise_text
from app.capture.formats.headings import MARKDOWN_HEADING, phase_of_title
from app.capture.formats.turns import TranscriptError, Turn, TurnCollector

TURN = re.compile(r"^([^:\n]{1,60}):\s+(.*)$")
BOLD_TURN = re.compile(r"^\*\*([^*:\n]{1,60})(?::\*\*|\*\*\s*:)\s*(.*)$")
MAX_NAME_WORDS = 4
# Lowercase words that may sit inside a name ("Jan van Damme", "Yasmina el Idrissi").
_NAME_LINKS = frozenset(
    ("van", "de", "der", "den", "ter", "ten", "du", "des", "la", "le", "von", "di", "da", "el")
)


def speaker_key(name: str) -> str:
    """Return the form speaker names are compared in (case and spacing ignored)."""
    return " ".join(name.split()).casefold()


def reads_as_name(name: str) -> bool:
    """Whether a prefix before a colon reads as a speaker: a few capitalised words.

    Each word starts with a capital, a digit or a letter of a script without case, or is
    a name link ("van", "de"), or is in brackets ("Sophie (CPAS)"); a clause ("De school
    weigerde ...") does not.
    """
    words = name.split()
    if not 1 <= len(words) <= MAX_NAME_WORDS:
        return False
    if words[0].lower() in _NAME_LINKS and len(words) == 1:
        return False
    return all(_opens_name(word) or word in _NAME_LINKS for word in words)


def _opens_name(word: str) -> bool:
    """A capital, a digit, a bracket, or a letter of a script without case ("ياسمين", "王芳").

    Such scripts cannot mark a name by its capital: their names were never speakers, and
    their lines went silently into the turn before.
    """
    first = word[0]
    caseless = first.isalpha() and not first.islower() and first.lower() == first.upper()
    return first.isupper() or first.isdigit() or first in "([" or caseless


def speaker_line(line: str, known: Collection[str] = ()) -> tuple[str, str] | None:
    """Split "Name: text" or "**Name:** text" into (name, text), or return None.

    A bold name is always a speaker; a plain prefix only if it reads as a name or its
    `speaker_key` is in `known` (pseudonyms, labels, names seen as speakers in the file).
    """
    bold = BOLD_TURN.match(line)
    if bold and bold.group(1).strip():
        return bold.group(1).strip(), bold.group(2)
    match = TURN.match(line)
    if match is None or not match.group(1).strip():
        return None
    name = match.group(1).strip()
    if not reads_as_name(name) and speaker_key(name) not in known:
        return None
    return name, match.group(2)


def seen_speakers(lines: list[str], known: Collection[str] = ()) -> set[str]:
    """Return the keys of `known` and of every name that opens a turn somewhere in `lines`."""
    seen = set(known)
    for line in lines:
        turn = speaker_line(line)
        if turn:
            seen.add(speaker_key(turn[0]))
    return seen


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


def parse_markdown(text: str, *, source: str, known: Collection[str] = ()) -> list[Turn]:
    """Read the turns of a Markdown transcript; errors name the file and line.

    `known` holds `speaker_key`s of names that are speakers even if not capitalised.
    """
    collector = TurnCollector(source)
    lines = normalise_text(text).split("\n")
    seen = seen_speakers(lines, known)
    for number, line in enumerate(lines, start=1):
        heading = MARKDOWN_HEADING.match(line)
        if heading:
            level, title = len(heading.group(1)), heading.group(2)
            phase = heading_phase(level, title, source=source, where=f"line {number}", line=number)
            if phase is not None:
                collector.heading(number, phase)
            elif level == 1:
                collector.title(number, title)
            continue
        turn = speaker_line(line, seen)
        if turn:
            collector.turn(number, *turn)
        else:
            collector.text(number, line)
    return collector.finish()

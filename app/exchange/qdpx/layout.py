"""The plain text of a session in a .qdpx, and the block that lets it come back intact.

A session's source file is UTF-8 plain text, one passage per turn, in phase and
position order::

    ## 1. Propositions de récits

    Amina: Je propose l'histoire du guichet.
    Animatrice: Merci.

    ## 5. Premier tour d'interprétations

    Jonas: Première ligne
    deuxième ligne du même passage.

A phase heading (`## N. name`, the name in the session's language) opens each
phase that has passages; a blank line separates a heading from its turns and
the phases from each other. A turn is `Speaker: text`: the participant's
pseudonym or the facilitator's label, then the passage text unchanged (line
breaks inside a passage stay). A withheld passage shows the withheld marker
instead of its words. There is no line break at the end. This is also the
Markdown transcript format of sessions/README.md, so the file reads as a
transcript anywhere.

Offsets in the .qdpx are code points, zero-based, end exclusive, over that text.
The TextSource's Description ends with a `[magwb]` block (the separator line of
`app.exchange.codebook_qdc`) with the session's fields and one line per passage::

    [magwb] passage=<phase> <start> <end> <start time|-> <end time|-> p <case guid>
    [magwb] passage=<phase> <start> <end> <start time|-> <end time|-> f <label>

`start`/`end` delimit the passage text (after `Speaker: `). On import the block
restores passage boundaries, phases, order and speakers exactly; without it (or
if it does not fit the text) the text is split by line (see `split_lines`).
"""

from __future__ import annotations

import math
import re
import unicodedata
from array import array
from dataclasses import dataclass

from analysis import normalise_text
from analysis.text import LINE_BREAKING_CONTROLS, NONCHARACTERS
from app.capture.formats.headings import MARKDOWN_HEADING, PHASE_NAMES, phase_of_title
from app.capture.formats.markdown import speaker_key, speaker_line
from app.exchange.codebook_block import PREFIX, SEPARATOR
from app.platform.forms import pseudonym_key

_NAME_INDEX = {"fr": 0, "nl": 1, "en": 2}  # the order of PHASE_NAMES
FACILITATOR = "Facilitator"  # shown for a facilitator passage without a label
_UNESCAPE = {"\\": "\\", "n": "\n", "r": "\r"}


@dataclass
class Turn:
    """A passage placed in a source text: its span [start, end) and who said it."""

    phase: int
    start: int
    end: int
    participant: str | None  # a Case GUID (export, our block) or a participant key
    label: str = ""  # facilitator label when `participant` is None
    start_time: float | None = None
    end_time: float | None = None


def phase_heading(phase: int, language: str) -> str:
    """Return the heading line of a phase, named in the session's language."""
    return f"## {phase}. {PHASE_NAMES[phase][_NAME_INDEX.get(language, 2)]}"


def build_text(items: list[tuple[int, str, str]], language: str) -> tuple[str, list[int]]:
    """Lay out (phase, speaker, text) items; return the text and each item's text start."""
    parts: list[str] = []
    starts: list[int] = []
    length, phase = 0, None
    for item_phase, speaker, text in items:
        if item_phase != phase:
            heading = ("\n\n" if parts else "") + phase_heading(item_phase, language) + "\n"
            parts.append(heading)
            length += len(heading)
            phase = item_phase
        line = f"\n{speaker or FACILITATOR}: "
        starts.append(length + len(line))
        parts.append(line + text)
        length += len(line) + len(text)
    return "".join(parts), starts


def escape(value: str) -> str:
    """Escape a block value (backslash, line feed, carriage return), as .qdc blocks do."""
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")


def unescape(value: str) -> str:
    """Undo `escape`."""
    return re.sub(r"\\([\\nr])", lambda m: _UNESCAPE[m[1]], value)


def block(visible: str, fields: list[tuple[str, str]]) -> str:
    """Return a Description: visible text, then our block of `[magwb] name=value` lines."""
    lines = [f"{PREFIX}{name}={escape(value)}" for name, value in fields if value != ""]
    text = "\n".join([SEPARATOR, *lines])
    return f"{visible}\n\n{text}" if visible else text


def read_block(text: str) -> tuple[str, list[tuple[str, str]] | None]:
    """Return the visible text and our block's fields in order (None without a block)."""
    if text == SEPARATOR or text.startswith(SEPARATOR + "\n"):
        visible, rest = "", text[len(SEPARATOR) :]
    elif (at := text.rfind(f"\n\n{SEPARATOR}\n")) >= 0:
        visible, rest = text[:at], text[at + 2 + len(SEPARATOR) :]
    else:
        return text, None
    fields = []
    for line in rest.split("\n"):
        if line.startswith(PREFIX) and "=" in line:
            name, _, value = line.removeprefix(PREFIX).partition("=")
            fields.append((name.strip(), unescape(value)))
    return visible, fields


def passage_field(turn: Turn) -> str:
    """Return the block value describing one passage."""
    times = [f"{t!r}" if t is not None else "-" for t in (turn.start_time, turn.end_time)]
    who = f"p {turn.participant}" if turn.participant else f"f {turn.label}"
    return f"{turn.phase} {turn.start} {turn.end} {times[0]} {times[1]} {who}"


def parse_passage_field(value: str) -> Turn | None:
    """Read a block passage line; None if it is malformed."""
    parts = value.split(" ", 6)
    if len(parts) < 6 or parts[5] not in ("p", "f"):
        return None
    try:
        phase, start, end = int(parts[0]), int(parts[1]), int(parts[2])
        times = [None if t == "-" else float(t) for t in parts[3:5]]
    except ValueError:
        return None
    if not all(t is None or math.isfinite(t) for t in times):
        return None
    who = parts[6] if len(parts) == 7 else ""
    if parts[5] == "p":
        return Turn(phase, start, end, who.strip().lower(), "", *times)
    return Turn(phase, start, end, None, who, *times)


def turns_fit(turns: list[Turn], text: str) -> bool:
    """Tell whether block passages are in range, in order, non-empty and in valid phases."""
    previous = 0
    for turn in turns:
        if not (1 <= turn.phase <= 11 and previous <= turn.start < turn.end <= len(text)):
            return False
        previous = turn.end
    return True


def split_lines(
    text: str,
    cases: dict[str, str],
    *,
    default_phase: int,
    default_speaker: str,
    unknown_speaker: str,
) -> tuple[list[Turn], bool]:
    """Split another program's text into passages: one per non-blank line.

    A `## N. ...` or phase-name heading line sets the phase (otherwise
    `default_phase`). `Name: text` whose name is a Case (`cases` maps pseudonym
    keys to participant keys) becomes that participant's passage without the
    prefix; `Name: text` with another short name (up to three words) is kept
    whole and goes to `unknown_speaker`, so an interviewer's words are never
    given to the interviewee. A line without a prefix continues the previous
    line's speaker, or `default_speaker` before any. Returns the turns and
    whether any phase heading was found.
    """
    turns: list[Turn] = []
    phase, speaker, headed, offset = default_phase, default_speaker, False, 0
    known_names = {speaker_key(name) for name in cases}
    for line in text.split("\n"):
        line_start, offset = offset, offset + len(line) + 1
        stripped = line.strip()
        if not stripped:
            continue
        heading = MARKDOWN_HEADING.match(stripped)
        found = phase_of_title(heading.group(2)) if heading else None
        if found is not None and 1 <= found <= 11:
            phase, headed = found, True
            continue
        start = line_start + len(line) - len(line.lstrip())
        end = line_start + len(line.rstrip())
        # A case name is a speaker however it is written; a clause before a colon is not.
        turn = speaker_line(stripped, known_names)
        if turn is not None and turn[1].strip():
            if pseudonym_key(turn[0]) in cases:
                speaker = cases[pseudonym_key(turn[0])]
                start = end - len(turn[1])
            elif len(turn[0].split()) <= 3:
                speaker = unknown_speaker
        turns.append(Turn(phase, start, end, speaker))
    return turns, headed


def normalise_with_offsets(raw: str) -> tuple[str, array | None]:
    """Return `normalise_text(raw)` and a map from raw offsets to offsets in it.

    The map (None when the text is already normalised) has len(raw) + 1 entries;
    an offset inside removed characters moves to where they were. If composing
    characters (NFC) merges code points, offsets inside them move to its start.
    """
    wanted = normalise_text(raw)
    if wanted == raw:
        return raw, None
    # 1. BOM, line ends, control characters: deletions and \r -> \n.
    kept, index = [], array("l", [0]) * (len(raw) + 1)
    position = 0
    while position < len(raw):
        index[position] = len(kept)
        char = raw[position]
        if char == "\r":
            kept.append("\n")
            if raw.startswith("\n", position + 1):
                position += 1
                index[position] = len(kept) - 1
        elif char in LINE_BREAKING_CONTROLS:
            kept.append("\n")
        elif ord(char) in NONCHARACTERS:
            kept.append(NONCHARACTERS[ord(char)])
        elif (position == 0 and char == "\ufeff") or (
            char not in "\n\t" and unicodedata.category(char) == "Cc"
        ):
            pass
        else:
            kept.append(char)
        position += 1
    index[len(raw)] = len(kept)
    text = "".join(kept)
    # 2. NFC, a run of a starter and its combining marks at a time.
    if not unicodedata.is_normalized("NFC", text):
        text, composed = _compose(text)
        for i, value in enumerate(index):
            index[i] = composed[value]
    # 3. Trailing blanks of every line, then of the whole text.
    keep = [True] * len(text)
    line_start = 0
    for line in text.split("\n"):
        for i in range(line_start + len(line.rstrip()), line_start + len(line)):
            keep[i] = False
        line_start += len(line) + 1
    kept_positions = [i for i, flag in enumerate(keep) if flag]
    for i in kept_positions:
        if not text[i].isspace():
            break
        keep[i] = False
    for i in reversed(kept_positions):
        if not text[i].isspace():
            break
        keep[i] = False
    shift, count = array("l", [0]) * (len(text) + 1), 0
    for i, flag in enumerate(keep):
        shift[i] = count
        count += flag
    shift[len(text)] = count
    result = "".join(ch for ch, flag in zip(text, keep, strict=True) if flag)
    if result != wanted:  # cannot happen for the rules above; stay safe if they change
        return wanted, array("l", (min(v, len(wanted)) for v in index))
    for i, value in enumerate(index):
        index[i] = shift[value]
    return result, index


def _compose(text: str) -> tuple[str, array]:
    """NFC-compose `text` run by run; return it and a map of offsets."""
    out: list[str] = []
    index = array("l", [0]) * (len(text) + 1)
    length, run_start = 0, 0
    bounds = [i for i, ch in enumerate(text) if unicodedata.combining(ch) == 0] + [len(text)]
    if bounds[0] != 0:
        bounds.insert(0, 0)
    for run_end in bounds[1:]:
        run = text[run_start:run_end]
        composed = unicodedata.normalize("NFC", run)
        for i in range(run_start, run_end):
            index[i] = length + (i - run_start if composed == run else 0)
        out.append(composed)
        length += len(composed)
        run_start = run_end
    index[len(text)] = length
    return "".join(out), index

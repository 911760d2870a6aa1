"""Word (.docx) transcripts: phase headings and "Name: text" or bold-speaker paragraphs.

Headings are paragraphs in the built-in styles Heading 1 to 3, or whose text
follows the Markdown heading rule (`## 5. ...`). Turns start with `Name: ` or
with bold run(s) ending in ':'. Other paragraphs continue the previous turn.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Collection

import docx
from docx.document import Document
from docx.exceptions import PythonDocxError
from docx.opc.exceptions import OpcError
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from lxml import etree

from analysis import normalise_text
from app.capture.formats.headings import MARKDOWN_HEADING
from app.capture.formats.markdown import heading_phase, seen_speakers, speaker_key, speaker_line
from app.capture.formats.turns import TranscriptError, Turn, TurnCollector

# Limits against zip bombs; a long transcript is a few MB uncompressed with ratios around 10.
MAX_ENTRIES = 2_000
MAX_TOTAL_SIZE = 200 * 1024 * 1024
MAX_RATIO = 100
RATIO_FLOOR = 1024 * 1024  # small members can't bomb, and their ratios are noisy
_HEADING_STYLES = {"Heading 1": 1, "Heading 2": 2, "Heading 3": 3}
_DRIVE = re.compile(r"^[A-Za-z]:")
_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)


def _not_docx(source: str, why: str = "is not a valid .docx") -> TranscriptError:
    return TranscriptError(source, None, why, "save the transcript again from Word as .docx")


def _inflates_too_much(member: zipfile.ZipInfo) -> bool:
    ratio = member.file_size / max(member.compress_size, 1)
    return member.file_size > RATIO_FLOOR and ratio > MAX_RATIO


def check_zip(data: bytes, *, source: str) -> None:
    """Refuse what is not a .docx zip, or a zip that would expand beyond reason, before reading.

    Sizes come from the central directory; `zipfile` never inflates a member
    beyond its declared size, so checking them bounds what python-docx reads.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as error:
        raise _not_docx(source) from error
    bomb = TranscriptError(
        source, None, "looks like a zip bomb", "save the transcript again from Word as .docx"
    )
    if len(members) > MAX_ENTRIES or sum(m.file_size for m in members) > MAX_TOTAL_SIZE:
        raise bomb
    for member in members:
        name = member.filename.replace("\\", "/")
        if name.startswith("/") or _DRIVE.match(name) or ".." in name.split("/"):
            raise _not_docx(source)
        # Word writes stored or deflated members, never encrypted ones.
        if member.compress_type not in _METHODS or member.flag_bits & 0x1:
            raise _not_docx(source)
        if _inflates_too_much(member):
            raise bomb
    if "word/document.xml" not in {m.filename for m in members}:
        raise _not_docx(source)


def _read(paragraph: Paragraph) -> tuple[str, str]:
    """Return the text of a paragraph and the text of its leading bold runs."""
    parts, bold, leading = [], [], True
    for item in paragraph.iter_inner_content():  # runs and hyperlinks, in order
        text = item.text
        parts.append(text)
        if leading and isinstance(item, Run) and item.bold:
            bold.append(text)
        elif text:
            leading = False
    return "".join(parts), "".join(bold)


def _bold_speaker(raw: str, bold: str) -> tuple[str, str] | None:
    """Split a paragraph whose leading bold text ends with ':' (or precedes ':') into a turn."""
    name, rest = bold.strip(), raw[len(bold) :]
    if name.endswith(":"):
        name = name[:-1].strip()
    elif rest.lstrip().startswith(":"):
        rest = rest.lstrip()[1:]
    else:
        return None
    if not name or len(name) > 60 or ":" in name or "\n" in name:
        return None
    return name, rest.strip()


def _open(data: bytes, source: str) -> Document:
    check_zip(data, source=source)
    try:
        return docx.Document(io.BytesIO(data))
    except (
        OpcError,
        PythonDocxError,
        zipfile.BadZipFile,
        zlib.error,
        etree.LxmlError,
        KeyError,
        ValueError,
        EOFError,
        OSError,
        NotImplementedError,  # zip features Word never writes (versions, methods)
        RuntimeError,  # encrypted members
    ) as error:
        raise _not_docx(source) from error


def _heading_levels(document: Document) -> dict[str, int]:
    """Map the style ids of the built-in Heading 1-3 styles to their level."""
    return {
        style.style_id: _HEADING_STYLES[style.name]
        for style in document.styles
        if style.name in _HEADING_STYLES
    }


def _heading(paragraph: Paragraph, text: str, levels: dict[str, int]) -> tuple[int, str] | None:
    """Return (level, title) for a heading paragraph (Word style or Markdown rule), else None."""
    markdown = MARKDOWN_HEADING.match(text)
    if markdown:
        return len(markdown.group(1)), markdown.group(2)
    # The style id, not `paragraph.style`: python-docx resolves that by scanning every
    # style of the document for each paragraph, 1 ms each, too slow for 1,500 turns.
    level = levels.get(paragraph._p.style or "")
    return (level, text) if level and text else None


def _speaker_paragraph(text: str, seen: set[str]) -> tuple[str, str] | None:
    """Split "Name: text" at the start of a paragraph that may hold line breaks."""
    first, _, more = text.partition("\n")
    turn = speaker_line(first, seen)
    if turn is None:
        return None
    return turn[0], f"{turn[1]}\n{more}" if more else turn[1]


def parse_docx(data: bytes, *, source: str, known: Collection[str] = ()) -> list[Turn]:
    """Read the turns of a Word transcript; errors name the file and paragraph."""
    document = _open(data, source)
    collector = TurnCollector(source, unit="paragraph")
    levels = _heading_levels(document)
    paragraphs = [(paragraph, *_read(paragraph)) for paragraph in document.paragraphs]
    # Names that open a turn somewhere (bold or capitalised) are speakers everywhere.
    seen = seen_speakers([normalise_text(raw).partition("\n")[0] for _p, raw, _b in paragraphs])
    seen |= set(known)
    for _paragraph, raw, bold in paragraphs:
        turn = _bold_speaker(raw, bold)
        if turn:
            seen.add(speaker_key(turn[0]))
    for number, (paragraph, raw, bold) in enumerate(paragraphs, start=1):
        text = normalise_text(raw)
        heading = _heading(paragraph, text, levels)
        if heading:
            level, title = heading
            where = f"paragraph {number}"
            phase = heading_phase(level, title, source=source, where=where, line=number)
            if phase is not None:
                collector.heading(number, phase)
            elif level == 1:
                collector.title(title)
            continue
        turn = _bold_speaker(raw, bold) or _speaker_paragraph(text, seen)
        if turn:
            collector.turn(number, turn[0], normalise_text(turn[1]))
        else:
            collector.text(number, text)
    return collector.finish()

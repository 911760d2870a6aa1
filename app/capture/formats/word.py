"""Word (.docx) transcripts: phase headings and "Name: text" or bold-speaker paragraphs.

Headings are paragraphs in the built-in styles Heading 1 to 3, or whose text
follows the Markdown heading rule (`## 5. ...`). Turns start with `Name: ` or
with bold run(s) ending in ':'. Other paragraphs continue the previous turn.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Collection

from lxml import etree

from analysis import normalise_text
from app.capture.formats.headings import MARKDOWN_HEADING
from app.capture.formats.markdown import heading_phase, seen_speakers, speaker_key, speaker_line
from app.capture.formats.turns import MAX_TURNS, TranscriptError, Turn, TurnCollector
from app.platform.files import ZIP_DAMAGE

# Limits against zip bombs; a long transcript is a few MB uncompressed with ratios around 10.
MAX_ENTRIES = 2_000
MAX_TOTAL_SIZE = 200 * 1024 * 1024
MAX_RATIO = 100
RATIO_FLOOR = 1024 * 1024  # small members can't bomb, and their ratios are noisy
# The built-in heading styles by their name in styles.xml (python-docx shows "Heading 1").
_HEADING_STYLES = {"heading 1": 1, "heading 2": 2, "heading 3": 3}
# Body paragraphs per file (a turn can span several; MAX_TURNS bounds the turns).
MAX_PARAGRAPHS = 5 * MAX_TURNS
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
    except ZIP_DAMAGE as error:
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


W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_FALSE = {"0", "false", "off"}
# What a run's children read as (python-docx's `Run.text`): w:br only as a line break.
_RUN_TEXT = {f"{W}tab": "\t", f"{W}ptab": "\t", f"{W}cr": "\n", f"{W}noBreakHyphen": "-"}


def _xml(archive: zipfile.ZipFile, name: str, source: str, **options):
    """Stream-parse one member: no entities, no network, one element at a time."""
    return etree.iterparse(
        archive.open(name),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        **options,
    )


def _run_text(run: etree._Element) -> str:
    parts = []
    for child in run:
        if child.tag == f"{W}t":
            parts.append(child.text or "")
        elif child.tag == f"{W}br":
            parts.append("\n" if child.get(f"{W}type", "textWrapping") == "textWrapping" else "")
        else:
            parts.append(_RUN_TEXT.get(child.tag, ""))
    return "".join(parts)


def _is_bold(run: etree._Element) -> bool:
    bold = run.find(f"{W}rPr/{W}b")
    return bold is not None and bold.get(f"{W}val", "true").lower() not in _FALSE


def _paragraph(element: etree._Element) -> tuple[str, str, str]:
    """Return a paragraph's style id, its text and the text of its leading bold runs.

    As python-docx reads them: runs and hyperlinks directly in the paragraph.
    """
    parts, bold, leading = [], [], True
    for item in element:
        if item.tag == f"{W}r":
            text = _run_text(item)
            if leading and _is_bold(item):
                bold.append(text)
            elif text:
                leading = False
        elif item.tag == f"{W}hyperlink":
            text = "".join(_run_text(run) for run in item.iterfind(f"{W}r"))
            leading = leading and not text
        else:
            continue
        parts.append(text)
    style = element.find(f"{W}pPr/{W}pStyle")
    return (style.get(f"{W}val", "") if style is not None else ""), "".join(parts), "".join(bold)


def _paragraphs(archive: zipfile.ZipFile, source: str) -> list[tuple[str, str, str]]:
    """Read the body's paragraphs (not those in tables) with memory bounded by their text.

    Each top-level element of the body is dropped once read, so the XML tree never
    grows beyond one table or paragraph, whatever the size of the document.
    """
    paragraphs = []
    for _event, element in _xml(archive, "word/document.xml", source, events=("end",)):
        parent = element.getparent()
        if parent is None or parent.tag != f"{W}body":
            continue
        if element.tag == f"{W}p":
            paragraphs.append(_paragraph(element))
            if len(paragraphs) > MAX_PARAGRAPHS:
                raise TranscriptError(
                    source,
                    None,
                    f"holds more than {MAX_PARAGRAPHS:,} paragraphs (the limit per file)",
                    "split it into several files (one per session or per part of a session)",
                )
        element.clear()
        while element.getprevious() is not None:
            del parent[0]
    return paragraphs


def _heading_levels(archive: zipfile.ZipFile, source: str) -> dict[str, int]:
    """Map the style ids of the built-in Heading 1-3 styles to their level."""
    if "word/styles.xml" not in archive.namelist():
        return {}
    levels = {}
    for _event, style in _xml(archive, "word/styles.xml", source, tag=f"{W}style"):
        name = style.find(f"{W}name")
        level = _HEADING_STYLES.get((name.get(f"{W}val", "") if name is not None else "").lower())
        if level:
            levels[style.get(f"{W}styleId", "")] = level
        style.clear()
    return levels


def _read_document(data: bytes, source: str) -> tuple[dict[str, int], list[tuple[str, str, str]]]:
    check_zip(data, source=source)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return _heading_levels(archive, source), _paragraphs(archive, source)
    except TranscriptError:
        raise  # a limit, already naming the file (it is a ValueError too)
    except (*ZIP_DAMAGE, etree.LxmlError, KeyError) as error:
        raise _not_docx(source) from error


def _heading(style: str, text: str, levels: dict[str, int]) -> tuple[int, str] | None:
    """Return (level, title) for a heading paragraph (Word style or Markdown rule), else None."""
    markdown = MARKDOWN_HEADING.match(text)
    if markdown:
        return len(markdown.group(1)), markdown.group(2)
    level = levels.get(style)
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
    levels, paragraphs = _read_document(data, source)
    collector = TurnCollector(source, unit="paragraph")
    # Names that open a turn somewhere (bold or capitalised) are speakers everywhere.
    seen = seen_speakers([normalise_text(raw).partition("\n")[0] for _s, raw, _b in paragraphs])
    seen |= set(known)
    for _style, raw, bold in paragraphs:
        turn = _bold_speaker(raw, bold)
        if turn:
            seen.add(speaker_key(turn[0]))
    for number, (style, raw, bold) in enumerate(paragraphs, start=1):
        text = normalise_text(raw)
        heading = _heading(style, text, levels)
        if heading:
            level, title = heading
            where = f"paragraph {number}"
            phase = heading_phase(level, title, source=source, where=where, line=number)
            if phase is not None:
                collector.heading(number, phase)
            elif level == 1:
                collector.title(number, title)
            continue
        turn = _bold_speaker(raw, bold) or _speaker_paragraph(text, seen)
        if turn:
            collector.turn(number, turn[0], normalise_text(turn[1]))
        else:
            collector.text(number, text)
    return collector.finish()

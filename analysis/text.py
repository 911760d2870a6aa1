"""Text normalisation for every way text enters the tool, and the guard on its way out."""

from __future__ import annotations

import re
import unicodedata

# The control characters (Unicode category Cc: U+0000-U+001F and U+007F-U+009F) except tab
# and line feed, for str.translate: 20 times faster than testing each character's category.
_CONTROLS = dict.fromkeys([c for c in [*range(0x20), *range(0x7F, 0xA0)] if chr(c) not in "\n\t"])
# A vertical tab (Word's manual line break) and a form feed (a page break) separate lines:
# deleting them glued the words on either side ("dit\x0bnon" became "ditnon").
LINE_BREAKING_CONTROLS = "\x0b\x0c"
_CONTROLS.update(dict.fromkeys(map(ord, LINE_BREAKING_CONTROLS), "\n"))
# The noncharacters XML 1.0 cannot hold become U+FFFD (same length: offsets stay), so no
# stored text can break an export (a .qdpx, a .qdc) or be lost from one.
NONCHARACTERS = {0xFFFE: "\ufffd", 0xFFFF: "\ufffd"}
_CONTROLS.update(NONCHARACTERS)
# Every code point XML 1.0 cannot hold (its Char production): the C0 controls but tab, line
# feed and carriage return, lone UTF-16 surrogates (JSON can carry them), U+FFFE and U+FFFF.
# lxml, python-docx and openpyxl refuse a whole string holding one.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def normalise_text(text: str) -> str:
    """Return `text` in NFC with Unix line endings and no BOM or trailing blanks.

    Offsets of codings are counted in code points over this form, so every
    path that stores text must go through here first.
    """
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    # Control characters (NUL above all: PostgreSQL refuses it) carry no meaning in a
    # transcript; tabs and line breaks stay, and a vertical tab or form feed breaks the line.
    text = text.translate(_CONTROLS)
    text = unicodedata.normalize("NFC", text)
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


def xml_safe(text: str) -> str:
    """Return `text` with every code point XML 1.0 cannot hold replaced by U+FFFD.

    One code point for one: offsets counted over the text (codings, selections) stay
    valid. Input paths that must keep offsets (a study archive's restore) clean with it,
    and every XML writer (.qdc, .qdpx, .docx, .xlsx) passes its strings through it as a
    last guard, so text stored before a rule existed cannot break an export.
    """
    return _NOT_XML.sub("\ufffd", text)

"""The analysis package: pure, cheap to import, and its text normalisation."""

from __future__ import annotations

import subprocess
import sys
import unicodedata

from analysis import normalise_text


def test_analysis_does_not_import_flask_or_sqlalchemy():
    """analysis/ stays usable from scripts and workers without the web app."""
    code = (
        "import sys, analysis; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'flask', 'sqlalchemy', 'app', 'flask_sqlalchemy'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_normalise_text_gives_nfc_unix_lines_without_bom():
    """Decomposed accents, CRLF and a BOM all become one canonical form."""
    decomposed = "\ufeffE\u0301lodie:  caf\u00e9\r\nle CPAS\r\n"
    result = normalise_text(decomposed)
    assert result == "Élodie:  café\nle CPAS"
    assert unicodedata.is_normalized("NFC", result)


def test_normalise_text_keeps_non_bmp_characters():
    """Emoji and other non-BMP characters survive, one code point each."""
    assert normalise_text("ok 👍🏽 merci") == "ok 👍🏽 merci"
    assert len(normalise_text("👍")) == 1


def test_normalise_text_drops_control_characters_but_keeps_tabs_and_lines():
    """NUL and other control characters go (PostgreSQL refuses NUL); tab and newline stay."""
    assert normalise_text("a\x00b\x07c\td\ne\x1b") == "abc\td\ne"


def test_normalise_text_drops_exactly_the_control_category():
    """Every code point of category Cc but tab, newline, VT and FF goes; the rest stays.

    A vertical tab or form feed becomes a line break, so the words around it stay apart;
    U+FFFE and U+FFFF (XML cannot hold them) become U+FFFD.
    """
    from analysis.text import _CONTROLS

    every = "".join(chr(c) for c in range(0x110000))
    expected = "".join(
        "\n" if ch in "\x0b\x0c" else "\ufffd" if ch in "\ufffe\uffff" else ch
        for ch in every
        if ch in "\n\t\x0b\x0c" or unicodedata.category(ch) != "Cc"
    )
    assert every.translate(_CONTROLS) == expected


def test_xml_safe_replaces_exactly_what_xml_cannot_hold_one_for_one():
    """Every code point outside XML 1.0's Char becomes U+FFFD; the rest stays; same length.

    Same length is what keeps coding offsets valid when the archive restore and migration
    0016 clean stored text with it, and lxml then accepts the whole of it.
    """
    from lxml import etree

    from analysis import xml_safe

    def allowed(c: int) -> bool:
        return c in (0x9, 0xA, 0xD) or 0x20 <= c <= 0xD7FF or 0xE000 <= c <= 0xFFFD or c >= 0x10000

    every = "".join(chr(c) for c in range(0x110000))
    expected = "".join(chr(c) if allowed(c) else "\ufffd" for c in range(0x110000))
    result = xml_safe(every)
    assert result == expected and len(result) == len(every)
    etree.Element("text").text = result  # lxml refuses a string with any one left

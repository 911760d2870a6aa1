"""Text normalisation shared by every way text enters the tool."""

from __future__ import annotations

import unicodedata


def normalise_text(text: str) -> str:
    """Return `text` in NFC with Unix line endings and no BOM or trailing blanks.

    Offsets of codings are counted in code points over this form, so every
    path that stores text must go through here first.
    """
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    # Control characters (NUL above all: PostgreSQL refuses it) carry no meaning in a
    # transcript; tabs and line breaks stay.
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    text = unicodedata.normalize("NFC", text)
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()

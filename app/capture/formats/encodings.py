"""Decode transcript bytes: UTF-8 (with or without BOM), UTF-16, else Windows-1252."""

from __future__ import annotations

import codecs
import re

from analysis import normalise_text
from app.capture.formats.turns import TranscriptError

# C0/C1 control characters except tab, newline, vertical tab (Word's line break), form
# feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
MAX_CONTROL_SHARE = 0.01


def _utf16_without_bom(data: bytes) -> str | None:
    """Return "utf-16-le"/"utf-16-be" when NUL bytes sit in every other position, else None.

    Text in Latin scripts encoded as UTF-16 has a NUL high byte in most code
    units; binary files have NULs scattered over both positions.
    """
    if len(data) < 4 or len(data) % 2:
        return None
    even, odd = data[0::2].count(0), data[1::2].count(0)
    half = len(data) // 2
    if odd > 0.3 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.3 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None


def _guess(data: bytes) -> str:
    """Choose the codec of `data`; byte-order marks win over guessing."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # reads the BOM and drops it
    bomless = _utf16_without_bom(data)
    if bomless:
        return bomless
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def decode(data: bytes, *, source: str) -> str:
    """Return the text of a transcript file in NFC with `\\n` line ends; refuse binary files."""
    if not data.strip():
        raise TranscriptError(source, None, "is empty", "choose the file that holds the transcript")
    codec = _guess(data)
    not_text = TranscriptError(
        source, None, "is not a text file", "save the transcript as plain text (UTF-8) and retry"
    )
    if not codec.startswith("utf-16") and b"\0" in data:
        raise not_text
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as error:
        raise not_text from error
    if len(_CONTROL.findall(text)) > MAX_CONTROL_SHARE * len(text):
        raise not_text
    text = normalise_text(text)
    if not text:
        raise TranscriptError(source, None, "is empty", "choose the file that holds the transcript")
    return text

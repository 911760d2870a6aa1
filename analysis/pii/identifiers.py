"""Belgian national register / BIS numbers and IBANs, found by their checksums.

A shape alone is never enough: every finding here passes its check digits.
"""

from __future__ import annotations

import re
from functools import cache

from analysis.pii.findings import Finding, finding

# YY MM DD SSS CC with an optional separator at each group boundary, not inside a
# longer run of digits (a digit followed by a dot or dash before it also counts).
_NATIONAL_NUMBER = re.compile(
    r"(?<!\d)(?<!\d[.,/-])"
    r"\d\d[ .\u00a0-]?\d\d[ .\u00a0-]?\d\d[ .\u00a0-]?\d{3}[ .\u00a0-]?\d\d"
    r"(?!\d)(?![.,/-]\d)"
)
# Words that announce a national number; bare digits need one of these just before.
_CONTEXT = re.compile(
    r"(?i:rijksregister\w*|identificatienummer|insz\w*|niss\b"
    r"|num[ée]ro\s+(?:de\s+)?registre\s+national|num[ée]ro\s+national|n°\s*national"
    r"|national\s+(?:register\s+|registry\s+|identification\s+)?number)"
    r"|\b(?:NN|RRN|RR|BIS|NRN)\b"
)
_CONTEXT_REACH = 30  # characters between the end of the context word and the number
_CONTEXT_LONGEST = 40


def national_number_kind(digits: str) -> str | None:
    """Return "national_number", "bis_number" or None for 11 digits.

    Check digits are 97 - (first 9 digits mod 97), computed on "2" + the 9 digits
    for births from 2000; either century is accepted. The month may carry the
    BIS offset (+20 or +40); month 0 and day 0 stand for an unknown date.
    """
    if len(digits) != 11 or not digits.isascii() or not digits.isdigit():
        return None
    body, check = int(digits[:9]), int(digits[9:])
    if check not in (97 - body % 97, 97 - (2_000_000_000 + body) % 97):
        return None
    month, day = int(digits[2:4]), int(digits[4:6])
    if day > 31:
        return None
    if month <= 12:
        return "national_number"
    if 20 <= month <= 32 or 40 <= month <= 52:
        return "bis_number"
    return None


def _has_context(text: str, start: int) -> bool:
    window_start = max(0, start - _CONTEXT_REACH - _CONTEXT_LONGEST)
    return any(
        start - match.end() <= _CONTEXT_REACH
        for match in _CONTEXT.finditer(text, window_start, start)
    )


def find_national_numbers(text: str) -> list[Finding]:
    """Find national register and BIS numbers with valid check digits.

    Formatted numbers (`85.07.30-033.28`, `850730 033 28`) count on their own;
    11 bare digits only when a context word ("INSZ", "NISS", "rijksregister",
    "numéro national"...) ends at most ~30 characters before them.
    """
    findings = []
    for match in _NATIONAL_NUMBER.finditer(text):
        raw = match.group()
        digits = re.sub(r"\D", "", raw)
        kind = national_number_kind(digits)
        if kind is None:
            continue
        if raw == digits and not _has_context(text, match.start()):
            continue
        findings.append(finding(kind, text, match.start(), match.end()))
    return findings


# Two letters, two check digits, then 11 to 30 letters or digits with optional single
# separators. `_longest_iban` trims the candidate group by group until a checksum fits.
_IBAN = re.compile(r"(?<![^\W_])[A-Za-z]{2}\d\d(?:[ \u00a0-]?[A-Za-z0-9]){11,30}(?![^\W_])")
_SEPARATOR_CHARS = " \u00a0-"
_SEPARATORS = re.compile(f"[{_SEPARATOR_CHARS}]")


@cache
def _stdnum_iban():
    # Imported on first use: it costs ~60 ms and `import analysis` must stay cheap.
    from stdnum import iban

    return iban


def _iso_7064_mod_97(compact: str) -> int:
    # Country code and check digits move to the end; letters count as 10 to 35.
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97


def is_valid_iban(compact: str) -> bool:
    """Return whether an IBAN without separators passes its checksums.

    Every IBAN: ISO 7064 mod 97 over the rearranged string is 1 and the
    country's length and BBAN shape fit. Belgian ones also need the national
    check (first 10 BBAN digits mod 97, 0 counting as 97, equal the last 2). The
    bank-code list of python-stdnum is not consulted: it lags behind real banks.
    """
    compact = compact.upper()
    if not compact.isalnum() or not compact.isascii() or _iso_7064_mod_97(compact) != 1:
        return False
    if compact.startswith("BE"):
        bban = compact[4:]
        if len(compact) != 16 or not bban.isdigit():
            return False
        if (int(bban[:10]) % 97 or 97) != int(bban[10:]):
            return False
    return _stdnum_iban().is_valid(compact, check_country=False)


def _longest_iban(raw: str) -> int:
    """Return the length of the longest prefix of `raw` ending at a group boundary
    that is a valid IBAN, or 0.

    The mod 97 of every prefix comes from one left-to-right pass, so a long
    candidate costs one scan, not one conversion per possible end.
    """
    head = raw[:4].upper()  # moved to the end by ISO 7064: 2 letters + 2 digits, 6 digits
    head_value = int(f"{int(head[0], 36)}{int(head[1], 36)}{head[2:]}")
    remainder, length, ends = 0, 4, []
    for index in range(4, len(raw)):
        if raw[index] in _SEPARATOR_CHARS:
            ends.append((index, length, remainder))
            continue
        value = int(raw[index], 36)
        remainder = (remainder * (100 if value > 9 else 10) + value) % 97
        length += 1
    ends.append((len(raw), length, remainder))
    for end, length, remainder in reversed(ends):
        if (
            15 <= length <= 34
            and (remainder * 10**6 + head_value) % 97 == 1
            and is_valid_iban(_SEPARATORS.sub("", raw[:end]))
        ):
            return end
    return 0


def find_ibans(text: str) -> list[Finding]:
    """Find IBANs (Belgian and foreign), with or without spaces, that pass their checksums."""
    findings = []
    position = 0
    while match := _IBAN.search(text, position):
        if length := _longest_iban(match.group()):
            findings.append(finding("iban", text, match.start(), match.start() + length))
            position = match.start() + length
        else:
            position = match.start() + 1
    return findings

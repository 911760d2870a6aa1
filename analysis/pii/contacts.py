"""Phone numbers (via `phonenumbers`, region BE) and e-mail addresses."""

from __future__ import annotations

import re
from functools import cache

from analysis.pii.findings import Finding, finding

# A phone must be dialled like one: "+", "00", a trunk "0" (possibly in brackets), or
# 11 digits starting with the country code 32 ("32470123456").
_DIALLED = re.compile(r"^(?:\+|\(?0|32)")
_DATE = re.compile(r"^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}$")
_NATIONAL_NUMBER_SHAPE = re.compile(r"^\d\d[.-]\d\d[.-]\d\d[.-]?\d{3}[.-]?\d\d$")
_NUMERIC_STRETCH = re.compile(r"[+(]?\d[\d .\/()\u00a0-]*")
_PREFIX_INSIDE = re.compile(r"(?<!\d)(?:\+|\(?0|32)")


@cache
def _phonenumbers():
    # Imported on first use (~45 ms) to keep `import analysis` cheap.
    import phonenumbers

    return phonenumbers


def _looks_dialled(raw: str) -> bool:
    if not _DIALLED.match(raw) or _DATE.match(raw) or _NATIONAL_NUMBER_SHAPE.match(raw):
        return False
    digits = re.sub(r"\D", "", raw)
    return not (raw.startswith("32") and len(digits) != 11)


def find_phones(text: str) -> list[Finding]:
    """Find phone numbers as written in Belgium: `+32 470 12 34 56`, `02 123 45 67`...

    Matching is lenient (POSSIBLE): the VALID level drops real Brussels
    landlines. Dates, years, amounts and file references are filtered out by
    requiring a dialling prefix and rejecting date shapes.
    """
    phonenumbers = _phonenumbers()
    findings = []
    # The matcher is slow on long runs of digits and punctuation (it retries every
    # sub-sequence), so it only sees the runs where a dialling prefix occurs.
    for stretch in _NUMERIC_STRETCH.finditer(text):
        if not _PREFIX_INSIDE.search(stretch.group()):
            continue
        offset = max(0, stretch.start() - 1)  # one character of context each side
        matcher = phonenumbers.PhoneNumberMatcher(
            text[offset : stretch.end() + 1], "BE", leniency=phonenumbers.Leniency.POSSIBLE
        )
        findings += [
            finding("phone", text, offset + match.start, offset + match.end)
            for match in matcher
            if _looks_dialled(match.raw_string)
        ]
    return findings


# Each part is a run of one character class between fixed delimiters, so a failed
# match costs at most one scan of the run: no nested quantifiers to backtrack over.
# The lookbehind stops the engine from retrying at every character of a long run.
_EMAIL = re.compile(r"(?<![\w.%+'-])[\w%+'-]+(?:\.[\w%+'-]+)*@[\w-]+(?:\.[\w-]+)+")


def find_emails(text: str) -> list[Finding]:
    """Find e-mail addresses whose domain ends in an alphabetic top-level label."""
    findings = []
    for match in _EMAIL.finditer(text):
        top_level = match.group().rsplit(".", 1)[1]
        if len(top_level) >= 2 and top_level.isalpha():
            findings.append(finding("email", text, match.start(), match.end()))
    return findings

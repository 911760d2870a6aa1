"""Find personal data in transcripts: Belgian identifiers, contacts, addresses, names.

Everything runs locally on plain strings. Offsets are Unicode code points,
zero-based, end exclusive, over the text passed in (as REFI-QDA counts them).
`phonenumbers` and `python-stdnum` load on first use; spaCy is never imported
here: pass a loaded pipeline as `nlp` to add its person entities.
"""

from __future__ import annotations

from collections.abc import Sequence

from analysis.pii.addresses import find_addresses
from analysis.pii.contacts import find_emails, find_phones
from analysis.pii.findings import KINDS, Finding, resolve_overlaps
from analysis.pii.identifiers import (
    find_ibans,
    find_national_numbers,
    is_valid_iban,
    national_number_kind,
)
from analysis.pii.lexicon import LANGUAGES, guess_language
from analysis.pii.names import is_ordinary_word
from analysis.pii.persons import find_persons, name_span

__all__ = [
    "KINDS",
    "Finding",
    "detect",
    "find_addresses",
    "find_emails",
    "find_ibans",
    "find_national_numbers",
    "find_persons",
    "find_phones",
    "guess_language",
    "is_ordinary_word",
    "is_valid_iban",
    "name_span",
    "national_number_kind",
]


def _overlaps(finding: Finding, others: Sequence[Finding]) -> bool:
    return any(finding.start < other.end and other.start < finding.end for other in others)


def detect(
    text: str, *, language: str = "auto", names: Sequence[str] = (), nlp=None
) -> list[Finding]:
    """Run every detector and return non-overlapping findings sorted by start.

    `language` ("auto", "nl", "fr", "en") picks the person cues; "auto" guesses it
    from stop words. Where findings overlap, checksummed identifiers win over
    e-mails, phones, addresses and names, in that order; bare 11 digits that
    read as a phone ("32470123456") stay a phone.
    """
    if language != "auto" and language not in LANGUAGES:
        raise ValueError(f"language must be 'auto' or one of {LANGUAGES}, not {language!r}")
    phones = find_phones(text)
    national_numbers = [
        found
        for found in find_national_numbers(text)
        if not (found.text.isdigit() and _overlaps(found, phones))
    ]
    return resolve_overlaps(
        national_numbers
        + find_ibans(text)
        + find_emails(text)
        + phones
        + find_addresses(text)
        + find_persons(text, language=language, names=names, nlp=nlp)
    )

"""Pure text analysis for MAG Workbench: no Flask, no SQLAlchemy, no network.

Importing this package is cheap; heavier NLP loads lazily where it is used.
"""

from analysis.agreement import (
    ThemeAgreement,
    agreement_by_theme,
    cohen_kappa,
    krippendorff_alpha,
    percent_agreement,
)
from analysis.pii import (
    Finding,
    detect,
    find_addresses,
    find_emails,
    find_ibans,
    find_national_numbers,
    find_persons,
    find_phones,
)
from analysis.text import normalise_text

__all__ = [
    "Finding",
    "ThemeAgreement",
    "detect",
    "find_addresses",
    "find_emails",
    "find_ibans",
    "find_national_numbers",
    "find_persons",
    "find_phones",
    "agreement_by_theme",
    "cohen_kappa",
    "krippendorff_alpha",
    "normalise_text",
    "percent_agreement",
]

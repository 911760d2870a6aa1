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
from analysis.cluster import Group, cluster
from analysis.codebook import DEFAULT_KEYS, ThemeSpec, codebook_from_json, default_codebook
from analysis.errors import AnalysisError
from analysis.language import detect_language
from analysis.nlp import PreparedText, prepare, prepare_many
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
from analysis.suggest import (
    Evidence,
    Example,
    PassageSuggestions,
    ThemeScore,
    ThemeSuggester,
)
from analysis.sweep import (
    Ranked,
    SweepItem,
    SweepMatrix,
    ThemeSweep,
    evidence_terms,
    sweep_items,
    sweep_matrix,
)
from analysis.text import normalise_text, xml_safe

__all__ = [
    "DEFAULT_KEYS",
    "AnalysisError",
    "Evidence",
    "Example",
    "Group",
    "PassageSuggestions",
    "PreparedText",
    "ThemeScore",
    "ThemeSpec",
    "ThemeSuggester",
    "ThemeSweep",
    "Ranked",
    "SweepItem",
    "SweepMatrix",
    "evidence_terms",
    "sweep_items",
    "sweep_matrix",
    "cluster",
    "codebook_from_json",
    "default_codebook",
    "detect_language",
    "prepare",
    "prepare_many",
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
    "xml_safe",
    "percent_agreement",
]

"""How the report writes numbers, quotation marks and sorted lists in the reader's language.

Quotation marks (outer, then inner for a quote inside a quote):
- fr: « … » with narrow no-break spaces inside, and “ … ” inside (Imprimerie nationale);
- nl: „ … ” outside and ‘ … ’ inside: the low-high pair of Flemish print and of the
  Belgian government's writing guides, which keeps a quote distinct from the curly “ ”
  of English titles in the same paragraph;
- en: “ … ” and ‘ … ’ (British house style without the single-first variant).
Straight or foreign marks inside a quote become the inner pair, so nesting is right.

Sorting is accent- and case-insensitive first (the Unicode Collation Algorithm's
primary level for Latin script, which is all nl/fr/en labels need), then by accents,
then by case: "école" sorts with "ecole", before "Emploi", not after "z".
No collation library is needed for that (pyuca is unmaintained, PyICU needs ICU).
"""

from __future__ import annotations

import re
import unicodedata

from babel.numbers import format_decimal, format_percent

MARKS = {
    "fr": (("«\u202f", "\u202f»"), ("“", "”")),
    "nl": (("„", "”"), ("‘", "’")),
    "en": (("“", "”"), ("‘", "’")),
}
# Double quotation marks a quoted text may carry itself (straight, curly, low, guillemets).
_INNER_DOUBLE = re.compile(r"«\s*|\s*»|[\"“”„]")


def quoted(text: str, language: str) -> str:
    """Return `text` between the language's quotation marks, inner quotes nested correctly."""
    (outer_open, outer_close), (inner_open, inner_close) = MARKS.get(language, MARKS["en"])
    opening = True

    def inner(match: re.Match) -> str:
        nonlocal opening
        mark = match.group(0).strip()
        if mark in "«„“":
            opening = False
            return inner_open
        if mark in "»”":
            opening = True
            return inner_close
        # A straight mark: alternate opening and closing.
        opening = not opening
        return inner_close if opening else inner_open

    return f"{outer_open}{_INNER_DOUBLE.sub(inner, text.strip())}{outer_close}"


def colon(language: str) -> str:
    """Return the separator before an explanation: French puts a no-break space before ":"."""
    return "\u00a0: " if language == "fr" else ": "


def decimal(value: float, language: str, digits: int = 2) -> str:
    """Return `value` with `digits` decimals in the language's notation (0,39 in fr and nl)."""
    return format_decimal(value, format="0." + "0" * digits, locale=language)


def count(value: int, language: str) -> str:
    """Return a whole number with the language's digit grouping (1 200 in fr, 1.200 in nl)."""
    return format_decimal(value, locale=language)


def percent(fraction: float, language: str) -> str:
    """Return a fraction as a whole percentage in the language's notation (39 %)."""
    return format_percent(fraction, locale=language)


def sort_key(text: str) -> tuple[str, str, str]:
    """Return a key that sorts labels as a reader expects: letters, then accents, then case."""
    decomposed = unicodedata.normalize("NFD", text)
    base = "".join(c for c in decomposed if not unicodedata.combining(c))
    return (base.casefold(), decomposed.casefold(), text)

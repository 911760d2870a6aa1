"""Phase headings and markers: a number ("## 5. ...", "Phase 5") or a phase name in nl/fr/en."""

from __future__ import annotations

import re
import unicodedata

# The names of sessions/README.md, plus the short forms used in DOMAIN.md and by facilitators.
PHASE_NAMES: dict[int, tuple[str, ...]] = {
    1: ("Propositions de récits", "Voorstellen van verhalen", "Story proposals"),
    2: ("Choix du récit", "Keuze van het verhaal", "Choice of the story"),
    3: ("Récit", "Vertelling", "Narrative"),
    4: ("Questions d'information", "Informatievragen", "Information questions"),
    5: (
        "Premier tour d'interprétations",
        "Eerste interpretatieronde",
        "First round of interpretations",
    ),
    6: (
        "Réaction du narrateur",
        "Reactie van de verteller",
        "Narrator's reaction",
        "Réaction de la narratrice",
        "Reactie van de vertelster",
    ),
    7: (
        "Deuxième tour d'interprétations",
        "Tweede interpretatieronde",
        "Second round of interpretations",
        "Deuxième tour",
        "Tweede ronde",
        "Second round",
    ),
    8: (
        "Analyse : convergences et divergences",
        "Analyse: convergenties en divergenties",
        "Analysis: convergences and divergences",
        "Convergences et divergences",
        "Convergenties en divergenties",
        "Convergences and divergences",
    ),
    9: (
        "Apports théoriques, hypothèses, nouvelle problématique",
        "Theoretische inbreng, hypothesen, nieuwe probleemstelling",
        "Theoretical input, hypotheses, new problem",
        "Apports théoriques",
        "Theoretische inbreng",
        "Theoretical input",
    ),
    10: ("Perspectives pratiques", "Praktische perspectieven", "Practical perspectives"),
    11: ("Évaluation", "Evaluatie", "Evaluation"),
}

# "#5" stays a heading (as before); "#hashtag" is text.
MARKDOWN_HEADING = re.compile(r"^(#{1,6})(?:\s+|(?=\d))(.*)$")
_NUMBERED = re.compile(r"^(?:(?:phase|fase)\s*)?(\d+)", re.IGNORECASE)
_MARKER = re.compile(r"^(?:phase|fase)\s*(\d+)\s*(?:[.):\-–—]\s*.*)?$", re.IGNORECASE)
_NOT_WORD = re.compile(r"[\W_]+")


def _key(name: str) -> str:
    """Fold case, accents and punctuation: "Réaction du narrateur" -> "reaction du narrateur"."""
    decomposed = unicodedata.normalize("NFKD", name)
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_WORD.sub(" ", letters.casefold()).strip()


_PHASE_BY_KEY = {_key(name): number for number, names in PHASE_NAMES.items() for name in names}


def phase_of_title(title: str) -> int | None:
    """Return the phase a heading title names (any number, range unchecked), or None."""
    title = title.strip()
    numbered = _NUMBERED.match(title)
    if numbered:
        return int(numbered.group(1))
    return _PHASE_BY_KEY.get(_key(title))


def phase_of_marker(text: str) -> int | None:
    """Return the phase set by a subtitle marker ("Phase 5", "## 5. ...", a name), or None.

    A bare number is not a marker here: a cue "10 minutes later" must not change phase.
    """
    text = text.strip()
    heading = MARKDOWN_HEADING.match(text)
    if heading:
        return phase_of_title(heading.group(2))
    marker = _MARKER.match(text)
    if marker:
        return int(marker.group(1))
    return _PHASE_BY_KEY.get(_key(text))

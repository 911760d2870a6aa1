"""Cross-language concepts: what a passage is about, whatever its language.

`concepts.toml` (beside this module) maps nl, fr and en terms to concept ids, each with
a label per language ("loket" / "guichet" / "counter"). `ConceptFinder` finds them in
prepared passages with the term matcher of `analysis.terms`, after masking what must
never count as content: the method's own formulas ("wat roept dit bij je op", "qui veut
commencer", "who wants to start"), facilitator labels, and the names a caller excludes
(participants' pseudonyms, speaker names).
"""

from __future__ import annotations

import re
import threading
import tomllib
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from analysis.language import LANGUAGES
from analysis.nlp import PreparedText
from analysis.terms import TermIndex, compile_terms, longest_per_theme

CONCEPTS_PATH = Path(__file__).with_name("concepts.toml")

# Turn-taking and method formulas of a MAG session: the words of the method, not of
# the material. Matched as term patterns (lemmatised), per language.
METHOD_FORMULAS = {
    "nl": (
        "wat roept dit bij je op; wat roept dit bij jullie op; wat roept dat op;"
        " wie wil beginnen; wie wil er beginnen; wie begint; wie wil starten;"
        " wie wil er iets zeggen; wie wil reageren; wie wil nog iets zeggen;"
        " jouw beurt; uw beurt; aan jou; dank je wel; dank u wel; bedankt;"
        " eerste ronde; tweede ronde; interpretatieronde; volgende ronde; ronde;"
        " informatievragen; vragen ter informatie; verhaal vertellen; keuze van het verhaal;"
        " wie heeft er een verhaal; we gaan verder; we gaan over naar; het woord is aan"
    ),
    "fr": (
        "qu'est-ce que ça vous évoque; qu'est-ce que cela vous évoque; ça vous évoque quoi;"
        " qui veut commencer; qui commence; qui veut démarrer; qui veut prendre la parole;"
        " qui veut réagir; qui veut ajouter quelque chose; à toi; à vous; c'est à toi;"
        " ton tour; votre tour; merci beaucoup; merci;"
        " premier tour; deuxième tour; second tour; tour de table; tour d'interprétations;"
        " questions d'information; choix du récit; raconter * récit;"
        " qui a un récit; on continue; on passe à; la parole est à"
    ),
    "en": (
        "what does this bring up for you; what does this evoke; what comes to mind;"
        " who wants to start; who would like to start; who wants to begin; who starts;"
        " who wants to say something; who wants to react; anyone else;"
        " your turn; over to you; thank you; thanks;"
        " first round; second round; interpretation round; next round; round;"
        " information questions; questions of information; choice of the story; tell * story;"
        " who has a story; let us move on; we move on to; the floor is yours"
    ),
}
# Labels of the people who run the session, as they precede turns in transcripts.
FACILITATOR_LABELS = (
    "animateur animatrice animateurs rapporteur rapporteuse facilitator facilitators"
    " moderator moderatrice modérateur modératrice begeleider begeleidster begeleiders"
    " verslaggever verslaggeefster narrateur narratrice verteller vertelster narrator"
    " interviewer intervieweur spreker speaker participant participante deelnemer"
    " deelneemster"
)
_UNSAFE = re.compile(r"[*|=]|\.\.")
# "Sophie: ..." or "Animatrice : ..." at the start of a line or sentence: a speaker label.
_NAME_WORD = r"[A-ZÀ-Þ][\w'’-]{1,30}"
_SPEAKER = re.compile(rf"(?:^|[\n.!?]\s*)({_NAME_WORD}(?: {_NAME_WORD})?) ?:(?!\S)")


@dataclass(frozen=True)
class Concept:
    """A domain concept: an id, a label per language, term patterns per language."""

    key: str
    labels: dict[str, str]
    patterns: dict[str, tuple[str, ...]]

    def label(self, language: str) -> str:
        """Return the label in `language`, or in English when there is none."""
        return self.labels.get(language) or self.labels["en"]


@cache
def load_concepts() -> dict[str, Concept]:
    """Return the built-in concepts by id, in file order."""
    data = tomllib.loads(CONCEPTS_PATH.read_text(encoding="utf-8"))
    concepts = {}
    for key, entry in data.items():
        labels = dict(zip(LANGUAGES, entry["label"], strict=True))
        shared = _split(entry.get("all", ""))
        patterns = {
            language: tuple(dict.fromkeys([*_split(entry.get(language, "")), *shared]))
            for language in LANGUAGES
        }
        concepts[key] = Concept(key, labels, patterns)
    return concepts


def _split(block: str) -> list[str]:
    return [piece.strip() for piece in block.split(";") if piece.strip()]


def speaker_labels(texts: Iterable[str]) -> set[str]:
    """Return the words written as speaker labels ("Sophie:", "Animatrice :") in texts."""
    return {match.group(1) for text in texts for match in _SPEAKER.finditer(text)}


def _name_pattern(name: str) -> str:
    """Turn a caller's name ("Marie-Claire", "M. Dupont") into a plain term pattern."""
    return " ".join(_UNSAFE.sub(" ", name).lower().split())


class ConceptFinder:
    """Find concepts in passages, ignoring method formulas and excluded names."""

    def __init__(self, exclude_terms: Collection[str] = ()) -> None:
        names = {_name_pattern(name) for name in exclude_terms if isinstance(name, str)}
        names.update(FACILITATOR_LABELS.split())
        self.excluded_words = frozenset(
            word for name in names for word in re.split(r"[\s'’-]+", name) if word
        )
        self._names = sorted(name for name in names if name)
        self._indexes: dict[str, TermIndex] = {}
        self._lock = threading.Lock()

    def _index(self, language: str) -> TermIndex:
        """Return one index of concepts, method formulas and names (one pass per passage)."""
        with self._lock:
            if language not in self._indexes:
                entries = [("_method", p, 1.0) for p in _split(METHOD_FORMULAS.get(language, ""))]
                entries += [("_name", name, 1.0) for name in self._names]
                terms = [*_concept_terms(language), *compile_terms(entries, language)]
                self._indexes[language] = TermIndex(terms)
            return self._indexes[language]

    def scan(self, prepared: PreparedText) -> tuple[set[int], Counter[str]]:
        """Return the masked token indexes and the concept counts outside them."""
        if prepared.language not in LANGUAGES:
            return set(), Counter()
        matches = longest_per_theme(self._index(prepared.language).find(prepared))
        masked = {
            i
            for m in matches
            if m.term.theme in ("_method", "_name")
            for i in range(m.first, m.last + 1)
        }
        words = self.excluded_words
        masked.update(i for i, form in enumerate(prepared.forms) if form in words)
        found: Counter[str] = Counter()
        # Longest match per concept: "mot de passe" is one password, not also "passe".
        for match in matches:
            theme = match.term.theme
            if theme.startswith("_"):
                continue
            if not any(i in masked for i in range(match.first, match.last + 1)):
                found[theme] += 1
        return masked, found

    def masked(self, prepared: PreparedText) -> set[int]:
        """Return the token indexes of method formulas and excluded names in a passage."""
        return self.scan(prepared)[0]

    def find(self, prepared: PreparedText) -> Counter[str]:
        """Return how often each concept occurs outside method formulas and names."""
        return self.scan(prepared)[1]


@cache
def _concept_terms(language: str) -> tuple:
    entries = [
        (concept.key, pattern, 1.0)
        for concept in load_concepts().values()
        for pattern in concept.patterns[language]
    ]
    return tuple(compile_terms(entries, language))

"""Guess whether a passage is Dutch, French or English, offline and deterministically.

The guess counts function words that belong to one language only (words shared by
two of them, such as "de", "en", "in", "is", "a", "on", are left out), then breaks
ties with spelling cues ("ij", "sch", "é", "ç", "th", "wh"). It is meant for
passages of a sentence or more; below `MIN_WORDS` words the default is returned.
"""

from __future__ import annotations

import re

from analysis.errors import AnalysisError

LANGUAGES = ("nl", "fr", "en")
MIN_WORDS = 3

_FUNCTION_WORDS = {
    "nl": (
        "het een van ik je jij niet dat die op te zijn er aan met voor ook als maar om bij"
        " nog naar dan wat heeft hebben ze zij hij wij ons mijn dit deze kan moet wordt werd"
        " geen toen omdat uit onze uw jouw hun zo al wel nu hier daar waar wie hoe waarom"
        " mij zich zelf moeten kunnen willen gaan gaat ging doen doet deed heel veel echt"
        " zoals tegen tussen zonder altijd nooit soms iets niets alles geweest wordt zou"
        " zouden moest kon werd waren hadden heb ben bent worden kunt wil mag weet weten"
        " zeggen zegt zei moeten hem haar dus toch even nooit alleen samen ander andere"
    ),
    "fr": (
        "le la les un une des et du est pas que qui dans pour sur avec ce cette il elle"
        " ils elles je nous vous mais ou au aux sa ses ne se été par était avait leur lui"
        " très aussi comme parce ma mon mes notre votre nos vos y être avoir fait faire"
        " sont ont peut doit veut sans chez tout toute tous toutes rien jamais toujours"
        " encore déjà quand alors donc où cela ça c'est j'ai qu'il n'est n'a d'un d'une"
        " l'on lorsque depuis entre même autre autres seul seule quelqu'un plus moins"
    ),
    "en": (
        "the an and to with for that this it he she they you his their but at by from"
        " have has be been are were which would could as because what when there here"
        " who how why them our your my me him her its not no can will should must did"
        " does do doing done into about than then only just also very all any some"
        " someone nothing always never without between again because while these those"
    ),
}
FUNCTION_WORDS = {language: frozenset(words.split()) for language, words in _FUNCTION_WORDS.items()}
# A word listed for two languages would only add noise; keep each list exclusive.
_SHARED = (FUNCTION_WORDS["nl"] & FUNCTION_WORDS["fr"]) | (
    (FUNCTION_WORDS["nl"] | FUNCTION_WORDS["fr"]) & FUNCTION_WORDS["en"]
)
FUNCTION_WORDS = {language: words - _SHARED for language, words in FUNCTION_WORDS.items()}

_SPELLING = {
    "nl": re.compile(r"ij|sch|oe|aa|ee|uu|ui|[ëï]"),
    "fr": re.compile(r"[éèêàâçùûôî]|qu|eau|aux"),
    "en": re.compile(r"th|wh|sh|w|ing\b"),
}
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_SAMPLE = 5_000  # characters: enough for a stable guess, cheap on long passages


def detect_language(text: str, default: str = "fr") -> str:
    """Return "nl", "fr" or "en" for `text`; `default` when it is too short to tell."""
    if default not in LANGUAGES:
        raise AnalysisError(f"default language must be one of {LANGUAGES}, not {default!r}")
    sample = text[:_SAMPLE].lower().replace("’", "'")
    words = _WORD.findall(sample)
    if len(words) < MIN_WORDS:
        return default
    counts = dict.fromkeys(LANGUAGES, 0)
    for word in words:
        for language in LANGUAGES:
            if word in FUNCTION_WORDS[language]:
                counts[language] += 1
    ranked = sorted(LANGUAGES, key=lambda language: (-counts[language], language != default))
    if counts[ranked[0]] > counts[ranked[1]]:
        return ranked[0]
    # A tie (or no function word at all): spelling decides, per word of text.
    joined = " ".join(words)
    spelling = {
        language: counts[language] * 100 + len(_SPELLING[language].findall(joined))
        for language in LANGUAGES
    }
    ranked = sorted(LANGUAGES, key=lambda language: (-spelling[language], language != default))
    if spelling[ranked[0]] > spelling[ranked[1]]:
        return ranked[0]
    return default

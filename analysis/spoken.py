"""The words of a spoken turn that carry no content: fillers, repetitions, annotations.

A transcript turn is longer than the same content written: hesitations ("euh", "um"),
discourse markers ("zeg maar", "tu vois", "you know"), backchannels ("ja ja", "oui
oui"), a word or two said again while the speaker thinks ("ik ik heb", "I was, I was")
and the transcriber's annotations ("[laughs]", "[rires]"). `fluent_words` returns the
words left once these are set aside, so that the length rule of the zero-shot scores
(`analysis.zeroshot.passage_length`) does not penalise a turn for being spoken.

These lists hold no theme vocabulary: they only ever shorten the length a passage is
measured by, never add or remove evidence.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from analysis.nlp import PreparedText

# Hesitations and interjections: fillers wherever they stand.
_FILLERS = {
    "nl": "euh eh ehm uh uhm hm hmm mm hè allez allee awel tja nou amai oké okee",
    "fr": "euh heu hum hm hmm bah ben bon voilà hein ouais bref",
    "en": "uh um er erm hm hmm mm okay ok yeah",
}
# Words that are fillers only when set off by punctuation ("like," "..., quoi."): in a
# clause they are content ("I'd like", "de quoi", "ja of nee").
_SET_OFF = {
    "nl": "ja nee zo enfin zeg",
    "fr": "quoi genre enfin donc alors oui non",
    "en": "like well so right yes no",
}
# Discourse markers of several words, as lowercased word forms.
_MARKERS = {
    "nl": ("zeg maar", "weet je", "weet ge", "weet je wel", "snap je", "ik bedoel", "ja ja"),
    "fr": ("tu vois", "tu sais", "vous voyez", "vous savez", "je veux dire", "oui oui"),
    "en": ("you know", "i mean", "you see", "yeah yeah"),
}
FILLERS = {language: frozenset(words.split()) for language, words in _FILLERS.items()}
SET_OFF = {language: frozenset(words.split()) for language, words in _SET_OFF.items()}
MARKERS = {language: tuple(m.split() for m in found) for language, found in _MARKERS.items()}
# The markers by their first word: the scan looks each word up once.
_MARKERS_BY_FIRST = {
    language: {first: [m for m in found if m[0] == first] for first in {m[0] for m in found}}
    for language, found in MARKERS.items()
}
# Every word that may start a filler or marker: the scan looks at these only.
_SPECIAL = {
    language: FILLERS.get(language, frozenset())
    | SET_OFF.get(language, frozenset())
    | frozenset(_MARKERS_BY_FIRST.get(language, {}))
    for language in {*FILLERS, *SET_OFF, *_MARKERS_BY_FIRST}
}
REPEATED_SPAN = 3  # longest run of words whose immediate repetition is a disfluency
_ANNOTATION = re.compile(r"\[[^\[\]\n]*\]")  # the transcriber's "[laughs]", "[inaudible]"
_PUNCTUATION = frozenset(",.;:!?…—–-()\"'«»“”‘’")


def fluent_words(prepared: PreparedText) -> list[int]:
    """Return the indexes of a passage's words that are not fillers, repeats or annotations.

    Computed once per PreparedText (kept on it, outside its compared and serialised
    fields): the length rule, the term matches and the prior all ask for it.
    """
    cached = prepared.__dict__.get("_fluent")
    if cached is None:
        cached = tuple(_fluent(prepared))
        object.__setattr__(prepared, "_fluent", cached)
    return list(cached)


def _fluent(prepared: PreparedText) -> list[int]:
    n = len(prepared)
    skipped = [False] * n
    language = prepared.language
    forms = prepared.forms
    if "[" in prepared.text:
        for found in _ANNOTATION.finditer(prepared.text):
            for i in range(n):
                if prepared.starts[i] >= found.start() and prepared.ends[i] <= found.end():
                    skipped[i] = True
    fillers = FILLERS.get(language, frozenset())
    set_off = SET_OFF.get(language, frozenset())
    markers = _MARKERS_BY_FIRST.get(language, {})
    special = _SPECIAL.get(language, frozenset())
    for i in [i for i, form in enumerate(forms) if form in special]:
        form = forms[i]
        if form in fillers or (form in set_off and _set_off(prepared, i)):
            skipped[i] = True
        for marker in markers.get(form, ()):
            size = len(marker)
            if i + size <= n and list(forms[i : i + size]) == marker:
                skipped[i : i + size] = [True] * size
    # A run of words said again at once: the second saying carries nothing new.
    for size in range(1, REPEATED_SPAN + 1):
        same = [
            i
            for i, (word, earlier) in enumerate(zip(forms[size:], forms, strict=False), start=size)
            if word == earlier and i <= n - size
        ]
        for i in same:
            if forms[i : i + size] == forms[i - size : i]:
                skipped[i : i + size] = [True] * size
    return [i for i in range(n) if not skipped[i]]


def _set_off(prepared: PreparedText, i: int) -> bool:
    """Whether word i stands apart: punctuation (or the turn's edge) before or after it."""
    text = prepared.text
    before = text[prepared.ends[i - 1] : prepared.starts[i]] if i else "."
    after = text[prepared.ends[i] : prepared.starts[i + 1]] if i + 1 < len(prepared) else "."
    return any(ch in _PUNCTUATION for ch in before + after)

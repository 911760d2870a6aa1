"""Lemma n-gram features shared by theme suggestions and clustering."""

from __future__ import annotations

from collections.abc import Sequence

from analysis.nlp import PreparedText

# Words of conversation that spaCy does not list as stop words but that say nothing
# about what a group of passages is about; left out of clustering features.
_CHATTER = {
    "nl": (
        "zeggen weten vinden krijgen komen gaan doen maken zien denken willen moeten kunnen"
        " mens eigenlijk gewoon echt ding keer jaar dag week tijd goed ja nee eh euh hè"
        " natuurlijk beetje heel even iemand iets niets alles mevrouw meneer zitten staan"
        " liggen laten vragen geven horen nemen blijven beginnen praten eens dan toch"
    ),
    "fr": (
        "dire faire aller venir voir savoir pouvoir vouloir devoir prendre mettre donner"
        " falloir demander chose fois gens jour an année semaine temps moment vraiment"
        " juste bien bon oui non euh rien tout madame monsieur passer rester trouver"
        " parler croire penser arriver coup après déjà encore toujours jamais"
    ),
    "en": (
        "say tell get go come make know think want see take give people person thing time"
        " day week year really just like yeah um uh well lot someone something nothing"
        " everything need ask put keep let still even already always never mean sort kind"
    ),
}
CHATTER = {language: frozenset(words.split()) for language, words in _CHATTER.items()}


def lemma_ngrams(prepared: PreparedText, skip: frozenset[str] = frozenset()) -> list[str]:
    """Return content lemmas and bigrams of consecutive content lemmas in a sentence.

    Stop words (and lemmas in `skip`) are dropped first, so "mot de passe" gives "mot",
    "passe" and "mot passe".
    """
    features: list[str] = []
    bounds = set(prepared.sentence_starts)
    previous: str | None = None
    for i, (lemma, stop) in enumerate(zip(prepared.lemmas, prepared.stop, strict=True)):
        if i in bounds:
            previous = None
        if stop or lemma in skip:
            continue
        features.append(lemma)
        if previous is not None:
            features.append(f"{previous} {lemma}")
        previous = lemma
    return features


def identity(features: Sequence[str]) -> Sequence[str]:
    """Analyzer for scikit-learn vectorizers fed with ready-made feature lists."""
    return features

"""Maintained name data: given names and surnames of Belgium, France and the Netherlands.

The lists come from Faker's person providers (nl_BE, fr_BE, nl_NL, fr_FR), read from the
installed package: no network, no hand-written name lists to keep up to date. They are
loaded once, lazily, on the first person detection.
"""

from __future__ import annotations

import functools
import importlib
import unicodedata

from analysis.pii.lexicon import NOT_A_NAME, PARTICLES

LOCALES = ("nl_BE", "fr_BE", "nl_NL", "fr_FR")


def fold(word: str) -> str:
    """Return the form names are compared in: NFC, case-folded, typographic apostrophe as '."""
    return unicodedata.normalize("NFC", word).replace("’", "'").casefold()


def _words(names) -> set[str]:
    words = set()
    for name in names:  # a tuple, or a dict of name → weight
        for part in str(name).replace("-", " ").split():
            part = fold(part)
            if len(part) >= 2 and part not in PARTICLES and part not in NOT_A_NAME:
                words.add(part)
        if "-" in str(name):
            words.add(fold(str(name)))  # "Jean-Pierre" as a whole too
    return words


@functools.cache
def name_data() -> tuple[frozenset[str], frozenset[str]]:
    """Return (given names, surnames), case-folded, from Faker's person providers."""
    given: set[str] = set()
    surnames: set[str] = set()
    for locale in LOCALES:
        try:
            provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        except ImportError:  # Faker missing: the context rules still run, with less recall
            continue
        given |= _words(getattr(provider, "first_names", ()))
        surnames |= _words(getattr(provider, "last_names", ()))
    return frozenset(given), frozenset(surnames)


def is_given_name(word: str) -> bool:
    """Return whether `word` is a known given name (any case, hyphenated forms too)."""
    return fold(word) in name_data()[0]


def is_surname(word: str) -> bool:
    """Return whether `word` is a known surname."""
    return fold(word) in name_data()[1]


def is_known_name(word: str) -> bool:
    """Return whether `word` is a known given name or surname."""
    return is_given_name(word) or is_surname(word)


@functools.lru_cache(maxsize=65536)
def is_dictionary_word(word: str) -> bool:
    """Return whether the lowercase `word` is an ordinary Dutch, French or English word."""
    import simplemma  # already a dependency of analysis.nlp; loaded only when needed

    lowered = fold(word)
    return any(simplemma.is_known(lowered, lang=language) for language in ("nl", "fr", "en"))


def looks_like_a_word(word: str) -> bool:
    """Return whether `word` is an ordinary word or a compound ending in one.

    Dutch writes compounds as one word ("Vreemdelingenzaken"): a tail of five letters or
    more that is an ordinary word makes it a word, not a surname.
    """
    lowered = fold(word)
    if is_dictionary_word(lowered):
        return True
    return any(is_dictionary_word(lowered[i:]) for i in range(1, len(lowered) - 4))


@functools.lru_cache(maxsize=4096)
def is_ordinary_word(word: str) -> bool:
    """Return whether the lower-case form of `word` is an ordinary Dutch, French or English word.

    Stricter than `is_dictionary_word`: simplemma also knows many given names ("sarah",
    "sophie", "tom"), but gives them a capitalised lemma ("Sarah"); an ordinary word has a
    lower-case one ("rose", "marc", "pierre", "will", "roos"; "marie" as a form of "marier").
    """
    import simplemma

    lowered = fold(word)
    for language in ("nl", "fr", "en"):
        if simplemma.is_known(lowered, lang=language):
            lemma = simplemma.lemmatize(lowered, lang=language)
            if lemma == lemma.lower():
                return True
    return False

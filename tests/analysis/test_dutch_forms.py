"""Dutch separable verbs: a particle split from its verb takes the verb's lemma.

Cases written from Dutch grammar (main-clause word order, "te" + infinitive), not from
any benchmark passage.
"""

from __future__ import annotations

import pytest

from analysis import prepare
from analysis.terms import TermIndex, compile_terms


def _lemma_of(text: str, word: str, nth: int = 0) -> str:
    prepared = prepare(text, "nl")
    indexes = [i for i, form in enumerate(prepared.forms) if form == word]
    return prepared.lemmas[indexes[nth]]


@pytest.mark.parametrize(
    ("text", "word", "lemma"),
    [
        # Main clause: the particle closes the clause.
        ("Hij vult het formulier voor zijn buurvrouw in.", "in", "invullen"),
        ("Zij hangt volledig van haar kleinzoon af.", "af", "afhangen"),
        ("De bank stuurt iedereen naar het loket door.", "door", "doorsturen"),
        # Verb first (a question) and a clause that goes on after a comma.
        ("Vult u het zelf in?", "in", "invullen"),
        ("Hij logt elke avond in, maar hij vergeet zijn code.", "in", "inloggen"),
        # Only a prepositional phrase after the particle.
        ("Ze logt in met haar kaartlezer.", "in", "inloggen"),
    ],
)
def test_separated_particle_takes_the_lemma_of_its_verb(text, word, lemma):
    assert _lemma_of(text, word) == lemma


def test_te_infinitive_takes_the_lemma_of_the_whole_verb():
    """ "om in te loggen": the infinitive is "inloggen", not the noun "log"."""
    assert _lemma_of("Hij vraagt hulp om in te loggen.", "loggen") == "inloggen"


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("Ze woont in de stad.", "in"),  # a preposition with its noun
        ("Hij wacht op zijn dochter.", "op"),
        ("Dat is voor hem.", "voor"),
        ("In het begin ging alles goed.", "in"),  # the first word of a sentence
    ],
)
def test_prepositions_keep_their_lemma(text, word):
    assert _lemma_of(text, word) == word


def test_a_separable_pattern_finds_the_split_verb():
    """The lexicon-style pattern "inloggen met" finds "logt in met"."""
    index = TermIndex(compile_terms([("t", "inloggen met", 1.0)], "nl"))
    for text in ("Ze logt in met itsme.", "Ze wil inloggen met itsme."):
        assert len(list(index.find(prepare(text, "nl")))) == 1, text
